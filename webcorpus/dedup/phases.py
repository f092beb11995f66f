"""The four phases of near-dedup as pure functions of (plan, task index).

Each task reads only files named by its index, writes its outputs atomically
and then commits its result to the plan's ledger, so a re-run skips finished tasks and an executor may run
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

from webcorpus.dedup.candidates import confirm_pairs, exact_groups, near_pairs, signatures
from webcorpus.dedup.components import MAX_ROUNDS, component_labels, component_round, graph_edges
from webcorpus.dedup.decisions import apply_decisions, decide
from webcorpus.dedup.plan import Plan, finish, read_result

__all__ = [
    "Plan", "finish", "read_result", "MAX_ROUNDS",
    "signatures", "exact_groups", "near_pairs", "confirm_pairs",
    "graph_edges", "component_round", "component_labels", "decide", "apply_decisions",
]
