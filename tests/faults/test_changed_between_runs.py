"""Resume notices what decides the output beyond the YAML: user code and files stages read."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq

from tests.faults.helpers import cli, documents, run_cli, write_pipeline

MODULE = '''
import os, time
def tag(doc):
    time.sleep(float(os.environ.get("SLOW", "0")))
    doc["version"] = "{version}"
    return doc
'''


def inputs(shared_data: Path) -> list[str]:
    return [str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"),
            str(shared_data / "warc" / "warcio-tests" / "example.warc.gz"),
            str(shared_data / "warc" / "jwarc-cc" / "cc.warc.gz")]


def versions(output: Path) -> set[str]:
    return {v for shard in (output / "documents").glob("*.parquet") for v in pq.read_table(shard).column("version").to_pylist()}


def write_module(folder: Path, version: str) -> None:
    (folder / "user_tag.py").write_text(MODULE.format(version=version))
    for cached in (folder / "__pycache__").glob("user_tag*"):
        cached.unlink()


def test_user_code_changed_between_kill_and_rerun_is_redone_never_mixed(tmp_path, shared_data):
    code = tmp_path / "code"
    code.mkdir()
    env = {"PYTHONPATH": f"{code}{os.pathsep}{os.environ.get('PYTHONPATH', '')}{os.pathsep}{Path(__file__).resolve().parents[2]}"}
    stages = ["python: {function: 'user_tag:tag'}"]
    write_module(code, "v2")
    reference = tmp_path / "reference"
    assert run_cli("run", str(write_pipeline(tmp_path / "r.yaml", inputs(shared_data), reference, stages)), "--quiet", env=env).returncode == 0

    write_module(code, "v1")
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", inputs(shared_data), output, stages)
    first = cli("run", str(path), "--quiet", env={**env, "SLOW": "0.05"})
    deadline = time.time() + 120
    while not list((output / "markers" / "step-0").glob("*.done")):  # one task finished with v1
        assert first.poll() is None and time.time() < deadline, first.communicate()
        time.sleep(0.05)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    write_module(code, "v2")  # the user fixes the function, then resumes
    rerun = run_cli("run", str(path), env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert "changed since this folder was made: stage 1 python: code; redoing step 0" in rerun.stderr
    assert versions(output) == {"v2"}  # nothing of v1 kept
    assert documents(output) == documents(reference)
    # and with nothing changed, a re-run redoes nothing
    again = run_cli("run", str(path), env=env)
    assert again.returncode == 0 and "changed since" not in again.stderr and "finished in an earlier run" in again.stderr


def test_a_blocklist_changed_between_runs_is_redone(tmp_path, shared_data):
    blocklist = tmp_path / "block.txt"
    blocklist.write_text("")
    stages = [f"url_filter: {{blocklists: [{blocklist}]}}"]
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", inputs(shared_data), output, stages)
    assert run_cli("run", str(path), "--quiet").returncode == 0
    everything = documents(output)
    hosts = sorted({url.split("/")[2] for _, url, _ in everything if url})
    blocklist.write_text(hosts[0] + "\n")  # now one host is blocked
    rerun = run_cli("run", str(path))
    assert rerun.returncode == 0 and "stage 1 url_filter: files" in rerun.stderr
    fresh = tmp_path / "fresh"
    assert run_cli("run", str(write_pipeline(tmp_path / "f.yaml", inputs(shared_data), fresh, stages)), "--quiet").returncode == 0
    assert documents(output) == documents(fresh) and len(documents(fresh)) < len(everything)
    assert json.loads((output / "run.json").read_text())["decides"]["1 url_filter"]["files"]


def test_a_user_extract_engine_and_a_declared_version_are_part_of_the_key(tmp_path, monkeypatch):
    from webcorpus.stages.functions import FunctionStage
    from webcorpus.stages.registry import build_stage

    (tmp_path / "user_engine.py").write_text("def text(html, url):\n    return 'one'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    stage = build_stage("extract", {"engine": "user_engine:text"})
    before = stage.code_identity()
    (tmp_path / "user_engine.py").write_text("def text(html, url):\n    return 'two'\n")
    assert stage.code_identity() != before and build_stage("extract", {}).code_identity() is None
    declared = FunctionStage("tests.pipeline.helpers:slow", version="2024-06")
    assert declared.code_identity() == "version:2024-06"
