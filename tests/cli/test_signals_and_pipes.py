"""What a terminal does to a command: Ctrl-C (SIGINT to the whole process group) during dedup gives one
clean line and no worker traceback; a reader that stops reading (`| head`) is not an error. Real processes."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from tests.conftest import REPO
from tests.faults.helpers import cli, write_pipeline


def sentence_documents(folder, shared_data, files: int, per_file: int) -> list[str]:
    """Parquet inputs of documents made of real English sentences (lingua's test set), 12 sentences each."""
    sentences = (shared_data / "lid" / "lingua-testdata" / "en" / "testdata" / "sentences.txt").read_text().splitlines()
    rng = random.Random(0)
    folder.mkdir()
    paths = []
    for f in range(files):
        texts = [" ".join(rng.choices(sentences, k=12)) for _ in range(per_file)]
        path = folder / f"docs-{f}.parquet"
        pq.write_table(pa.table({"id": [f"{f}-{i}" for i in range(per_file)], "text": texts}), path)
        paths.append(str(path))
    return paths


def test_ctrl_c_during_dedup_prints_one_line_and_no_worker_traceback(tmp_path, shared_data):
    inputs = sentence_documents(tmp_path / "in", shared_data, files=6, per_file=4000)  # past the in-process size
    output = tmp_path / "out"
    run = cli("run", str(write_pipeline(tmp_path / "p.yaml", inputs, output, ["dedup: {}"], workers=2)))
    deadline = time.time() + 300
    while not (output / "markers" / "step-1.inputs.done").exists() and run.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    # the moment the dedup's workers are importing their modules (numpy is in): where they used to print
    # their own KeyboardInterrupt tracebacks
    while not any(importing(w) for w in workers_of(run.pid)) and run.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert run.poll() is None, run.communicate()[1]
    os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the driver and every worker get it
    _, err = run.communicate(timeout=120)
    # 130, or killed by SIGINT itself (a shell shows that as 130 too) when it lands as the interpreter exits
    assert run.returncode in (130, -signal.SIGINT), err
    assert err.count("interrupted: re-run the same command to resume") == 1
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert not (output / "markers" / "step-1.done").exists()  # it was stopped inside dedup
    try:  # no worker is left behind
        os.killpg(run.pid, 0)
        time.sleep(2)
        os.killpg(run.pid, 0)
        left = True
    except ProcessLookupError:
        left = False
    assert not left


def workers_of(pid: int) -> list[int]:
    """The multiprocessing workers among a process's children (not its resource tracker)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for child in children:
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.append(int(child))
    return found


def importing(pid: int) -> bool:
    """Whether a worker has loaded numpy's extension: its imports are under way (the dedup's take seconds more)."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    return "_multiarray_umath" in maps


def _first_line_then_close(*args: str) -> subprocess.CompletedProcess:
    """`webcorpus ARGS | head -1`: read one line, close the pipe, let the command finish."""
    process = subprocess.Popen([sys.executable, "-m", "webcorpus", *args], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    first = process.stdout.readline()
    process.stdout.close()
    err = process.stderr.read().decode()
    process.wait(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, first, err)


def test_a_closed_pipe_is_not_an_error(tmp_path, shared_data):
    listed = _first_line_then_close("stages")
    assert listed.stdout and listed.returncode == 0 and listed.stderr == "", listed
    shard = sentence_documents(tmp_path / "in", shared_data, files=1, per_file=300)[0]
    shown = _first_line_then_close("inspect", shard, "-n", "300")
    assert shown.stdout.startswith(shard.encode()) and shown.returncode == 0 and shown.stderr == "", shown
