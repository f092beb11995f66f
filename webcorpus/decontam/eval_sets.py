"""Evaluation sets: which files, their items, and each item's id and text.

``eval_sets`` is a list of paths, globs or fsspec URLs (each file is a set, named after the file
without its extensions) or a mapping ``name: path | [paths]`` (the files together are the set). A
file is JSON lines (``.jsonl``, ``.json``, optionally ``.gz``/``.bz2``/``.xz``, or ``.zst`` with the
``zstandard`` package), one JSON array of objects, or Parquet.

An item's text is every string in it, in field order, strings inside lists and nested records
included (the choices of a multiple-choice item), joined by spaces, except its id field; ``fields``
narrows it to the named top-level fields. Its id is the ``id_field`` value, else ``#<row>`` (the
0-based row in its set).
"""
from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass
from typing import Iterator

import pyarrow.parquet as pq

from webcorpus.readers.inputs import expand_inputs

_SUFFIXES = (".gz", ".zst", ".bz2", ".xz", ".jsonl", ".json", ".ndjson", ".parquet")
BATCH_ROWS = 10_000


@dataclass(frozen=True)
class EvalSet:
    name: str
    files: tuple[str, ...]


@dataclass(frozen=True)
class Item:
    set_index: int
    item_id: str
    text: str


def resolve(spec: str | list | dict) -> list[EvalSet]:
    """The eval sets ``spec`` names, in order; FileNotFoundError names a path that matches nothing."""
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, dict):
        return [EvalSet(str(name), tuple(expand_inputs(paths))) for name, paths in spec.items()]
    sets: list[EvalSet] = []
    for entry in spec:
        for path in expand_inputs(entry):
            sets.append(EvalSet(set_name(path), (path,)))
    return sets


def set_name(path: str) -> str:
    name = os.path.basename(path.rstrip("/"))
    while name.lower().endswith(_SUFFIXES):
        name = name[: name.lower().rfind(".")]
    return name or "eval"


def is_parquet(path: str) -> bool:
    return path.lower().endswith(".parquet")


def read_rows(path: str) -> Iterator[list[dict]]:
    """The items of one file as dicts, in batches; ValueError for a line that is not a JSON object."""
    if is_parquet(path):
        if "://" in path:
            import fsspec

            with fsspec.open(path, "rb") as handle:
                for batch in pq.ParquetFile(handle).iter_batches(batch_size=BATCH_ROWS):
                    yield batch.to_pylist()
            return
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            yield batch.to_pylist()
        return
    import fsspec

    rows: list[dict] = []
    with fsspec.open(path, "rt", encoding="utf-8", compression="infer") as lines:
        head = lines.read(1)
        while head.isspace():
            head = lines.read(1)
        if head == "[":  # one JSON array of items rather than JSON lines
            yield _array_items(path, head + lines.read())
            return
        lines = itertools.chain([head + lines.readline()], lines)
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}: line {number} is not JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ValueError(f"{path}: line {number} is not a JSON object")
            rows.append(row)
            if len(rows) >= BATCH_ROWS:
                yield rows
                rows = []
    if rows:
        yield rows


def _array_items(path: str, text: str) -> list[dict]:
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not JSON ({exc.msg} at character {exc.pos})") from None
    if not all(isinstance(row, dict) for row in rows):
        raise ValueError(f"{path}: a JSON array whose elements are not all objects")
    return rows


def strings(value) -> Iterator[str]:
    """Every string in a value, depth first, in order (lists and nested records included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from strings(inner)
    elif isinstance(value, (list, tuple)):
        for inner in value:
            yield from strings(inner)


def item_text(row: dict, fields: list[str] | None, id_field: str) -> str:
    if fields is None:
        return " ".join(s for key, value in row.items() if key != id_field for s in strings(value))
    return " ".join(s for key in fields for s in strings(row.get(key)))


def items(sets: list[EvalSet], fields: list[str] | None, id_field: str) -> Iterator[list[Item]]:
    """Every item of every set, in batches, in set order, then file order, then row order."""
    for set_index, eval_set in enumerate(sets):
        row_number = 0
        for path in eval_set.files:
            for rows in read_rows(path):
                batch = []
                for row in rows:
                    raw_id = row.get(id_field)
                    item_id = str(raw_id) if raw_id is not None and raw_id != "" else f"#{row_number}"
                    batch.append(Item(set_index, item_id, item_text(row, fields, id_field)))
                    row_number += 1
                yield batch


def problems(sets: list[EvalSet], fields: list[str] | None, id_field: str) -> list[str]:
    """What makes the sets unusable, one line each: a file that cannot be read, a set that holds no
    text, a field of ``fields`` that no item of any set has."""
    from webcorpus.decontam.ngrams import words

    found: list[str] = []
    seen_fields: set[str] = set()
    for eval_set in sets:
        has_text = False
        for path in eval_set.files:
            try:
                for rows in read_rows(path):
                    for row in rows:
                        seen_fields.update(k for k, v in row.items() if v is not None)
                        if not has_text and words(item_text(row, fields, id_field)):
                            has_text = True
                    if has_text and fields is None:  # nothing else to learn from this file
                        break
            except (OSError, ValueError) as exc:
                found.append(f"eval set '{eval_set.name}': cannot read {path}: {exc}")
        if not has_text and not any(eval_set.name in line for line in found):
            narrowed = f" in fields {', '.join(fields)}" if fields else ""
            found.append(f"eval set '{eval_set.name}' ({', '.join(eval_set.files)}) holds no text{narrowed}")
    for name in fields or []:
        if name not in seen_fields:
            found.append(f"field '{name}' is in no item of the eval sets (fields seen: {', '.join(sorted(seen_fields)) or 'none'})")
    return found
