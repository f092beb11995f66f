"""Tokenizers the user brings: a sentencepiece .model and a Hugging Face tokenizer.json."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.tokenizer.conftest import make_context, texts_by_id
from webcorpus.stages.registry import OptionError, build_stage
from webcorpus.tokenizer.formats import llmc as llmc_format
from webcorpus.tokenizer.formats import megatron as megatron_format
from webcorpus.tokenizer.loaded import load_tokenizer
from webcorpus.tokenizer.tokenize import Tokenize


def _bytelevel_bpe(documents, path: Path) -> Path:
    """A small byte-level BPE trained here on the real texts, saved as tokenizer.json."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([d["text"] for d in documents[:400]], trainer)
    tok.save(str(path))
    return path


def _wordlevel(path: Path, size: int) -> Path:
    """A word-level tokenizer with more ids than 16 bits hold."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {"<unk>": 0, "<|endoftext|>": 1}
    vocab.update({f"w{i}": i + 2 for i in range(size - 2)})
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.save(str(path))
    return path


def _provenance_round_trip(tokens: Path, tokenizer_path: str, texts: dict, separator_id: int) -> int:
    tokenizer = load_tokenizer(tokenizer_path)
    rows = pq.read_table(tokens / "provenance.parquet").to_pylist()
    for row in rows[::5]:
        shard = llmc_format.read(tokens / "llmc" / f"webcorpus_{row['split']}_{row['shard']:06d}.bin")
        piece = shard[row["start"] : row["start"] + row["length"]]
        assert piece[0] == separator_id
        assert tokenizer.decode(piece[1:]) == texts[row["id"]]
    return len(rows)


def test_huggingface_tokenizer_json(documents, shards, tmp_path):
    path = _bytelevel_bpe(documents, tmp_path / "tokenizer.json")
    ctx = make_context(shards, tmp_path / "run")
    stage = build_stage("tokenize", {"tokenizer": str(path), "formats": ["llmc", "nanogpt"]})
    stage.run(ctx)
    tokens = Path(ctx.run_dir) / "tokens"
    manifest = json.loads((tokens / "manifest.json").read_text())
    assert manifest["vocab_size"] == load_tokenizer(str(path)).vocab_size <= 1000
    assert manifest["separator"]["piece"] == "<|endoftext|>"
    texts = texts_by_id(documents)
    assert _provenance_round_trip(tokens, str(path), texts, manifest["separator"]["id"]) == sum(1 for t in texts.values() if t)
    card = json.loads((Path(ctx.run_dir) / "tokenizer" / "card.json").read_text())
    assert card["vocab_size"] == manifest["vocab_size"] and card["brought"] is True


def test_brought_sentencepiece_model(trained, documents, shards, tmp_path):
    model = trained[0] / "OUTPUT" / "tokenizer" / "tokenizer.model"
    ctx = make_context(shards, tmp_path / "run")
    Tokenize(tokenizer=str(model), separator="</s>", val_fraction=0.0).run(ctx)
    tokens = Path(ctx.run_dir) / "tokens"
    manifest = json.loads((tokens / "manifest.json").read_text())
    assert manifest["separator"] == {"piece": "</s>", "id": 2, "position": "before every document"}
    assert manifest["documents"]["val"] == 0
    _provenance_round_trip(tokens, str(model), texts_by_id(documents), 2)
    assert (Path(ctx.run_dir) / "tokenizer" / "tokenizer.model").read_bytes() == model.read_bytes()


def test_missing_separator_is_a_clear_error(trained):
    model = trained[0] / "OUTPUT" / "tokenizer" / "tokenizer.model"
    with pytest.raises(OptionError, match="no token '<sep>'") as info:
        build_stage("tokenize", {"tokenizer": str(model), "separator": "<sep>"})
    assert info.value.option == "separator"
    with pytest.raises(OptionError, match="does not exist"):
        build_stage("tokenize", {"tokenizer": str(model.with_name("nope.model"))})


def test_vocabulary_over_16_bits(shards, tmp_path):
    path = _wordlevel(tmp_path / "big.json", 70_000)
    with pytest.raises(OptionError, match="nanogpt") as info:
        build_stage("tokenize", {"tokenizer": str(path), "formats": ["llmc", "nanogpt"]})
    assert info.value.option == "formats"
    ctx = make_context(shards[:1], tmp_path / "run")
    build_stage("tokenize", {"tokenizer": str(path), "formats": ["llmc", "megatron"], "val_fraction": 0.0}).run(ctx)
    shard = Path(ctx.run_dir) / "tokens" / "llmc" / "webcorpus_train_000001.bin"
    header = np.fromfile(shard, dtype="<i4", count=256)
    assert (header[0], header[1]) == (20240801, 7)
    assert shard.stat().st_size == 1024 + 4 * int(header[2])
    assert llmc_format.read(shard).dtype == np.dtype("<u4")
    index = megatron_format.read_index(str(shard.parent.parent / "megatron" / "webcorpus_train_000001.idx"))
    assert index["dtype"] == np.dtype(np.int32) and index["trailing_bytes"] == 0
    assert int(index["lengths"].sum()) == int(header[2])
