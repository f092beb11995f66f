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
