"""train_quality_classifier on real texts: the card, deterministic model bytes and scores, bad input."""
from __future__ import annotations

import json

import numpy as np
import pytest

from tests.classifier.conftest import classifier_texts, context, train_into
from webcorpus.stages.base import OptionError
from webcorpus.stages.classifier.fit import GRID
from webcorpus.stages.classifier.model import Scorer
from webcorpus.stages.classifier.train import MIN_EXAMPLES, TrainQualityClassifier


def test_card_says_what_was_trained_and_how_well_it_does_on_the_test_split(trained):
    card = json.loads((trained / "card.json").read_text())
    assert (trained / card["model"]).is_file() and card["bytes"] == (trained / card["model"]).stat().st_size
    split = card["split"]
    assert sum(part["positives"] for part in split.values()) == card["positives"]["documents"]
    assert sum(part["negatives"] for part in split.values()) == card["negatives"]["documents"]
    assert [(g["lr"], g["epoch"]) for g in card["grid"]] == [(p["lr"], p["epoch"]) for p in GRID]
    best = max(card["grid"], key=lambda g: g["validation"]["roc_auc"])
    assert (card["chosen"]["lr"], card["chosen"]["epoch"]) == (best["lr"], best["epoch"])
    assert card["chosen"]["wordNgrams"] == 2 and card["chosen"]["thread"] == 1
    # news articles against the rest of other news pages: the test split is never trained or chosen on
    assert card["test"]["roc_auc"] > 0.9, card["test"]


def test_two_trainings_give_the_same_model_bytes_and_scores(tmp_path, example_files, trained):
    again = train_into(tmp_path, example_files)
    assert (again / "model.bin").read_bytes() == (trained / "model.bin").read_bytes()
    texts = classifier_texts.articles("readability-testpages")[:40] + classifier_texts.rests("readability-testpages")[:40]
    first = Scorer(str(trained / "model.bin"), "__label__hq").score(texts)
    second = Scorer(str(again / "model.bin"), "__label__hq").score(texts)
    assert np.array_equal(first, second)
    # on a set it never saw, articles outscore the rest of their pages
    assert np.median(first[:40]) > np.median(first[40:])


def test_too_few_positives_is_refused_before_work_with_the_number_needed(tmp_path):
    few = classifier_texts.write_jsonl(tmp_path / "few.jsonl", classifier_texts.articles("newspaper-fulltext")[:12])
    with pytest.raises(OptionError) as caught:
        TrainQualityClassifier(positives=str(few))
    assert caught.value.option == "positives"
    assert "12 distinct texts" in str(caught.value) and f"at least {MIN_EXAMPLES}" in str(caught.value)


def test_positives_that_are_all_one_text_are_refused(tmp_path):
    same = classifier_texts.write_jsonl(tmp_path / "same.jsonl", [classifier_texts.articles("newspaper-fulltext")[0]] * 60)
    with pytest.raises(OptionError, match="all the same text") as caught:
        TrainQualityClassifier(positives=str(same))
    assert "60 read, 59 of them duplicates" in str(caught.value)


def test_missing_positives_are_refused(tmp_path):
    with pytest.raises(OptionError, match="matches no file") as caught:
        TrainQualityClassifier(positives=str(tmp_path / "nothing-*.jsonl"))
    assert caught.value.option == "positives"


def test_a_bad_json_line_is_counted_with_its_file_and_line_and_the_rest_is_read(tmp_path, example_files):
    lines = example_files["positives"].read_text().splitlines()
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines[:5] + ['{"text": unquoted}'] + lines[5:]) + "\n")
    stage = TrainQualityClassifier(positives=str(broken), negatives=str(example_files["negatives"]))
    stage.execute(context(tmp_path))
    card = json.loads(TrainQualityClassifier.card_path(tmp_path).read_text())
    assert card["positives"]["bad_record_count"] == 1
    assert card["positives"]["bad_records"][0]["file"] == str(broken) and card["positives"]["bad_records"][0]["line"] == 6
    assert card["positives"]["read"] == len(lines)


def test_negatives_sampled_from_the_run_exclude_the_positives_and_do_not_depend_on_shard_order(tmp_path, example_files):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rests = classifier_texts.rests("scrapinghub-aeb")
    articles = classifier_texts.articles("newspaper-fulltext")
    docs = [{"id": f"rest/{i}", "text": t} for i, t in enumerate(rests)] + [{"id": f"article/{i}", "text": t} for i, t in enumerate(articles[:20])]
    shards = []
    for part in range(3):
        path = tmp_path / f"shard-{part}.parquet"
        pq.write_table(pa.Table.from_pylist(docs[part::3]), path)
        shards.append(str(path))
    stage = TrainQualityClassifier(positives=str(example_files["positives"]), class_bytes=300_000)
    forward = stage._sample_run(context(tmp_path / "a", shards), set(classifier_texts.read_prepared(example_files["positives"])))
    backward = stage._sample_run(context(tmp_path / "b", shards[::-1]), set(classifier_texts.read_prepared(example_files["positives"])))
    assert forward.texts == backward.texts and forward.texts
    assert sum(len(t.encode()) for t in forward.texts) <= 300_000
    assert not set(forward.texts) & set(classifier_texts.read_prepared(example_files["positives"]))


def test_a_byte_budget_still_leaves_texts_to_choose_and_measure_on(tmp_path, example_files):
    stage = TrainQualityClassifier(positives=str(example_files["positives"]), negatives=str(example_files["negatives"]),
                                   class_bytes=250_000)  # a fraction of either file: the texts of lowest order hash
    stage.execute(context(tmp_path))
    card = json.loads(TrainQualityClassifier.card_path(tmp_path).read_text())
    assert card["positives"]["bytes"] <= 250_000 and card["negatives"]["bytes"] <= 250_000
    assert card["positives"]["beyond_class_bytes"] > 0 and card["negatives"]["beyond_class_bytes"] > 0
    for part in ("validation", "test"):
        assert card["split"][part]["positives"] > 0 and card["split"][part]["negatives"] > 0, card["split"]
    assert card["test"]["roc_auc"] is not None
