"""The three phases of paragraph dedup, each a pure function of (plan, task index).

1. :func:`hash_paragraphs` (one task per input shard): every paragraph of at least ``min_words``
   words as a record (key, document id hash, handle, line), partitioned by key.
2. :func:`decide` (one task per partition): per key, the document that keeps the paragraph is the
   one with the smallest id hash (ties: the smaller handle), a rule no worker count or shard order
   changes; every occurrence in another document becomes a removal, filed under its shard. The
   task also returns its most repeated keys.
3. :func:`apply_removals` (one task per input shard): the documents with their removed lines
   gone, those left with fewer than ``min_document_words`` words dropped; every other document is
   written as it came in.

Each task reads only files named by its index (and, in phase 3, ``top.json``), writes its outputs
atomically and then commits its result, so a re-run skips finished tasks and an executor may run a
phase's tasks on any machines that share the work folder. No task holds more than one shard's
records or one partition's.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus.dedup import bands as keyed
from webcorpus.dedup.exact import hash64
from webcorpus.dedup.plan import finish
from webcorpus.documents import ID, TEXT
from webcorpus.document_shards import ShardWriter, remove_shards
from webcorpus.ledger import commit_json
from webcorpus.paragraph_dedup.paragraphs import LINE, paragraphs, without_lines
from webcorpus.paragraph_dedup.plan import PARAGRAPH, REMOVAL, TOO_SHORT, Plan
from webcorpus.stages.base import REASON
from webcorpus.storage.nodes import local, local_folder

KIND = "paragraphs"
#: characters of a most-repeated paragraph kept for stats.json and the report
EXAMPLE_CHARS = 500


# --- 1. hash ------------------------------------------------------------------------------------


def hash_paragraphs(task: tuple[Plan, int]) -> dict:
    """The paragraph records of one input shard, written partitioned by key (one file per partition)."""
    plan, shard = task
    parquet = pq.ParquetFile(local(plan.inputs[shard]), pre_buffer=False)  # pre-buffering keeps every row group read
    has_text = TEXT in parquet.schema_arrow.names
    records, row, short, characters, without_text = [], 0, 0, 0, 0
    for batch in parquet.iter_batches(batch_size=plan.batch_size, columns=[ID, TEXT] if has_text else [ID]):
        if has_text:
            texts = batch.column(TEXT)
            found = paragraphs(texts, plan.min_words)
            ids = batch.column(ID).to_pylist()
            with_paragraphs = np.unique(found.doc)
            doc_hash = np.zeros(batch.num_rows, np.uint64)
            doc_hash[with_paragraphs] = [hash64(ids[i]) for i in with_paragraphs.tolist()]
            found_records = np.empty(len(found.key), PARAGRAPH)
            found_records["key"], found_records["doc"], found_records["line"] = found.key, doc_hash[found.doc], found.line
            found_records["handle"] = keyed.handles(shard, row + found.doc)
            records.append(found_records)
            short += found.short
            characters += int(pc.sum(pc.utf8_length(texts)).as_py() or 0)
            without_text += texts.null_count
        else:
            without_text += batch.num_rows
        row += batch.num_rows
    found = np.concatenate(records) if records else np.zeros(0, PARAGRAPH)
    keyed.write_partitioned(plan.root, KIND, shard, found, plan.partitions)
    return finish(plan, "hash", shard, {"documents": row, "paragraphs": len(found), "paragraphs_short": short,
                                        "characters_in": characters, "documents_without_text": without_text})


# --- 2. decide ----------------------------------------------------------------------------------


def decide(task: tuple[Plan, int]) -> dict:
    """The keeping document of every key of one partition; the removals filed per shard, the most repeated keys."""
    plan, partition = task
    records = keyed.read_partition(plan.root, KIND, partition)
    if not len(records):
        records = np.zeros(0, PARAGRAPH)
    records = records[np.lexsort((records["line"], records["handle"], records["doc"], records["key"]))]
    keys, handles = records["key"], records["handle"]
    starts_key = np.concatenate([[True], keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, bool)
    group = np.cumsum(starts_key) - 1
    firsts = np.flatnonzero(starts_key)
    removed = handles != handles[firsts][group]  # not in the first document of its key
    starts_doc = starts_key | np.concatenate([[False], handles[1:] != handles[:-1]]) if len(keys) else starts_key
    documents = np.bincount(group, weights=starts_doc, minlength=len(firsts)).astype(np.int64)
    occurrences = np.diff(np.append(firsts, len(keys)))
    shards, rows = keyed.split_handles(handles[removed])
    lines = records["line"][removed]
    for shard in np.unique(shards).tolist():
        mine = shards == shard
        out = np.empty(int(mine.sum()), REMOVAL)
        out["row"], out["line"] = rows[mine], lines[mine]
        keyed.save_npy(plan.root / "removals" / f"{shard:05d}" / f"{partition:03d}.npy", out)
    repeated = np.flatnonzero(documents >= 2)
    best = repeated[np.lexsort((keys[firsts][repeated], -occurrences[repeated], -documents[repeated]))][: plan.top]
    top = [[int(keys[firsts[g]]), int(documents[g]), int(occurrences[g]), int(handles[firsts[g]]), int(records["line"][firsts[g]])]
           for g in best.tolist()]
    return finish(plan, "decide", partition, {
        "records": len(records), "distinct_paragraphs": len(firsts), "repeated_paragraphs": len(repeated),
        "removals": int(removed.sum()), "top": top,
    })


def most_repeated(plan: Plan, decided: list[dict]) -> list[list[int]]:
    """The ``top`` keys found in most documents over all partitions (then most occurrences, then key),
    written to ``top.json`` for the ``apply`` tasks; each ``[key, documents, occurrences, handle, line]``."""
    entries = sorted((entry for result in decided for entry in result["top"]), key=lambda e: (-e[1], -e[2], e[0]))[: plan.top]
    commit_json(plan.top_file, entries)
    return entries


# --- 3. apply -----------------------------------------------------------------------------------


def _removals(plan: Plan, shard: int) -> np.ndarray:
    folder = local_folder(plan.root / "removals" / f"{shard:05d}")
    parts = [np.load(p) for p in sorted(folder.glob("*.npy"))] if folder.is_dir() else []
    found = np.concatenate(parts) if parts else np.zeros(0, REMOVAL)
    return found[np.lexsort((found["line"], found["row"]))]


def apply_removals(task: tuple[Plan, int]) -> dict:
    """Write one input shard's documents with their removed paragraphs gone (``text`` rewritten only
    where a line goes), and those left too short to the dropped folder, as they came in."""
    plan, shard = task
    prefix = f"dedup_paragraphs-{shard:05d}"
    remove_shards(plan.output_dir, prefix)
    if plan.dropped_dir:
        remove_shards(plan.dropped_dir, prefix)
    removals = _removals(plan, shard)
    examples = {(handle & 0xFFFFFFFF, line): key for key, _, _, handle, line in _load_top(plan) if handle >> 32 == shard}
    kept = ShardWriter(plan.output_dir, prefix, group_rows=plan.batch_size)
    dropped = ShardWriter(plan.dropped_dir, prefix, group_rows=plan.batch_size) if plan.dropped_dir else None
    result = {"documents_in": 0, "documents_out": 0, "documents_changed": 0, "paragraphs_removed": 0,
              "characters_removed": 0, "dropped_too_short": 0, "examples": {}}
    try:
        parquet = pq.ParquetFile(local(plan.inputs[shard]), pre_buffer=False)
        for batch in parquet.iter_batches(batch_size=plan.batch_size):
            table = pa.Table.from_batches([batch])
            start = result["documents_in"]
            lo, hi = np.searchsorted(removals["row"], [start, start + table.num_rows])
            here = removals[lo:hi]
            wanted = {spot: key for spot, key in examples.items() if start <= spot[0] < start + table.num_rows}
            texts = table.column(TEXT).to_pylist() if len(here) or wanted else None
            for (row, line), key in wanted.items():
                result["examples"][str(key)] = texts[row - start].split(LINE)[line].strip()[:EXAMPLE_CHARS]
            table, too_short = _without_removed(table, texts, here, start, plan, result) if len(here) else (table, None)
            result["documents_in"] += table.num_rows
            if too_short is None or not too_short.any():
                kept.write(table)
                continue
            kept.write(table.filter(pa.array(~too_short)))
            if dropped is not None:
                gone = pa.Table.from_batches([batch]).filter(pa.array(too_short))
                dropped.write(gone.append_column(REASON, pa.array([TOO_SHORT] * gone.num_rows, pa.string())))
        outputs = kept.close()
        dropped_outputs = dropped.close() if dropped else []
    except BaseException:
        kept.abort()
        if dropped:
            dropped.abort()
        raise
    result["documents_out"] = result["documents_in"] - result["dropped_too_short"]
    # names, not paths: the marker holds for the run folder wherever it lies (another machine resumes from it)
    return finish(plan, "apply", shard, {**result, "outputs": [os.path.basename(p) for p in outputs],
                                         "dropped_outputs": [os.path.basename(p) for p in dropped_outputs]})


def _without_removed(table: pa.Table, texts: list, here: np.ndarray, start: int, plan: Plan, result: dict):
    """The batch with the removed lines of its documents gone, and which documents are now too short."""
    too_short = np.zeros(table.num_rows, bool)
    rows = here["row"].astype(np.int64) - start
    bounds = np.flatnonzero(np.diff(rows)) + 1
    for group in np.split(np.arange(len(here)), bounds):
        i = int(rows[group[0]])
        texts[i], characters = without_lines(texts[i], here["line"][group].tolist())
        too_short[i] = len(texts[i].split()) < plan.min_document_words
        result["documents_changed"] += 1
        result["paragraphs_removed"] += len(group)
        result["characters_removed"] += characters
    result["dropped_too_short"] += int(too_short.sum())
    column = table.schema.get_field_index(TEXT)
    return table.set_column(column, table.schema.field(column), pa.array(texts, table.schema.field(column).type)), too_short


def _load_top(plan: Plan) -> list[list[int]]:
    return json.loads(plan.top_file.read_text()) if local(plan.top_file).exists() else []
