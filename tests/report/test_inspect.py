"""`webcorpus inspect` on the document and token shards of a real run."""
from __future__ import annotations

import pickle
import shutil

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from webcorpus.report.commands import inspect
from webcorpus.tokenizer.formats.llmc import LlmcWriter
from webcorpus.tokenizer.formats.megatron import read_index


def run_inspect(*args: str):
    result = CliRunner().invoke(inspect, [str(a) for a in args])
    return result


@pytest.fixture(scope="module")
def first_val_document(full_run):
    """Id and text of the first document of the validation split, from the provenance sidecar."""
    provenance = pq.read_table(full_run / "tokens" / "provenance.parquet").to_pylist()
    first = min((r for r in provenance if r["split"] == "val"), key=lambda r: (r["shard"], r["start"]))
    documents = pq.read_table(full_run / "documents", columns=["id", "text"]).to_pylist()
    return next(d for d in documents if d["id"] == first["id"])


def test_parquet_shard_shows_its_first_documents(full_run):
    shard = sorted((full_run / "documents").glob("*.parquet"))[0]
    table = pq.read_table(shard, columns=["id", "url", "text"])
    result = run_inspect(shard, "-n", 2)
    assert result.exit_code == 0, result.output
    ids = table.column("id").to_pylist()
    assert ids[0] in result.output and ids[1] in result.output and ids[2] not in result.output
    assert f"{table.num_rows:,} document(s)" in result.output
    assert f"document 2 of {table.num_rows:,}" in result.output
    assert table.column("url")[0].as_py() in result.output
    first_words = " ".join(table.column("text")[0].as_py().split()[:4])
    assert first_words in " ".join(result.output.split())


def test_parquet_folder_and_chosen_columns(full_run):
    result = run_inspect(full_run / "documents", "-n", 3, "--columns", "url,language")
    assert result.exit_code == 0, result.output
    assert result.output.count("── document ") == 3
    assert "  url: " in result.output and "  language: en" in result.output
    assert "  text" not in result.output and "  title:" not in result.output
    wrong = run_inspect(full_run / "documents", "--columns", "nonsense")
    assert wrong.exit_code == 2 and "no column(s) nonsense" in wrong.output


def test_llmc_shard_header_count_and_decoded_window(full_run, first_val_document):
    path = full_run / "tokens" / "llmc" / "webcorpus_val_000000.bin"
    header = np.fromfile(path, "<i4", 256)
    result = run_inspect(path, "--tokens", 64)
    assert result.exit_code == 0, result.output
    assert "llmc token shard" in result.output
    assert "magic: 20240520" in result.output and "version: 1" in result.output and "dtype: uint16" in result.output
    assert f"tokens: {int(header[2]):,}" in result.output
    assert "decoded with" in result.output and "separator (id 4)" in result.output
    start = " ".join(first_val_document["text"].split()[:3])
    assert start in " ".join(result.output.split())


def test_nanogpt_shard(full_run, first_val_document):
    path = full_run / "tokens" / "nanogpt" / "val.bin"
    result = run_inspect(path, "--tokens", 64)
    assert result.exit_code == 0, result.output
    assert "nanogpt token shard" in result.output
    assert f"tokens: {path.stat().st_size // 2:,}" in result.output
    meta = pickle.loads((path.parent / "meta.pkl").read_bytes())
    assert f"'vocab_size': {meta['vocab_size']}" in result.output
    assert " ".join(first_val_document["text"].split()[:3]) in " ".join(result.output.split())


def test_megatron_shard_by_idx(full_run):
    idx = full_run / "tokens" / "megatron" / "webcorpus_train_000001.idx"
    index = read_index(str(idx))
    result = run_inspect(idx, "--start", 10, "--tokens", 20)
    assert result.exit_code == 0, result.output
    assert "megatron token shard" in result.output
    assert f"tokens: {int(index['lengths'].sum()):,}" in result.output
    assert f"documents: {len(index['lengths']):,}" in result.output
    assert "tokens 10 to 29" in result.output


def test_token_folder_lists_every_shard(full_run):
    result = run_inspect(full_run / "tokens" / "llmc", "--tokens", 8)
    assert result.exit_code == 0, result.output
    for path in (full_run / "tokens" / "llmc").glob("*.bin"):
        assert f"{path.name}: llmc, {int(np.fromfile(path, '<i4', 256)[2]):,} tokens" in result.output


def test_uint32_llmc_shard_without_a_tokenizer_shows_ids(full_run, tmp_path):
    """A vocabulary above 65,536 gives llm.c's version 7 layout; away from its run there is no model: ids."""
    tokens = np.fromfile(full_run / "tokens" / "nanogpt" / "val.bin", "<u2")[:300].astype(np.uint32) + 70_000
    writer = LlmcWriter(tmp_path / "llmc", "big", 100_000)
    writer.open_shard("val", 0)
    writer.write(tokens, np.array([len(tokens)]))
    writer.close_shard()
    path = tmp_path / "llmc" / "big_val_000000.bin"
    result = run_inspect(path, "--tokens", 5)
    assert result.exit_code == 0, result.output
    assert "magic: 20240801" in result.output and "version: 7" in result.output and "dtype: uint32" in result.output
    assert "tokens: 300" in result.output and "ids only" in result.output
    assert " ".join(str(t) for t in tokens[:5]) in result.output


def test_not_a_token_shard(full_run, tmp_path):
    stray = tmp_path / "stray.bin"
    stray.write_bytes(b"\x01\x02\x03")
    result = run_inspect(stray)
    assert result.exit_code == 2 and "not a token shard" in result.output
    cut = tmp_path / "tokens" / "cut.bin"
    cut.parent.mkdir()
    shutil.copyfile(full_run / "tokens" / "llmc" / "webcorpus_val_000000.bin", cut)
    with open(cut, "r+b") as f:
        f.truncate(cut.stat().st_size - 2)
    result = run_inspect(cut)
    assert result.exit_code == 2 and "header says" in result.output


def test_the_tokens_folder_shows_shards_per_format_not_provenance(full_run):
    result = run_inspect(full_run / "tokens", "--tokens", 8)
    assert result.exit_code == 0, result.output
    assert "llmc/:" in result.output and "nanogpt/:" in result.output and "megatron/:" in result.output
    for path in (full_run / "tokens" / "llmc").glob("*.bin"):
        assert f"  {path.name}: llmc, {int(np.fromfile(path, '<i4', 256)[2]):,} tokens" in result.output
    assert "document(s); columns" not in result.output  # not the provenance table
