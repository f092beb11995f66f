"""Per-core rate of every stage of the main pipeline, on real pages: the figures docs/scaling.md projects from.

Wraps the real pages of ../shared/data/extract into a WARC (benchmarks/warc_of_pages.py), runs
pipelines/main.yaml on it with one worker (so a stage's seconds are one core's), and prints, per stage,
documents in, seconds, documents per second and milliseconds per crawled page.

    python benchmarks/stage_rates.py --records 1000 [--engine trafilatura|resiliparse|hybrid]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.warc_of_pages import write_warcs  # noqa: E402
import yaml  # noqa: E402

from webcorpus.pipeline import run_pipeline  # noqa: E402
from webcorpus.pipeline.config import config_from_dict  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--engine", default="trafilatura", choices=["trafilatura", "resiliparse", "hybrid"])
    parser.add_argument("--pipeline", default=str(REPO / "pipelines" / "main.yaml"))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warcs = write_warcs(tmp / "crawl", args.records, files=1)
        data = yaml.safe_load(Path(args.pipeline).read_text())
        data.update(input=[str(p) for p in warcs], output=str(tmp / "out"), workers=1)
        for item in data["stages"]:
            if "extract" in item:
                item["extract"] = {**(item["extract"] or {}), "engine": args.engine}
        config = config_from_dict(data, source=args.pipeline)
        start = time.perf_counter()
        result = run_pipeline(config, quiet=True)
        wall = time.perf_counter() - start
        stats = json.loads((tmp / "out" / "stats.json").read_text())

    pages = stats["documents"]["read"]
    print(f"{pages} pages, engine {args.engine}, 1 worker, wall {wall:.1f}s, {pages / wall:.1f} pages/s end to end")
    print("| stage | documents in | seconds | documents/s | ms per crawled page | setup seconds (once per process) |")
    print("|---|---:|---:|---:|---:|---:|")
    accounted = 0.0
    for stage in stats["stages"]:
        seconds = stage["seconds"]
        setup = stage.get("setup_seconds", 0.0)
        accounted += seconds + setup
        rate = stage["documents_in"] / seconds if seconds else float("inf")
        print(f"| {stage['name']} | {stage['documents_in']:,} | {seconds:.2f} | {rate:,.0f} | {1000 * seconds / pages:.2f} | {setup:.2f} |")
    print(f"| reading, writing, process start-up (the rest) | | {wall - accounted:.2f} | | {1000 * (wall - accounted) / pages:.2f} | |")
    if result.exit_code:
        raise SystemExit(result.exit_code)


if __name__ == "__main__":
    main()
