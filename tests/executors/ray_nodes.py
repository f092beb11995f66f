"""Real Ray nodes for the tests, each in a home folder of its own.

Ray 2.60 keys its token authentication on the home folder: ``ray start --head`` requires tokens when it
finds ``~/.ray/auth_token`` (a local ``ray.init()`` leaves one there). So the tests never start Ray in the
user's home: every node gets ``HOME`` = a folder the test made, and none of the user's Ray variables, so
what an earlier Ray run left on the machine cannot change a test. A node is ``ray start --block`` in a
process group of its own: a test stops exactly what it started, never another Ray on the machine.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.storage.conftest import wait_for_port

# The user's settings that would steer a test's Ray: left out of every environment the tests give Ray.
USER_RAY_VARIABLES = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH", "RAY_ADDRESS")
CI_RAY_PORT = 6390  # .ci/run's head for tests/executors: never a test's own


def free_port() -> int:
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port != CI_RAY_PORT:
            return port


def ray_home(folder: Path, token: bool = True) -> Path:
    """A home folder for Ray; with ``token``, holding ``.ray/auth_token`` as a local Ray run leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    if token:
        (folder / ".ray").mkdir(exist_ok=True)
        (folder / ".ray" / "auth_token").write_text(secrets.token_hex(32))
    return folder


def token_of(home: Path) -> Path:
    return home / ".ray" / "auth_token"


def ray_env(home: Path, **extra: str) -> dict:
    """This process's environment with ``HOME`` = ``home`` and none of the user's Ray variables."""
    env = {k: v for k, v in os.environ.items() if k not in USER_RAY_VARIABLES}
    return {**env, "HOME": str(home), **extra}


def start_node(args: list[str], temp: Path, env: dict) -> subprocess.Popen:
    """``ray start --block`` on 127.0.0.1 with its own temp folder (Ray's socket paths: keep it short)."""
    ray_cli = str(Path(sys.executable).with_name("ray"))
    log = open(temp.with_suffix(".log"), "wb")
    command = [ray_cli, "start", "--block", "--node-ip-address=127.0.0.1", f"--temp-dir={temp}",
               "--disable-usage-stats", f"--dashboard-agent-listen-port={free_port()}",
               f"--metrics-export-port={free_port()}", *args]
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def start_head(temp: Path, env: dict, cpus: int = 2) -> tuple[str, subprocess.Popen]:
    """A head node; its address once it answers. The test FAILS when no head can start."""
    port = free_port()
    head = start_node(["--head", f"--port={port}", f"--num-cpus={cpus}", "--include-dashboard=false"], temp, env)
    if not wait_for_port(port, head, timeout=120):
        stop_node(head)
        pytest.fail(f"a Ray head could not start here: {temp.with_suffix('.log').read_text()[-1500:]}")
    return f"127.0.0.1:{port}", head


def stop_node(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # whatever of this node's group is left
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def alive_nodes(address: str, env: dict) -> list[dict]:
    """The cluster's live nodes, asked from a child process with ``env`` (one that cannot join is killed)."""
    script = ("import json, ray; ray.init(address=%r, log_to_driver=False, include_dashboard=False, "
              "_node_ip_address='127.0.0.1'); print(json.dumps([n for n in ray.nodes() if n.get('Alive')]))" % address)
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=90, env=env)
    except subprocess.TimeoutExpired:
        return []
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 and done.stdout.strip() else []
