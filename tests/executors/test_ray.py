"""The Ray executor gives exactly the local executor's output, and survives a killed worker."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import signal
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

from webcorpus import FunctionStage, Pipeline, build_stage, document_stage

from tests.pipeline.helpers import keep_even_offsets, pause_once, url_length
from tests.pipeline.test_global import KeepSmallestIds
from tests.pipeline.test_run import crawl_files, expand

RUN_METADATA = ("logs", "markers", "steps", "stats.json", "run.json")


def documents(output):
    shards = sorted((output / "documents").glob("*.parquet"))
    return [p.name for p in shards], pq.ParquetDataset([str(s) for s in shards]).read()


def output_digests(output: Path) -> dict[str, str]:
    """Every file a run produced (documents, dedup side output, tokenizer, token shards) and its digest."""
    digests = {}
    for path in sorted(output.rglob("*")):
        relative = path.relative_to(output).as_posix()
        if path.is_dir() or relative.startswith(RUN_METADATA):
            continue
        data = path.read_bytes()
        if relative == "tokenizer/card.json":  # the only timing in the outputs
            card = json.loads(data)
            card.pop("training_seconds")
            data = json.dumps(card, sort_keys=True).encode()
        digests[relative] = hashlib.sha1(data).hexdigest()
    return digests


def full_chain() -> list:
    return [
        # A page's time limit well above its cost: on a loaded machine the default 10 s cut a few pages in
        # one run and not in the other, and the outputs compared here then differ by those pages' fate.
        build_stage("extract", {"engine": "trafilatura", "timeout": 120.0}),
        build_stage("language", {}),
        build_stage("gopher_repetition", {}),
        build_stage("gopher_quality", {}),
        build_stage("dedup", {}),
        build_stage("pii", {}),
        build_stage("train_tokenizer", {"vocab_size": 512}),
        build_stage("tokenize", {"formats": ["llmc", "nanogpt", "megatron"], "val_fraction": 0.1}),
    ]


def test_full_chain_on_ray_is_identical_to_local(tmp_path, shared_data, ray_address):
    inputs = [
        str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"),
        str(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz"),
        str(shared_data / "warc" / "copycat-cc-arc-sample" / "cc-arc-sample" / "small-sample-1213893279526_0.arc"),
    ]
    local = Pipeline(full_chain(), input=inputs, output=tmp_path / "local", workers=2).run(quiet=True)
    remote = Pipeline(full_chain(), input=inputs, output=tmp_path / "ray", workers=2, executor="ray", address=ray_address).run(quiet=True)
    assert local.exit_code == remote.exit_code == 0
    assert remote.stats["run"]["executor"] == "ray"
    local_files, ray_files = output_digests(tmp_path / "local"), output_digests(tmp_path / "ray")
    assert any(name.startswith("tokens/llmc/") for name in local_files)
    assert any(name.startswith("documents/") for name in local_files)
    assert local_files == ray_files
    for a, b in zip(local.stats["stages"], remote.stats["stages"]):
        assert (a["name"], a["documents_in"], a["documents_out"], a["dropped"]) == (b["name"], b["documents_in"], b["documents_out"], b["dropped"])
    assert local.stats["documents"]["written"] > 20


def test_ray_matches_local_with_batch_and_global_steps(tmp_path, shared_data, ray_address):
    inputs = expand(crawl_files(shared_data))
    stages = [document_stage(keep_even_offsets), KeepSmallestIds(60), document_stage(url_length)]
    local = Pipeline(stages, input=inputs, output=tmp_path / "local", workers=2).run(quiet=True)
    ray_run = Pipeline(stages, input=inputs, output=tmp_path / "ray", workers=2, executor="ray", address=ray_address).run(quiet=True)
    assert local.exit_code == ray_run.exit_code == 0
    local_names, local_table = documents(tmp_path / "local")
    ray_names, ray_table = documents(tmp_path / "ray")
    assert local_names == ray_names
    assert local_table.equals(ray_table)
    assert local.stats["stages"][0]["dropped"] == ray_run.stats["stages"][0]["dropped"]


def test_killed_ray_worker_is_retried_nothing_lost_or_twice(tmp_path, shared_data, ray_address):
    inputs = expand(crawl_files(shared_data))
    reference = Pipeline([], input=inputs, output=tmp_path / "reference").run(quiet=True)
    assert reference.exit_code == 0

    marker = tmp_path / "stalled-worker.pid"
    stall = FunctionStage(functools.partial(pause_once, marker=str(marker)), label="stall")
    pipeline = Pipeline([stall], input=inputs, output=tmp_path / "ray", workers=2, executor="ray", address=ray_address)
    results = {}
    runner = threading.Thread(target=lambda: results.setdefault("run", pipeline.run(quiet=True)))
    runner.start()
    deadline = time.time() + 120
    while not marker.exists() and time.time() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "no worker reached the stalling stage"
    time.sleep(0.2)
    os.kill(int(marker.read_text()), signal.SIGKILL)  # a Ray worker process dies mid-task
    runner.join(timeout=300)
    assert not runner.is_alive()
    result = results["run"]
    assert result.exit_code == 0, result.failed
    _, expected = documents(tmp_path / "reference")
    _, got = documents(tmp_path / "ray")
    assert got.column("id").to_pylist() == expected.column("id").to_pylist()  # same documents, once each, same order
    assert result.stats["documents"]["written"] == reference.stats["documents"]["written"]


def test_ray_requests_what_a_steps_stages_declare():
    from webcorpus.executors.ray import RayExecutor

    executor = RayExecutor.__new__(RayExecutor)  # the option arithmetic alone, without a cluster
    executor.cpus_per_task, executor.memory_per_task = 1.0, None

    class Heavy(FunctionStage):
        resources = {"num_cpus": 2, "memory": 3 << 30}

    stages = [build_stage("extract", {}), Heavy(url_length)]
    options = executor._options(stages)
    assert options["num_cpus"] == 2 and options["memory"] == (1 << 30) + (3 << 30)
    assert executor._options([]) == {"num_cpus": 1.0, "max_retries": 3}
