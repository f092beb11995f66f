"""One real run on real crawls from ../shared/data, shared by the report and inspect tests."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from webcorpus import Pipeline, build_stage


def crawl_files(shared_data: Path) -> list[str]:
    """English pages with copies, emails and phone numbers (dolma), and a WARC cut short (a bad record)."""
    warc = shared_data / "warc"
    return [
        str(warc / "dolma-wget-sample" / "sample-0000.warc.gz"),
        str(warc / "dolma-wget-sample" / "sample-0001.warc.gz"),
        str(warc / "warcio-tests" / "example-trunc.warc"),
    ]


def full_stages() -> list:
    return [
        build_stage("extract", {"engine": "trafilatura"}),
        build_stage("language", {"keep": ["en"], "min_score": 0.5}),
        build_stage("gopher_quality", {}),
        build_stage("dedup", {"partitions": 2}),
        build_stage("dedup_paragraphs", {"partitions": 2, "min_words": 1}),  # these pages share short lines only
        build_stage("pii", {}),
        build_stage("train_tokenizer", {"vocab_size": 512}),
        build_stage("tokenize", {"formats": ["llmc", "nanogpt", "megatron"], "val_fraction": 0.1}),
    ]


@pytest.fixture(scope="session")
def full_run(tmp_path_factory, shared_data) -> Path:
    """OUTPUT of extract, language, quality, dedup, paragraph dedup, PII, tokenizer training and token shards."""
    output = tmp_path_factory.mktemp("report") / "out"
    result = Pipeline(full_stages(), input=crawl_files(shared_data), output=output, workers=2, excluded=True).run(quiet=True)
    assert result.exit_code == 0
    return output


@pytest.fixture(scope="session")
def full_stats(full_run) -> dict:
    return json.loads((full_run / "stats.json").read_text())
