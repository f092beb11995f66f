"""The quality filters' language-aware mode on real text in many languages (lingua's held-out sentences)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

from webcorpus.stages.quality.languages.table import covered_languages, language_profile, profile_for
from webcorpus.stages.quality.languages.words import ScriptUnits
from webcorpus.stages.registry import OptionError, build_stage

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from quality_language_thresholds import DATA, documents, halves, language_script, read_sentences  # noqa: E402
from quality_languages import junk  # noqa: E402

FILTERS = ("gopher_repetition", "gopher_quality", "c4", "fineweb_quality")
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="needs ../shared/data/lid/lingua-testdata")


def held_out(code: str) -> tuple[list[str], str]:
    _, sentences = halves(read_sentences(DATA / code), code)
    script = language_script(sentences)
    return documents(sentences, script, stride=10), script


def kept(texts: list[str], codes: list, stages=None) -> tuple[list[bool], list]:
    stages = stages or [build_stage(name, {"language": "per_document"}) for name in FILTERS]
    table = pa.table({"id": [str(i) for i in range(len(texts))], "text": texts, "language": pa.array(codes, pa.string())})
    for stage in stages:
        table = stage.apply(table).kept
    survivors = set(table.column("id").to_pylist())
    return [str(i) in survivors for i in range(len(texts))], stages


@pytest.mark.parametrize("code", ["zh", "ja", "th", "de", "ar", "hi", "ru", "ko", "yo"])
def test_held_out_prose_is_kept_and_junk_dropped(code):
    docs, script = held_out(code)
    survived, _ = kept(docs, [code] * len(docs))
    assert sum(survived) >= 0.9 * len(docs), (code, sum(survived), len(docs))
    _, sentences = halves(read_sentences(DATA / code), code)
    # Thai ends sentences with a space: without the sentence-mark rules nothing tells unpunctuated salad from prose
    for kind in ("nav", "keywords") + (("salad",) if code != "th" else ()):
        texts = junk(code, sentences, script)[kind]
        survived, _ = kept(texts, [code] * len(texts))
        assert sum(survived) <= 0.1 * len(texts), (code, kind)


def test_english_rules_drop_other_languages_and_the_aware_mode_keeps_english_as_english():
    docs, _ = held_out("de")
    english = [build_stage(name, {}) for name in FILTERS]
    survived, _ = kept(docs, ["de"] * len(docs), english)
    assert sum(survived) <= 0.1 * len(docs)  # the English stop words drop German
    en_docs, _ = held_out("en")
    aware, _ = kept(en_docs, ["en"] * len(en_docs))
    plain, _ = kept(en_docs, ["en"] * len(en_docs), [build_stage(name, {}) for name in FILTERS])
    assert aware == plain


def test_a_document_without_language_gets_its_scripts_default_and_is_counted():
    docs, _ = held_out("zh")
    survived, stages = kept(docs[:10], [None] * 10)
    assert sum(survived) >= 9
    counters = stages[0].stats.counters
    assert counters["fallback_no_language:script:Hani"] == 10
    assert counters["language_in:script:Hani"] == 10
    profile, why = profile_for("xx", "ພາສາລາວ ແມ່ນພາສາ")  # Lao: a script without a covered language
    assert (profile.key, profile.words, why) == ("kind:units", "units", "not_covered")
    assert language_profile("sr_Cyrl").key == "sr"


def test_drops_are_counted_per_language():
    de, _ = held_out("de")
    texts = de[:5] + ["Startseite\nKontakt\nImpressum\nProdukte\nÜber uns"] * 3
    survived, stages = kept(texts, ["de"] * len(texts))
    assert survived == [True] * 5 + [False] * 3
    judged = sum(s.stats.counters["language_in:de"] for s in stages)
    dropped = sum(s.stats.counters["language_dropped:de"] for s in stages)
    assert dropped == 3 and judged >= len(texts)


def test_script_units_cut_scripts_without_spaces():
    units = ScriptUnits().split("北京大学 in 2024年。ภาษาไทย")
    assert units == ["北", "京", "大", "学", "in", "2024", "年", "。", "ภ", "า", "ษ", "า", "ไ", "ท", "ย"]


def test_a_language_no_table_covers_is_an_option_error_with_the_covered_list():
    with pytest.raises(OptionError) as error:
        build_stage("gopher_quality", {"language": "km"})
    assert error.value.option == "language" and "km" in str(error.value)
    assert error.value.choices[0] == "per_document" and "zh" in error.value.choices and len(covered_languages()) == 75
    with pytest.raises(OptionError):
        build_stage("c4", {"language": "per_document", "flavor": "fineweb"})
    german = build_stage("gopher_quality", {"language": "de"})
    docs, _ = held_out("de")
    assert sum(kept(docs, [None] * len(docs), [german])[0]) >= 0.9 * len(docs)


def test_the_table_is_rebuilt_byte_for_byte():
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "quality_language_thresholds.py"), "--check"],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sentences_are_counted_by_the_languages_marks():
    c4 = build_stage("c4", {"language": "per_document"})
    c4.setup()
    chinese = c4.adapted(language_profile("zh"))
    sentences: list[float] = []
    chinese.clean("今天天气很好，我们一起去公园散步。公园里有很多人在跑步！你想和我们一起去吗？", lambda _, v: sentences.append(v))
    assert sentences == [3]  # full-width marks end sentences with no space after them
    hindi = c4.adapted(language_profile("hi"))
    assert "।" in hindi._end_marks and hindi._line_rule("यह एक बहुत अच्छा और लंबा वाक्य है।") is None
    english = c4.adapted(language_profile("en"))
    assert english._end_marks == c4._end_marks  # English keeps the filter's own marks
