"""The training sample: bounded in bytes, and the same whatever the sharding or worker count."""
from __future__ import annotations

import numpy as np

from tests.tokenizer.conftest import serial_map, write_shards
from webcorpus.tokenizer.training_sample import HELDOUT_SHARE, id_hash, read_heldout, thresholds, write_shard_sample


def _selection(paths, tmp_path, budget, heldout_budget):
    tmp_path.mkdir(parents=True, exist_ok=True)
    limits = thresholds(serial_map, paths, "s0", budget, heldout_budget)
    written = [write_shard_sample((p, "s0", limits, str(tmp_path / f"{i}"), 16384)) for i, p in enumerate(paths)]
    train_bytes = sum(w[1] for w in written)
    heldout = sorted(doc for w in written for doc in read_heldout(w[2]))
    return limits, train_bytes, heldout


def test_sample_respects_byte_budget_and_ignores_sharding(documents, tmp_path):
    budget = 500_000
    a = _selection(write_shards(documents, tmp_path / "four", 4), tmp_path / "a", budget, 50_000)
    b = _selection(write_shards(documents[::-1], tmp_path / "three", 3), tmp_path / "b", budget, 50_000)
    assert a[0] == b[0]  # same thresholds from different shard layouts and orders
    assert a[1] == b[1] and a[2] == b[2]
    assert budget - max(len(d["text"].encode()) for d in documents) < a[1] <= budget
    assert 0 < sum(len(d.encode()) for d in a[2]) <= 50_000


def test_heldout_documents_never_in_training_pool(documents):
    limit = int(HELDOUT_SHARE * 2**64)
    held = [d for d in documents if id_hash(d["id"], "s0") < limit]
    assert 0 < len(held) < len(documents) // 10
    hashes = np.array([id_hash(d["id"], "s0") for d in documents], dtype=np.uint64)
    assert len(set(hashes.tolist())) == len(documents)  # distinct ids, distinct priorities


def test_whole_corpus_is_taken_when_it_fits(documents, tmp_path):
    paths = write_shards(documents, tmp_path / "in", 2)
    limit = int(HELDOUT_SHARE * 2**64)
    expected = sum(len(d["text"].encode()) for d in documents if d["text"] and id_hash(d["id"], "s0") >= limit)
    _, train_bytes, _ = _selection(paths, tmp_path, 10**12, 0)
    assert train_bytes == expected
