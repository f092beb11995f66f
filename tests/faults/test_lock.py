"""One run per output folder: a lease with an owner and a heartbeat; a second run refuses (exit 2) untouched."""
from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.faults.helpers import cli, documents, run_cli, tree, write_pipeline
from webcorpus.ledger import Lease, LeaseHeld, Ledger


STALL = "python: {function: 'tests.faults.functions:stall_once'}"


def small_inputs(shared_data: Path) -> list[str]:
    return [str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"),
            str(shared_data / "warc" / "warcio-tests" / "example.warc.gz")]


def wait_for(path: Path, process, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while not path.exists():
        assert process.poll() is None, f"run ended early: {process.communicate()}"
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_second_run_on_the_same_folder_refuses_with_exit_2_and_touches_nothing(tmp_path, shared_data):
    output = tmp_path / "out"
    pause = tmp_path / "paused"
    stages = [STALL]
    first = cli("run", str(write_pipeline(tmp_path / "a.yaml", small_inputs(shared_data), output, stages)), "--quiet",
                env={"WEBCORPUS_TEST_PAUSE": str(pause)})
    try:
        wait_for(pause, first)
        before = tree(output)
        holder = json.loads((output / "run.lease").read_text())
        assert holder["pid"] == first.pid and holder["host"] == socket.gethostname()
        second = run_cli("run", str(write_pipeline(tmp_path / "b.yaml", small_inputs(shared_data), output, stages)), "--quiet")
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid}" in second.stderr and "in use by another run" in second.stderr
        assert len(second.stderr.strip().splitlines()) == 1  # one line, no traceback
        assert "Traceback" not in second.stderr
        after = tree(output)
        assert {k: v for k, v in after.items() if k != "run.lease"} == {k: v for k, v in before.items() if k != "run.lease"}
        # --overwrite does not get past the lock either
        forced = run_cli("run", str(tmp_path / "b.yaml"), "--quiet", "--overwrite")
        assert forced.returncode == 2 and (output / "run.json").exists()
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


def test_lock_of_a_killed_run_is_taken_over_and_the_rerun_matches_an_uninterrupted_one(tmp_path, shared_data):
    inputs = small_inputs(shared_data)
    reference = tmp_path / "reference"
    done = run_cli("run", str(write_pipeline(tmp_path / "r.yaml", inputs, reference, [])), "--quiet")
    assert done.returncode == 0, done.stderr
    assert not (reference / "run.lease").exists()  # released at the end

    output = tmp_path / "out"
    pause = tmp_path / "paused"
    stages = [STALL]
    path = write_pipeline(tmp_path / "k.yaml", inputs, output, stages)
    first = cli("run", str(path), "--quiet", env={"WEBCORPUS_TEST_PAUSE": str(pause)})
    wait_for(pause, first)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert json.loads((output / "run.lease").read_text())["pid"] == first.pid  # left behind by kill -9
    rerun = run_cli("run", str(path), "--quiet", env={"WEBCORPUS_TEST_PAUSE": str(pause)})
    assert rerun.returncode == 0, rerun.stderr
    assert documents(output) == documents(reference) and documents(reference)
    assert not (output / "run.lease").exists()


def test_lease_of_another_host_is_respected_until_its_heartbeat_is_old(tmp_path):
    ledger = Ledger(tmp_path)
    foreign = {"host": "some-other-host", "pid": 1, "token": "x", "started_at": "earlier", "heartbeat": time.time()}
    (tmp_path / "run.lease").write_text(json.dumps(foreign))
    with pytest.raises(LeaseHeld, match="pid 1 on host some-other-host"):
        ledger.lease("run", timeout=30).acquire()
    foreign["heartbeat"] = time.time() - 31  # its owner stopped renewing
    (tmp_path / "run.lease").write_text(json.dumps(foreign))
    lease = ledger.lease("run", timeout=30).acquire()
    try:
        assert json.loads((tmp_path / "run.lease").read_text())["token"] == lease.token
    finally:
        lease.release()
    assert not (tmp_path / "run.lease").exists()


def test_heartbeat_renews_and_only_one_of_two_takers_wins(tmp_path):
    first = Lease(tmp_path / "run.lease", timeout=0.4).acquire()
    try:
        beat = json.loads((tmp_path / "run.lease").read_text())["heartbeat"]
        time.sleep(0.6)  # longer than the timeout: only the heartbeat keeps it fresh
        assert json.loads((tmp_path / "run.lease").read_text())["heartbeat"] > beat
        with pytest.raises(LeaseHeld):
            Lease(tmp_path / "run.lease", timeout=0.4).acquire()
        assert not first.lost
    finally:
        first.release()


def test_two_runs_started_together_never_double_the_output(tmp_path, shared_data):
    inputs = small_inputs(shared_data)
    reference = tmp_path / "reference"
    assert run_cli("run", str(write_pipeline(tmp_path / "r.yaml", inputs, reference, [])), "--quiet").returncode == 0
    output = tmp_path / "out"
    paths = [write_pipeline(tmp_path / f"{n}.yaml", inputs, output, []) for n in "ab"]
    runs = [cli("run", str(p), "--quiet") for p in paths]  # started together, as in the finding
    codes = sorted(r.wait(timeout=300) for r in runs)
    assert codes in ([0, 0], [0, 2]), [r.communicate() for r in runs]  # 0, 0: the second came after the first
    assert documents(output) == documents(reference)  # never twice the documents
