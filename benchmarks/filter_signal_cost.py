"""CPU cost of the quality filters' signal histograms: this checkout against an older one, same texts, same run.

The texts: the ground-truth article texts of ../shared/data/extract (scrapinghub-aeb, readability-testpages,
newspaper-fulltext) and resiliparse's extractions of the HTML pages of the real crawls in ../shared/data/warc
(boilerplate included), in batches of 256. Each filter (both flavours) runs over all of them ``--repeats``
times after a warm-up; the CPU time (``time.process_time``) of the best repeat counts. The two checkouts run
in alternating child processes (``--rounds`` times each), so a busy machine slows both alike; the table has
the median of the rounds and the ratio.

    python benchmarks/filter_signal_cost.py --baseline DIR    # DIR: e.g. `git archive <commit>` unpacked

Without ``--baseline`` it times this checkout only. ``--child ROOT`` is the per-process timing (internal).

A second table isolates the recording itself, in one process with this checkout: the per-document rule
check of each Gopher and FineWeb filter (c4 records one count per page) called with the no-op ``note``
and with one that keeps the values, alternately, the best of ``--repeats`` x 3 runs each.

With ``--baseline``, last, both checkouts run the same pipeline (``extract``, then the four quality filters
in both flavours, ``excluded: true``) on four real WARC files of ../shared/data/warc, and the SHA-256 of
every Parquet file they wrote (documents and excluded) are compared: recording signals must change no byte.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILTERS = [
    ("gopher_repetition", {}), ("gopher_repetition", {"flavor": "fineweb"}),
    ("gopher_quality", {}), ("gopher_quality", {"flavor": "fineweb"}),
    ("c4", {}), ("c4", {"flavor": "fineweb", "terminal_punctuation": False}),
    ("fineweb_quality", {}), ("fineweb_quality", {"flavor": "fineweb"}),
]
BATCH = 256


def texts() -> list[str]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from extract_quality import load_pages
    from fineweb_texts import crawl_texts

    return [p.truth for p in load_pages()] + [t["text"] for t in crawl_texts()]


def child(root: str, texts_file: str, repeats: int) -> dict:
    """CPU seconds of each filter over the texts, with the webcorpus of ``root``."""
    sys.path.insert(0, root)
    import pyarrow as pa

    from webcorpus.stages.registry import build_stage

    corpus = json.loads(Path(texts_file).read_text())
    batches = [pa.table({"id": [str(i) for i in range(k, k + len(chunk))], "text": chunk})
               for k in range(0, len(corpus), BATCH) for chunk in [corpus[k:k + BATCH]]]
    out = {}
    for name, options in FILTERS:
        stage = build_stage(name, options)
        stage.apply(batches[0])  # setup and warm-up
        best = None
        for _ in range(repeats):
            start = time.process_time()
            for batch in batches:
                stage.apply(batch)
            spent = time.process_time() - start
            best = spent if best is None else min(best, spent)
        out[f"{name} {json.dumps(options, sort_keys=True) if options else 'defaults'}"] = best
    return {"documents": len(corpus), "seconds": out}


WARCS = ["dolma-wget-sample/sample-0000.warc.gz", "dolma-wget-sample/sample-0001.warc.gz",
         "aut-example/warc/example.warc.gz", "resiliparse-tests/warcfile.warc.gz"]


def documents_child(root: str, output: str) -> dict:
    """Run the quality chain with the webcorpus of ``root`` into ``output``; digests of its Parquet files."""
    import hashlib

    sys.path.insert(0, root)
    from webcorpus import Pipeline, build_stage

    data = ROOT / ".." / "shared" / "data" / "warc"
    stages = [build_stage("extract", {})] + [build_stage(name, options) for name, options in FILTERS]
    result = Pipeline(stages, input=[str(data / w) for w in WARCS], output=output, workers=2, excluded=True).run(quiet=True)
    files = sorted(Path(output).rglob("*.parquet"))
    return {"exit_code": result.exit_code, "written": result.stats["documents"]["written"],
            "files": {str(p.relative_to(output)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}}


def recording_cost(corpus: list[str], repeats: int) -> dict[str, tuple[float, float]]:
    """Microseconds per document of ``check(text)`` with the no-op note and with a recording one."""
    from collections import defaultdict

    sys.path.insert(0, str(ROOT))
    from webcorpus.stages.quality import TextRuleFilter, ignore
    from webcorpus.stages.registry import build_stage

    texts = [t for t in corpus if t and t.strip()]
    out = {}
    for name, options in FILTERS:
        stage = build_stage(name, options)
        if not isinstance(stage, TextRuleFilter):
            continue
        stage.setup()
        best = {"no-op note": None, "recording note": None}
        for _ in range(repeats * 3):
            for label in best:
                kept: dict[str, list[float]] = defaultdict(list)
                note = ignore if label == "no-op note" else (lambda signal, value: kept[signal].append(value))
                start = time.process_time()
                for text in texts:
                    stage.check(text, note)
                spent = time.process_time() - start
                best[label] = spent if best[label] is None else min(best[label], spent)
        out[f"{name} {json.dumps(options, sort_keys=True) if options else 'defaults'}"] = (
            1e6 * best["no-op note"] / len(texts), 1e6 * best["recording note"] / len(texts))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="root of another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--texts", help=argparse.SUPPRESS)
    parser.add_argument("--documents-into", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child and args.documents_into:
        print(json.dumps(documents_child(args.child, args.documents_into)))
        return
    if args.child:
        print(json.dumps(child(args.child, args.texts, args.repeats)))
        return
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        texts_file = Path(folder) / "texts.json"
        corpus = texts()
        texts_file.write_text(json.dumps(corpus))
        roots = {"this checkout": str(ROOT)}
        if args.baseline:
            roots["baseline"] = str(Path(args.baseline).resolve())
        runs: dict[str, list[dict]] = {k: [] for k in roots}
        for _ in range(args.rounds):
            for label, root in roots.items():
                done = subprocess.run([sys.executable, __file__, "--child", root, "--texts", str(texts_file),
                                       "--repeats", str(args.repeats)], check=True, capture_output=True, text=True)
                runs[label].append(json.loads(done.stdout))
    documents = runs["this checkout"][0]["documents"]
    print(f"{documents:,} texts; CPU seconds per filter, median of {args.rounds} rounds (best of {args.repeats} repeats each)")
    header = "| filter | " + " | ".join(roots) + (" | ratio |" if args.baseline else " |")
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for key in runs["this checkout"][0]["seconds"]:
        medians = {label: statistics.median(r["seconds"][key] for r in runs[label]) for label in roots}
        cells = " | ".join(f"{m:.3f} s ({documents / m:,.0f} docs/s)" for m in medians.values())
        ratio = f" | {medians['this checkout'] / medians['baseline']:.3f} |" if args.baseline else " |"
        print(f"| {key} | {cells}{ratio}")
    print()
    print("the recording alone, this checkout, one process: microseconds per document of check(text, note)")
    print("| filter | no-op note | recording note | ratio |")
    print("|---|---:|---:|---:|")
    for key, (plain, recording) in recording_cost(corpus, args.repeats).items():
        print(f"| {key} | {plain:.1f} | {recording:.1f} | {recording / plain:.3f} |")
    if args.baseline:
        with tempfile.TemporaryDirectory() as folder:
            outputs = {}
            for label, root in roots.items():
                done = subprocess.run([sys.executable, __file__, "--child", root, "--documents-into",
                                       str(Path(folder) / label.replace(" ", "-"))], check=True, capture_output=True, text=True)
                outputs[label] = json.loads(done.stdout.splitlines()[-1])
        mine, theirs = outputs["this checkout"], outputs["baseline"]
        same = mine["files"] == theirs["files"] and mine["exit_code"] == theirs["exit_code"] == 0
        print()
        print(f"documents: {len(mine['files'])} Parquet files ({mine['written']} documents written) from {len(WARCS)} WARC "
              f"files; byte-identical to the baseline's: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
