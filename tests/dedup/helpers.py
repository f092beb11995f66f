"""Helpers of the dedup tests: real texts from ../shared/data and Parquet shards built from them."""
from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
from webcorpus.documents import from_rows
from webcorpus.stages.global_stage import GlobalContext

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
FUZZY = DATA / "dedup" / "cs336-fixtures" / "fixtures" / "documents_with_fuzzy_duplicates"


def real_texts(minimum_words: int = 200) -> list[str]:
    """Gold article texts of the extraction benchmarks, long enough to make variants of."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((DATA / "extract" / "newspaper-fulltext" / "text").glob("*.txt"))]
    truth = json.loads((DATA / "extract" / "scrapinghub-aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    texts += [truth[key]["articleBody"] for key in sorted(truth)]
    return [t for t in texts if len(t.split()) >= minimum_words]


def write_shards(folder: Path, rows: list[dict], per_shard: int) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(0, max(len(rows), 1), per_shard):
        path = folder / f"part-{i // per_shard:05d}.parquet"
        pq.write_table(from_rows(rows[i : i + per_shard]), path)
        paths.append(str(path))
    return paths


def context(tmp: Path, inputs: list[str], pool: ProcessPoolExecutor | None = None, name: str = "run") -> GlobalContext:
    run = tmp / name
    map_fn = (lambda fn, items: list(pool.map(fn, items))) if pool else (lambda fn, items: [fn(i) for i in items])
    return GlobalContext(
        inputs=sorted(inputs),
        output_dir=run / "out",
        work_dir=run / "work",
        run_dir=run,
        workers=2 if pool else 1,
        map=map_fn,
    )


def read_all(paths: list[str]) -> list[dict]:
    rows = []
    for path in paths:
        rows.extend(pq.read_table(path).to_pylist())
    return rows
