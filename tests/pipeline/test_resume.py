"""A run killed at any moment (kill -9) and re-run ends with exactly the documents of an uninterrupted run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import REPO
from tests.pipeline.test_run import crawl_files, expand


def pipeline_file(tmp_path: Path, inputs: list[str], output: Path) -> Path:
    path = tmp_path / f"{output.name}.yaml"
    lines = [f"output: {output}", "workers: 2", "input:"] + [f"  - {p}" for p in inputs]
    lines += ["stages:", "  - python: {function: 'tests.pipeline.helpers:slow'}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def start(path: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WEBCORPUS_TEST_SLOW": "0.01"}
    return subprocess.Popen(
        [sys.executable, "-m", "webcorpus", "run", str(path), "--quiet"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def documents(output: Path) -> list[tuple]:
    shards = sorted((output / "documents").glob("*.parquet"))
    table = pq.ParquetDataset([str(s) for s in shards]).read(columns=["id", "url", "html"])
    return list(zip(*(table.column(c).to_pylist() for c in table.column_names)))


def test_kill_9_then_rerun_loses_and_duplicates_nothing(tmp_path, shared_data):
    inputs = expand(crawl_files(shared_data))
    reference = tmp_path / "reference"
    process = start(pipeline_file(tmp_path, inputs, reference))
    assert process.wait(timeout=300) == 0, process.stderr.read().decode()
    expected = documents(reference)

    killed = tmp_path / "killed"
    path = pipeline_file(tmp_path, inputs, killed)
    for wait_for_markers, whole_group in ((1, True), (3, False)):  # kill twice, at different points
        process = start(path)
        deadline = time.time() + 120
        markers = killed / "markers" / "step-0"
        while time.time() < deadline:
            done = len(list(markers.glob("*.done"))) if markers.exists() else 0
            if done >= wait_for_markers or process.poll() is not None:
                break
            time.sleep(0.05)
        if whole_group:  # the driver and its workers, with no chance to clean up
            os.killpg(process.pid, signal.SIGKILL)
        else:  # the driver alone: its workers must notice and stop
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert len(list((killed / "markers" / "step-0").glob("*.done"))) < len(inputs), "the run finished before it was killed"

    process = start(path)
    assert process.wait(timeout=300) == 0, process.stderr.read().decode()
    got = documents(killed)
    assert len(got) == len(expected) > 100
    assert got == expected
    leftovers = [p.name for p in (killed / "documents").iterdir() if p.name.startswith(".")]
    assert leftovers == []
