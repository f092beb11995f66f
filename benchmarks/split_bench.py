"""CPU cost of reading a large crawl file as byte-range tasks, against reading it as one task.

The WARC is the one ``reader_bench.py`` makes at run time in a temporary folder (the real HTML
pages of ../shared/data/extract wrapped in response records after request records, one gzip
member per record, as Common Crawl writes them); nothing is written into the repository.

Contenders, each in its own fresh process, alternating, ``--repeat`` times (best CPU time shown):

* ``reader whole``: ``read_documents`` over the whole file;
* ``reader split S``: ``read_documents(byte_range=...)`` over every range of ``S`` bytes in turn,
  in one process, so the CPU seconds are the sum over the tasks: the cost of splitting is what
  the ranges add (looking for each range's first record member, testing the member at each end)
  plus the file check of planning (``splittable``);
* ``pipeline whole`` / ``pipeline split S``: ``webcorpus.Pipeline`` with no stage (``--extract``:
  ``extract`` with resiliparse, shown as ``extract ...``) and one worker
  (everything in the calling process): planning, reading, Parquet shards and markers per task, and
  for a split file the join that rewrites its range shards as the whole file's (the HTML kept: the
  most a join can cost).

Both sides must read the same documents: the ids are hashed and compared, and the pipeline's
``OUTPUT/documents`` files (names and bytes) too. CPU time is
``time.process_time()`` of the child (one core); peak RSS its own ``VmHWM``.

    python benchmarks/split_bench.py --records 2000 --split 8388608 1048576 --repeat 3
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from reader_bench import generated_warc, peak_rss_mb  # noqa: E402  (the same generated WARC)


def run_reader(path: str, split: int) -> dict:
    sys.path.insert(0, str(REPO))
    from webcorpus.readers import ReadReport, read_documents
    from webcorpus.readers.ranges import byte_ranges, splittable

    ids = hashlib.sha1()
    documents = tasks = 0
    if split:
        with open(path, "rb") as raw:
            assert splittable(raw)
    for piece in byte_ranges(os.path.getsize(path), split) if split else [None]:
        tasks += 1
        for batch in read_documents(path, ReadReport(path), byte_range=piece):
            documents += batch.num_rows
            ids.update("".join(i + "\n" for i in batch.column("id").to_pylist()).encode())
    return {"documents": documents, "tasks": tasks, "ids": ids.hexdigest()}


def run_pipeline(path: str, split: int, extract: bool = False) -> dict:
    sys.path.insert(0, str(REPO))
    import pyarrow.parquet as pq

    from webcorpus import Pipeline, build_stage

    stages = [build_stage("extract", {"engine": "resiliparse"})] if extract else []
    with tempfile.TemporaryDirectory() as out:
        result = Pipeline(stages, input=[path], output=out, workers=1, split_bytes=split).run(quiet=True)
        assert result.exit_code == 0
        ids, files = hashlib.sha1(), hashlib.sha1()
        documents = 0
        for shard in sorted(Path(out, "documents").glob("*.parquet")):
            column = pq.read_table(shard, columns=["id"]).column("id").to_pylist()
            documents += len(column)
            ids.update("".join(i + "\n" for i in column).encode())
            files.update(shard.name.encode() + b"\0" + shard.read_bytes())
        return {"documents": documents, "tasks": _tasks(out), "ids": ids.hexdigest(),
                "files": files.hexdigest()}


def _tasks(out: str) -> int:
    """Tasks that ran: one per byte range of a split file (the join leaves one marker per file, so
    they are counted from the run's log)."""
    log = Path(out, "logs", "run.log").read_text(encoding="utf-8")
    return sum(1 for line in log.splitlines() if " read, " in line and " written" in line)


def child(which: str, path: str, split: int) -> None:
    start = time.process_time()
    result = run_reader(path, split) if which == "reader" else run_pipeline(path, split, which == "extract")
    result["cpu_seconds"] = time.process_time() - start
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


def measure(which: str, path: str, split: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", which, path, str(split)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=2000, help="HTML responses in the generated WARC")
    parser.add_argument("--split", type=int, nargs="+", default=[8 << 20, 1 << 20], help="range sizes to try")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each contender (best CPU time is reported)")
    parser.add_argument("--extract", action="store_true",
                        help="the pipeline runs extract (resiliparse) in step 0: the join then rewrites text, not HTML")
    parser.add_argument("--child", nargs=3, metavar=("WHICH", "PATH", "SPLIT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path, size, _raw = generated_warc(Path(tmp), args.records)
        kinds = ("reader", "extract" if args.extract else "pipeline")
        contenders = [(which, split) for which in kinds for split in [0] + args.split]
        runs: dict = {c: [] for c in contenders}
        for _ in range(args.repeat):
            for which, split in contenders:
                runs[(which, split)].append(measure(which, str(path), split))
        print(f"{'':24} {'tasks':>6} {'CPU s':>7} {'MB/s/core (gz)':>15} {'vs whole':>9} {'peak RSS MB':>12}")
        for which, split in contenders:
            best = min(runs[(which, split)], key=lambda r: r["cpu_seconds"])
            base = min(runs[(which, 0)], key=lambda r: r["cpu_seconds"])
            assert best["ids"] == base["ids"] and best["documents"] == base["documents"] > 0
            assert best.get("files") == base.get("files")  # the pipeline's Parquet files: same names, same bytes
            name = f"{which} " + (f"split {split:,}" if split else "whole")
            print(f"{name:24} {best['tasks']:6d} {best['cpu_seconds']:7.3f} {size / 1e6 / best['cpu_seconds']:15.1f} "
                  f"{best['cpu_seconds'] / base['cpu_seconds']:9.3f} {best['peak_rss_mb']:12.0f}")
        print(f"documents: {base['documents']:,} on every side, the same ids in the same order; "
              "the pipeline's OUTPUT/documents files identical (names and bytes)")


if __name__ == "__main__":
    main()
