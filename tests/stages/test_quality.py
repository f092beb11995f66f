"""Gopher, C4 and FineWeb heuristics: each rule at its threshold, and real good/bad pages."""
from __future__ import annotations

from pathlib import Path

import pytest

from webcorpus.documents import from_rows
from webcorpus.stages.quality.c4 import C4Quality
from webcorpus.stages.quality.fineweb import FineWebQuality
from webcorpus.stages.quality.gopher_quality import GopherQuality
from webcorpus.stages.quality.gopher_repetition import GopherRepetition
from webcorpus.stages.registry import OptionError, build_stage

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "dedup" / "cs336-fixtures" / "fixtures"
FILLER = "river stone cloud maple garden silver window harbor meadow candle".split()


def filler(n: int) -> list[str]:
    return [FILLER[i % len(FILLER)] for i in range(n)]


def unique_words(n: int, start: int = 0) -> list[str]:
    """n distinct 4-character tokens."""
    return [f"u{i:03d}" for i in range(start, start + n)]


def verdict(stage, text: str) -> str | None:
    stage.setup()
    return stage.check(text)


# --- Gopher quality ----------------------------------------------------------------------------

def gopher_text(words: list[str]) -> str:
    return " ".join(["the", "and"] + words)


@pytest.mark.parametrize("n, expected", [(48, None), (47, "too_few_words")])
def test_gopher_min_words(n, expected):
    assert verdict(GopherQuality(), gopher_text(filler(n))) == expected  # 2 stop words + n


@pytest.mark.parametrize("n, expected", [(58, None), (59, "too_many_words")])
def test_gopher_max_words(n, expected):
    assert verdict(GopherQuality(max_words=60), gopher_text(filler(n))) == expected


@pytest.mark.parametrize("last, expected", [("abc", None), ("ab", "mean_word_length")])
def test_gopher_min_mean_word_length(last, expected):
    assert verdict(GopherQuality(), gopher_text(["abc"] * 47 + [last])) == expected


@pytest.mark.parametrize("last, expected", [("abc", None), ("abcd", "mean_word_length")])
def test_gopher_max_mean_word_length(last, expected):
    assert verdict(GopherQuality(max_mean_word_length=3.0), gopher_text(["abc"] * 47 + [last])) == expected


@pytest.mark.parametrize("hashes, expected", [(5, None), (6, "symbol_word_ratio")])
def test_gopher_symbol_word_ratio(hashes, expected):
    assert verdict(GopherQuality(), gopher_text(filler(48 - hashes) + ["#"] * hashes)) == expected


def lines_text(lines: list[str]) -> str:
    return "\n".join(lines)


@pytest.mark.parametrize("bullets, expected", [(9, None), (10, "bullet_lines")])
def test_gopher_bullet_lines(bullets, expected):
    lines = [("• " if i < bullets else "") + "the and " + " ".join(filler(6)) for i in range(10)]
    assert verdict(GopherQuality(), lines_text(lines)) == expected


@pytest.mark.parametrize("ellipses, expected", [(3, None), (4, "ellipsis_lines")])
def test_gopher_ellipsis_lines(ellipses, expected):
    lines = ["the and " + " ".join(filler(6)) + ("..." if i < ellipses else ".") for i in range(10)]
    assert verdict(GopherQuality(), lines_text(lines)) == expected


@pytest.mark.parametrize("numbers, expected", [(10, None), (11, "alpha_words")])
def test_gopher_alpha_words(numbers, expected):
    assert verdict(GopherQuality(), gopher_text(filler(48 - numbers) + ["123"] * numbers)) == expected


def test_gopher_stop_words():
    assert verdict(GopherQuality(), " ".join(["the"] + filler(60))) == "stop_words"
    assert verdict(GopherQuality(), " ".join(["The,", "with"] + filler(60))) is None


# --- Gopher repetition -------------------------------------------------------------------------

ONLY = dict(max_dup_line_ratio=1.0, max_dup_para_ratio=1.0, max_dup_line_char_ratio=1.0,
            max_dup_para_char_ratio=1.0, top_ngram_ratios={}, dup_ngram_ratios={})


def only(**rule) -> GopherRepetition:
    return GopherRepetition(**{**ONLY, **rule})


@pytest.mark.parametrize("copies, expected", [(4, None), (5, "dup_line_ratio")])
def test_repetition_duplicate_lines(copies, expected):
    lines = [" ".join(unique_words(6, 10 * i)) for i in range(7)] + ["ok"] * copies  # 3/11 vs 4/12 repeats
    assert verdict(only(max_dup_line_ratio=0.3), lines_text(lines)) == expected


@pytest.mark.parametrize("last, expected", [("abcdefghijklmnopqrst", None), ("abcdefghijklmnopqrs", "dup_line_char_ratio")])
def test_repetition_duplicate_line_chars(last, expected):
    repeated = "x" * 20
    lines = [repeated, repeated, "b" * 20, "c" * 20, last]  # 20 of 100 characters repeat: exactly 0.2
    assert verdict(only(max_dup_line_char_ratio=0.2), lines_text(lines)) == expected


@pytest.mark.parametrize("copies, expected", [(4, None), (5, "dup_para_ratio")])
def test_repetition_duplicate_paragraphs(copies, expected):
    paragraphs = [" ".join(unique_words(6, 10 * i)) for i in range(7)] + ["ok"] * copies
    assert verdict(only(max_dup_para_ratio=0.3), "\n\n".join(paragraphs)) == expected


@pytest.mark.parametrize("last, expected", [("abcdefghijklmnopqrst", None), ("abcdefghijklmnopqrs", "dup_para_char_ratio")])
def test_repetition_duplicate_paragraph_chars(last, expected):
    paragraphs = ["x" * 20, "x" * 20, "b" * 20, "c" * 20, last]
    assert verdict(only(max_dup_para_char_ratio=0.2), "\n\n".join(paragraphs)) == expected


@pytest.mark.parametrize("unique, expected", [(20, None), (19, "top_2gram_ratio")])
def test_repetition_top_bigram(unique, expected):
    # "ab cd" five times = 20 word characters; 20 unique 4-character words make the total 100 (0.20)
    words = []
    fillers = unique_words(unique)
    for i in range(5):
        words += ["ab", "cd"] + fillers[i * 4 : i * 4 + 4]
    words += fillers[20:]
    assert verdict(only(top_ngram_ratios={2: 0.2}), " ".join(words)) == expected


@pytest.mark.parametrize("unique, expected", [(15, None), (14, "dup_5gram_ratio")])
def test_repetition_duplicate_5grams(unique, expected):
    # a 5-gram of 4-character words twice: the second copy is 20 of 100 word characters (0.20)
    gram = ["a1a1", "b2b2", "c3c3", "d4d4", "e5e5"]
    fillers = unique_words(unique)
    words = gram + fillers[:7] + gram + fillers[7:]
    assert verdict(only(dup_ngram_ratios={5: 0.2}), " ".join(words)) == expected


def test_repetition_defaults_catch_a_looping_page_and_pass_prose():
    loop = "Buy cheap watches online today best price guaranteed. " * 30
    assert verdict(GopherRepetition(), loop) is not None
    assert verdict(GopherRepetition(), (FIXTURES / "high_quality_wiki_reference.txt").read_text("utf-8")) is None


# --- C4 ------------------------------------------------------------------------------------------

SENTENCE = "The harbor lights were bright tonight."


def test_c4_line_rules_and_page_rules():
    c4 = C4Quality()
    text = "\n".join([
        SENTENCE, "Menu", "Four words only here.", "Five words are enough here.",
        "Please enable JavaScript to view the comments below.",
        "By using this site you agree to our Privacy Policy today.",
        "This line ends without any punctuation at all",
        "This line trails off into an ellipsis like this...",
        "A cited claim is made right here in this line.[1]",
        SENTENCE.replace("bright", "very bright"),
    ])
    cleaned, rule, removed = c4.clean(text)
    assert rule is None
    assert cleaned.split("\n") == [
        SENTENCE, "Five words are enough here.", "A cited claim is made right here in this line.",
        SENTENCE.replace("bright", "very bright"),
    ]
    assert removed == {"no_terminal_punctuation": 3, "too_few_words": 1, "javascript": 1, "policy": 1}


def test_c4_long_word_line():
    cleaned, _, removed = C4Quality(min_sentences=0).clean("a " * 4 + "x" * 1001 + ".\n" + SENTENCE)
    assert cleaned == SENTENCE and removed == {"long_word": 1}


@pytest.mark.parametrize("sentences, expected", [(3, None), (2, "too_few_sentences")])
def test_c4_min_sentences(sentences, expected):
    assert C4Quality().clean("\n".join([SENTENCE] * sentences))[1] == expected


def test_c4_lorem_ipsum_and_curly_braces_drop_the_page():
    body = "\n".join([SENTENCE] * 5)
    assert C4Quality().clean(body + "\nLorem ipsum dolor sit amet, consectetur.")[1] == "lorem_ipsum"
    assert C4Quality().clean(body + "\nfunction f() { return 1; } is code here.")[1] == "curly_brace"
    assert C4Quality(drop_curly_braces=False).clean(body + "\nThe set {a, b} has two items in it.")[1] is None


def test_c4_stage_rewrites_text_and_counts():
    good = "\n".join([SENTENCE, "Share on Facebook", SENTENCE, SENTENCE])
    batch = from_rows([{"id": "1", "text": good}, {"id": "2", "text": "var x = {};"}, {"id": "3", "text": SENTENCE}])
    stage = C4Quality()
    out = stage.apply(batch)
    assert out.kept.column("id").to_pylist() == ["1"]
    assert out.kept.column("text").to_pylist() == ["\n".join([SENTENCE] * 3)]
    assert dict(stage.stats.dropped) == {"c4:curly_brace": 1, "c4:too_few_sentences": 1}
    assert stage.stats.counters["lines_removed:no_terminal_punctuation"] == 1


# --- FineWeb -------------------------------------------------------------------------------------

def long_line(i: int, end: str = ".") -> str:
    return f"line {i:03d} has quite a few words in it{end}"  # 36+ characters, 9 words


@pytest.mark.parametrize("punctuated, expected", [(4, None), (3, "line_punct_ratio")])
def test_fineweb_line_punctuation(punctuated, expected):
    lines = [long_line(i, "." if i < punctuated else "") for i in range(25)]  # 4/25 = 0.16, 3/25 = 0.12
    assert verdict(FineWebQuality(), lines_text(lines)) == expected


@pytest.mark.parametrize("short, expected", [(66, None), (67, "short_line_ratio")])
def test_fineweb_short_lines(short, expected):
    lines = [f"a b c {i:03d} short." if i < short else long_line(i) for i in range(100)]
    assert verdict(FineWebQuality(), lines_text(lines)) == expected


@pytest.mark.parametrize("extra, expected", [(321, None), (320, "dup_line_char_ratio")])
def test_fineweb_duplicate_line_chars(extra, expected):
    repeated = "r" * 35 + " end."  # 40 characters
    rest = [f"{i:02d} " + "y" * 32 + " end." for i in range(8)]  # 8 unique lines of 40 characters
    rest[-1] += "z" * (extra - 320)
    text = lines_text([repeated, repeated] + rest)  # 40 repeated of 400 (0.10) or 401
    assert verdict(FineWebQuality(max_newline_word_ratio=1.0), text) == expected


@pytest.mark.parametrize("last, expected", [("internationalisation deliberations.", None), ("internationalisation-deliberations.", "list_like")])
def test_fineweb_list_like(last, expected):
    lines = ["extraordinarily comprehensive documentation.", "undeniably uncontroversial recommendations.",
             "internationalisation considerations.", last]  # 3 newlines over 10 words (0.30) or 9 words
    assert verdict(FineWebQuality(), lines_text(lines)) == expected


# --- real pages and the registry ---------------------------------------------------------------

def fineweb_chain():
    return [GopherRepetition(), GopherQuality(), build_stage("c4", {"terminal_punctuation": False, "min_sentences": 5, "min_words_per_line": 3}), FineWebQuality()]


def run_chain(text: str):
    batch = from_rows([{"id": "doc", "text": text}])
    for stage in fineweb_chain():
        out = stage.apply(batch)
        if out.kept.num_rows == 0:
            return out.dropped.column("drop_reason").to_pylist()[0]
        batch = out.kept
    return None


def test_cs336_quality_positive_is_kept_by_every_filter():
    text = (FIXTURES / "high_quality_wiki_reference.txt").read_text("utf-8")
    assert run_chain(text) is None
    for stage in (GopherRepetition(), GopherQuality(), FineWebQuality()):
        assert verdict(stage, text) is None
    cleaned, rule, _ = C4Quality().clean(text)
    assert rule is None and len(cleaned) > 0.7 * len(text)


def test_cs336_quality_negative_is_cut_to_nothing_by_c4_then_gopher():
    text = (FIXTURES / "low_quality_cc.txt").read_text("utf-8")
    cleaned, rule, removed = C4Quality().clean(text)
    assert sum(removed.values()) >= 8  # 8 of its 12 lines are navigation without terminal punctuation
    batch = from_rows([{"id": "neg", "text": text}])
    stages = [C4Quality(), GopherQuality()]
    for stage in stages:
        batch = stage(batch)
    assert batch.num_rows == 0
    assert dict(stages[1].stats.dropped) == {"gopher_quality:too_few_words": 1}
    # FineWeb's settings (C4 without the punctuation rule, Gopher before C4) keep this page:
    # heuristics alone do not catch forum boilerplate with full sentences; docs/stages.md says so.
    assert run_chain(text) is None


def test_empty_text_is_dropped_with_a_reason():
    batch = from_rows([{"id": "1", "text": ""}, {"id": "2", "text": None}])
    stage = GopherQuality()
    assert stage(batch).num_rows == 0
    assert stage.stats.dropped["gopher_quality:no_text"] == 2


def test_bad_options_are_clear_errors():
    with pytest.raises(OptionError) as info:
        build_stage("gopher_quality", {"min_alpha_words_ratio": 1.5})
    assert info.value.option == "min_alpha_words_ratio"
    with pytest.raises(OptionError):
        build_stage("fineweb_quality", {"short_line_lenght": 30})
    with pytest.raises(OptionError):
        build_stage("gopher_repetition", {"dup_ngram_ratios": {5: 2.0}})
