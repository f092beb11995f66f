"""tokenize: shards read the way llm.c, nanoGPT and Megatron read them, and agree token for token.

The readers here follow each project's loader, written from the format
descriptions (docs/formats.md), not from webcorpus's own writers.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import struct
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.tokenizer.conftest import make_context, texts_by_id
from webcorpus.stages.registry import OptionError, build_stage
from webcorpus.tokenizer.loaded import load_tokenizer
from webcorpus.tokenizer.tokenize import Tokenize

SHARD_TOKENS = 150_000


def llmc_read(path: Path) -> np.ndarray:
    """As llm.c's dataloader.h: 256 int32 header, magic/version check, file size = header + count tokens."""
    header = np.fromfile(path, dtype="<i4", count=256)
    assert header[0] == 20240520 and header[1] == 1
    count = int(header[2])
    assert count > 0  # llm.c asserts ntok > 0
    assert path.stat().st_size == 256 * 4 + count * 2
    return np.memmap(path, dtype="<u2", mode="r", offset=1024, shape=(count,))


def megatron_read(prefix: Path) -> list[np.ndarray]:
    """As Megatron's _IndexReader: MMIDIDX header, then lengths, pointers and document indices."""
    data = (prefix.with_suffix(".idx")).read_bytes()
    assert data[:9] == b"MMIDIDX\x00\x00"
    assert struct.unpack("<Q", data[9:17])[0] == 1
    code = data[17]
    dtype = {8: np.uint16, 4: np.int32}[code]
    sequences, documents = struct.unpack("<QQ", data[18:34])
    lengths = np.frombuffer(data, "<i4", sequences, 34)
    pointers = np.frombuffer(data, "<i8", sequences, 34 + 4 * sequences)
    doc_index = np.frombuffer(data, "<i8", documents, 34 + 12 * sequences)
    assert len(data) == 34 + 12 * sequences + 8 * documents
    assert list(doc_index) == list(range(sequences + 1))  # one sequence per document
    itemsize = np.dtype(dtype).itemsize
    assert pointers[0] == 0 and np.array_equal(pointers[1:], np.cumsum(lengths)[:-1] * itemsize)
    bin_tokens = np.fromfile(prefix.with_suffix(".bin"), dtype=np.dtype(dtype).newbyteorder("<"))
    assert len(bin_tokens) == lengths.sum()
    return [bin_tokens[p // itemsize : p // itemsize + n] for p, n in zip(pointers, lengths)]


@pytest.fixture(scope="module")
def tokenized(trained):
    root, ctx, _ = trained
    stage = build_stage("tokenize", {"formats": ["llmc", "nanogpt", "megatron"], "shard_tokens": SHARD_TOKENS, "val_fraction": 0.05, "name": "web"})
    assert stage.run(ctx) is None
    return root / "OUTPUT" / "tokens", ctx, stage


def _llmc_files(tokens: Path, split: str) -> list[Path]:
    return sorted((tokens / "llmc").glob(f"web_{split}_*.bin"))


def test_llmc_shards_as_llmc_reads_them(tokenized, trained):
    tokens = tokenized[0]
    val, train = _llmc_files(tokens, "val"), _llmc_files(tokens, "train")
    assert [p.name for p in val] == ["web_val_000000.bin"]
    assert [p.name for p in train][:2] == ["web_train_000001.bin", "web_train_000002.bin"] and len(train) >= 5
    card = json.loads((trained[0] / "OUTPUT" / "tokenizer" / "card.json").read_text())
    for path in val + train:
        data = llmc_read(path)
        assert len(data) <= SHARD_TOKENS
        assert data[0] == card["eot_token"]  # every shard starts on a document
        assert int(data.max()) < card["vocab_size"]


def test_formats_agree_token_for_token(tokenized):
    tokens = tokenized[0]
    for split in ("val", "train"):
        llmc = np.concatenate([llmc_read(p) for p in _llmc_files(tokens, split)])
        nano = np.memmap(tokens / "nanogpt" / f"{split}.bin", dtype=np.uint16, mode="r")
        mega = np.concatenate([s for p in _llmc_files(tokens, split) for s in megatron_read(tokens / "megatron" / p.stem)])
        assert np.array_equal(llmc, nano) and np.array_equal(llmc, mega)


def test_nanogpt_as_train_py_reads_it(tokenized):
    tokens = tokenized[0]
    meta = pickle.loads((tokens / "nanogpt" / "meta.pkl").read_bytes())
    assert meta["vocab_size"] == 4000
    data = np.memmap(tokens / "nanogpt" / "train.bin", dtype=np.uint16, mode="r")
    block = 256
    rng = np.random.default_rng(0)
    ix = rng.integers(0, len(data) - block, size=32)
    x = np.stack([data[i : i + block].astype(np.int64) for i in ix])
    y = np.stack([data[i + 1 : i + 1 + block].astype(np.int64) for i in ix])
    assert x.shape == y.shape == (32, block)
    assert np.array_equal(x[:, 1:], y[:, :-1]) and x.max() < meta["vocab_size"]


def test_provenance_round_trip_and_disjoint_splits(tokenized, documents):
    tokens, ctx, _ = tokenized
    prov = pq.read_table(tokens / "provenance.parquet").to_pylist()
    texts = texts_by_id(documents)
    nonempty = {i for i, t in texts.items() if t}
    ids = [r["id"] for r in prov]
    assert len(ids) == len(set(ids)) and set(ids) == nonempty  # each document exactly once; the empty one skipped
    val = {r["id"] for r in prov if r["split"] == "val"}
    assert 0 < len(val) < len(nonempty) // 5
    assert val.isdisjoint({r["id"] for r in prov if r["split"] == "train"})
    manifest = json.loads((tokens / "manifest.json").read_text())
    tokenizer = load_tokenizer(str(tokens.parent / manifest["tokenizer"]))  # relative to the run folder
    nano = {s: np.memmap(tokens / "nanogpt" / f"{s}.bin", dtype=np.uint16, mode="r") for s in ("train", "val")}
    for row in prov[::7]:
        shard = llmc_read(tokens / "llmc" / f"web_{row['split']}_{row['shard']:06d}.bin")
        piece = shard[row["start"] : row["start"] + row["length"]]
        assert piece[0] == manifest["separator"]["id"]
        assert tokenizer.decode(piece[1:]) == texts[row["id"]]
        assert np.array_equal(piece, nano[row["split"]][row["split_offset"] : row["split_offset"] + row["length"]])
    urls = {r["id"]: r["url"] for r in prov}
    assert all(urls[d["id"]] == d["url"] for d in documents if d["text"])


def test_resume_keeps_finished_shards(tokenized):
    tokens, ctx, stage = tokenized
    before = {p: p.stat().st_mtime_ns for p in tokens.rglob("*") if p.is_file()}
    ctx.stats.counters.clear()
    stage.run(ctx)
    assert ctx.stats.counters["resumed"] == 1
    assert {p: p.stat().st_mtime_ns for p in tokens.rglob("*") if p.is_file()} == before


def _digests(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "manifest.json"}


def test_same_output_with_one_and_two_workers(trained, shards, tmp_path):
    model = str(trained[0] / "OUTPUT" / "tokenizer" / "tokenizer.model")
    outputs = []
    for workers in (1, 2):
        ctx = make_context(shards, tmp_path / f"w{workers}", workers=workers)
        Tokenize(formats=["llmc", "megatron", "nanogpt"], tokenizer=model, shard_tokens=50_000, val_fraction=0.1).run(ctx)
        outputs.append(_digests(Path(ctx.run_dir) / "tokens"))
    assert outputs[0] == outputs[1] and len(outputs[0]) > 10


def test_long_documents_are_cut_at_the_shard_limit(trained, shards, tmp_path):
    model = str(trained[0] / "OUTPUT" / "tokenizer" / "tokenizer.model")
    ctx = make_context(shards, tmp_path)
    limit = 2_000
    Tokenize(formats=["llmc", "megatron"], tokenizer=model, shard_tokens=limit, val_fraction=0.0).run(ctx)
    tokens = Path(ctx.run_dir) / "tokens"
    assert not list((tokens / "llmc").glob("*_val_*"))
    files = sorted((tokens / "llmc").glob("webcorpus_train_*.bin"))
    assert files[0].name == "webcorpus_train_000001.bin"
    assert all(len(llmc_read(p)) <= limit for p in files)
    prov = pq.read_table(tokens / "provenance.parquet").to_pylist()
    pieces = [r for r in prov if r["piece"] > 0]
    assert pieces  # some real articles are longer than 2,000 tokens
    doc = pieces[0]["id"]
    parts = sorted((r for r in prov if r["id"] == doc), key=lambda r: r["piece"])
    joined = np.concatenate([llmc_read(tokens / "llmc" / f"webcorpus_train_{r['shard']:06d}.bin")[r["start"] : r["start"] + r["length"]] for r in parts])
    texts = {}
    for path in shards:
        for row in pq.read_table(path, columns=["id", "text"]).to_pylist():
            texts[row["id"]] = row["text"]
    assert load_tokenizer(model).decode(joined[1:]) == texts[doc]


def test_unknown_format_and_bad_options_fail_at_validation():
    for options, option in (({"formats": ["parquet"]}, "formats"), ({"shard_tokens": 2**31}, "shard_tokens"), ({"val_fraction": 1.0}, "val_fraction"), ({"name": "a/b"}, "name")):
        with pytest.raises(OptionError) as info:
            build_stage("tokenize", options)
        assert info.value.option == option
