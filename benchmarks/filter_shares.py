"""Share of documents each language and quality filter drops on the real crawls in ../shared/data/warc.

Every WARC and ARC file under the folder is read with webcorpus's readers; pages
with HTML are turned into text by the ``extract`` stage when it is registered
(else by ``trafilatura.extract`` directly); pages with no text left are set
aside. Then, on the same extracted documents:

* each filter alone (papers' defaults, FineWeb's C4 settings, and every filter with ``flavor: fineweb``): the
  share it drops and its top reasons;
* the chain of pipelines/fineweb-en.yaml after extraction: what survives each step;
* seconds each stage spent, as documents per second.

    python benchmarks/filter_shares.py [--data DIR]
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webcorpus.readers.read import read_documents  # noqa: E402
from webcorpus.readers.report import ReadReport  # noqa: E402
from webcorpus.stages.registry import STAGES, build_stage  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "warc"
SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
FINEWEB_C4 = {"terminal_punctuation": False, "min_sentences": 5, "min_words_per_line": 3}
FINEWEB_CHAIN = [  # as pipelines/fineweb-en.yaml after extraction
    ("language", {"keep": ["en"], "min_score": 0.65, "max_chars": 100_000_000}),
    ("gopher_repetition", {"flavor": "fineweb"}),
    ("gopher_quality", {"flavor": "fineweb"}),
    ("c4", {"flavor": "fineweb", "terminal_punctuation": False}),
    ("fineweb_quality", {"flavor": "fineweb"}),
]


def read_pages(data: Path) -> pa.Table:
    batches, seen = [], set()
    for path in sorted(p for p in data.rglob("*") if p.is_file() and p.name.endswith(SUFFIXES)):
        for batch in read_documents(str(path), ReadReport(str(path))):
            if "html" not in batch.column_names:
                continue
            rows = [i for i, (doc_id, html) in enumerate(zip(batch.column("id").to_pylist(), batch.column("html").to_pylist()))
                    if html and doc_id not in seen and not seen.add(doc_id)]
            if rows:
                batches.append(batch.take(rows).select(["id", "url", "html", "text"]))
    return pa.concat_tables(batches)


def extract(pages: pa.Table) -> tuple[pa.Table, str]:
    if "extract" in STAGES:
        try:
            stage = build_stage("extract", {})
            return stage(pages), "extract stage (trafilatura)"
        except ImportError:
            pass
    import trafilatura

    texts = [trafilatura.extract(html, url=url) for html, url in zip(pages.column("html").to_pylist(), pages.column("url").to_pylist())]
    return pages.set_column(pages.column_names.index("text"), "text", pa.array(texts, pa.string())), "trafilatura.extract"


def top_reasons(stage, k: int = 3) -> str:
    return ", ".join(f"{reason.split(':', 1)[1]} {n}" for reason, n in stage.stats.dropped.most_common(k))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    pages = read_pages(args.data)
    start = time.perf_counter()
    docs, how = extract(pages)
    extract_seconds = time.perf_counter() - start
    texts = docs.column("text").to_pylist()
    docs = docs.filter(pa.array([bool(t and t.strip()) for t in texts]))
    print(f"{pages.num_rows} HTML pages from {args.data.resolve()}; {docs.num_rows} with text after {how} "
          f"({extract_seconds:.1f} s)\n")

    language = build_stage("language", {})
    labelled = language(docs)
    codes = collections.Counter(labelled.column("language").to_pylist())
    print("languages:", ", ".join(f"{code} {n}" for code, n in codes.most_common(12)), "\n")

    print("| filter (alone, on every extracted page) | dropped | share | top reasons | docs/s |")
    print("|---|---:|---:|---|---:|")
    alone = [("language", {"keep": ["en"], "min_score": 0.65}), ("gopher_repetition", {}), ("gopher_quality", {}),
             ("c4", {}), ("c4", FINEWEB_C4), ("fineweb_quality", {})] + FINEWEB_CHAIN[1:]
    for name, options in alone:
        stage = build_stage(name, options)
        kept = stage(labelled)
        dropped = labelled.num_rows - kept.num_rows
        label = name + (" " + ", ".join(f"{k}={v}" for k, v in options.items()) if options else "")
        rate = labelled.num_rows / max(stage.stats.seconds, 1e-9)
        print(f"| {label} | {dropped} | {dropped / labelled.num_rows:.1%} | {top_reasons(stage)} | {rate:,.0f} |")

    print("\n| fineweb-en.yaml after extraction | in | dropped | share of input | left |")
    print("|---|---:|---:|---:|---:|")
    batch = docs
    for name, options in FINEWEB_CHAIN:
        stage = build_stage(name, options)
        out = stage(batch)
        print(f"| {name} | {batch.num_rows} | {batch.num_rows - out.num_rows} | "
              f"{(batch.num_rows - out.num_rows) / docs.num_rows:.1%} | {out.num_rows} |")
        batch = out
    print(f"\nkept {batch.num_rows} of {docs.num_rows} extracted pages ({batch.num_rows / docs.num_rows:.1%})")


if __name__ == "__main__":
    main()
