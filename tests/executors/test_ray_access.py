"""Joining Ray on a machine where Ray ran before (Ray 2.60's token in ~/.ray/auth_token), with real clusters.

Two heads, each started in a home folder of its own: one whose home holds a token (Ray then requires
tokens, as on a machine where a local Ray run left one) and one whose home is empty (no tokens). The
driver is the `webcorpus` command in a child process with a home folder chosen by each test, so every
case is what a user meets: the cluster's token at hand, none, a stale one, a leftover token facing a
cluster without tokens, a driver whose Ray version differs, a local instance.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from webcorpus import Pipeline, build_stage

from tests.conftest import REPO
from tests.executors.ray_nodes import free_port, ray_env, ray_home, start_head, stop_node, token_of
from tests.storage.conftest import wait_for_port

PIPELINE = "stages:\n  - extract: {engine: resiliparse}\n"


def crawl(shared_data: Path) -> str:
    return str(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz")


@pytest.fixture(scope="module")
def heads():
    """{"token": (address, home), "open": (address, home)}: a head requiring tokens and one without."""
    pytest.importorskip("ray", reason="the ray extra is not installed")
    short = Path(tempfile.mkdtemp(prefix="wc-ray-"))  # Ray's socket paths must stay short
    started, out = [], {}
    try:
        for name, token in (("token", True), ("open", False)):
            home = ray_home(short / f"{name}-home", token=token)
            address, head = start_head(short / name, ray_env(home, RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0"), cpus=1)
            started.append(head)
            out[name] = (address, home)
        yield out
    finally:
        for head in started:
            stop_node(head)
        shutil.rmtree(short, ignore_errors=True)


def run_cli(tmp_path: Path, shared_data: Path, home: Path, address: str | None, name: str = "out"):
    """`webcorpus run` on Ray from a child process whose home folder is ``home``."""
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(PIPELINE)
    output = tmp_path / name
    command = [sys.executable, "-m", "webcorpus", "run", str(pipeline), "--input", crawl(shared_data),
               "--output", str(output), "--executor", "ray", "--workers", "1", "--quiet"]
    if address:
        command += ["--ray-address", address]
    env = ray_env(home, PYTHONPATH=str(REPO), WEBCORPUS_CACHE_DIR=str(tmp_path / "cache"),
                  RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    return done, output


def texts(output: Path) -> list[str]:
    shards = sorted((output / "documents").glob("*.parquet"))
    return pq.ParquetDataset([str(s) for s in shards]).read().column("text").to_pylist()


def local_texts(tmp_path: Path, shared_data: Path) -> list[str]:
    result = Pipeline([build_stage("extract", {"engine": "resiliparse"})], input=[crawl(shared_data)],
                      output=tmp_path / "local").run(quiet=True)
    assert result.exit_code == 0
    return texts(tmp_path / "local")


def refusal(done: subprocess.CompletedProcess, output: Path) -> str:
    """The one error line of a run refused before any work (exit 2, no documents)."""
    assert done.returncode == 2, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr[-3000:]
    assert not (output / "documents").exists() and not (output / "markers").exists()
    return lines[0]


def test_a_driver_with_the_clusters_token_in_its_home_joins(tmp_path, shared_data, heads):
    address, home = heads["token"]
    done, output = run_cli(tmp_path, shared_data, home, address)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads((output / "stats.json").read_text())["run"]["executor"] == "ray"
    assert texts(output) == local_texts(tmp_path, shared_data)


def test_a_driver_without_a_token_is_told_where_to_put_one(tmp_path, shared_data, heads):
    address, _ = heads["token"]
    done, output = run_cli(tmp_path, shared_data, ray_home(tmp_path / "empty-home", token=False), address)
    line = refusal(done, output)
    assert f"the Ray cluster at {address} requires a token and this machine has none" in line
    assert "~/.ray/auth_token" in line and "ray get-auth-token" in line


def test_a_token_left_by_another_ray_run_is_named_as_the_cause(tmp_path, shared_data, heads):
    address, _ = heads["token"]
    stale = ray_home(tmp_path / "stale-home")  # a token of its own: not the cluster's
    done, output = run_cli(tmp_path, shared_data, stale, address)
    line = refusal(done, output)
    assert f"refused the token from {token_of(stale)}" in line and "RAY_AUTH_TOKEN_PATH" in line


def test_a_leftover_token_does_not_stop_a_cluster_without_tokens(tmp_path, shared_data, heads):
    address, open_home = heads["open"]
    assert not token_of(open_home).exists()
    leftover = ray_home(tmp_path / "home-after-a-local-run")
    done, output = run_cli(tmp_path, shared_data, leftover, address)
    assert done.returncode == 0, done.stderr[-3000:]
    assert texts(output) == local_texts(tmp_path, shared_data)


def test_a_driver_of_another_ray_version_is_told_both_versions(tmp_path, shared_data, heads):
    from ray._raylet import GcsClient

    address, _ = heads["open"]
    # The head's own record of its versions, which Ray compares with the driver's, as another release writes it.
    client = GcsClient(address=address)
    key, namespace = b"CLUSTER_METADATA", b"cluster"
    original = client.internal_kv_get(key, namespace)
    other = {**json.loads(original), "ray_version": "2.59.0"}
    client.internal_kv_put(key, json.dumps(other).encode(), True, namespace)
    try:
        done, output = run_cli(tmp_path, shared_data, ray_home(tmp_path / "home", token=False), address)
    finally:
        client.internal_kv_put(key, original, True, namespace)
    line = refusal(done, output)
    assert f"the Ray cluster at {address} runs Ray 2.59.0 on Python {other['python_version']}" in line
    assert "pip install 'ray==2.59.0'" in line


def test_an_address_that_is_not_a_ray_head_is_told_apart(tmp_path, shared_data):
    pytest.importorskip("ray", reason="the ray extra is not installed")
    port = free_port()  # a web server where the head should be, as when the dashboard's port is given
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for_port(port, server, timeout=30)
        done, output = run_cli(tmp_path, shared_data, ray_home(tmp_path / "home", token=False), f"127.0.0.1:{port}")
    finally:
        server.kill()
        server.wait(timeout=30)
    line = refusal(done, output)
    assert f"127.0.0.1:{port} accepts connections but does not answer as a Ray head" in line and "6379" in line


def test_a_local_instance_writes_nothing_into_the_home_folder(tmp_path, shared_data):
    pytest.importorskip("ray", reason="the ray extra is not installed")
    home = ray_home(tmp_path / "home", token=False)
    done, output = run_cli(tmp_path, shared_data, home, address=None)
    assert done.returncode == 0, done.stderr[-3000:]
    assert texts(output) == local_texts(tmp_path, shared_data)
    assert not (home / ".ray").exists()  # plain ray.init() would have written .ray/auth_token here
