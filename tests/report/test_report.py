"""The HTML report of a real run: every section, the same numbers as stats.json, nothing fetched."""
from __future__ import annotations

import json
import math
import re
from collections import Counter

import lxml.html
import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from webcorpus import Pipeline, build_stage
from webcorpus.report import write_report
from webcorpus.report.commands import report
from webcorpus.report.html import SECTIONS

from tests.report.conftest import crawl_files


@pytest.fixture(scope="module")
def page(full_run):
    path = write_report(full_run)
    assert path == full_run / "report.html"
    return lxml.html.fromstring(path.read_text(encoding="utf-8"))


def value(element) -> str:
    return element.get("data-value")


def row_values(page, table_id: str, key: str) -> dict:
    """{row's data-<key>: {data-field: data-value}} for a table of the page."""
    rows = {}
    for tr in page.xpath(f'//table[@id="{table_id}"]//tr[@data-{key}]'):
        rows[tr.get(f"data-{key}")] = {td.get("data-field"): td.get("data-value") for td in tr.xpath("td[@data-field]")}
    return rows


def headline(page) -> dict:
    return {card.get("data-key"): card.get("data-value") for card in page.xpath('//div[@id="headline"]/div[@data-key]')}


def stage(stats, name):
    return next(s for s in stats["stages"] if s["name"] == name)


def test_every_section_is_present_and_only_training_and_ablation_are_absent(page):
    for key, title in SECTIONS:
        section = page.xpath(f'//section[@id="{key}"]')
        assert len(section) == 1, key
        assert section[0].xpath("h2")[0].text_content() == title
    absent = [s.get("id") for s in page.xpath('//section[@class="absent"]')]
    assert absent == ["classifier", "training", "ablation"]  # no quality classifier stage, no --train, no --ablation given
    assert "--train" in page.xpath('//section[@id="training"]')[0].text_content()
    # The part of each chart a browser draws: every present section except config's text has an svg chart.
    for key in ("funnel", "languages", "lengths", "dedup", "pii", "tokenizer", "config"):
        assert page.xpath(f'//section[@id="{key}"]//svg//rect'), key


def test_repeated_paragraphs_equal_stats(page, full_stats):
    paragraphs = stage(full_stats, "dedup_paragraphs")
    section = page.xpath('//section[@id="paragraphs"]')[0]
    removed = section.xpath('.//*[@data-field="paragraphs_removed"]')[0]
    assert int(removed.get("data-value")) == paragraphs["counters"]["paragraphs_removed"] > 0
    shown = [int(td.get("data-value")) for td in section.xpath('.//table[@id="most-repeated"]//td[@data-field="documents"]')]
    assert shown == [m["documents"] for m in paragraphs["details"]["most_repeated"]] and shown[0] >= 2


def test_headline_numbers_equal_stats(page, full_stats, full_run):
    numbers = headline(page)
    pii = stage(full_stats, "pii")["counters"]
    manifest = json.loads((full_run / "tokens" / "manifest.json").read_text())
    tokenize = stage(full_stats, "tokenize")["counters"]
    assert int(numbers["pages_read"]) == full_stats["documents"]["read"] > 0
    assert int(numbers["documents_written"]) == full_stats["documents"]["written"] > 0
    assert int(numbers["duplicates_removed"]) == sum(stage(full_stats, "dedup")["dropped"].values()) > 0
    assert int(numbers["pii_replaced"]) == sum(v for k, v in pii.items() if re.fullmatch(r"pii:[A-Z_]+", k)) > 0
    assert int(numbers["tokens"]) == tokenize["tokens_train"] + tokenize["tokens_val"] == sum(manifest["tokens"].values())
    card = json.loads((full_run / "tokenizer" / "card.json").read_text())
    assert float(numbers["bytes_per_token"]) == card["bytes_per_token"]
    assert int(numbers["bad_records"]) == full_stats["reader"]["error_count"] == 1
    assert float(numbers["seconds"]) == full_stats["run"]["seconds"]


def test_funnel_table_equals_stats(page, full_stats):
    rows = page.xpath('//table[@id="funnel-table"]//tr[@data-stage]')
    assert [r.get("data-stage") for r in rows] == [s["name"] for s in full_stats["stages"]]
    for tr, s in zip(rows, full_stats["stages"]):
        cells = {td.get("data-field"): int(td.get("data-value")) for td in tr.xpath("td[@data-field]")}
        assert cells == {"documents_in": s["documents_in"], "documents_out": s["documents_out"],
                         "dropped": s["documents_in"] - s["documents_out"]}
        for reason, n in s["dropped"].items():  # every drop reason is named with its count
            assert f"{reason.split(':', 1)[-1]} {n:,}" in tr.text_content()
    # The reader's count starts the funnel.
    assert f"{full_stats['documents']['read']:,} HTML pages" in page.xpath('//section[@id="funnel"]')[0].text_content()


def test_languages_match_stats_and_final_documents(page, full_stats, full_run):
    rows = row_values(page, "languages-table", "language")
    dropped = {r.split(":", 1)[1]: n for r, n in stage(full_stats, "language")["dropped"].items()}
    kept = Counter(pq.read_table(full_run / "documents", columns=["language"]).column("language").to_pylist())
    assert set(rows) == set(dropped) | set(kept)
    for name, cells in rows.items():
        assert int(cells["dropped"]) == dropped.get(name, 0)
        assert int(cells["kept"]) == kept.get(name, 0)


def test_lengths_before_are_the_first_text_stage_and_after_the_final_documents(page, full_stats, full_run):
    rows = row_values(page, "lengths-table", "bucket")
    extract = stage(full_stats, "extract")["text_lengths"]
    texts = pq.read_table(full_run / "documents", columns=["text"]).column("text").to_pylist()
    # The final documents' histogram, counted here independently of the package.
    final = Counter(f"<={2 ** math.ceil(math.log2(max(len(t), 1)))}" for t in texts)
    assert set(rows) >= set(extract) | set(final)
    bounds = sorted(int(b.removeprefix("<=")) for b in rows)
    assert bounds == [bounds[0] * 2 ** k for k in range(len(bounds))]  # consecutive powers of two, no gaps
    for bucket, cells in rows.items():
        assert int(cells["before"]) == extract.get(bucket, 0)
        assert int(cells["after"]) == final.get(bucket, 0)
    assert sum(int(c["after"]) for c in rows.values()) == full_stats["documents"]["written"]


def test_dedup_and_pii_tables_equal_stats(page, full_stats):
    dedup = stage(full_stats, "dedup")
    clusters = {k.removeprefix("cluster_size_"): v for k, v in dedup["counters"].items() if k.startswith("cluster_size_")}
    assert clusters
    assert {k: int(v["clusters"]) for k, v in row_values(page, "clusters-table", "size").items()} == clusters
    assert int(page.xpath('//section[@id="dedup"]//b[@data-field="removed"]')[0].get("data-value")) == sum(dedup["dropped"].values())
    largest = page.xpath('//table[@id="largest-clusters"]//tr[td]')
    sizes = [int(tr.xpath("td")[0].text_content()) for tr in largest]
    assert sizes and sizes == sorted(sizes, reverse=True) and min(sizes) >= 2
    pii = stage(full_stats, "pii")["counters"]
    found = {k[4:]: v for k, v in pii.items() if re.fullmatch(r"pii:[A-Z_]+", k)}
    rejected = {k[len("pii:rejected:"):]: v for k, v in pii.items() if k.startswith("pii:rejected:")}
    rows = row_values(page, "pii-table", "entity")
    assert {k: int(v["found"]) for k, v in rows.items() if int(v["found"])} == found
    assert {k: int(v["rejected"]) for k, v in rows.items() if int(v["rejected"])} == rejected


def test_token_counts_per_shard_equal_the_files(page, full_stats, full_run):
    rows = row_values(page, "token-shards", "file")
    tokens = full_run / "tokens"
    expected = {}
    for path in sorted((tokens / "llmc").glob("*.bin")):
        expected[f"llmc/{path.name}"] = int(np.fromfile(path, "<i4", 256)[2])
    for path in sorted((tokens / "nanogpt").glob("*.bin")):
        expected[f"nanogpt/{path.name}"] = path.stat().st_size // 2
    for path in sorted((tokens / "megatron").glob("*.bin")):
        expected[f"megatron/{path.name}"] = path.stat().st_size // 2  # uint16 for a 512-token vocabulary
    assert {k: int(v["tokens"]) for k, v in rows.items()} == expected
    counters = stage(full_stats, "tokenize")["counters"]
    for layout in ("llmc", "nanogpt", "megatron"):
        assert sum(n for k, n in expected.items() if k.startswith(layout)) == counters["tokens_train"] + counters["tokens_val"]
    card = page.xpath('//table[@id="tokenizer-card"]//tr[@data-fact="vocabulary size"]/td')[0]
    assert int(value(card)) == 512


def test_bad_input_lists_the_broken_record_with_file_and_offset(page, full_stats):
    error = full_stats["reader"]["errors"][0]
    rows = page.xpath('//table[@id="errors-table"]//tr[td]')
    assert len(rows) == full_stats["reader"]["error_count"] == 1
    assert rows[0].xpath("td")[0].text_content() == error["source"]
    assert int(rows[0].xpath("td")[1].get("data-value")) == error["offset"]
    kinds = row_values(page, "records-table", "kind")
    assert {k: int(v["records"]) for k, v in kinds.items()} == full_stats["reader"]["records"]


def test_config_and_timing(page, full_stats):
    shown = yaml.safe_load(page.xpath('//pre[@id="config-yaml"]')[0].text_content())
    assert shown == full_stats["run"]["config"]
    labels = [t.text_content() for t in page.xpath('//section[@id="config"]//svg/text')]
    for s in full_stats["stages"]:
        assert f"{s['name']} ({s['kind']})" in labels
        # the time shown is the stage's work plus its set-up (loading models), and says how much was set-up
        total = f"{s['seconds'] + s['setup_seconds']:,.1f} s"
        assert (f"{total} ({s['setup_seconds']:,.1f} s set-up)" if s["setup_seconds"] >= 0.05 else total) in labels


def test_nothing_is_loaded_from_anywhere(full_run, page):
    html = (full_run / "report.html").read_text(encoding="utf-8")
    # No element that loads or links, and no attribute that could point anywhere.
    for tag in ("script", "link", "img", "iframe", "object", "embed", "a", "use", "image", "source", "video", "audio"):
        assert not page.xpath(f"//{tag}"), tag
    for attribute in ("src", "href", "xlink:href", "srcset", "data", "action", "poster"):
        assert not re.search(rf"\s{re.escape(attribute)}\s*=", html), attribute
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"<[^>]*https?://", html)  # a URL only ever appears as text between tags
    # The documents' own URLs are there, as text.
    assert "http" in page.xpath('//table[@id="largest-clusters"]')[0].text_content()


def test_a_run_without_dedup_pii_or_tokenizer_says_so(tmp_path, shared_data):
    output = tmp_path / "small"
    stages = [build_stage("extract", {}), build_stage("language", {"keep": ["en"]})]
    result = Pipeline(stages, input=crawl_files(shared_data)[2:], output=output, workers=1).run(quiet=True)
    assert result.exit_code == 0
    page = lxml.html.fromstring(write_report(output).read_text())
    absent = {s.get("id"): s.text_content() for s in page.xpath('//section[@class="absent"]')}
    assert set(absent) == {"dedup", "paragraphs", "pii", "tokenizer", "training", "ablation", "examples", "classifier"}  # examples need --excluded
    assert "--excluded" in absent["examples"]
    assert "No dedup stage" in absent["dedup"] and "not scrubbed" in absent["pii"] and "No dedup_paragraphs" in absent["paragraphs"]
    assert set(headline(page)) == {"pages_read", "documents_written", "bad_records", "seconds"}
    assert int(headline(page)["pages_read"]) == result.stats["documents"]["read"]


def test_training_section_from_a_metrics_file(full_run, tmp_path):
    """The trainer's metrics.jsonl layout (one JSON object per logged step) becomes the loss chart."""
    run = tmp_path / "train-run"
    run.mkdir()
    records = [{"step": 0, "tokens": 0, "val_loss": 6.2}]
    records += [{"step": s, "tokens": s * 512, "train_loss": 6.2 - 0.01 * s, "lr": 1e-3, "grad_norm": 1.0,
                 "ms_per_step": 10.0, "tokens_per_s": 50000.0 + s} for s in range(1, 101)]
    records += [{"step": 100, "tokens": 51200, "val_loss": 5.4}]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    path = write_report(full_run, train_dir=run, out_file=tmp_path / "with-training.html")
    page = lxml.html.fromstring(path.read_text())
    assert not page.xpath('//section[@id="training" and @class="absent"]')
    assert float(headline(page)["val_loss"]) == 5.4
    chart = page.xpath('//section[@id="training"]//svg')[0]
    assert len(chart.xpath(".//path")) == 2  # a training and a validation line
    facts = {tr.get("data-fact"): value(tr.xpath("td")[0]) for tr in page.xpath('//table[@id="training-facts"]//tr')}
    assert facts["steps"] == "100" and facts["last validation loss"] == "5.4" and facts["first validation loss"] == "6.2"
    assert facts["median tokens/s"] == "50051"


def test_training_section_from_a_real_training_run(full_run, tmp_path):
    pytest.importorskip("torch", reason="training needs torch (pip install webcorpus[train])")
    from webcorpus.trainer.commands import train

    run = tmp_path / "tiny"
    result = CliRunner().invoke(train, ["--data", str(full_run / "tokens" / "llmc"), "--out", str(run), "--preset", "tiny",
                                        "--steps", "20", "--eval-every", "10", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    page = lxml.html.fromstring(write_report(full_run, train_dir=run, out_file=tmp_path / "r.html").read_text())
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert float(headline(page)["val_loss"]) == [m["val_loss"] for m in metrics if "val_loss" in m][-1]


def test_report_command(full_run, tmp_path):
    out = tmp_path / "elsewhere" / "page.html"
    result = CliRunner().invoke(report, [str(full_run), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out) and out.read_text().startswith("<!DOCTYPE html>")
    missing = CliRunner().invoke(report, [str(tmp_path)])
    assert missing.exit_code == 2 and "stats.json" in missing.output


def test_examples_per_drop_reason_and_top_domains(page, full_run):
    excluded = pq.read_table(sorted((full_run / "excluded").glob("*.parquet"))[0], columns=["drop_stage", "drop_reason", "url"])
    first = excluded.to_pylist()[0]
    key = f"{first['drop_stage']} · {first['drop_reason']}"
    heading = page.xpath(f'//section[@id="examples"]//h3[@data-reason="{key}"]')
    assert heading and first["url"] in heading[0].getnext().text_content()
    rows = page.xpath('//table[@id="domains-table"]//tr')[1:]
    kept = [r.xpath("td")[0].text_content() for r in rows if r.xpath("td")[0].text_content()]
    from urllib.parse import urlsplit
    documents = pq.read_table(sorted((full_run / "documents").glob("*.parquet"))[0], columns=["url"]).column("url").to_pylist()
    assert urlsplit(documents[0]).hostname in kept or len(kept) == 15
    assert any(r.xpath("td")[2].text_content() for r in rows)  # dropped domains, from excluded/


def test_language_score_distribution_with_its_threshold_line(page, full_run, full_stats):
    section = page.xpath('//section[@id="signals"]//div[@class="column-signal"][@data-stage="language"]')[0]
    assert section.xpath('.//h3[@data-stage="language"]')
    line = section.xpath('.//*[local-name()="line"][@class="threshold"]')
    assert len(line) == 1
    config = next(next(iter(s.values())) for s in full_stats["run"]["config"]["stages"] if "language" in s) or {}
    assert f"min_score {config.get('min_score', 0.65)}" in section.text_content()
    from webcorpus.report.data import gather

    signal = gather(full_run)["signals"][0]
    documents = pq.read_table(sorted((full_run / "documents").glob("*.parquet"))).column("language_score")
    assert sum(signal["kept"]) == len(documents) - documents.null_count
    assert sum(signal["dropped"]) == sum(v for k, v in next(s for s in full_stats["stages"] if s["name"] == "language")["dropped"].items() if "low_score" in k)


def test_a_chart_per_quality_filter_signal_with_its_threshold_lines(page, full_stats):
    """gopher_quality's signals (stats.json) are drawn one chart each, a dashed line per threshold, with the
    measured and not-measured documents adding up to what the filter saw."""
    quality = stage(full_stats, "gopher_quality")
    assert quality["signals"] and quality["documents_in"] > 0
    section = page.xpath('//section[@id="signals"]')[0]
    for name, histogram in quality["signals"].items():
        found = section.xpath(f'.//div[@class="signal"][@data-stage="gopher_quality"][@data-signal="{name}"]')
        assert len(found) == 1, name
        chart = found[0]
        assert int(chart.get("data-measured")) == sum(histogram["counts"])
        assert int(chart.get("data-measured")) + int(chart.get("data-not-measured")) == quality["documents_in"]
        assert len(chart.xpath('.//*[local-name()="rect"]')) == len(histogram["bins"])
        lines = chart.xpath('.//*[local-name()="line"][@class="threshold"]')
        assert len(lines) == len(histogram["thresholds"]) >= 1
        for threshold in histogram["thresholds"]:
            assert f"{threshold['option']} " in chart.text_content()
    # min_words sits at its bin edge: the line's x is the left edge of the bin that starts at 50.
    words = quality["signals"]["words"]
    chart = section.xpath('.//div[@class="signal"][@data-signal="words"]')[0]
    bars = chart.xpath('.//*[local-name()="rect"]')
    line = chart.xpath('.//*[local-name()="line"][@class="threshold"]')[0]
    assert float(line.get("x1")) == pytest.approx(float(bars[words["bins"].index(50)].get("x")) - 0.5, abs=0.11)


def test_numbers_read_in_the_package_style(page, full_stats):
    """Counts with separators, sizes in KB/MB, shares with one decimal, times as durations (webcorpus.numbers)."""
    from webcorpus import numbers

    facts = {tr.get("data-fact"): tr.xpath("td")[0] for tr in page.xpath('//table[@id="run-facts"]//tr[@data-fact]')}
    assert facts["total seconds"].text_content() == numbers.duration(full_stats["run"]["seconds"])
    row = page.xpath('//table[@id="token-shards"]//tr[@data-file]')[0]
    size = row.xpath('td[@data-field="bytes"]')[0]
    assert size.text_content() == numbers.size(int(size.get("data-value"))) and size.text_content().endswith("B")
    quality = page.xpath('//table[@id="funnel-table"]//tr[@data-stage="gopher_quality"]')[0]
    stats = stage(full_stats, "gopher_quality")
    cells = [td.text_content() for td in quality.xpath("td")]
    assert cells[3] == numbers.count(stats["documents_in"])
    assert cells[6] == numbers.share(stats["documents_in"] - stats["documents_out"], stats["documents_in"])


def test_a_float_fact_keeps_its_decimals():
    from webcorpus.report.html import _n

    # a learning rate, bytes per token and a loss are facts, not counts: they are not rounded away
    assert _n(0.0006) == "0.0006"
    assert _n(4.12) == "4.12"
    assert _n(3.1416, 2) == "3.14"
    assert _n(1234567) == "1,234,567"
