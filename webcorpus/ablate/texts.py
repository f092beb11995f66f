"""Texts the user trusts (``--eval-texts FILE``): one more evaluation set, the same for every model.

The file is read whole, locally (nothing is downloaded), by its name:

* ``.parquet``: the ``text`` column, one document per row;
* ``.jsonl`` / ``.json`` (also gzipped, ``.jsonl.gz``): one JSON object per line with a ``text`` field;
* anything else: plain UTF-8 text, documents separated by one or more blank lines.

Empty texts are skipped. A file without a single text, a line that is not JSON or has no ``text``,
a Parquet file without a ``text`` column are errors that name the file (and the line): the texts are
the user's yardstick, so nothing in them is silently dropped.
"""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from webcorpus.ablate.config import InputError

_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)*")


class EvalTextsError(InputError):
    """The eval texts cannot be read (raised before any work starts)."""


def read_eval_texts(path: str | Path) -> list[tuple[str, str]]:
    """(id, text) of every non-empty document of ``path``; the id is ``FILE:N`` (N from 1)."""
    path = Path(path)
    if not path.is_file():
        raise EvalTextsError(f"--eval-texts: {path} is not a file")
    name = path.name.lower()
    if name.endswith(".parquet"):
        texts = _parquet(path)
    elif re.search(r"\.jsonl?(\.gz)?$", name):
        texts = _json_lines(path)
    else:
        texts = _plain(path)
    docs = [(f"{path.name}:{i}", t) for i, t in enumerate(texts, 1) if t and t.strip()]
    if not docs:
        raise EvalTextsError(f"--eval-texts: {path} holds no non-empty text")
    return docs


def _parquet(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow's errors differ by version: any failure to read is the same to the user
        raise EvalTextsError(f"--eval-texts: {path} is not a readable Parquet file ({exc})") from None
    if "text" not in schema.names:
        raise EvalTextsError(f"--eval-texts: {path} has no 'text' column (columns: {', '.join(schema.names)})")
    return [t for t in pq.read_table(path, columns=["text"]).column("text").to_pylist() if t is not None]


def _json_lines(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    texts = []
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    text = row["text"]
                except (ValueError, KeyError, TypeError):
                    raise EvalTextsError(f"--eval-texts: {path}:{number}: expected a JSON object with a 'text' field") from None
                if not isinstance(text, str):
                    raise EvalTextsError(f"--eval-texts: {path}:{number}: 'text' is not a string")
                texts.append(text)
    except (UnicodeDecodeError, OSError) as exc:
        raise EvalTextsError(f"--eval-texts: {path} cannot be read as UTF-8 JSON lines ({exc})") from None
    return texts


def _plain(path: Path) -> list[str]:
    try:
        content = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EvalTextsError(f"--eval-texts: {path} is not UTF-8 text ({exc})") from None
    return [part.strip("\n") for part in _BLANK_LINES.split(content.replace("\r\n", "\n"))]
