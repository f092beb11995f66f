"""The four phases of near-dedup as pure functions of (plan, task index).

Each task reads only files named by its index, writes its outputs atomically
and then its marker, so a re-run skips finished tasks and an executor may run
the tasks of a phase on any machines that share ``work``:

1. :func:`signatures` (one task per input shard): per-document keys, shingle
   sets, MinHash band keys, exact and URL keys, partitioned by key.
2. :func:`exact_groups` (one task per partition): groups of equal text or URL.
3. :func:`near_pairs` (one task per band partition): LSH buckets to candidate
   pairs, re-partitioned by pair; :func:`confirm_pairs` (one task per pair
   partition): each distinct pair's exact Jaccard, once.
4. :func:`graph_edges` (one task per partition): the edges in both
   directions, partitioned by node; :func:`component_round` (one task per
   partition, repeated until the graph is a forest of stars): connected
   components by large-star / small-star rounds, each task holding the edges
   of its partition's nodes; :func:`component_labels` (one task per
   partition): each node's component label and keep key, partitioned by label;
   :func:`decide` (one task per label partition): the keep rule, per-shard
   decisions; then :func:`apply_decisions` (one task per shard) writes the
   surviving documents.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus.dedup import bands as band_files
from webcorpus.dedup.clusters import candidate_pairs, confirm, keep_order
from webcorpus.dedup.exact import EDGE, EXACT, NEAR, URL, group_edges, hash64, url_key
from webcorpus.dedup.minhash import band_keys, signatures as minhash_signatures
from webcorpus.dedup.shingles import fmix64, shingle
from webcorpus.documents import DATE, HTML, ID, TEXT, URL as URL_COLUMN
from webcorpus.output.shards import ShardWriter, remove_shards
from webcorpus.stages.base import REASON

@dataclass(frozen=True)
class Plan:
    """Everything a task needs; picklable, so it travels to any worker."""

    inputs: tuple[str, ...]
    work: str
    output_dir: str
    removed_dir: str | None
    threshold: float
    ngram: int
    num_perm: int
    bands: int
    rows: int
    seed: int
    confirm: bool
    exact: bool
    url: bool
    keep: str
    partitions: int
    batch_size: int
    counters: dict = field(default_factory=dict, compare=False)

    @property
    def root(self) -> Path:
        return Path(self.work)


# --- markers ------------------------------------------------------------------------------------


def marker(plan: Plan, phase: str, index: int) -> Path:
    return plan.root / "markers" / f"{phase}.{index:05d}.json"


def finish(plan: Plan, phase: str, index: int, result: dict) -> dict:
    path = marker(plan, phase, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(result, sort_keys=True))
    os.replace(tmp, path)
    return result


def read_marker(plan: Plan, phase: str, index: int) -> dict | None:
    path = marker(plan, phase, index)
    return json.loads(path.read_text()) if path.exists() else None


# --- 1. signatures ------------------------------------------------------------------------------


def _text_column(schema: pa.Schema) -> str:
    return TEXT if TEXT in schema.names else HTML


def signatures(task: tuple[Plan, int]) -> dict:
    plan, shard = task
    root = plan.root
    parquet = pq.ParquetFile(plan.inputs[shard], pre_buffer=False)  # pre-buffering keeps every row group read
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
    _write_parquet(table, root / "docs" / f"{shard:05d}.parquet")
    concat = lambda parts: np.concatenate(parts) if parts else np.zeros(0, band_files.RECORD)  # noqa: E731
    band_files.write_partitioned(root, "bands", shard, concat(band_records), plan.partitions)
    band_files.write_partitioned(root, "exact", shard, concat(exact_records), plan.partitions)
    band_files.write_partitioned(root, "url", shard, concat(url_records), plan.partitions)
    return finish(plan, "signatures", shard, {"documents": row, "no_text": int(row - len(concat(exact_records)))})


def _write_parquet(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


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
            values = os.open(self.root / "shingles" / f"{shard:05d}.u32", os.O_RDONLY)
            offsets = os.open(self.root / "shingles" / f"{shard:05d}.offsets.npy", os.O_RDONLY)
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
    skip = [np.load(p) for p in sorted((plan.root / "skip").glob("*.npy"))]
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


# --- 4. components and decisions ------------------------------------------------------------------
#
# Connected components of all edges without one machine holding them: the "alternating" algorithm of
# Kiveris et al. (large-star / small-star, O(log^2 n) rounds, in practice a few). Edges are stored in both
# directions, partitioned by the hash of their source node, so a task holds the edges of its partition's nodes.
# A round's task groups its edges by source and writes the next round's edges, re-partitioned by source.
# When every node that has a smaller neighbour has exactly one neighbour, the graph is a forest of stars
# centred on each component's smallest node: that node is the component's label.

#: rounds of large-star / small-star before the run fails
MAX_ROUNDS = 200
_NONE = np.uint64(0xFFFFFFFFFFFFFFFF)


def _node_partition(nodes: np.ndarray, partitions: int) -> np.ndarray:
    return (fmix64(nodes) % np.uint64(partitions)).astype(np.int64)


def _scatter(plan: Plan, folder: Path, index: int, a: np.ndarray, b: np.ndarray) -> None:
    """Write the undirected edges ``a - b`` in both directions to ``folder/{q}/{index}.npy``, by source partition."""
    edges = np.empty(2 * len(a), EDGE)
    edges["a"], edges["b"] = np.concatenate([a, b]), np.concatenate([b, a])
    part = _node_partition(edges["a"], plan.partitions)
    order = np.argsort(part, kind="stable")
    bounds = np.searchsorted(part[order], np.arange(plan.partitions + 1))
    for q in range(plan.partitions):
        band_files.save_npy(folder / f"{q:03d}" / f"{index:03d}.npy", edges[order[bounds[q] : bounds[q + 1]]])


def _round_dir(plan: Plan, round_: int) -> Path:
    return plan.root / "cc" / f"{round_:03d}"


def _load_edges(folder: Path) -> tuple[np.ndarray, int]:
    """The distinct directed edges of one partition, without self-loops, sorted by (source, target);
    and how many records were read."""
    parts = [np.load(path) for path in sorted(folder.glob("*.npy"))] if folder.exists() else []
    edges = np.concatenate(parts) if parts else np.zeros(0, EDGE)
    loaded = len(edges)
    edges = np.unique(edges[edges["a"] != edges["b"]])
    return edges, loaded


def _groups(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source nodes, the start of each node's run of edges, and each edge's node index."""
    src = edges["a"]
    if not len(src):
        return src, np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.concatenate([[0], np.flatnonzero(src[1:] != src[:-1]) + 1])
    counts = np.diff(np.append(starts, len(src)))
    return src[starts], starts, np.repeat(np.arange(len(starts)), counts)


def graph_edges(task: tuple[Plan, int]) -> dict:
    """Round 0's input: the exact, URL and near edges of one partition, both directions, by source partition."""
    plan, partition = task
    edges = [np.load(p) for p in (plan.root / "edges" / f"exact.{partition:03d}.npy", plan.root / "edges" / f"near.{partition:03d}.npy") if p.exists()]
    edges = np.concatenate(edges) if edges else np.zeros(0, EDGE)
    _scatter(plan, _round_dir(plan, 0), partition, edges["a"], edges["b"])
    return finish(plan, "graph", partition, {"edges": len(edges)})


def component_round(task: tuple[Plan, int, int]) -> dict:
    """One round of one partition: large-star on even rounds, small-star on odd ones.

    Records ``unstable``: nodes with a smaller neighbour and more than one neighbour (0 everywhere: stars).
    """
    plan, round_, partition = task
    edges, loaded = _load_edges(_round_dir(plan, round_) / f"{partition:03d}")
    src, dst = edges["a"], edges["b"]
    nodes, starts, group = _groups(edges)
    smaller = dst < src
    degree = np.diff(np.append(starts, len(src)))
    has_smaller = np.add.reduceat(smaller.astype(np.int64), starts) > 0 if len(src) else np.zeros(0, bool)
    unstable = int((has_smaller & (degree > 1)).sum())
    if round_ % 2 == 0:  # large-star: every larger neighbour joins the smallest of the neighbourhood
        low = np.minimum(nodes, np.minimum.reduceat(dst, starts)) if len(src) else nodes
        larger = dst > src
        a, b = dst[larger], low[group[larger]]
    else:  # small-star: the node and its smaller neighbours join the smallest of them
        low = np.minimum(nodes, np.minimum.reduceat(np.where(smaller, dst, _NONE), starts)) if len(src) else nodes
        joins = smaller & (dst != low[group])
        moved = nodes != low
        a = np.concatenate([dst[joins], nodes[moved]])
        b = np.concatenate([low[group[joins]], low[moved]])
    _scatter(plan, _round_dir(plan, round_ + 1), partition, a, b)
    return finish(plan, f"cc{round_:03d}", partition, {"edges_loaded": loaded, "nodes": len(nodes), "unstable": unstable})


MEMBER_COLUMNS = ("id", "date", "length", "content", "url")


def component_labels(task: tuple[Plan, int, int]) -> dict:
    """Each node of one partition with its component label and keep key, re-partitioned by label."""
    plan, round_, partition = task
    edges, loaded = _load_edges(_round_dir(plan, round_) / f"{partition:03d}")
    nodes, starts, _ = _groups(edges)
    labels = np.minimum(nodes, np.minimum.reduceat(edges["b"], starts)) if len(nodes) else nodes
    shards, rows = band_files.split_handles(nodes)
    pieces = []
    for shard in np.unique(shards).tolist():
        mine = np.flatnonzero(shards == shard)
        docs = pq.read_table(plan.root / "docs" / f"{shard:05d}.parquet", columns=list(MEMBER_COLUMNS)).take(pa.array(rows[mine]))
        pieces.append(docs.append_column("label", pa.array(labels[mine])).append_column("handle", pa.array(nodes[mine])))
    schema = pa.schema([("id", pa.string()), ("date", pa.string()), ("length", pa.int64()), ("content", pa.uint64()),
                        ("url", pa.uint64()), ("label", pa.uint64()), ("handle", pa.uint64())])
    table = pa.concat_tables(pieces) if pieces else schema.empty_table()
    part = _node_partition(table["label"].to_numpy(), plan.partitions) if table.num_rows else np.zeros(0, np.int64)
    for q in range(plan.partitions):
        _write_parquet(table.filter(pa.array(part == q)), plan.root / "members" / f"{q:03d}" / f"{partition:03d}.parquet")
    return finish(plan, "labels", partition, {"edges_loaded": loaded, "nodes": len(nodes)})


def _size_label(size: int) -> str:
    low = 2 if size == 2 else 2 ** int(np.ceil(np.log2(size)) - 1) + 1
    high = 2 ** int(np.ceil(np.log2(size)))
    return f"cluster_size_{size}" if low == high else f"cluster_size_{low}-{high}"


def decide(task: tuple[Plan, int]) -> dict:
    """The keep rule on the clusters of one label partition; decisions per input shard.

    Members are ordered by handle before the keep rule, so ties of equal keys fall as in a single union-find.
    """
    plan, partition = task
    folder = plan.root / "members" / f"{partition:03d}"
    table = pa.concat_tables([pq.read_table(p) for p in sorted(folder.glob("*.parquet"))])
    labels, handles = table["label"].to_numpy(), table["handle"].to_numpy()
    order = np.lexsort((handles, labels))
    ids = table["id"].to_numpy(zero_copy_only=False)[order].tolist()
    dates = table["date"].to_numpy(zero_copy_only=False)[order].tolist()
    lengths = table["length"].to_numpy()[order].tolist()
    contents, urls = table["content"].to_numpy()[order], table["url"].to_numpy()[order]
    shards, rows = band_files.split_handles(handles[order])
    labels = labels[order]
    bounds = np.flatnonzero(labels[1:] != labels[:-1]) + 1 if len(labels) else np.zeros(0, np.int64)
    decisions: dict[int, dict[str, list]] = {}
    sizes: dict[int, int] = {}
    removed = {EXACT: 0, URL: 0, NEAR: 0}
    for group in np.split(np.arange(len(labels)), bounds) if len(labels) else []:
        members = group.tolist()
        best = members[keep_order(plan.keep, [ids[m] for m in members], [dates[m] for m in members], [lengths[m] for m in members])[0]]
        sizes[len(members)] = sizes.get(len(members), 0) + 1
        for m in members:
            if m == best:
                reason, duplicate_of = None, None
            else:
                duplicate_of = ids[best]
                if contents[m] == contents[best]:
                    reason = EXACT
                elif urls[m] and urls[m] == urls[best]:
                    reason = URL
                else:
                    reason = NEAR
                removed[reason] += 1
            out = decisions.setdefault(int(shards[m]), {"row": [], "dup_cluster": [], "dup_count": [], "duplicate_of": [], "reason": []})
            for name, value in zip(out, (int(rows[m]), ids[best], len(members), duplicate_of, reason)):
                out[name].append(value)
    for shard, columns in decisions.items():
        table = pa.table(
            {
                "row": pa.array(columns["row"], pa.int64()),
                "dup_cluster": pa.array(columns["dup_cluster"], pa.string()),
                "dup_count": pa.array(columns["dup_count"], pa.int64()),
                "duplicate_of": pa.array(columns["duplicate_of"], pa.string()),
                "reason": pa.array(columns["reason"], pa.string()),
            }
        )
        _write_parquet(table, plan.root / "decisions" / f"{shard:05d}" / f"{partition:03d}.parquet")
    histogram: dict[str, int] = {}
    for size, count in sorted(sizes.items()):
        histogram[_size_label(size)] = histogram.get(_size_label(size), 0) + count
    result = {"clusters": sum(sizes.values()), "documents_in_clusters": len(labels), "members_loaded": len(labels), **histogram}
    result.update({f"removed_{reason}": n for reason, n in removed.items()})
    return finish(plan, "decide", partition, result)


_NO_DECISIONS = pa.schema([("row", pa.int64()), ("dup_cluster", pa.string()), ("dup_count", pa.int64()),
                           ("duplicate_of", pa.string()), ("reason", pa.string())])


def apply_decisions(task: tuple[Plan, int]) -> dict:
    """Write the kept documents of one input shard (with ``dup_cluster``, ``dup_count``) and the removed ones."""
    plan, shard = task
    prefix = f"dedup-{shard:05d}"
    remove_shards(plan.output_dir, prefix)
    if plan.removed_dir:
        remove_shards(plan.removed_dir, prefix)
    decided = sorted((plan.root / "decisions" / f"{shard:05d}").glob("*.parquet"))
    decisions = pa.concat_tables([pq.read_table(p) for p in decided]) if decided else _NO_DECISIONS.empty_table()
    parquet = pq.ParquetFile(plan.inputs[shard], pre_buffer=False)  # pre-buffering keeps every row group read
    n = parquet.metadata.num_rows
    decided_rows = decisions["row"].to_numpy()
    cluster = np.full(n, None, dtype=object)
    count = np.ones(n, np.int64)
    duplicate_of = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    cluster[decided_rows] = decisions["dup_cluster"].to_numpy(zero_copy_only=False)
    count[decided_rows] = decisions["dup_count"].to_numpy()
    duplicate_of[decided_rows] = decisions["duplicate_of"].to_numpy(zero_copy_only=False)
    reason[decided_rows] = decisions["reason"].to_numpy(zero_copy_only=False)
    kept_writer = ShardWriter(plan.output_dir, prefix)
    removed_writer = ShardWriter(plan.removed_dir, prefix) if plan.removed_dir else None
    row = 0
    kept_total = 0
    try:
        for batch in parquet.iter_batches(batch_size=plan.batch_size):
            table = pa.Table.from_batches([batch])
            span = slice(row, row + table.num_rows)
            ids = table.column(ID).to_pylist()
            own = [c if c is not None else i for c, i in zip(cluster[span], ids)]
            table = table.append_column("dup_cluster", pa.array(own, pa.string()))
            table = table.append_column("dup_count", pa.array(count[span], pa.int64()))
            removed = np.array([d is not None for d in duplicate_of[span]], dtype=bool)
            keep_mask = pa.array(~removed)
            kept_writer.write(table.filter(keep_mask))
            kept_total += int((~removed).sum())
            if removed_writer is not None and removed.any():
                gone = table.filter(pa.array(removed))
                gone = gone.append_column("duplicate_of", pa.array([d for d in duplicate_of[span] if d is not None], pa.string()))
                gone = gone.append_column(REASON, pa.array([r for r, d in zip(reason[span], duplicate_of[span]) if d is not None], pa.string()))
                removed_writer.write(gone)
            row += table.num_rows
        outputs = kept_writer.close()
        removed_outputs = removed_writer.close() if removed_writer else []
    except BaseException:
        kept_writer.abort()
        if removed_writer:
            removed_writer.abort()
        raise
    return finish(plan, "filter", shard, {"documents_in": n, "documents_out": kept_total, "outputs": outputs, "removed_outputs": removed_outputs})
