"""One driver per output URL: the run lease is an object in the bucket, created by a conditional put.

Two real `webcorpus run` processes on the same s3:// output, each with its own staging folder (two
"machines"): the second exits 2 naming the holder and changes nothing in the bucket; once the first
is killed, a re-run takes the stale lease over and finishes.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from webcorpus.ledger import LeaseHeld, ObjectLease

from tests.faults.helpers import cli, run_cli, write_pipeline
from tests.faults.test_lock import small_inputs, wait_for

STALL = "python: {function: 'tests.faults.functions:stall_once'}"


def _objects(url: str) -> dict[str, str]:
    """Every object under ``url`` with its ETag (what a second run must not change)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    fs.invalidate_cache()
    return {key: info["ETag"] for key, info in fs.find(root, detail=True).items()}


def test_second_driver_on_the_same_url_exits_2_naming_the_holder(tmp_path, shared_data, bucket):
    import fsspec

    url = f"{bucket}/run"
    pause = tmp_path / "paused"
    path = write_pipeline(tmp_path / "a.yaml", small_inputs(shared_data), Path("unused"), [STALL])
    path.write_text(path.read_text().replace("output: unused", f"output: {url}"))
    first = cli("run", str(path), "--quiet", env={"WEBCORPUS_TEST_PAUSE": str(pause),
                                                  "WEBCORPUS_STAGING": str(tmp_path / "machine-1")})
    try:
        wait_for(pause, first)
        fs, root = fsspec.core.url_to_fs(url)
        holder = json.loads(fs.cat_file(f"{root}/run.lease"))
        assert holder["pid"] == first.pid and holder["host"] == socket.gethostname()
        before = _objects(url)
        second = run_cli("run", str(path), "--quiet", env={"WEBCORPUS_STAGING": str(tmp_path / "machine-2")})
        assert second.returncode == 2, second.stderr
        assert f"pid {first.pid}" in second.stderr and f"{url} is in use by another run" in second.stderr
        assert "Traceback" not in second.stderr
        after = _objects(url)
        lease = f"{root}/run.lease"
        assert {k: v for k, v in after.items() if k != lease} == {k: v for k, v in before.items() if k != lease}
        assert not (tmp_path / "machine-2").exists() or not any((tmp_path / "machine-2").rglob("*.parquet"))
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    # The holder is dead (same host, its pid gone): a re-run takes the lease over and finishes.
    done = run_cli("run", str(path), "--quiet", env={"WEBCORPUS_TEST_PAUSE": str(pause),  # exists: no stall
                                                     "WEBCORPUS_STAGING": str(tmp_path / "machine-3")})
    assert done.returncode == 0, done.stderr
    assert f"{root}/run.lease" not in _objects(url)  # released at the end
    assert f"{root}/stats.json" in _objects(url)


def test_of_two_drivers_creating_the_lease_exactly_one_gets_it(bucket):
    import fsspec

    fs, root = fsspec.core.url_to_fs(bucket)
    key = f"{root}/race/run.lease"
    first = ObjectLease(fs, key, f"{bucket}/race/run.lease", timeout=60)
    second = ObjectLease(fs, key, f"{bucket}/race/run.lease", timeout=60)
    second.owner["host"] = "another-machine"  # a driver elsewhere: judged by its heartbeat alone
    first.acquire()
    try:
        with pytest.raises(LeaseHeld, match="in use by another run"):
            second.acquire()
        assert first.renew() and not first.lost
    finally:
        first.release()
    assert not fs.exists(key)


def test_a_lease_whose_heartbeat_stopped_is_taken_over_once(bucket):
    import fsspec

    fs, root = fsspec.core.url_to_fs(bucket)
    key = f"{root}/stale/run.lease"
    frozen = ObjectLease(fs, key, key, timeout=0.5)
    frozen.owner["host"] = "a-machine-that-froze"
    assert frozen._create()  # taken, and never renewed
    time.sleep(1.0)
    taker = ObjectLease(fs, key, key, timeout=0.5)
    taker.acquire()
    try:
        assert json.loads(fs.cat_file(key))["token"] == taker.token
        assert not frozen.renew() and frozen.lost  # the frozen driver learns it lost the lease
    finally:
        taker.release()
