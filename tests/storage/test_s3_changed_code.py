"""On object storage, user code changed between a killed run and its re-run on another machine: the
re-run forgets the step's markers in the bucket (the driver never held them) and redoes it; nothing of
the old code is kept."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.faults.helpers import cli, documents, run_cli, write_pipeline
from tests.faults.test_changed_between_runs import inputs, write_module
from tests.storage.test_s3_output import _remote_markers, download


def versions(output: Path) -> set[str]:
    return {v for shard in (output / "documents").glob("*.parquet") for v in pq.read_table(shard).column("version").to_pylist()}


@pytest.mark.slow
def test_code_changed_between_a_kill_and_a_rerun_elsewhere_is_redone_in_the_bucket(tmp_path, shared_data, bucket):
    code = tmp_path / "code"
    code.mkdir()
    env = {"PYTHONPATH": f"{code}{os.pathsep}{Path(__file__).resolve().parents[2]}", "WEBCORPUS_PUBLISH_SECONDS": "0"}
    stages = ["python: {function: 'user_tag:tag'}"]
    write_module(code, "v2")
    reference = tmp_path / "reference"
    assert run_cli("run", str(write_pipeline(tmp_path / "r.yaml", inputs(shared_data), reference, stages)), "--quiet", env=env).returncode == 0

    write_module(code, "v1")
    url = f"{bucket}/changed"
    path = write_pipeline(tmp_path / "p.yaml", inputs(shared_data), Path("placeholder"), stages)
    path.write_text(path.read_text().replace("output: placeholder", f"output: {url}"))
    first = cli("run", str(path), "--quiet", env={**env, "SLOW": "0.05", "WEBCORPUS_STAGING": str(tmp_path / "machine-1")})
    deadline = time.time() + 120
    while _remote_markers(url) < 1:  # one task finished with v1, in the bucket
        assert first.poll() is None and time.time() < deadline, first.communicate()
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    write_module(code, "v2")  # the user fixes the function, then resumes from another machine
    rerun = run_cli("run", str(path), env={**env, "WEBCORPUS_STAGING": str(tmp_path / "machine-2")})
    assert rerun.returncode == 0, rerun.stderr
    assert "changed since this folder was made: stage 1 python: code; redoing step 0" in rerun.stderr
    got = download(url, tmp_path / "from-s3")
    assert versions(got) == {"v2"}  # nothing of v1 kept
    assert documents(got) == documents(reference)
