"""A driver killed with kill -9 in the middle of a global step on object storage, then a re-run from another
machine: the phases the step had committed are taken from the bucket, not redone, and the output is a local run's."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from webcorpus import Pipeline

from tests.conftest import REPO
from tests.executors.test_ray import full_chain, output_digests
from tests.storage.test_s3_output import download, small_inputs

# The driver (one worker: global steps run in its own process) dies when dedup reaches its LSH phase: the
# phases before it (hashing, exact duplicates) were committed and published; nothing after them was.
DRIVER = """
import json, os, signal, sys
from webcorpus import Pipeline
from tests.executors.test_ray import full_chain
inputs, output, die = json.loads(sys.argv[1])
if die:
    import webcorpus.dedup.phases as phases

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    phases.near_pairs = killed
result = Pipeline(full_chain(), input=inputs, output=output, workers=1).run(quiet=True)
print(json.dumps({"exit": result.exit_code, "nodes": result.stats.get("nodes")}))
"""


def _drive(tmp_path, inputs, url, machine: str, die: bool) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(REPO), "WEBCORPUS_STAGING": str(tmp_path / machine), "WEBCORPUS_PUBLISH_SECONDS": "0",
           **{k: v for k, v in __import__("os").environ.items() if k.startswith(("AWS_", "PATH", "HOME"))}}
    return subprocess.run([sys.executable, "-c", DRIVER, json.dumps([inputs, url, die])], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)


def _bucket_names(url: str) -> set[str]:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    fs.invalidate_cache()
    return {key[len(root) + 1:] for key in fs.find(root)}


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_a_driver_killed_inside_dedup_resumes_its_phases_from_another_machine(tmp_path, shared_data, bucket):
    inputs = small_inputs(shared_data)
    local = Pipeline(full_chain(), input=inputs, output=tmp_path / "local", workers=1).run(quiet=True)
    assert local.exit_code == 0
    url = f"{bucket}/global-kill"
    killed = _drive(tmp_path, inputs, url, "machine-1", die=True)
    assert killed.returncode == -9, killed.stderr[-2000:]
    names = _bucket_names(url)
    dedup = next(s for s in local.stats["stages"] if s["name"] == "dedup")["step"]
    committed = {n for n in names if n.startswith(f"markers/step-{dedup}/")}
    assert any("/signatures." in n for n in committed) and any("/exact." in n for n in committed), sorted(committed)
    assert not any("/near." in n for n in committed)
    assert any(n.startswith(f"steps/step-{dedup}/bands/") for n in names)  # the phases' work is in the bucket
    assert not any(n.startswith("documents/") for n in names)

    again = _drive(tmp_path, inputs, url, "machine-2", die=False)
    assert again.returncode == 0, again.stderr[-3000:]
    result = json.loads(again.stdout.strip().splitlines()[-1])
    assert result["exit"] == 0, again.stderr[-3000:]
    phases = next(s for s in result["nodes"]["steps"] if s["names"] == ["dedup"])["phases"]
    assert "dedup: candidate pairs (LSH)" in phases  # redone from where the kill stopped it …
    assert "dedup: hashing (MinHash)" not in phases and "dedup: exact and URL duplicates" not in phases  # … not before
    assert output_digests(download(url, tmp_path / "from-s3")) == output_digests(tmp_path / "local")
