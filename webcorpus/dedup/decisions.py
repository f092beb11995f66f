"""Phase 5 of near-dedup: the keep rule on each cluster, then the surviving documents written per
input shard. Pure functions of (plan, task index); see :mod:`webcorpus.dedup.phases`."""
from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from webcorpus.dedup import bands as band_files
from webcorpus.storage.nodes import local, local_folder
from webcorpus.dedup.clusters import keep_order
from webcorpus.dedup.exact import EXACT, NEAR, URL
from webcorpus.dedup.plan import Plan, finish, write_parquet
from webcorpus.documents import ID
from webcorpus.document_shards import ShardWriter, remove_shards
from webcorpus.stages.base import REASON


def _size_label(size: int) -> str:
    low = 2 if size == 2 else 2 ** int(np.ceil(np.log2(size)) - 1) + 1
    high = 2 ** int(np.ceil(np.log2(size)))
    return f"cluster_size_{size}" if low == high else f"cluster_size_{low}-{high}"


def decide(task: tuple[Plan, int]) -> dict:
    """The keep rule on the clusters of one label partition; decisions per input shard.

    Members are ordered by handle before the keep rule, so ties of equal keys fall as in a single union-find.
    """
    plan, partition = task
    folder = local_folder(plan.root / "members" / f"{partition:03d}")
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
        write_parquet(table, plan.root / "decisions" / f"{shard:05d}" / f"{partition:03d}.parquet")
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
    decided = sorted(local_folder(plan.root / "decisions" / f"{shard:05d}").glob("*.parquet"))
    decisions = pa.concat_tables([pq.read_table(p) for p in decided]) if decided else _NO_DECISIONS.empty_table()
    parquet = pq.ParquetFile(local(plan.inputs[shard]), pre_buffer=False)  # pre-buffering keeps every row group read
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
    # names, not paths: the marker holds for the run folder wherever it lies (another machine resumes from it)
    return finish(plan, "filter", shard, {"documents_in": n, "documents_out": kept_total,
                                          "outputs": [os.path.basename(p) for p in outputs],
                                          "removed_outputs": [os.path.basename(p) for p in removed_outputs]})
