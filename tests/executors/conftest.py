"""A real local Ray cluster for the executor tests, reached by address as a user with a cluster would.

CI starts one with `ray start --head` and exports WEBCORPUS_RAY_ADDRESS; without it the fixture starts
a head on 127.0.0.1 itself and stops it at the end.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

# Keep the test cluster on 127.0.0.1 (Ray otherwise advertises the host's network address).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ray_address(tmp_path_factory):
    pytest.importorskip("ray", reason="the ray extra is not installed")
    address = os.environ.get("WEBCORPUS_RAY_ADDRESS")
    if address:
        yield address
        return
    ray_cli = str(Path(sys.executable).with_name("ray"))
    port = _free_port()
    temp = tmp_path_factory.mktemp("ray")
    started = subprocess.run(
        [ray_cli, "start", "--head", "--node-ip-address=127.0.0.1", f"--port={port}", "--num-cpus=2",
         "--include-dashboard=false", f"--temp-dir={temp}", "--disable-usage-stats"],
        capture_output=True, text=True, timeout=180,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        subprocess.run([ray_cli, "stop", "--force"], capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)
