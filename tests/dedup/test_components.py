"""Distributed clustering: the partitioned component rounds and keep tasks give exactly what one union-find over
all confirmed pairs gives, find long chains, and hold only their partition's edges."""
import json
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from webcorpus.dedup import deduplicate, dedup_stage
from webcorpus.dedup.clusters import keep_order
from webcorpus.dedup.exact import EXACT, NEAR, URL
from webcorpus.dedup.shingles import fmix64
from webcorpus.dedup.dedup_stage import Dedup

from .helpers import context, read_all, write_shards

#: LSH so sensitive that every pair at 0.8 is a candidate; exact confirmation still decides
SENSITIVE = {"bands": 64, "rows": 2}


def word_stream(texts: list[str]) -> list[str]:
    return [w for t in texts for w in t.split()]


def chain(words: list[str], name: str, length: int, start: int, step: int = 16, width: int = 200, **fields) -> list[dict]:
    """Windows of ``width`` words ``step`` apart: neighbours have 5-gram Jaccard 180/212 (0.85), windows two
    apart 164/228 (0.72), so only neighbours are duplicates."""
    rows = []
    for i in range(length):
        text = " ".join(words[start + i * step : start + i * step + width])
        rows.append({"id": f"{name}-{i:03d}", "url": f"https://{name}.example/{i}", "date": fields.get("date", "2024-01-01T00:00:00Z"), "text": text})
    return rows


def many_clusters(texts: list[str]) -> list[dict]:
    words = word_stream(texts)
    rows, start = [], 0
    for c, length in enumerate((60, 25, 12, 7, 3, 2, 2, 40)):
        piece = chain(words, f"c{c}", length, start)
        for i, row in enumerate(piece):  # varied dates and lengths so that every keep rule has work to do
            row["date"] = None if (i + c) % 5 == 0 else f"2024-{1 + (i * 7 + c) % 12:02d}-01T00:00:00Z"
            if (i + c) % 4 == 0:
                row["text"] += " Read more."
        rows += piece
        start += length * 16 + 400
    for i in range(30):  # unrelated singletons, and exact / URL copies of some of them and of chain members
        rows.append({"id": f"solo-{i:03d}", "url": f"https://solo.example/{i}", "date": "2023-05-05T00:00:00Z",
                     "text": " ".join(words[start + i * 300 : start + i * 300 + 150])})
    solos = rows[-30:]
    for i in range(0, 30, 3):
        rows.append({"id": f"copy-{i:03d}", "url": f"https://copy.example/{i}", "date": "2022-01-01T00:00:00Z", "text": solos[i]["text"]})
    rows.append({"id": "copy-chain", "url": "https://copy.example/chain", "date": None, "text": rows[30]["text"]})
    rows.append({"id": "same-url", "url": "https://solo.example/4/", "date": "2021-01-01T00:00:00Z", "text": "A different page crawled again."})
    return rows


def reference(work: Path, inputs: list[str], keep: str) -> tuple[dict, dict]:
    """Kept and removed documents from a plain union-find over every edge the run confirmed (read from its work
    folder), with the keep rule applied to each cluster's members in handle order."""
    docs = {}
    for shard in range(len(inputs)):
        for row in pq.read_table(work / "docs" / f"{shard:05d}.parquet").to_pylist():
            docs[shard << 32 | row["row"]] = row
    parent = {h: h for h in docs}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for path in (work / "edges").glob("*.npy"):
        for a, b in np.load(path).tolist():
            parent[find(a)] = find(b)
    clusters = {}
    for handle in sorted(docs):
        clusters.setdefault(find(handle), []).append(handle)
    kept, removed = {}, {}
    for members in clusters.values():
        rows = [docs[h] for h in members]
        best = rows[keep_order(keep, [r["id"] for r in rows], [r["date"] for r in rows], [r["length"] for r in rows])[0]]
        for row in rows:
            if row is best:
                kept[row["id"]] = (best["id"], len(rows))
            elif row["content"] == best["content"]:
                removed[row["id"]] = (best["id"], EXACT)
            elif row["url"] and row["url"] == best["url"]:
                removed[row["id"]] = (best["id"], URL)
            else:
                removed[row["id"]] = (best["id"], NEAR)
    return kept, removed


def outcome(outputs, removed_paths):
    kept = {r["id"]: (r["dup_cluster"], r["dup_count"]) for r in read_all(outputs)}
    removed = {r["id"]: (r["duplicate_of"], r["drop_reason"]) for r in read_all(removed_paths)}
    return kept, removed


def run_stage(tmp_path, documents, name, per_shard, pool=None, **options):
    inputs = write_shards(tmp_path / name / "in", documents, per_shard)
    ctx = context(tmp_path, inputs, pool, name=name)
    stage = Dedup(**options)
    outputs = stage.execute(ctx)
    removed = sorted(str(p) for p in (ctx.run_dir / "dedup" / "removed").glob("*.parquet"))
    return ctx, stage, inputs, outcome(outputs, removed)


def test_same_clusters_as_one_union_find_with_any_workers_and_order(tmp_path, texts, monkeypatch):
    monkeypatch.setattr(dedup_stage, "INLINE_DOCUMENTS", 0)  # the runs with a pool use it, small as they are
    rows = many_clusters(texts)
    for keep in ("earliest_date", "longest", "first_id"):
        ctx, stage, inputs, result = run_stage(tmp_path, rows, f"one-{keep}", 23, keep=keep, **SENSITIVE)
        expected = reference(Path(ctx.work_dir), inputs, keep)
        assert result == expected
        assert ctx.stats.counters["component_rounds"] > 2  # the chains take more than one round of stars
        assert sum(v[1] for v in result[0].values()) == len(rows)
        sizes = sorted(count for _, count in result[0].values() if count > 1)
        assert sizes[-1] >= 60 and len(sizes) >= 8
        shuffled = rows[:]
        random.Random(keep).shuffle(shuffled)
        with ProcessPoolExecutor(2) as pool:
            _, _, _, two = run_stage(tmp_path, shuffled, f"two-{keep}", 17, pool, keep=keep, partitions=5, **SENSITIVE)
        assert two == expected


def test_long_chain_is_one_cluster(tmp_path, texts):
    rows = chain(word_stream(texts), "a", 200, 0)
    random.Random(3).shuffle(rows)
    result = deduplicate(write_shards(tmp_path / "in", rows, 31), tmp_path / "out", work_dir=tmp_path / "work", keep="first_id", **SENSITIVE)
    kept, removed = outcome(result.outputs, result.removed)
    assert kept == {"a-000": ("a-000", 200)}
    assert removed == {f"a-{i:03d}": ("a-000", NEAR) for i in range(1, 200)}
    assert result.stats.counters["clusters"] == 1 and result.stats.counters["cluster_size_129-256"] == 1
    assert result.stats.counters["near_edges"] >= 199


def test_a_task_loads_only_its_partition(tmp_path, texts):
    rows = many_clusters(texts)
    partitions = 8
    ctx, stage, inputs, _ = run_stage(tmp_path, rows, "parts", 20, partitions=partitions, **SENSITIVE)
    work = Path(ctx.work_dir)
    markers = {p.stem: json.loads(p.read_text()) for p in (work / "markers").glob("*.done")}
    edges = np.concatenate([np.load(p) for p in (work / "edges").glob("*.npy")])
    assert len(edges) > 150
    # round 0: the task of partition q reads exactly the directed edges whose source node hashes to q
    sources = np.concatenate([edges["a"], edges["b"]])
    expected = np.bincount((fmix64(sources) % np.uint64(partitions)).astype(np.int64), minlength=partitions)
    loaded = [markers[f"cc000.{q:05d}"]["edges_loaded"] for q in range(partitions)]
    assert loaded == expected.tolist()
    assert max(loaded) < len(sources) / 2
    rounds = ctx.stats.counters["component_rounds"]
    per_task = [m["edges_loaded"] for name, m in markers.items() if name.startswith("cc")]
    assert len(per_task) == rounds * partitions
    assert ctx.stats.counters["component_max_task_edges"] == max(per_task + [m["edges_loaded"] for name, m in markers.items() if name.startswith("labels")])
    # the keep tasks: each holds the members of its label partition only, together every document in a cluster
    members = [markers[f"decide.{q:05d}"]["members_loaded"] for q in range(partitions)]
    assert sum(members) == ctx.stats.counters["documents_in_clusters"]
    assert ctx.stats.counters["decide_max_task_members"] == max(members) < sum(members)
    # one partition holds everything: the bound follows the partition count, not a fixed share of the run
    ctx1, _, _, _ = run_stage(tmp_path, rows, "whole", 20, partitions=1, **SENSITIVE)
    assert ctx1.stats.counters["decide_max_task_members"] == sum(members)
    assert json.loads((Path(ctx1.work_dir) / "markers" / "cc000.00000.done").read_text())["edges_loaded"] == len(sources)
