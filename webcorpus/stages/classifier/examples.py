"""Training texts of ``train_quality_classifier``: the user's files, and a sample of the run's documents.

Files (``positives:``, ``negatives:``) are paths, globs or fsspec URLs of

* Parquet with a ``text`` column,
* JSON lines (``.jsonl``, ``.json``, optionally ``.gz``/``.zst`` as fsspec infers) with a ``text`` field,
* plain text (``.txt``): the whole file is one document.

A line that is not a JSON object with a string ``text`` is a bad record: it is counted and named
with its file and line number (in the card), and reading carries on. Texts are de-duplicated
exactly (after the classifier's text preparation) and taken in the order of a hash of their
prepared text, up to a byte budget: which texts are used depends on the set of texts only.

The run's own documents, when no ``negatives:`` are named, are sampled as ``train_tokenizer``
samples them (:mod:`webcorpus.tokenizer.training_sample`): the lowest id hashes whose texts fit
the budget, whatever the shard order or worker count.
"""
from __future__ import annotations

import hashlib
import heapq
import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow.parquet as pq

from webcorpus.documents import ID, TEXT
from webcorpus.stages.classifier.text import prepare

#: Parquet and JSON lines files are read; anything else (.txt) is one document per file
JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")


@dataclass
class Texts:
    """De-duplicated prepared texts from some files, with what reading them found."""

    texts: list[str] = field(default_factory=list)
    read: int = 0  # documents with text read, duplicates included
    distinct: int = 0  # distinct texts among them, before the byte budget
    empty: int = 0  # documents without text
    bad: list[dict] = field(default_factory=list)  # {"file", "line", "error"}

    @property
    def duplicates(self) -> int:
        return self.read - self.distinct

    @property
    def over_budget(self) -> int:
        """Distinct texts left out because the byte budget was spent."""
        return self.distinct - len(self.texts)


def text_key(line: str, salt: str = "order") -> int:
    """A 64-bit hash of a prepared text: with the default salt, the order in which texts are taken up to a
    budget; with another (``fit`` splits with ``"split"``), a hash independent of that order."""
    digest = hashlib.blake2b(line.encode("utf-8", "surrogatepass"), digest_size=8, person=salt.encode()[:16])
    return int.from_bytes(digest.digest(), "little")


def read_files(spec: str | list[str], budget: int | None = None) -> Texts:
    """The distinct prepared texts of the files ``spec`` names, in text-hash order, up to ``budget`` bytes.

    Memory is bounded by the budget, not the files: a text is let go as soon as the texts of lower
    hash seen so far fill the budget without it (more texts can only push it further out)."""
    from webcorpus.readers.inputs import expand_inputs

    out = Texts()
    seen: set[int] = set()
    heap: list[tuple[int, int, str]] = []  # (-hash, bytes, text): the highest hash on top
    held = 0
    for path in expand_inputs(spec):
        for raw in _documents(path, out):
            line = prepare(raw) if isinstance(raw, str) else ""
            if not line:
                out.empty += 1
                continue
            out.read += 1
            key = text_key(line)
            if key in seen:
                continue
            seen.add(key)
            size = len(line.encode("utf-8", "surrogatepass"))
            heapq.heappush(heap, (-key, size, line))
            held += size
            while budget is not None and held > budget and len(heap) > 1:
                held -= heapq.heappop(heap)[1]
    out.distinct = len(seen)
    out.texts = [line for _, _, line in sorted(heap, reverse=True)]
    return out


def _documents(path: str, out: Texts):
    """The raw texts of one file (module docstring), noting bad records in ``out``."""
    import fsspec

    name = path.lower().removesuffix(".gz").removesuffix(".zst")
    if name.endswith(".parquet"):
        with fsspec.open(path, "rb") as handle:
            parquet = pq.ParquetFile(handle)
            if TEXT not in parquet.schema_arrow.names:
                raise ValueError(f"{path}: no '{TEXT}' column (columns: {', '.join(parquet.schema_arrow.names)})")
            for batch in parquet.iter_batches(columns=[TEXT]):
                yield from batch.column(0).to_pylist()
        return
    with fsspec.open(path, "rt", encoding="utf-8", errors="replace", compression="infer") as handle:
        if not name.endswith(JSON_SUFFIXES):
            yield handle.read()
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                text = record[TEXT]
                if not isinstance(text, str) and text is not None:
                    raise TypeError(f"'{TEXT}' is {type(text).__name__}, not a string")
            except (ValueError, KeyError, TypeError) as exc:
                out.bad.append({"file": path, "line": number, "error": f"{type(exc).__name__}: {exc}"})
                continue
            yield text


def sample_run(args: tuple[str, str, int]) -> list[tuple[int, str]]:
    """(id hash, prepared text) of one shard's documents admitted by the sample's cut-off."""
    from webcorpus.tokenizer.training_sample import HELDOUT_SHARE, id_hashes

    path, salt, limit = args
    heldout_limit = int(HELDOUT_SHARE * 2**64)  # the tokenizer's held-out slice of the hash space: never sampled
    if limit < 0:
        return []
    table = pq.read_table(path, columns=[ID, TEXT])
    priorities = id_hashes(table.column(ID).to_pylist(), salt)
    chosen = np.flatnonzero((priorities >= np.uint64(heldout_limit)) & (priorities <= np.uint64(limit)))
    texts = table.column(TEXT).to_pylist()
    out = []
    for row in chosen.tolist():
        line = prepare(texts[row]) if texts[row] else ""
        if line:
            out.append((int(priorities[row]), line))
    return out
