"""Phase 4 of near-dedup: connected components of all duplicate edges, partition by partition, and
each node's component label. Pure functions of (plan, [round,] task index); see :mod:`webcorpus.dedup.phases`."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from webcorpus.dedup import bands as band_files
from webcorpus.storage.nodes import local, local_folder
from webcorpus.dedup.exact import EDGE
from webcorpus.dedup.plan import Plan, finish, write_parquet
from webcorpus.dedup.shingles import fmix64


# --- 4. components ------------------------------------------------------------------
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
    folder = local_folder(folder)
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
    edges = [np.load(p) for p in (local(plan.root / "edges" / f"exact.{partition:03d}.npy"), local(plan.root / "edges" / f"near.{partition:03d}.npy")) if p.exists()]
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
        docs = pq.read_table(local(plan.root / "docs" / f"{shard:05d}.parquet"), columns=list(MEMBER_COLUMNS)).take(pa.array(rows[mine]))
        pieces.append(docs.append_column("label", pa.array(labels[mine])).append_column("handle", pa.array(nodes[mine])))
    schema = pa.schema([("id", pa.string()), ("date", pa.string()), ("length", pa.int64()), ("content", pa.uint64()),
                        ("url", pa.uint64()), ("label", pa.uint64()), ("handle", pa.uint64())])
    table = pa.concat_tables(pieces) if pieces else schema.empty_table()
    part = _node_partition(table["label"].to_numpy(), plan.partitions) if table.num_rows else np.zeros(0, np.int64)
    for q in range(plan.partitions):
        write_parquet(table.filter(pa.array(part == q)), plan.root / "members" / f"{q:03d}" / f"{partition:03d}.parquet")
    return finish(plan, "labels", partition, {"edges_loaded": loaded, "nodes": len(nodes)})
