"""Encode one document shard into per-split token files: the parallel half of ``tokenize``.

For input shard ``k`` this writes, under the stage's scratch folder,
``k.train.tok`` / ``k.val.tok`` (raw little-endian tokens, a separator before
every document) and ``k.train.docs.parquet`` / ``k.val.docs.parquet`` (``id``,
``url`` and token count of each document, in input order), then commits
``k`` to the job's ledger last: a committed shard is skipped when the run resumes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus.documents import ID, TEXT, URL
from webcorpus.ledger import Ledger
from webcorpus.tokenizer.loaded import flatten, load_tokenizer
from webcorpus.tokenizer.training_sample import id_hashes

SPLITS = ("val", "train")
BATCH_ROWS = 4096


@dataclass(frozen=True)
class EncodeJob:
    path: str
    index: int
    out_dir: str
    tokenizer: str
    separator_id: int
    val_fraction: float
    salt: str
    dtype: str  # "uint16" or "uint32"
    threads: int
    ledger: Ledger  # where a finished shard is committed as ``{index:05d}``


def is_val(ids: list[str], salt: str, val_fraction: float) -> np.ndarray:
    """The deterministic split: a document is in val when the hash of its id falls in the first ``val_fraction``."""
    if val_fraction <= 0:
        return np.zeros(len(ids), dtype=bool)
    limit = np.uint64(min(int(val_fraction * 2**64), 2**64 - 1))
    return id_hashes(ids, salt) < limit


def encode_shard(job: EncodeJob) -> dict:
    out = Path(job.out_dir)
    finished = job.ledger.read(f"{job.index:05d}")
    if finished is not None:
        return finished
    tokenizer = load_tokenizer(job.tokenizer)
    dtype = np.dtype(job.dtype).newbyteorder("<")
    prefix = out / f"{job.index:05d}"
    token_files = {s: open(f"{prefix}.{s}.tok.tmp", "wb") for s in SPLITS}
    docs: dict[str, list[pa.Table]] = {s: [] for s in SPLITS}
    summary = {"documents": {s: 0 for s in SPLITS}, "tokens": {s: 0 for s in SPLITS}, "empty_documents": 0, "text_bytes": 0}
    parquet = pq.ParquetFile(job.path)
    columns = [c for c in (ID, URL, TEXT) if c in parquet.schema_arrow.names]
    for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=columns):
        texts = batch.column(TEXT).to_pylist()
        keep = [i for i, t in enumerate(texts) if t]
        summary["empty_documents"] += len(texts) - len(keep)
        if not keep:
            continue
        batch = batch.take(pa.array(keep, pa.int64()))
        texts = [texts[i] for i in keep]
        summary["text_bytes"] += int(pc.sum(pc.binary_length(batch.column(TEXT))).as_py() or 0)
        flat, lengths = flatten(tokenizer.encode_batch(texts, job.threads), dtype=np.uint32)
        if len(flat) and int(flat.max()) >= tokenizer.vocab_size:
            raise ValueError(f"tokenizer {job.tokenizer} produced id {int(flat.max())} >= its vocabulary size {tokenizer.vocab_size}")
        lengths += 1  # the separator
        tokens = _with_separators(flat, lengths, job.separator_id, dtype)
        ids = batch.column(ID).to_pylist()
        val = is_val(ids, job.salt, job.val_fraction)
        urls = batch.column(URL) if URL in batch.schema.names else pa.nulls(len(ids), pa.string())
        for split, chosen in (("val", val), ("train", ~val)):
            if not chosen.any():
                continue
            token_files[split].write(tokens[np.repeat(chosen, lengths)].tobytes())
            docs[split].append(pa.table({"id": pa.array(ids).filter(pa.array(chosen)), "url": urls.filter(pa.array(chosen)).cast(pa.string()), "tokens": pa.array(lengths[chosen])}))
            summary["documents"][split] += int(chosen.sum())
            summary["tokens"][split] += int(lengths[chosen].sum())
    for split in SPLITS:
        token_files[split].close()
        os.replace(f"{prefix}.{split}.tok.tmp", f"{prefix}.{split}.tok")
        table = pa.concat_tables(docs[split]) if docs[split] else pa.table({"id": pa.array([], pa.string()), "url": pa.array([], pa.string()), "tokens": pa.array([], pa.int64())})
        pq.write_table(table, f"{prefix}.{split}.docs.parquet")
    return job.ledger.commit(f"{job.index:05d}", summary)


def _with_separators(flat: np.ndarray, lengths: np.ndarray, separator: int, dtype) -> np.ndarray:
    """Interleave: the separator, then each document's tokens (``lengths`` include the separator)."""
    starts = np.cumsum(lengths) - lengths
    out = np.empty(int(lengths.sum()), dtype=dtype)
    body = np.ones(len(out), dtype=bool)
    body[starts] = False
    out[starts] = separator
    out[body] = flat
    return out
