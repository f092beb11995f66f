"""What a person tuning filters looks at: examples of each drop reason, and the domains kept and dropped.

Examples come from ``OUTPUT/excluded/`` (written with ``excluded: true`` or ``--excluded``); the kept
domains from the final documents' ``url`` column, the dropped ones from the excluded documents'.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow.parquet as pq

EXAMPLES_PER_REASON = 3
SNIPPET_CHARS = 300
TOP_DOMAINS = 15


def drop_examples(output: Path) -> dict | None:
    """``{"stage · reason": [{"url", "text"}, ...]}`` (the first few of each, in shard order), or None
    when the run wrote no excluded documents."""
    shards = sorted((output / "excluded").glob("*.parquet"))
    if not shards:
        return None
    examples: dict[str, list[dict]] = {}
    for shard in shards:
        names = pq.ParquetFile(shard).schema_arrow.names
        wanted = [c for c in ("drop_stage", "drop_reason", "url", "text", "html") if c in names]
        for row in pq.read_table(shard, columns=wanted).to_pylist():
            key = f"{row.get('drop_stage', '?')} · {row.get('drop_reason', '?')}"
            bucket = examples.setdefault(key, [])
            if len(bucket) < EXAMPLES_PER_REASON:
                text = row.get("text") or row.get("html") or ""
                bucket.append({"url": row.get("url") or "", "text": " ".join(text.split())[:SNIPPET_CHARS]})
    return dict(sorted(examples.items()))


def top_domains(output: Path, documents: list[Path]) -> dict:
    """The most frequent domains among the kept documents and (when excluded/ exists) the dropped ones."""
    return {"kept": _domains(documents).most_common(TOP_DOMAINS),
            "dropped": _domains(sorted((output / "excluded").glob("*.parquet"))).most_common(TOP_DOMAINS)}


def _domains(shards: list[Path]) -> Counter:
    counts: Counter = Counter()
    for shard in shards:
        if "url" in pq.ParquetFile(shard).schema_arrow.names:
            counts.update(urlsplit(url).hostname or "?" for url in pq.read_table(shard, columns=["url"]).column("url").to_pylist() if url)
    return counts


#: Filters whose signal travels with the documents: stage -> (signal column, threshold option, low, high).
#: (The quality filters compute their signals inside and keep only the reason; they cannot be drawn yet.)
SIGNALS = {"language": ("language_score", "min_score", 0.0, 1.0)}
BINS = 20


def filter_signals(output: Path, stats: dict, documents: list[Path]) -> list[dict]:
    """Per filter with a signal column: a histogram of the signal over the final documents and over the
    documents that filter dropped for falling short of its threshold, and the threshold itself."""
    from webcorpus.stages.registry import option_specs, stage_class

    found = []
    for item in stats["run"]["config"]["stages"]:
        (name, options), = item.items()
        if name not in SIGNALS:
            continue
        column, option, low, high = SIGNALS[name]
        default = next(s.default for s in option_specs(stage_class(name)) if s.name == option)
        threshold = (options or {}).get(option, default)
        kept = _values(documents, column)
        dropped = _values(sorted((output / "excluded").glob("*.parquet")), column,
                          lambda row: str(row.get("drop_stage", "")).endswith(f":{name}") and "low_score" in str(row.get("drop_reason")))
        edges = [low + (high - low) * i / BINS for i in range(BINS + 1)]
        found.append({"stage": name, "signal": column, "option": option, "threshold": threshold, "edges": edges,
                      "kept": _histogram(kept, edges), "dropped": _histogram(dropped, edges),
                      "excluded_written": (output / "excluded").is_dir()})
    return found


def _values(shards: list[Path], column: str, keep=None) -> list[float]:
    values = []
    for shard in shards:
        names = pq.ParquetFile(shard).schema_arrow.names
        if column not in names:
            continue
        wanted = [column] + [c for c in ("drop_stage", "drop_reason") if c in names and keep is not None]
        for row in pq.read_table(shard, columns=wanted).to_pylist():
            if row[column] is not None and (keep is None or keep(row)):
                values.append(float(row[column]))
    return values


def _histogram(values: list[float], edges: list[float]) -> list[int]:
    counts = [0] * (len(edges) - 1)
    for value in values:
        index = min(max(int((value - edges[0]) / (edges[-1] - edges[0]) * (len(edges) - 1)), 0), len(edges) - 2)
        counts[index] += 1
    return counts
