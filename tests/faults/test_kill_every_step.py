"""kill -9 in every step (per-file, dedup, tokenizer training, tokenize), then re-run: byte-identical output."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.faults.helpers import cli, documents, run_cli, write_pipeline
from tests.faults.test_exit_codes import STAGES, crawl

# each a file whose appearance means the run is inside that step: kill it there
STEP_SIGNS = ["markers/step-0", "markers/step-1.inputs.done", "markers/step-1.done", "markers/step-2.done"]


def token_files(output: Path) -> dict[str, bytes]:
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted((output / "tokens").rglob("*")) if p.is_file()}


def test_kill_9_inside_every_step_then_rerun_is_byte_identical(tmp_path, shared_data):
    inputs = crawl(shared_data)
    reference = tmp_path / "reference"
    assert run_cli("run", str(write_pipeline(tmp_path / "r.yaml", inputs, reference, STAGES, workers=2)), "--quiet").returncode == 0

    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", inputs, output, STAGES, workers=2)
    killed_in = []
    for sign in STEP_SIGNS:
        run = cli("run", str(path), "--quiet")
        deadline = time.time() + 300
        while not (output / sign).exists() and run.poll() is None and time.time() < deadline:
            time.sleep(0.01)
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            killed_in.append(sign)
        run.wait()
    assert len(killed_in) >= 3, killed_in  # a step may be too short to catch on a fast machine, not most
    final = run_cli("run", str(path), "--quiet")
    assert final.returncode == 0, final.stderr
    assert documents(output) == documents(reference)
    assert token_files(output) == token_files(reference) and token_files(reference)
    assert not list(output.rglob("*.tmp-*")) and not (output / "run.lease").exists()
