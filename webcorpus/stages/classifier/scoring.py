"""The per-shard work of ``quality_classifier``, run in parallel through the executor's map.

``score_shard`` reads one shard in batches, scores every document and saves the scores (float32,
NaN for a document without text) as ``NNNNN.npy`` in the stage's work folder, and the documents'
tie-breaking id hashes as ``NNNNN.hashes.npy``; without
``keep_fraction`` it also writes the shard's documents with ``quality_score`` at once, less those
below ``min_score``. With ``keep_fraction`` the driver first ranks the scores of every shard
(:mod:`~webcorpus.stages.classifier.selection`), then ``write_selected`` writes each shard's
documents at or above the cut-off. Every part commits a marker when its files are in place, so
a killed run resumes where it stopped. Output shards are named ``quality-NNNNN.PPPPP.parquet``
after the input's position and cut into row groups of ``batch_size`` rows: a function of the
rows alone, whatever the worker count.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus.document_shards import ShardWriter, remove_shards
from webcorpus.documents import ID, TEXT, URL
from webcorpus.ledger import Ledger
from webcorpus.stages.classifier.model import Scorer
from webcorpus.stages.classifier.selection import kept, tie_hashes

SCORE = "quality_score"
#: the report's score levels: one example document per tenth of the score range
LEVELS = 10
SNIPPET_CHARS = 400


@dataclass(frozen=True)
class ShardJob:
    """One input shard of the stage, and what to do with it."""

    source: str
    index: int
    model: str  # a local model file
    label: str
    work: str  # the stage's work folder for these inputs and options (scores, markers)
    output_dir: str
    batch_size: int
    min_score: float | None
    write: bool  # write the documents now (no keep_fraction)

    @property
    def prefix(self) -> str:
        return f"quality-{self.index:05d}"

    @property
    def scores_path(self) -> Path:
        return Path(self.work) / f"{self.index:05d}.npy"

    @property
    def hashes_path(self) -> Path:
        return Path(self.work) / f"{self.index:05d}.hashes.npy"

    @property
    def ledger(self) -> Ledger:
        return Ledger(Path(self.work) / "markers")


def score_shard(job: ShardJob) -> dict:
    """Score one shard (and, without keep_fraction, write it); the counts and example candidates."""
    done = job.ledger.read(f"score.{job.index:05d}")
    if done is not None:
        return done
    scorer = Scorer(job.model, job.label)
    writer = _writer(job) if job.write else None
    parquet = pq.ParquetFile(job.source, pre_buffer=False)
    parts, hash_parts, examples = [], [], {}
    try:
        for batch in parquet.iter_batches(batch_size=job.batch_size):
            table = pa.Table.from_batches([batch])
            texts = table.column(TEXT).to_pylist() if TEXT in table.column_names else [None] * table.num_rows
            scores = scorer.score(texts)
            hashes = tie_hashes(table.column(ID).to_pylist())
            parts.append(scores)
            hash_parts.append(hashes)
            _note_examples(examples, table, texts, scores, hashes)
            if writer is not None:
                writer.write(_with_score(table, scores).filter(pa.array(_at_least(scores, job.min_score))))
        outputs = writer.close() if writer is not None else []
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    scores = np.concatenate(parts) if parts else np.empty(0, np.float32)
    _save(job.scores_path, scores)
    _save(job.hashes_path, np.concatenate(hash_parts) if hash_parts else np.empty(0, np.uint64))
    result = {"documents": int(len(scores)), "outputs": [os.path.basename(p) for p in outputs], "examples": examples}
    return job.ledger.commit(f"score.{job.index:05d}", result)


def write_selected(task: tuple[ShardJob, tuple[float, int] | None]) -> dict:
    """keep_fraction: write one shard's documents that rank at or above the run's cut-off."""
    job, cut = task
    done = job.ledger.read(f"write.{job.index:05d}")
    if done is not None:
        return done
    scores, hashes = np.load(job.scores_path), np.load(job.hashes_path)
    writer = _writer(job)
    row = 0
    try:
        for batch in pq.ParquetFile(job.source, pre_buffer=False).iter_batches(batch_size=job.batch_size):
            table = pa.Table.from_batches([batch])
            part = scores[row : row + table.num_rows]
            keep = kept(part, hashes[row : row + table.num_rows], cut) & _at_least(part, job.min_score)
            row += table.num_rows
            writer.write(_with_score(table, part).filter(pa.array(keep)))
        outputs = writer.close()
    except BaseException:
        writer.abort()
        raise
    return job.ledger.commit(f"write.{job.index:05d}", {"outputs": [os.path.basename(p) for p in outputs], "kept": writer.rows_written})


def _writer(job: ShardJob) -> ShardWriter:
    remove_shards(job.output_dir, job.prefix)  # what a killed attempt left
    return ShardWriter(job.output_dir, job.prefix, group_rows=job.batch_size)


def _at_least(scores: np.ndarray, min_score: float | None) -> np.ndarray:
    """Documents at or above ``min_score`` (every one when None; one without a score never passes a threshold)."""
    if min_score is None:
        return np.ones(len(scores), dtype=bool)
    return scores >= np.float32(min_score)


def _with_score(table: pa.Table, scores: np.ndarray) -> pa.Table:
    column = pa.array(scores, pa.float32(), mask=np.isnan(scores))
    if SCORE in table.column_names:
        return table.set_column(table.column_names.index(SCORE), SCORE, column)
    return table.append_column(SCORE, column)


def _save(path: Path, scores: np.ndarray) -> None:
    partial = path.with_name(path.name + f".part-{os.getpid()}")
    with open(partial, "wb") as out:
        np.save(out, scores)
    os.replace(partial, path)


def _note_examples(examples: dict, table: pa.Table, texts: list, scores: np.ndarray, all_hashes: np.ndarray) -> None:
    """Per score level (a tenth of [0, 1]), keep the document with the lowest tie hash seen so far:
    which document shows a level depends on the documents only, not on shards or workers."""
    scored = np.flatnonzero(~np.isnan(scores))
    if not len(scored):
        return
    ids = pc.take(table.column(ID), pa.array(scored)).to_pylist()
    hashes = all_hashes[scored]
    levels = np.minimum((scores[scored] * LEVELS).astype(int), LEVELS - 1)
    urls = table.column(URL).to_pylist() if URL in table.column_names else [None] * table.num_rows
    for level in np.unique(levels).tolist():
        at = np.flatnonzero(levels == level)
        position = int(at[np.argmin(hashes[at])])
        best = examples.get(str(level))
        if best is None or int(hashes[position]) < best["hash"]:
            row = int(scored[position])
            examples[str(level)] = {"hash": int(hashes[position]), "id": ids[position], "url": urls[row],
                                    "score": round(float(scores[row]), 4), "text": " ".join(texts[row].split())[:SNIPPET_CHARS]}
