"""``flavor: fineweb``: datatrove 0.10.1's decisions, pinned on real texts and on the rules' edges.

tests/stages/fineweb_decisions.json holds datatrove's verdicts for a sample of the texts of
benchmarks/fineweb_texts.py, written by ``benchmarks/fineweb_fidelity.py --write-fixture`` from
datatrove's own output (CI has no datatrove). Texts are found again in ../shared/data by set, kind
and name; a text whose SHA-1 no longer matches (an extractor of another version) is skipped, and
most must match.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest

from webcorpus.stages.quality import fineweb_text
from webcorpus.stages.quality.c4 import C4Quality
from webcorpus.stages.quality.fineweb import FineWebQuality
from webcorpus.stages.quality.gopher_quality import GopherQuality
from webcorpus.stages.quality.gopher_repetition import GopherRepetition, _scanned_repeat_chars
from webcorpus.stages.registry import OptionError, build_stage

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).with_name("fineweb_decisions.json")
sys.path.insert(0, str(ROOT / "benchmarks"))


def fineweb(cls, **options):
    stage = cls(flavor="fineweb", **options)
    stage.setup()
    return stage


@pytest.fixture(scope="module")
def pinned():
    """(fixture rows, {(set, kind, name): text}) for the rows whose text is found unchanged."""
    from fineweb_fidelity import DATATROVE_REASONS  # noqa: F401  (the reason names the fixture uses)
    from fineweb_texts import all_texts

    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["texts"]
    texts = {(t["set"], t["kind"], t["name"]): t["text"] for t in all_texts(trafilatura=False)}
    found = {}
    for row in rows:
        text = texts.get((row["set"], row["kind"], row["name"]))
        if text is not None and hashlib.sha1(text.encode()).hexdigest() == row["sha1"]:
            found[(row["set"], row["kind"], row["name"])] = text
    return rows, found


@pytest.mark.parametrize("name, stage", [
    ("gopher_repetition", lambda: fineweb(GopherRepetition)),
    ("gopher_quality", lambda: fineweb(GopherQuality)),
    ("c4", lambda: fineweb(C4Quality, terminal_punctuation=False)),
    ("fineweb_quality", lambda: fineweb(FineWebQuality)),
])
def test_datatrove_decisions_pinned_on_real_texts(pinned, name, stage):
    from fineweb_fidelity import as_datatrove

    rows, found = pinned
    assert len(found) >= 0.9 * len(rows), "most pinned texts must still be found unchanged"
    f = stage()
    wrong = []
    checked = 0
    for row in rows:
        text = found.get((row["set"], row["kind"], row["name"]))
        if text is None:
            continue
        checked += 1
        if name == "c4":
            rule = f.clean(text)[1]
        else:
            rule = f.check(text)
        got = as_datatrove(name, None if rule is None else f"{name}:{rule}")
        if got != row[name]:
            wrong.append((row["set"], row["name"], row[name], got))
    assert checked >= 300
    assert not wrong, wrong[:5]


def test_datatrove_language_decisions_pinned_on_real_texts(pinned):
    """LanguageFilter(["en"], 0.65) on the whole text, lid.176.ftz on both sides (the fixture's model)."""
    import pyarrow as pa

    from fineweb_fidelity import as_datatrove

    from webcorpus.stages.language import LanguageId

    rows, found = pinned
    rows = [row for row in rows if (row["set"], row["kind"], row["name"]) in found]
    stage = LanguageId(keep=["en"], min_score=0.65, max_chars=None, flavor="fineweb")
    stage.setup()
    texts = [found[(row["set"], row["kind"], row["name"])] for row in rows]
    verdict = stage.verdict(pa.table({"id": [str(i) for i in range(len(texts))], "text": texts}))
    got = [as_datatrove("language", reason) for reason in verdict.reasons]
    wrong = [(row["set"], row["name"], row["language"], g) for row, g in zip(rows, got) if g != row["language"]]
    assert len(rows) >= 300
    assert not wrong, wrong[:5]


def test_fineweb_language_rule_is_strict_and_reads_every_label():
    from webcorpus.stages.language import fineweb_reason

    keep = frozenset({"en"})
    assert fineweb_reason([("en", 0.65), ("de", 0.2)], keep, 0.65) == "language:low_score"  # datatrove: > 0.65
    assert fineweb_reason([("en", 0.6501)], keep, 0.65) is None
    assert fineweb_reason([("de", 0.9), ("en", 0.05)], keep, 0.65) == "language:de"
    assert fineweb_reason([("de", 0.7)], None, 0.65) is None  # no keep list: the top label's score decides


def test_fixture_covers_drops_and_keeps(pinned):
    rows, _ = pinned
    for name in ("language", "gopher_repetition", "gopher_quality", "c4", "fineweb_quality"):
        verdicts = [row[name] for row in rows]
        assert verdicts.count(None) >= 20 and len(verdicts) - verdicts.count(None) >= 20, name


# --- the rules where FineWeb departs from the papers ---------------------------------------------

def test_words_split_punctuation_and_contractions():
    assert fineweb_text.words("Hello, world. I don't know Mr. Smith's (U.S.) plan...") == [
        "Hello", ",", "world", ".", "I", "do", "n't", "know", "Mr.", "Smith", "'s", "(", "U.S.", ")", "plan", "..."]
    assert fineweb_text.words("10km at 6am: see https://example.com/a-b cannot") == [
        "10", "km", "at", "6", "am", ":", "see", "https://example.com/a-b", "can", "not"]


def test_sentence_count_follows_the_sentencizer():
    assert fineweb_text.sentence_count("One. Two! Three?") == 3
    assert fineweb_text.sentence_count("Dr. Who met Mr. Smith. Then left.") == 2
    assert fineweb_text.sentence_count('He said "stop." Then "go!" ...') == 2
    assert fineweb_text.sentence_count("") == 1  # datatrove's span arithmetic


def test_alpha_rule_counts_punctuation_tokens():
    # 60 words, every one followed by a comma: half the tokens have no letter.
    text = " ".join(["the", "and"] + [f"word{i}," for i in range(58)])
    assert fineweb(GopherQuality).check(text) == "alpha_words"
    paper = GopherQuality()
    paper.setup()
    assert paper.check(text) is None  # the paper counts whitespace-separated words


def test_stop_words_are_distinct_and_case_sensitive():
    body = " ".join(["river stone cloud"] * 30)
    assert fineweb(GopherQuality).check("the the the " + body) == "stop_words"
    assert fineweb(GopherQuality).check("The And " + body) == "stop_words"
    assert fineweb(GopherQuality).check("the and " + body) is None


def test_fineweb_repeated_line_chars_drop_from_one_percent():
    lines = [f"A line of prose number {i} that ends properly." for i in range(60)]
    text = "\n".join(lines + [lines[0]])  # one repeated line: ~1.6% of the characters
    assert fineweb(FineWebQuality).check(text) == "dup_line_char_ratio"
    paper = FineWebQuality()
    paper.setup()
    assert paper.check(text) is None  # the paper's 10%


def test_fineweb_c4_counts_sentences_per_kept_line():
    keep = "\n".join(["One sentence here. Two sentences here. Three here.", "Four is here. Five is here."])
    assert fineweb(C4Quality, terminal_punctuation=False).clean(keep)[1] is None
    assert fineweb(C4Quality, terminal_punctuation=False).clean(keep.split("\n")[0])[1] == "too_few_sentences"


def scan_plainly(words: list[str], n: int) -> int:
    """datatrove's repeated n-gram scan, restated directly (n-grams as tuples)."""
    seen, chars, i = set(), 0, 0
    while i < len(words) - n + 1:
        gram = tuple(words[i:i + n])
        if gram in seen:
            chars += sum(map(len, gram))
            i += n
        else:
            seen.add(gram)
            i += 1
    return chars


def test_repeated_ngram_scan_equals_the_plain_loop_on_real_texts():
    import numpy as np

    from webcorpus.stages.quality.gopher_repetition import _NgramHashes, _groups

    fixtures = ROOT / ".." / "shared" / "data" / "dedup" / "cs336-fixtures" / "fixtures"
    texts = [p.read_text(encoding="utf-8") for p in sorted(fixtures.rglob("*.txt"))]
    texts.append("a b c d e a b c d e a b c d e f a b c d e")
    assert len(texts) > 5
    for text in texts:
        words = fineweb_text.words(text)
        vocabulary = {w: i for i, w in enumerate(dict.fromkeys(words))}
        ids = np.array([vocabulary[w] for w in words], dtype=np.uint64)
        ends = np.concatenate(([0], np.cumsum([len(w) for w in words])))
        hashes = _NgramHashes(ids)
        for n in (5, 6, 10):
            if len(words) < n:
                continue
            h = hashes.get(n)
            positions, order, starts, counts = _groups(h, None)
            members = np.sort(positions[order[np.repeat(counts >= 2, counts)]]).tolist()
            assert _scanned_repeat_chars(h, ends, n, members) == scan_plainly(words, n)


def test_flavor_option_is_checked():
    assert build_stage("gopher_quality", {"flavor": "fineweb"}).flavor == "fineweb"
    with pytest.raises(OptionError):
        build_stage("gopher_quality", {"flavor": "datatrove"})
    assert build_stage("c4", {}).min_sentences == 3
    assert build_stage("c4", {"flavor": "fineweb"}).min_sentences == 5
    assert build_stage("fineweb_quality", {"flavor": "fineweb"}).max_dup_line_char_ratio == 0.01


def test_words_and_sentences_equal_spacy_on_real_texts():
    """Where spaCy is installed (it is not needed at run time): the restated rules give spaCy's tokens
    and sentence counts on real texts, the held-out ones included."""
    spacy = pytest.importorskip("spacy")
    from fineweb_texts import heldout_texts
    from extract_quality import load_pages

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    texts = [p.truth for p in load_pages(("scrapinghub-aeb",))][:60] + [t["text"] for t in heldout_texts()]
    same_docs = sum([t.text for t in nlp(text) if t.text.strip()] == fineweb_text.words(text) for text in texts)
    lines = [line.strip() for text in texts for line in text.splitlines() if line.strip()]
    same_lines = sum(len(list(nlp(line).sents)) == fineweb_text.sentence_count(line) for line in lines)
    assert same_docs >= 0.95 * len(texts), (same_docs, len(texts))
    assert same_lines >= 0.995 * len(lines), (same_lines, len(lines))


def test_fineweb_pipeline_is_the_recipe():
    """pipelines/fineweb-en.yaml: FineWeb's order and settings, every option valid."""
    import yaml

    config = yaml.safe_load((ROOT / "pipelines" / "fineweb-en.yaml").read_text())
    stages = [next(iter(entry.items())) for entry in config["stages"]]
    assert [name for name, _ in stages] == ["url_filter", "extract", "language", "gopher_repetition",
                                            "gopher_quality", "c4", "fineweb_quality"]
    options = dict(stages)
    assert options["extract"]["engine"] == "trafilatura" and options["extract"]["favor_precision"] is True
    assert options["language"]["keep"] == ["en"] and options["language"]["min_score"] == 0.65
    assert options["language"]["max_chars"] is None  # the whole text
    assert build_stage("language", options["language"]).flavor == "fineweb"
    assert options["c4"]["terminal_punctuation"] is False
    for name in ("gopher_repetition", "gopher_quality", "c4", "fineweb_quality"):
        assert build_stage(name, options[name]).flavor == "fineweb"
    for name, opts in stages:
        build_stage(name, opts or {})
