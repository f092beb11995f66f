"""``python -m webcorpus.sample_crawl OUTDIR [--seed N] [--pages N]``: write the sample crawl."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from .crawl import MANIFEST, generate_sample_crawl


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webcorpus.sample_crawl",
                                     description="Write a small synthetic crawl (WARC files and manifest.json).")
    parser.add_argument("outdir", help="directory to write into (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives identical files")
    parser.add_argument("--pages", type=int, default=300, help="number of HTML pages (at least 40)")
    args = parser.parse_args(argv)
    paths = generate_sample_crawl(args.outdir, seed=args.seed, pages=args.pages)
    manifest = json.loads((Path(args.outdir) / MANIFEST).read_text(encoding="utf-8"))
    for path in paths:
        print(path)
    languages = ", ".join(f"{code} {count}" for code, count in manifest["languages"].items())
    print(f"{manifest['pages']} HTML pages ({languages}); "
          f"{len(manifest['near_duplicate_clusters'])} near-duplicate clusters, "
          f"{len(manifest['exact_duplicate_clusters'])} exact-duplicate pairs, "
          f"{sum(map(len, manifest['low_quality'].values()))} low-quality pages, "
          f"{len(manifest['pii'])} pages with PII; manifest: {Path(args.outdir) / MANIFEST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
