"""Real texts (../shared/data/extract) and a classifier trained on them, shared by the classifier tests.

Positives: the expected article texts of newspaper-fulltext; negatives: what remains of the
scrapinghub-aeb pages once their article's lines are taken out (menus, footers, link lists).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from webcorpus.stages.global_stage import GlobalContext

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import classifier_texts  # noqa: E402


def context(run_dir: Path, inputs: list[str] | None = None) -> GlobalContext:
    """What the runner gives a global stage, with an in-process map."""
    return GlobalContext(inputs=list(inputs or []), output_dir=run_dir / "out", work_dir=run_dir / "work", run_dir=run_dir,
                         workers=1, map=lambda fn, items: [fn(item) for item in items])


@pytest.fixture(scope="session")
def example_files(tmp_path_factory, shared_data) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("classifier-texts")
    return {
        "positives": classifier_texts.write_jsonl(folder / "positives.jsonl", classifier_texts.articles("newspaper-fulltext")),
        "negatives": classifier_texts.write_jsonl(folder / "negatives.jsonl", classifier_texts.rests("scrapinghub-aeb")),
        "held_articles": classifier_texts.write_jsonl(folder / "held_articles.jsonl", classifier_texts.articles("readability-testpages")),
        "held_rests": classifier_texts.write_jsonl(folder / "held_rests.jsonl", classifier_texts.rests("readability-testpages")),
    }


def train_into(run_dir: Path, files: dict[str, Path]) -> Path:
    """Train with the stage on the example files; the run folder's quality_classifier/ folder."""
    from webcorpus.stages.classifier.train import TrainQualityClassifier

    stage = TrainQualityClassifier(positives=str(files["positives"]), negatives=str(files["negatives"]))
    assert stage.execute(context(run_dir)) is None  # documents pass through
    return TrainQualityClassifier.card_path(run_dir).parent


@pytest.fixture(scope="session")
def trained(tmp_path_factory, example_files) -> Path:
    return train_into(tmp_path_factory.mktemp("trained"), example_files)
