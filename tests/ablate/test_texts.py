"""`--eval-texts FILE`: the three layouts read to the same documents, and a file that cannot serve is an
error naming it (exit 2 before any work)."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from webcorpus.ablate.texts import EvalTextsError, read_eval_texts


def articles(shared_data, n: int = 12) -> list[str]:
    """Real article texts (the expected bodies of scrapinghub's article-extraction benchmark)."""
    truth = json.loads((shared_data / "extract" / "scrapinghub-aeb" / "ground-truth.json").read_text())
    texts = [v["articleBody"].strip() for _, v in sorted(truth.items()) if v.get("articleBody", "").strip()]
    return texts[:n]


def test_jsonl_parquet_and_plain_text_give_the_same_documents(shared_data, tmp_path):
    texts = [t.replace("\n\n", "\n") for t in articles(shared_data)]  # plain text splits at blank lines
    jsonl = tmp_path / "trusted.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t, "url": "x"}) + "\n" for t in texts) + "\n")
    parquet = tmp_path / "trusted.parquet"
    pq.write_table(pa.table({"text": texts + [None, "  "]}), parquet)
    plain = tmp_path / "trusted.txt"
    plain.write_text("\n\n\n".join(texts) + "\n")
    read = [[t for _, t in read_eval_texts(p)] for p in (jsonl, parquet, plain)]
    assert read[0] == read[1] == read[2] == texts
    assert [i for i, _ in read_eval_texts(jsonl)][:2] == ["trusted.jsonl:1", "trusted.jsonl:2"]


@pytest.mark.parametrize("name, content, message", [
    ("empty.jsonl", "\n\n", "no non-empty text"),
    ("bad.jsonl", '{"text": "fine"}\nnot json\n', "bad.jsonl:2: expected a JSON object"),
    ("nofield.jsonl", '{"body": "x"}\n', "nofield.jsonl:1"),
    ("blank.txt", "  \n\n \n", "no non-empty text"),
])
def test_unusable_files_are_named(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(EvalTextsError, match=message):
        read_eval_texts(path)


def test_parquet_without_a_text_column(tmp_path):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"body": ["a"]}), path)
    with pytest.raises(EvalTextsError, match="no 'text' column"):
        read_eval_texts(path)
