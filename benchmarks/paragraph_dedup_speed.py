"""Paragraph dedup (``dedup_paragraphs``) on N real-sized documents: time, CPU time and peak memory,
against a one-process reference (one Python dict of every paragraph key) in the same run.

Corpus: documents of ~5 KB in paragraphs (lines), each paragraph 2 to 5 real sentences of the gold
texts of ../shared/data/extract (benchmarks/dedup_corpus.py), so almost every paragraph is new; and
what web pages share: 30 % of documents carry a header and/or footer line of their "site" (one of
500, lines taken from the real first sentences of the gold texts), 5 % repeat one paragraph of a
recent document (a quoted passage). Shards of 50,000 documents.

* ``dedup_paragraphs``: the stage through a ``LocalExecutor`` of ``--workers`` processes, in a
  child process whose tree's memory is sampled every 0.2 s (benchmarks/dedup_speed.py's sampler).
* reference: the same keys (``paragraphs()``), decided in one process with one dict of all keys
  (key -> the smallest id hash so far and its occurrences there: what a run without partitions
  holds); no output written. Its count of removed paragraphs is compared with the stage's (ids
  are distinct, so the rule is the same).

    python benchmarks/paragraph_dedup_speed.py --docs 100000 --keep-dir /tmp/pd-bench
    python benchmarks/paragraph_dedup_speed.py --docs 1000000 --inputs-from /tmp/pd-bench/pd-*/in
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_corpus import boilerplate_of, gold_texts  # noqa: E402
from dedup_speed import DOC_CHARS, run_watched  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SITES = 500


def generate(folder: Path, n: int, per_shard: int = 50_000, seed: int = 0) -> list[str]:
    """N documents of real sentences in paragraphs, with site headers/footers and quoted paragraphs."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    texts = gold_texts(minimum_words=50)
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t.replace("\n", " ")) if len(s.split()) >= 4]
    lines = boilerplate_of(texts)
    sites = [(rng.choice(lines), rng.choice(lines)) for _ in range(SITES)]
    recent: list[str] = []
    folder.mkdir(parents=True, exist_ok=True)
    paths, made = [], 0
    while made < n:
        ids, urls, bodies = [], [], []
        for _ in range(min(per_shard, n - made)):
            site = rng.randrange(SITES)
            paragraphs, size = [], 0
            while size < DOC_CHARS:
                paragraph = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
                paragraphs.append(paragraph)
                size += len(paragraph) + 1
            recent.append(rng.choice(paragraphs))
            if len(recent) > 5000:
                recent.pop(rng.randrange(len(recent)))
            if rng.random() < 0.05:
                paragraphs.insert(rng.randrange(len(paragraphs) + 1), rng.choice(recent))
            if rng.random() < 0.3:
                header, footer = sites[site]
                paragraphs = ([header] if rng.random() < 0.5 else []) + paragraphs + [footer]
            ids.append(f"pd-{made:08d}")
            urls.append(f"https://site-{site}.test/page/{made}")
            bodies.append("\n".join(paragraphs))
            made += 1
        path = folder / f"part-{len(paths):05d}.parquet"
        pq.write_table(pa.table({"id": ids, "url": urls, "text": bodies}), path, compression="zstd", row_group_size=5000)
        paths.append(str(path))
    return paths


STAGE_RUN = r"""
import json, sys, time
sys.path.insert(0, sys.argv[5])
from pathlib import Path
from webcorpus.executors.local import LocalExecutor
from webcorpus.paragraph_dedup.stage import DedupParagraphs
from webcorpus.stages.global_stage import GlobalContext
inputs, out, work, workers = json.loads(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
executor = LocalExecutor(workers)
ctx = GlobalContext(inputs=inputs, output_dir=out / "documents", work_dir=work, run_dir=out, workers=workers, map=executor.map)
phases = {}
def timed(fn, items, map=executor.map):
    start = time.perf_counter()
    result = map(fn, items)
    phases[fn.__name__] = round(phases.get(fn.__name__, 0) + time.perf_counter() - start, 1)
    return result
ctx.map = timed
start = time.perf_counter()
DedupParagraphs().execute(ctx)
print(json.dumps({"seconds": time.perf_counter() - start, "phases": phases, "stats": ctx.stats.to_dict()}))
"""

REFERENCE_RUN = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
import pyarrow.parquet as pq
from webcorpus.dedup.exact import hash64
from webcorpus.paragraph_dedup.paragraphs import paragraphs
from webcorpus.paragraph_dedup.stage import DedupParagraphs
min_words = DedupParagraphs().min_words
start = time.perf_counter()
first, total = {}, 0  # key -> [smallest id hash so far, occurrences in that document]
for path in json.loads(sys.argv[1]):
    for batch in pq.ParquetFile(path).iter_batches(batch_size=1000, columns=["id", "text"]):
        found = paragraphs(batch.column("text"), min_words)
        ids = batch.column("id").to_pylist()
        hashes = [hash64(i) for i in ids]
        for doc, key in zip(found.doc.tolist(), found.key.tolist()):
            holder, kept = hashes[doc], first.get(key)
            if kept is None or holder < kept[0]:
                first[key] = [holder, 1]
            elif holder == kept[0]:
                kept[1] += 1
            total += 1
removed = total - sum(kept for _, kept in first.values())
print(json.dumps({"seconds": time.perf_counter() - start, "keys": len(first), "removed": removed}))
"""


def measured(command: list[str]) -> dict:
    """Run ``command``; its JSON answer with wall time, CPU time of the whole tree and peak memory added."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    out, peak = run_watched(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.strip().splitlines()[-1])
    result.update({
        "wall_s": round(time.perf_counter() - wall, 1),
        "cpu_s": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1),
        "peak_rss_tree_MiB": round(peak[0] / 2**20), "peak_anonymous_rss_tree_MiB": round(peak[1] / 2**20),
        "peak_anonymous_rss_one_process_MiB": round(peak[2] / 2**20),
    })
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-dir", type=Path, default=None, help="where the run's folder goes")
    parser.add_argument("--inputs-from", type=Path, default=None, help="reuse the shards of an earlier run (its first --docs)")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="pd-", dir=args.keep_dir))
    start = time.perf_counter()
    if args.inputs_from:
        import pyarrow.parquet as pq

        inputs, count = [], 0
        for path in sorted(str(p) for p in args.inputs_from.glob("*.parquet")):
            if count >= args.docs:
                break
            inputs.append(path)
            count += pq.ParquetFile(path).metadata.num_rows
    else:
        inputs = generate(base / "in", args.docs)
        count = args.docs
    generated = time.perf_counter() - start
    ours = measured([sys.executable, "-c", STAGE_RUN, json.dumps(inputs), str(base / "out"), str(base / "work"),
                     str(args.workers), str(REPO)])
    work_bytes = sum(f.stat().st_size for f in (base / "work").rglob("*") if f.is_file())
    stats = ours.pop("stats")
    report = {"documents": count, "workers": args.workers, "generate_s": round(generated, 1), "dedup_paragraphs": ours,
              "counters": stats["counters"], "dropped": stats["dropped"], "work_bytes_per_doc": round(work_bytes / count),
              "most_repeated": [(m["documents"], m["text"][:60]) for m in stats["details"]["most_repeated"][:3]], "folder": str(base)}
    if not args.skip_reference:
        reference = measured([sys.executable, "-c", REFERENCE_RUN, json.dumps(inputs), str(REPO)])
        report["reference_one_dict"] = reference
        report["same_removals"] = reference["removed"] == stats["counters"]["paragraphs_removed"]
        report["cpu_ratio_ours_over_reference"] = round(ours["cpu_s"] / reference["cpu_s"], 2)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
