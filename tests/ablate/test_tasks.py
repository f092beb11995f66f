"""Reading multiple-choice files and the statistics of their scores (no model needed)."""
from __future__ import annotations

import json

import pytest

from webcorpus.ablate.tasks import join, read_task, wilson


def test_hellaswag_and_plain_layouts(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        json.dumps({"ind": 24, "activity_label": "Roof shingle removal", "ctx_a": "A man is sitting on a roof.",
                    "ctx_b": "he", "ctx": "A man is sitting on a roof. he", "split": "val", "split_type": "indomain",
                    "label": 3, "endings": ["a", "b", "c", "starts pulling up roofing on a roof."],
                    "source_id": "activitynet~v_-JhWjGDPHMY"}) + "\n\n"
        + json.dumps({"context": "Two plus two is", "endings": ["four.", "five."], "label": "0"}) + "\n")
    first, second = read_task(path)
    assert first.context == "A man is sitting on a roof. he" and first.label == 3 and len(first.endings) == 4
    assert second.context == "Two plus two is" and second.label == 0
    assert len(read_task(path, limit=1)) == 1


@pytest.mark.parametrize("row, message", [
    ({"context": "x", "endings": ["a", "b"], "label": 2}, "does not index"),
    ({"endings": ["a", "b"], "label": 0}, "expected ctx or context"),
    ({"context": "x", "endings": ["a"], "label": 0}, "does not index"),
])
def test_a_bad_line_is_an_error_naming_it(tmp_path, row, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(row) + "\n")
    with pytest.raises(ValueError, match=message) as error:
        read_task(path)
    assert "bad.jsonl:1" in str(error.value)


def test_endings_follow_the_context_after_one_space():
    assert join("A man is sitting on a roof. he", "is using wrap.") == " is using wrap."  # as llm.c
    assert join("The answer: ", "yes") == "yes"
    assert join("Line one\n", " two") == " two"


def test_wilson_interval():
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = wilson(0, 20)
    assert low == 0 and high == pytest.approx(0.1611, abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)
