"""The quality filters' signal histograms: counts of the documents they saw, thresholds from the options,
the same numbers whatever the batching, and the documents themselves untouched."""
from __future__ import annotations

import json

import pyarrow as pa
import pytest

from webcorpus.stages.base import StageStats
from webcorpus.stages.registry import build_stage
from webcorpus.stages.signals import Signal, SignalHistogram, Threshold

FILTERS = [
    ("gopher_quality", {}), ("gopher_quality", {"flavor": "fineweb"}),
    ("gopher_repetition", {}), ("gopher_repetition", {"flavor": "fineweb"}),
    ("c4", {}), ("c4", {"flavor": "fineweb"}),
    ("fineweb_quality", {}), ("fineweb_quality", {"flavor": "fineweb"}),
]
#: Each filter's first rule: the signal every document with text reaches, and the reason it drops with.
FIRST_RULE = {"gopher_quality": ("words", "too_few_words"), "fineweb_quality": ("line_punct_ratio", "line_punct_ratio"),
              "gopher_repetition": ("dup_para_ratio", "dup_para_ratio")}


@pytest.fixture(scope="module")
def texts(shared_data) -> list[str | None]:
    """Real article texts (scrapinghub-aeb's ground truth), a real low-quality crawl page, and two without text."""
    truth = json.loads((shared_data / "extract" / "scrapinghub-aeb" / "ground-truth.json").read_text())
    articles = [truth[key]["articleBody"] for key in sorted(truth)]
    fixtures = shared_data / "dedup" / "cs336-fixtures" / "fixtures"
    return articles + [(fixtures / "low_quality_cc.txt").read_text(), "   ", None]


def batch_of(texts: list[str | None], start: int = 0) -> pa.Table:
    return pa.table({"id": [f"d{start + i}" for i in range(len(texts))], "text": pa.array(texts, pa.string())})


def run(name: str, options: dict, texts: list[str | None], batch_size: int) -> tuple[StageStats, list[pa.Table]]:
    stage = build_stage(name, options)
    outputs = [stage(batch_of(texts[i:i + batch_size], i)) for i in range(0, len(texts), batch_size)]
    return stage.pop_stats(), outputs


@pytest.mark.parametrize("name, options", FILTERS)
def test_histograms_count_the_documents_the_filter_saw(name, options, texts):
    stats, _ = run(name, options, texts, batch_size=64)
    declared = [s.name for s in build_stage(name, options).signals()]
    assert list(stats.signals) == declared  # every declared signal, in order, even one nothing reached
    with_text = sum(1 for t in texts if t and t.strip())
    for signal, histogram in stats.signals.items():
        assert len(histogram.counts) == len(histogram.bins)
        assert 0 <= histogram.measured <= with_text <= stats.documents_in, signal
    if name in FIRST_RULE:
        signal, reason = FIRST_RULE[name]
        histogram = stats.signals[signal]
        assert histogram.measured == with_text  # every document with text reaches the first rule
        (threshold, *_) = histogram.thresholds
        limit = threshold["value"]
        below = sum(c for b, c in zip(histogram.bins, histogram.counts) if b < limit)
        if threshold["drops"] == "<":  # the threshold is a bin edge: the bins below it are exactly the drops
            assert below == stats.dropped.get(f"{name}:{reason}", 0)
    if name == "c4":
        # Pages that reach the sentence count are those not dropped for lorem ipsum or a curly brace.
        histogram = stats.signals["sentences"]
        early = sum(n for r, n in stats.dropped.items() if r in ("c4:lorem_ipsum", "c4:curly_brace"))
        assert histogram.measured == with_text - early
        limit = histogram.thresholds[0]["value"]
        assert sum(c for b, c in zip(histogram.bins, histogram.counts) if b < limit) == stats.dropped["c4:too_few_sentences"]


def test_gopher_quality_histograms_add_up_rule_by_rule(texts):
    """Each rule measures the documents the rules before it kept: a signal's count is the one before it
    minus what that rule dropped."""
    stats, _ = run("gopher_quality", {}, texts, batch_size=64)
    order = [("words", ("too_few_words", "too_many_words")), ("mean_word_length", ("mean_word_length",)),
             ("symbol_word_ratio", ("symbol_word_ratio",))]
    for (signal, reasons), (following, _) in zip(order, order[1:]):
        dropped = sum(stats.dropped.get(f"gopher_quality:{r}", 0) for r in reasons)
        assert stats.signals[following].measured == stats.signals[signal].measured - dropped


def test_thresholds_are_where_the_options_put_them():
    stage = build_stage("gopher_quality", {"min_words": 77, "max_mean_word_length": 12.5, "min_stop_words": 4})
    signals = {s.name: s for s in stage.signals()}
    assert signals["words"].thresholds[0] == Threshold("min_words", 77, "<")
    assert 77 in signals["words"].bins  # a bin edge, so the documents on each side can be read off
    assert Threshold("max_mean_word_length", 12.5, ">") in signals["mean_word_length"].thresholds
    assert 12.5 in signals["mean_word_length"].bins
    assert signals["stop_words"].thresholds == (Threshold("min_stop_words", 4, "<"),)
    fineweb = {s.name: s for s in build_stage("fineweb_quality", {"flavor": "fineweb", "max_short_line_ratio": 0.5}).signals()}
    assert fineweb["short_line_ratio"].thresholds == (Threshold("max_short_line_ratio", 0.5, ">"),)
    assert fineweb["dup_line_char_ratio"].thresholds[0].value == 0.01  # the flavour's default
    paper = {s.name: s for s in build_stage("fineweb_quality", {}).signals()}
    assert paper["line_punct_ratio"].thresholds[0].drops == "<="  # the paper's comparison
    repetition = {s.name: s for s in build_stage("gopher_repetition", {"top_ngram_ratios": {2: 0.33}}).signals()}
    assert repetition["top_2gram_ratio"].thresholds == (Threshold("top_ngram_ratios[2]", 0.33, ">"),)
    assert "top_3gram_ratio" not in repetition
    c4 = {s.name: s for s in build_stage("c4", {"flavor": "fineweb"}).signals()}
    assert c4["sentences"].bins[-1] == 5  # counted up to min_sentences: the last bin is "5 and more"


@pytest.mark.parametrize("name, options", FILTERS)
def test_batching_and_merge_order_change_nothing(name, options, texts):
    whole, outputs_whole = run(name, options, texts, batch_size=len(texts))
    pieces, outputs_pieces = run(name, options, texts, batch_size=17)
    assert whole.to_dict()["signals"] == pieces.to_dict()["signals"]
    assert pa.concat_tables(outputs_whole).equals(pa.concat_tables(outputs_pieces))
    # Stats of two halves, merged either way round, equal those of the whole.
    half = len(texts) // 2
    first, _ = run(name, options, texts[:half], batch_size=64)
    second, _ = run(name, options, texts[half:], batch_size=64)
    for a, b in ((first, second), (second, first)):
        total = StageStats()
        total.merge(StageStats.from_dict(json.loads(json.dumps(a.to_dict()))))
        total.merge(b)
        assert total.to_dict()["signals"] == whole.to_dict()["signals"]


@pytest.mark.parametrize("name, options", FILTERS)
def test_documents_get_no_new_columns(name, options, texts):
    _, outputs = run(name, options, texts, batch_size=64)
    for table in outputs:
        assert table.column_names == ["id", "text"]


def test_histogram_bins_and_merge_refuses_other_bins():
    signal = Signal.of("x", "a share", (0.0, 0.5), Threshold("max_x", 0.25, ">"))
    assert signal.bins == (0.0, 0.25, 0.5)
    histogram = SignalHistogram.empty(signal)
    histogram.add([-1.0, 0.0, 0.1, 0.25, 0.3, 0.5, 7.0])  # below the first edge: first bin; above the last: last
    assert histogram.counts == [3, 2, 2]
    other = SignalHistogram.empty(Signal.of("x", "a share", (0.0, 0.5), Threshold("max_x", 0.3, ">")))
    with pytest.raises(ValueError):
        histogram.merge(other)
    with pytest.raises(ValueError):
        Signal.of("x", "", (0,), Threshold("t", 1, "=="))


def test_extract_measures_page_sizes_against_max_html_bytes(shared_data):
    from webcorpus import read_batches

    batch = next(read_batches(str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz")))
    sizes = sorted(len((h or "").encode()) for h in batch.column("html").to_pylist())
    limit = sizes[len(sizes) * 3 // 4]  # a quarter of the pages are larger: they drop as too_large
    stage = build_stage("extract", {"engine": "resiliparse", "max_html_bytes": limit, "timeout": None})
    stage(batch)
    stats = stage.pop_stats()
    histogram = stats.signals["html_bytes"]
    assert histogram.thresholds == [{"option": "max_html_bytes", "value": limit, "drops": ">"}] and limit in histogram.bins
    assert histogram.measured == sum(1 for s in sizes if s > 0) == stats.documents_in - stats.dropped.get("extract:no_html", 0)
    above = sum(1 for s in sizes if s > limit)
    assert above == stats.dropped["extract:too_large"] > 0
    # the bins from the threshold up hold the pages above it and those exactly at it
    at_or_above = sum(c for b, c in zip(histogram.bins, histogram.counts) if b >= limit)
    assert at_or_above == above + sizes.count(limit)


def test_language_measures_the_top_score_against_min_score(texts):
    stats, _ = run("language", {"keep": ["en"], "min_score": 0.8}, texts, batch_size=64)
    histogram = stats.signals["language_score"]
    assert histogram.thresholds == [{"option": "min_score", "value": 0.8, "drops": "<"}]
    unmeasured = stats.dropped.get("language:no_text", 0) + stats.dropped.get("language:unknown", 0)
    assert histogram.measured == stats.documents_in - unmeasured
    # below the line: the documents dropped for a low score, and those of other languages scoring low
    below = sum(c for b, c in zip(histogram.bins, histogram.counts) if b < 0.8)
    assert below >= stats.dropped.get("language:low_score", 0)
    no_threshold, _ = run("language", {}, texts[:20], batch_size=64)
    assert no_threshold.signals["language_score"].thresholds == []  # min_score 0 drops nothing: no line
