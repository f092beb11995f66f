"""The llm.c shard reader and the rank-aware loader."""
import json

import numpy as np
import pytest

from trainer_shards import markov_stream, write_llmc_shard
from webcorpus.trainer.data import (ShardError, TokenLoader, find_shards, open_shard, separator_of,
                                    vocab_size_of, write_shard)


def test_reads_uint16_and_uint32_shards(tmp_path):
    small = np.arange(1000) % 60000
    wide = np.array([0, 70000, 5, 4_000_000_000 % (1 << 32), 65536])
    a = write_llmc_shard(tmp_path / "a_train_000.bin", small)
    b = write_llmc_shard(tmp_path / "a_train_001.bin", wide, magic=20240801, version=7, dtype="<u4")
    assert open_shard(a).dtype == np.uint16
    np.testing.assert_array_equal(open_shard(a), small)
    assert open_shard(b).dtype == np.uint32
    np.testing.assert_array_equal(open_shard(b), wide)


def test_write_shard_picks_the_width_the_ids_need(tmp_path):
    write_shard(tmp_path / "w.bin", [1, 2, 65535])
    write_shard(tmp_path / "x.bin", [1, 65536])
    assert np.fromfile(tmp_path / "w.bin", "<i4", 2).tolist() == [20240520, 1]
    assert np.fromfile(tmp_path / "x.bin", "<i4", 2).tolist() == [20240801, 7]
    assert open_shard(tmp_path / "x.bin").tolist() == [1, 65536]


@pytest.mark.parametrize("kind, expected", [
    ("magic", "bad magic number 12345"),
    ("version", "version 7 with magic 20240520"),
    ("truncated", "truncated"),
    ("short", "shorter than the 1024-byte"),
])
def test_header_errors_name_the_file(tmp_path, kind, expected):
    path = tmp_path / f"broken_{kind}_train_000.bin"
    tokens = np.arange(100)
    if kind == "magic":
        write_llmc_shard(path, tokens, magic=12345)
    elif kind == "version":
        write_llmc_shard(path, tokens, version=7)
    elif kind == "truncated":
        write_llmc_shard(path, tokens, n_tokens=150)
    else:
        path.write_bytes(b"\x00" * 100)
    with pytest.raises(ShardError) as error:
        open_shard(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_find_shards_needs_both_splits(tmp_path):
    write_llmc_shard(tmp_path / "d_train_000.bin", np.arange(10))
    assert [p.name for p in find_shards(tmp_path, "train")] == ["d_train_000.bin"]
    with pytest.raises(FileNotFoundError, match="no val shards"):
        find_shards(tmp_path, "val")


def test_vocab_size_from_card_else_data(tmp_path):
    data = tmp_path / "tokens"
    data.mkdir()
    write_llmc_shard(data / "d_train_000.bin", [1, 2, 40])
    write_llmc_shard(data / "d_val_000.bin", [3, 77])
    assert vocab_size_of(data) == 78
    assert separator_of(data) == 0
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "card.json").write_text(json.dumps({"vocab_size": 512, "eot_token": 3}))
    assert vocab_size_of(data) == 512
    assert separator_of(data) == 3


def _batches(loader, n):
    return [loader.next_batch() for _ in range(n)]


def test_ranks_read_disjoint_chunks_that_one_rank_reads_in_order(tmp_path):
    tokens = np.arange(5000) % 30000  # every position distinct, so overlaps would show
    paths = [write_llmc_shard(tmp_path / f"d_train_{i}.bin", part)
             for i, part in enumerate(np.array_split(tokens, 3))]
    B, T = 2, 16
    single = _batches(TokenLoader(paths, B, T), 8)
    ranks = [_batches(TokenLoader(paths, B, T, rank=r, world_size=2), 4) for r in range(2)]
    seen = [set(x.flatten().tolist()) for rank in ranks for x, _ in rank]
    for i in range(len(seen)):
        for j in range(i + 1, len(seen)):
            assert not seen[i] & seen[j], "two ranks read the same tokens"
    for step in range(4):  # one rank with two micro-batches == two ranks with one each
        for r in range(2):
            x1, y1 = single[2 * step + r]
            x2, y2 = ranks[r][step]
            assert x1.equal(x2) and y1.equal(y2)
    x, y = single[0]
    assert x.shape == (B, T) and y[:, :-1].equal(x[:, 1:])  # targets are inputs shifted by one


def test_loader_position_resumes_and_wraps(tmp_path):
    path = write_llmc_shard(tmp_path / "d_train_0.bin", np.arange(1000))
    loader = TokenLoader([path], 2, 16)
    assert loader.total_chunks == 999 // 16 // 2
    first = _batches(loader, 5)
    state = loader.state_dict()
    after = _batches(loader, 3)
    resumed = TokenLoader([path], 2, 16)
    resumed.load_state_dict(state)
    assert all(a[0].equal(b[0]) for a, b in zip(after, _batches(resumed, 3)))
    loader.reset()
    for _ in range(loader.total_chunks):
        loader.next_batch()
    assert loader.next_batch()[0].equal(first[0][0])  # wraps around to the start


def test_document_aligned_rows_start_at_the_separator(tmp_path):
    path = write_llmc_shard(tmp_path / "d_train_0.bin", markov_stream(20_000, separator=0))
    loader = TokenLoader([path], 4, 32, separator=0)
    plain = TokenLoader([path], 4, 32)
    assert 0 < loader.total_chunks < plain.total_chunks
    for _ in range(loader.total_chunks):
        x, y = loader.next_batch()
        assert (x[:, 0] == 0).all()
        assert y[:, :-1].equal(x[:, 1:])
    assert (plain.next_batch()[0][:, 0] != 0).any()


def test_too_little_data_is_a_clear_error(tmp_path):
    path = write_llmc_shard(tmp_path / "d_train_0.bin", np.arange(50))
    with pytest.raises(ValueError, match="d_train_0.bin"):
        TokenLoader([path], 4, 32)


def test_pipeline_layout_tokens_llmc_and_tokenizer_card(tmp_path):
    """OUTPUT/tokens/llmc/*.bin with OUTPUT/tokenizer/card.json, as the tokenize stage writes them."""
    llmc = tmp_path / "tokens" / "llmc"
    llmc.mkdir(parents=True)
    write_llmc_shard(llmc / "c_train_000001.bin", [4, 9, 9])
    write_llmc_shard(llmc / "c_val_000000.bin", [4, 8])
    (tmp_path / "tokenizer").mkdir()
    (tmp_path / "tokenizer" / "card.json").write_text(json.dumps({"vocab_size": 300, "eot_token": 4, "bos_id": 1}))
    for data in (tmp_path / "tokens", llmc):
        assert [p.name for p in find_shards(data, "train")] == ["c_train_000001.bin"]
        assert vocab_size_of(data) == 300
        assert separator_of(data) == 4  # eot_token before bos_id

