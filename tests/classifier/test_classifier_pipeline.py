"""pipelines/classifier.yaml end to end on real crawl files: heuristics, a classifier trained and applied in
the run, dedup, token shards; the report shows the score histogram and the examples per score level."""
from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq

from tests.classifier.conftest import ROOT


def test_the_classifier_pipeline_runs_on_real_crawls_and_reports_its_scores(tmp_path, shared_data):
    crawls = [shared_data / "warc/aut-example/warc/example.warc.gz", *sorted((shared_data / "warc/copycat-cc-arc-sample/cc-arc-sample").glob("*.arc"))]
    out = tmp_path / "run"
    args = [sys.executable, "-m", "webcorpus", "run", "pipelines/classifier.yaml", "--output", str(out), "--report"]
    for crawl in crawls:
        args += ["--input", str(crawl)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    stats = json.loads((out / "stats.json").read_text())
    by_name = {s["name"]: s for s in stats["stages"]}
    trained, scored = by_name["train_quality_classifier"], by_name["quality_classifier"]
    assert trained["documents_out"] == trained["documents_in"]  # training passes documents through
    assert scored["documents_out"] == int(0.5 * scored["counters"]["scored"] + 0.5)
    card = json.loads((out / "quality_classifier" / "card.json").read_text())
    assert card["negatives"]["source"] == "a sample of the run's documents by id hash" and card["negatives"]["documents"] >= 40
    rows = [r for p in sorted((out / "documents").glob("*.parquet")) for r in pq.read_table(p, columns=["quality_score"]).to_pylist()]
    assert rows and all(r["quality_score"] is not None for r in rows)
    assert json.loads((out / "tokens" / "manifest.json").read_text())["documents"]["train"] > 0
    report = (out / "report.html").read_text()
    assert 'data-stage="quality_classifier" data-signal="quality_score"' in report
    assert 'id="classifier-card"' in report and report.count("<tr data-level=") >= 2
