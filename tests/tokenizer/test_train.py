"""train_tokenizer: the model, its card, byte-exact round trips, option checks, resume."""
from __future__ import annotations

import json

import pytest

from webcorpus.stages.registry import OptionError, build_stage
from webcorpus.tokenizer.loaded import SentencePieceTokenizer


def test_outputs_and_card(trained):
    root, _, stage = trained
    folder = root / "OUTPUT" / "tokenizer"
    card = json.loads((folder / "card.json").read_text())
    assert card["vocab_size"] == 4000
    assert (folder / card["model"]).is_file()
    assert len((folder / card["vocab"]).read_text(encoding="utf-8").splitlines()) == 4000
    ids = {role: v["id"] for role, v in card["special_tokens"].items()}
    assert len(set(ids.values())) == 5 and all(0 <= i < 4000 for i in ids.values())
    assert card["eot_token"] == ids["separator"]
    assert 0 < card["sample"]["bytes"] <= 2_000_000
    assert card["heldout"]["documents"] > 0 and card["heldout"]["round_trip_mismatches"] == 0
    assert 1.5 < card["bytes_per_token"] < 6
    assert card["training_seconds"] >= 0
    sp = SentencePieceTokenizer(folder / card["model"])
    assert sp.id_to_token(ids["separator"]) == "<|endoftext|>"
    assert sp.id_to_token(sp.token_to_id("<0x0A>")) == "<0x0A>"  # byte fallback pieces exist


def test_round_trip_is_byte_exact(trained, documents):
    root = trained[0]
    sp = SentencePieceTokenizer(root / "OUTPUT" / "tokenizer" / "tokenizer.model")
    texts = [d["text"] for d in documents if d["text"]]
    awkward = [
        " leading space, trailing spaces   ",
        "tabs\tand\r\nCRLF\n\n\nblank lines",
        "ligature ﬁ and full-width ０１２ stay",
        "sentencepiece's own mark ▁ and ▁▁ in text",
        "emoji 🦜, math 𝔘, NUL \x00 and BEL \x07",
        texts[0][:200] + "▁" + texts[-1][:200],
    ]
    for text, ids in zip(texts + awkward, sp.encode_batch(texts + awkward, threads=2)):
        assert sp.decode(ids) == text
        assert all(0 <= i < sp.vocab_size for i in ids)
    assert sp.token_to_id("<|endoftext|>") not in sp.encode_batch(["<|endoftext|>"])[0]  # a control symbol, not text


def test_digits_are_split(trained):
    sp = SentencePieceTokenizer(trained[0] / "OUTPUT" / "tokenizer" / "tokenizer.model")
    ids = sp.encode_batch(["2024"])[0]
    assert [sp.id_to_token(i) for i in ids] == ["2", "0", "2", "4"]


def test_resume_skips_finished_training(trained):
    root, ctx, stage = trained
    model = root / "OUTPUT" / "tokenizer" / "tokenizer.model"
    before = model.stat().st_mtime_ns
    ctx.stats.counters.clear()
    stage.run(ctx)
    assert ctx.stats.counters["resumed"] == 1
    assert model.stat().st_mtime_ns == before


@pytest.mark.parametrize(
    "options, option",
    [
        ({"vocab_size": 200}, "vocab_size"),
        ({"normalization": "nfc"}, "normalization"),
        ({"character_coverage": 1.5}, "character_coverage"),
        ({"separator": "has space"}, "separator"),
        ({"bos": "<x>", "eos": "<x>"}, "bos"),
    ],
)
def test_bad_options_fail_at_validation(options, option):
    with pytest.raises(OptionError) as info:
        build_stage("train_tokenizer", options)
    assert info.value.option == option


def test_vocab_too_large_for_a_format_fails_before_work():
    train, tokenize = build_stage("train_tokenizer", {"vocab_size": 100_000}), build_stage("tokenize", {"formats": ["llmc", "nanogpt"]})
    with pytest.raises(ValueError, match="nanogpt") as info:
        tokenize.check_with_earlier([train])  # the check the pipeline runs before any work
    assert info.value.option == "formats"
    build_stage("tokenize", {"formats": ["nanogpt"]}).check_with_earlier([build_stage("train_tokenizer", {"vocab_size": 65536})])
