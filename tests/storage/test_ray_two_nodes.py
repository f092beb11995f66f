"""Ray across two "machines" that share nothing but the S3 endpoint.

A Ray head and a second Ray node are started on this machine with separate temp folders; the head
has no CPUs for tasks, so every file task runs on the second node, whose scratch folder (TMPDIR) is
its own. Input and output are on the moto S3 server; the full chain (extraction to token shards,
dedup included) must give the bytes of a run with its output on local disk.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from webcorpus import Pipeline

from tests.conftest import REPO
from tests.executors.test_ray import full_chain, output_digests
from tests.executors.ray_nodes import alive_nodes, ray_env, ray_home, start_head, start_node, stop_node
from tests.storage.test_s3_output import download, small_inputs

# A cluster of several nodes, every node on 127.0.0.1 (--node-ip-address, and the driver's loopback address).
RAY_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1"}


@pytest.fixture
def two_nodes(tmp_path, s3_endpoint):
    """A Ray head with no task CPUs and a second node with two, each with its own temp and scratch folder.

    Both run in a home folder of the test's own that holds `.ray/auth_token`, as a machine where Ray ran
    before: the head then requires tokens (Ray 2.60), and the second node joins with RAY_AUTH_MODE=token,
    as docs/scaling.md tells users. The test FAILS when the cluster cannot form; it skips only without Ray."""
    pytest.importorskip("ray", reason="the ray extra is not installed")
    nodes = []
    # Ray's socket paths must stay under 107 bytes: a short folder rather than pytest's tmp_path.
    short = Path(tempfile.mkdtemp(prefix="wc-ray-"))
    home = ray_home(short / "home")
    env = ray_env(home, **RAY_ENV)
    for name in ("head", "node-2"):
        (tmp_path / f"{name}-scratch").mkdir()
    try:
        address, head = start_head(short / "head", {**env, "TMPDIR": str(tmp_path / "head-scratch")}, cpus=0)
        nodes.append(head)
        nodes.append(start_node([f"--address={address}", "--num-cpus=2"], short / "node-2",
                                {**env, "RAY_AUTH_MODE": "token", "TMPDIR": str(tmp_path / "node-2-scratch")}))
        deadline = time.time() + 180
        while True:
            alive = alive_nodes(address, {**env, "RAY_AUTH_MODE": "token"})
            if len(alive) == 2:
                break
            if nodes[1].poll() is not None or time.time() > deadline:
                pytest.fail(f"a second Ray node could not join: {(short / 'node-2.log').read_text()[-1500:]}")
            time.sleep(1)
        yield address, alive, env
    finally:
        for process in reversed(nodes):
            stop_node(process)
        shutil.rmtree(short, ignore_errors=True)


def _upload(paths: list[str], url: str) -> list[str]:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    urls = []
    for path in paths:
        fs.put_file(path, f"{root}/{Path(path).name}")
        urls.append(f"{url}/{Path(path).name}")
    return urls


# The Ray driver runs in a child process: Ray's cluster mode is read when Ray is imported, and this
# cluster (two nodes) needs the mode tests/executors' single-node cluster does not use.
def chain() -> list:
    """The full chain with paragraph dedup after near-dedup: both global stages whose phases spread over the nodes."""
    from webcorpus import build_stage

    stages = full_chain()
    at = next(i for i, stage in enumerate(stages) if stage.name == "dedup") + 1
    return stages[:at] + [build_stage("dedup_paragraphs", {})] + stages[at:]


DRIVER = """
import json, sys
from webcorpus import Pipeline
from tests.storage.test_ray_two_nodes import chain
inputs, output, address = json.loads(sys.argv[1])
result = Pipeline(chain(), input=inputs, output=output, workers=2, executor="ray", address=address).run(quiet=True)
print(json.dumps({"exit": result.exit_code, "fatal": result.fatal, "tasks": result.stats.get("tasks"),
                  "nodes": result.stats.get("nodes"), "storage": result.stats.get("storage")}))
"""

#: what the driver's folders may hold at most at any moment: the ledger (markers, run.json, logs, stats.json)
DRIVER_BYTES = 2 << 20
DATA_SUFFIXES = (".parquet", ".bin", ".npy", ".u32", ".model", ".idx")


def _folder_state(folders: list[Path]) -> tuple[int, set[str]]:
    """Bytes under ``folders`` now, and the names of data files (shards, token files, dedup work) among them."""
    size, data = 0, set()
    for folder in folders:
        for path in folder.rglob("*"):
            try:
                if path.is_file():
                    size += path.stat().st_size
                    if path.name.endswith(DATA_SUFFIXES):
                        data.add(path.name)
            except FileNotFoundError:  # removed while we looked
                continue
    return size, data


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_full_chain_on_two_ray_nodes_with_output_on_s3(tmp_path, shared_data, bucket, two_nodes):
    address, alive, ray_env_of_cluster = two_nodes
    cpus = {node["NodeID"]: node["Resources"].get("CPU", 0) for node in alive}
    assert sorted(cpus.values()) == [0, 2]  # the head runs no task: every task runs on the other node
    worker_node = next(node for node, n in cpus.items() if n)
    inputs = _upload(small_inputs(shared_data), f"{bucket}/crawl")
    local = Pipeline(chain(), input=inputs, output=tmp_path / "local", workers=2).run(quiet=True)
    assert local.exit_code == 0
    # The driver finds the cluster's token in ~/.ray/auth_token of the cluster's home folder, as a user's would.
    # Its folders: the ledger folder (WEBCORPUS_STAGING) and its temporary folder, watched while it runs.
    driver_folders = [tmp_path / "driver-ledger", tmp_path / "driver-tmp"]
    driver_folders[1].mkdir()
    env = {**ray_env_of_cluster, "PYTHONPATH": str(REPO), "WEBCORPUS_STAGING": str(driver_folders[0]),
           "TMPDIR": str(driver_folders[1])}
    driver = subprocess.Popen([sys.executable, "-c", DRIVER, json.dumps([inputs, f"{bucket}/run", address])],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, seen = 0, set()
    deadline = time.time() + 1100
    while driver.poll() is None and time.time() < deadline:
        size, data = _folder_state(driver_folders)
        peak, seen = max(peak, size), seen | data
        time.sleep(0.2)
    stdout, stderr = driver.communicate(timeout=60)
    assert driver.returncode == 0, stderr[-3000:]
    on_ray = json.loads(stdout.strip().splitlines()[-1])
    assert on_ray["exit"] == 0, (on_ray, stderr[-3000:])
    on_s3 = output_digests(download(f"{bucket}/run", tmp_path / "from-s3"))
    on_disk = output_digests(tmp_path / "local")
    assert any(name.startswith("tokens/llmc/") for name in on_disk) and any(name.startswith("documents/") for name in on_disk)
    assert on_s3 == on_disk
    assert on_ray["tasks"]["finished"] == local.stats["tasks"]["finished"] and not on_ray["tasks"]["failed"]
    # The driver kept the ledger, not the data: no shard, token file or dedup work file ever on its disk.
    assert not seen, sorted(seen)
    assert 0 < peak <= DRIVER_BYTES, peak
    # Every task ran on the worker node, every phase of dedup included; the driver's node is the head.
    nodes = on_ray["nodes"]
    assert nodes["driver"] != worker_node and nodes["driver"] in cpus
    steps = {tuple(step["names"]): step for step in nodes["steps"]}
    dedup = steps[("dedup",)]  # its phases are tasks on the cluster; the driver keeps the step's ledger only
    assert set(dedup["tasks"]) == {worker_node} and sum(dedup["tasks"].values()) >= 9
    phases = dedup["phases"]
    assert {"dedup: hashing (MinHash)", "dedup: exact and URL duplicates", "dedup: candidate pairs (LSH)",
            "dedup: writing kept documents"} <= set(phases), sorted(phases)
    assert all(set(counts) == {worker_node} for counts in phases.values()), phases
    paragraphs = steps[("dedup_paragraphs",)]
    assert set(paragraphs["tasks"]) == {worker_node} and len(paragraphs["phases"]) == 3, paragraphs
    for step in nodes["steps"]:
        assert set(step["tasks"]) == {worker_node}, step
    requests = on_ray["storage"]["total"]["requests"]
    assert requests["put"] > 0 and requests["get"] > 0
    # The workers' scratch folders are gone: what they made is in the bucket only.
    assert not list((tmp_path / "node-2-scratch").glob("webcorpus-task-*"))
