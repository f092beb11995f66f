"""Phases 1-3 of near-dedup: per-document keys and shingles, exact groups, LSH candidate pairs and
their confirmation. Each is a pure function of (plan, task index); see :mod:`webcorpus.dedup.phases`."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus.dedup import bands as band_files
from webcorpus.storage.nodes import local, local_folder
from webcorpus.dedup.clusters import candidate_pairs, confirm
from webcorpus.dedup.exact import EDGE, group_edges, hash64, url_key
from webcorpus.dedup.minhash import band_keys, signatures as minhash_signatures
from webcorpus.dedup.plan import Plan, finish, write_parquet
from webcorpus.dedup.shingles import fmix64, shingle
from webcorpus.documents import DATE, HTML, ID, TEXT, URL as URL_COLUMN


# --- 1. signatures ------------------------------------------------------------------------------


def _text_column(schema: pa.Schema) -> str:
    return TEXT if TEXT in schema.names else HTML


def signatures(task: tuple[Plan, int]) -> dict:
    plan, shard = task
    root = plan.root
    parquet = pq.ParquetFile(local(plan.inputs[shard]), pre_buffer=False)  # pre-buffering keeps every row group read
    text_name = _text_column(parquet.schema_arrow)
    columns = [c for c in (ID, URL_COLUMN, DATE, text_name) if c in parquet.schema_arrow.names]
    meta = []  # one small table per batch: Arrow columns, not Python objects
    band_records, exact_records, url_records = [], [], []
    offsets = [np.zeros(1, np.int64)]
    written = 0
    shingle_path = root / "shingles" / f"{shard:05d}.u32"
    shingle_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = shingle_path.with_name(f".{shingle_path.name}.tmp-{os.getpid()}")
    row = 0
    with open(tmp, "wb") as shingle_file:
        for batch in parquet.iter_batches(batch_size=plan.batch_size, columns=columns):
            n = batch.num_rows
            texts = pc.fill_null(batch.column(text_name), "")
            ids = batch.column(ID).to_pylist()
            urls = batch.column(URL_COLUMN).to_pylist() if URL_COLUMN in batch.schema.names else [None] * n
            rows = np.arange(row, row + n)
            handles = band_files.handles(shard, rows)
            docs = np.array([hash64(i) for i in ids], dtype=np.uint64)
            lengths = pc.utf8_length(texts).to_numpy(zero_copy_only=False)
            contents = np.array([hash64(t) if t else 0 for t in texts.to_pylist()], dtype=np.uint64)
            url_keys = np.array([url_key(u) for u in urls], dtype=np.uint64)
            sets = shingle(texts, plan.ngram)
            keys = band_keys(minhash_signatures(sets, plan.num_perm, plan.seed), plan.bands, plan.rows)
            shingle_file.write(sets.hashes.tobytes())
            offsets.append(sets.offsets[1:] + written)
            written += len(sets.hashes)
            has_text = lengths > 0
            with_shingles = np.flatnonzero(sets.counts > 0)
            records = np.empty(len(with_shingles) * plan.bands, band_files.RECORD)
            records["key"] = keys[with_shingles].ravel()
            records["doc"] = np.repeat(docs[with_shingles], plan.bands)
            records["handle"] = np.repeat(handles[with_shingles], plan.bands)
            band_records.append(records)
            for store, values, use in ((exact_records, contents, has_text), (url_records, url_keys, has_text & (url_keys != 0))):
                records = np.empty(int(use.sum()), band_files.RECORD)
                records["key"], records["doc"], records["handle"] = values[use], docs[use], handles[use]
                store.append(records)
            dates = batch.column(DATE) if DATE in batch.schema.names else pa.nulls(n, pa.string())
            meta.append(pa.table({
                "row": pa.array(rows, pa.int64()), "id": batch.column(ID).cast(pa.string()), "date": dates.cast(pa.string()),
                "length": pa.array(lengths, pa.int64()), "doc": pa.array(docs), "content": pa.array(contents), "url": pa.array(url_keys),
            }))
            row += n
    os.replace(tmp, shingle_path)
    band_files.save_npy(root / "shingles" / f"{shard:05d}.offsets.npy", np.concatenate(offsets))
    schema = pa.schema([("row", pa.int64()), ("id", pa.string()), ("date", pa.string()), ("length", pa.int64()),
                        ("doc", pa.uint64()), ("content", pa.uint64()), ("url", pa.uint64())])
    table = pa.concat_tables(meta) if meta else schema.empty_table()
    write_parquet(table, root / "docs" / f"{shard:05d}.parquet")
    concat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, band_files.RECORD)  # noqa: E731
    band_files.write_partitioned(root, "bands", shard, concat(band_records), plan.partitions)
    band_files.write_partitioned(root, "exact", shard, concat(exact_records), plan.partitions)
    band_files.write_partitioned(root, "url", shard, concat(url_records), plan.partitions)
    return finish(plan, "signatures", shard, {"documents": row, "no_text": int(row - len(concat(exact_records)))})


# --- 2. exact groups ----------------------------------------------------------------------------


def exact_groups(task: tuple[Plan, int]) -> dict:
    plan, partition = task
    edges, skipped = [np.zeros(0, EDGE)], [np.zeros(0, np.uint64)]
    result = {"exact_pairs": 0, "url_pairs": 0}
    if plan.exact:
        found, copies = group_edges(band_files.read_partition(plan.root, "exact", partition))
        edges.append(found)
        skipped.append(copies)  # every copy of a text but one stays out of the LSH buckets
        result["exact_pairs"] = len(found)
    if plan.url:
        found, _ = group_edges(band_files.read_partition(plan.root, "url", partition))
        edges.append(found)
        result["url_pairs"] = len(found)
    band_files.save_npy(plan.root / "edges" / f"exact.{partition:03d}.npy", np.concatenate(edges))
    band_files.save_npy(plan.root / "skip" / f"{partition:03d}.npy", np.sort(np.concatenate(skipped)))
    return finish(plan, "exact", partition, result)


# --- 3. near pairs ------------------------------------------------------------------------------


class ShingleStore:
    """Random access to the stored shingle sets by handle, by positioned reads.

    Reads (not memory maps) keep the task's resident memory to what it holds:
    a map of the whole store would count every touched page of it.
    """

    def __init__(self, root: Path):
        self.root = root
        self._files: dict[int, tuple[int, int]] = {}

    def __call__(self, handle: int) -> np.ndarray:
        shard, row = handle >> 32, handle & 0xFFFFFFFF
        if shard not in self._files:
            values = os.open(local(self.root / "shingles" / f"{shard:05d}.u32"), os.O_RDONLY)
            offsets = os.open(local(self.root / "shingles" / f"{shard:05d}.offsets.npy"), os.O_RDONLY)
            header = os.pread(offsets, 256, 0)
            # .npy header: magic, version, then its length in 2 bytes (format 1.0) or 4 (2.0 and later)
            header_size = 10 + int.from_bytes(header[8:10], "little") if header[6] == 1 else 12 + int.from_bytes(header[8:12], "little")
            self._files[shard] = (values, offsets, header_size)
        values, offsets, header_size = self._files[shard]
        start, end = np.frombuffer(os.pread(offsets, 16, header_size + 8 * row), dtype="<i8")
        return np.frombuffer(os.pread(values, 4 * int(end - start), 4 * int(start)), dtype=np.uint32)

    def close(self) -> None:
        for values, offsets, _ in self._files.values():
            os.close(values)
            os.close(offsets)
        self._files.clear()


def near_pairs(task: tuple[Plan, int]) -> dict:
    """Candidate pairs of one band partition, re-partitioned by pair so each pair is confirmed once
    (a true duplicate pair shares most of its bands, which land in different partitions)."""
    plan, partition = task
    records = band_files.read_partition(plan.root, "bands", partition)
    skip = [np.load(p) for p in sorted(local_folder(plan.root / "skip").glob("*.npy"))]
    skip = np.concatenate(skip) if skip else np.zeros(0, np.uint64)
    if len(skip) and len(records):
        records = records[~np.isin(records["handle"], skip)]
    records, starts, ends = band_files.buckets(records)
    pairs = candidate_pairs(records, starts, ends)
    spread = np.empty(len(pairs), band_files.RECORD)
    spread["key"] = fmix64(pairs["a"] * np.uint64(0x9E3779B97F4A7C15) ^ pairs["b"])
    spread["doc"], spread["handle"] = pairs["a"], pairs["b"]
    band_files.write_partitioned(plan.root, "pairs", partition, spread, plan.partitions)
    return finish(plan, "near", partition, {"band_buckets": len(starts), "candidate_pairs": len(pairs)})


def confirm_pairs(task: tuple[Plan, int]) -> dict:
    """The near-duplicate edges of one pair partition: candidates whose exact Jaccard reaches the threshold."""
    plan, partition = task
    spread = band_files.read_partition(plan.root, "pairs", partition)
    pairs = np.empty(len(spread), EDGE)
    pairs["a"], pairs["b"] = spread["doc"], spread["handle"]
    pairs = np.unique(pairs)
    result = {"unique_candidate_pairs": len(pairs), "compared_pairs": 0}
    if plan.confirm:
        store = ShingleStore(plan.root)
        try:
            edges, result["compared_pairs"] = confirm(pairs, store, plan.threshold)
        finally:
            store.close()
    else:
        edges = pairs
    result["near_edges"] = len(edges)
    band_files.save_npy(plan.root / "edges" / f"near.{partition:03d}.npy", edges)
    return finish(plan, "confirm", partition, result)
