"""quality_classifier on real texts: scores, thresholds, documents without text, bad models, keep_fraction
identical for 1 and 2 workers, and the ranking rule itself."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from tests.classifier.conftest import ROOT, classifier_texts
from webcorpus.stages.base import OptionError
from webcorpus.stages.classifier.apply import QualityClassifier
from webcorpus.stages.classifier.model import Scorer
from webcorpus.stages.classifier.selection import cutoff, kept, tie_hashes
from webcorpus.stages.classifier.text import prepare


def run(tmp_path: Path, name: str, stages: list, inputs: list[Path], workers: int = 1) -> tuple[int, Path, str]:
    config = tmp_path / f"{name}.yaml"
    out = tmp_path / name
    config.write_text(yaml.safe_dump({"input": [str(p) for p in inputs], "output": str(out), "workers": workers, "stages": stages}))
    done = subprocess.run([sys.executable, "-m", "webcorpus", "run", str(config)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    return done.returncode, out, done.stdout + done.stderr


def documents(out: Path) -> list[dict]:
    rows = []
    for shard in sorted((out / "documents").glob("*.parquet")):
        rows += pq.read_table(shard, columns=["id", "text", "quality_score"]).to_pylist()
    return rows


def stage_stats(out: Path, name: str = "quality_classifier") -> dict:
    return next(s for s in json.loads((out / "stats.json").read_text())["stages"] if s["name"] == name)


@pytest.fixture(scope="module")
def held_input(tmp_path_factory) -> list[Path]:
    """Three JSON lines files of readability-testpages texts (never trained on): articles, rests, and
    one document without text."""
    folder = tmp_path_factory.mktemp("held")
    articles, rests = classifier_texts.articles("readability-testpages"), classifier_texts.rests("readability-testpages")
    return [classifier_texts.write_jsonl(folder / "a.jsonl", articles[:70]),
            classifier_texts.write_jsonl(folder / "b.jsonl", rests + [""]),
            classifier_texts.write_jsonl(folder / "c.jsonl", articles[70:])]


def test_text_preparation_is_dclms_lines_joined_with_spaces():
    assert prepare("  Title\r\nFirst line.\n\nSecond\u2028line \n") == "Title First line.  Second line"


def test_scores_every_document_and_keeps_all_without_a_threshold(tmp_path, trained, held_input):
    model = str(trained / "model.bin")
    code, out, log = run(tmp_path, "all", [{"quality_classifier": {"model": model}}], held_input)
    assert code == 0, log
    rows = documents(out)
    assert len(rows) == sum(len(p.read_text().splitlines()) for p in held_input)
    empty = [r for r in rows if not r["text"]]
    assert len(empty) == 1 and empty[0]["quality_score"] is None  # no text: no score, kept, counted
    stats = stage_stats(out)
    assert stats["counters"] == {"no_text": 1, "scored": len(rows) - 1} and stats["dropped"] == {}
    scored = [r for r in rows if r["text"]]
    direct = Scorer(model, "__label__hq").score([r["text"] for r in scored])
    assert np.array_equal(np.array([r["quality_score"] for r in scored], np.float32), direct)
    histogram = stats["signals"]["quality_score"]
    assert sum(histogram["counts"]) == len(scored) and histogram["thresholds"] == []
    examples = json.loads((out / "quality_classifier" / "examples.json").read_text())["examples"]
    assert examples and all(e["level"][0] <= e["score"] <= e["level"][1] for e in examples)


def test_min_score_drops_below_it_and_documents_without_text(tmp_path, trained, held_input):
    code, out, log = run(tmp_path, "min", [{"quality_classifier": {"model": str(trained / "model.bin"), "min_score": 0.5}}], held_input)
    assert code == 0, log
    rows = documents(out)
    assert rows and all(r["quality_score"] >= 0.5 for r in rows)
    stats = stage_stats(out)
    assert stats["dropped"]["no_text"] == 1 and stats["dropped"]["below_min_score"] == stats["documents_in"] - len(rows) - 1
    assert {"option": "min_score", "value": 0.5, "drops": "<"} in stats["signals"]["quality_score"]["thresholds"]


def test_keep_fraction_keeps_the_same_documents_with_one_or_two_workers(tmp_path, trained, held_input):
    stages = [{"quality_classifier": {"model": str(trained / "model.bin"), "keep_fraction": 0.3}}]
    results = [run(tmp_path, f"top-{w}", stages, held_input, workers=w) for w in (1, 2)]
    assert all(code == 0 for code, _, _ in results), results[0][2] + results[1][2]
    one, two = (documents(out) for _, out, _ in results)
    assert one == two
    scored = stage_stats(results[0][1])["counters"]["scored"]
    assert len(one) == int(0.3 * scored + 0.5)
    for _, out, _ in results:  # the shards are the same bytes too
        assert [p.read_bytes() for p in sorted((out / "documents").glob("*.parquet"))] == \
               [p.read_bytes() for p in sorted((results[0][1] / "documents").glob("*.parquet"))]
    # the kept documents are the best scored: none left out scores higher than one kept
    all_code, all_out, _ = run(tmp_path, "unthresholded", [{"quality_classifier": {"model": str(trained / "model.bin")}}], held_input)
    kept_ids = {r["id"] for r in one}
    left_out = [r["quality_score"] for r in documents(all_out) if r["id"] not in kept_ids and r["quality_score"] is not None]
    assert max(left_out) <= min(r["quality_score"] for r in one)


def test_ties_are_broken_by_id_hash_so_the_cut_is_exact():
    ids = [f"doc-{i}" for i in range(10)]
    scores = np.array([0.9, 0.5, 0.5, 0.5, 0.5, 0.1, np.nan, 0.5, 0.2, 0.5], np.float32)
    hashes = tie_hashes(ids)
    cut = cutoff(scores, hashes, 0.5)  # 9 scored: keep round(4.5) = 5 = 0.9 and four of the six 0.5s
    chosen = kept(scores, hashes, cut)
    assert chosen.sum() == 5 and chosen[0] and not chosen[6]
    tied = [i for i in range(10) if scores[i] == np.float32(0.5)]
    assert sorted(hashes[i] for i in tied if chosen[i]) == sorted(hashes[i] for i in tied)[:4]
    assert cutoff(scores, hashes, 0.01) is None


def test_bad_models_are_refused_before_work(tmp_path):
    from webcorpus.stages.language.engines.fasttext import default_model_path

    with pytest.raises(OptionError, match="no fastText model file") as missing:
        QualityClassifier(model=str(tmp_path / "absent.bin"))
    assert missing.value.option == "model"
    not_a_model = tmp_path / "notes.bin"
    not_a_model.write_text("this is not a model\n" * 10)
    with pytest.raises(OptionError, match="not a fastText model") as wrong:
        QualityClassifier(model=str(not_a_model))
    assert wrong.value.option == "model"
    with pytest.raises(OptionError, match="has no label '__label__hq'") as unlabelled:
        QualityClassifier(model=default_model_path())  # lid.176: a real fastText model with language labels
    assert unlabelled.value.option == "label" and "__label__en" in str(unlabelled.value)


def test_a_pipeline_with_several_mistakes_exits_2_naming_each_stage_and_option(tmp_path, held_input, example_files):
    few = classifier_texts.write_jsonl(tmp_path / "few.jsonl", classifier_texts.articles("newspaper-fulltext")[:5])
    code, _, log = run(tmp_path, "bad", [{"train_quality_classifier": {"positives": str(example_files["positives"])}},
                                         {"quality_classifier": {"model": str(tmp_path / "absent.bin")}},
                                         {"quality_classifier": {"label": "__label__good"}},
                                         {"train_quality_classifier": {"positives": str(few)}}], held_input)
    assert code == 2, log
    assert "stage 2 'quality_classifier': model: no fastText model file" in log
    assert "stage 3 'quality_classifier' option 'label': label '__label__good' is not the one train_quality_classifier trains" in log
    assert "stage 4 'train_quality_classifier': positives: 5 distinct texts" in log
    assert not (tmp_path / "bad" / "documents").exists()  # refused before any work


def test_a_model_by_url_is_fetched_once_into_the_cache_and_scores_as_the_file(trained):
    import fsspec

    from webcorpus.stages.classifier.model import fetch

    url = "memory://classifier-test/model.bin"
    with fsspec.open(url, "wb") as out:
        out.write((trained / "model.bin").read_bytes())
    stage = QualityClassifier(model=url)  # the labels are checked on the fetched copy, before any work
    local = fetch(url)
    assert local.read_bytes() == (trained / "model.bin").read_bytes() and stage.files_read() == []
    texts = classifier_texts.articles("readability-testpages")[:5]
    assert np.array_equal(Scorer(str(local), "__label__hq").score(texts), Scorer(str(trained / "model.bin"), "__label__hq").score(texts))
