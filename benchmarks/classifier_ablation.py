"""The proof, at toy size: does the classifier's top share train a better tiny model than a random subset?

1. A pool of real web documents: the 181 scrapinghub-aeb pages (wrapped as a WARC; only the wrapper
   is made) and the real crawl files of ../shared/data/warc (aut-example, the Common Crawl 2008/2009
   ARC sample), extracted with trafilatura's defaults (not its precision mode: menus and link lists stay
   in, so the pool mixes prose and page furniture). No heuristic filter runs.
2. In the same run: ``train_quality_classifier`` (positives: newspaper-fulltext's expected article
   texts, negatives: a sample of the pool by id hash) and ``quality_classifier`` (scores only).
3. Two corpora of the same size in UTF-8 bytes: **top**, the best-scored half of the pool (ties by id),
   and **random**, documents in the order of a hash of their id until they hold as many bytes.
4. ``webcorpus ablate top random --eval-texts readability.jsonl``: one tiny GPT per corpus (preset
   ``tiny``, CPU, a shared 2,048-piece tokenizer, the same token budget), evaluated on the expected
   article texts of readability-testpages: trusted text that is in neither corpus nor in the positives.
   Repeated for several seeds (the splits and initial weights change with the seed).

    python benchmarks/classifier_ablation.py --out /tmp/abl --seeds 1337 1338 1339

Printed: per seed, each model's loss and bits per byte on the trusted texts, and the difference.
"""
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import classifier_texts  # noqa: E402
from warc_of_pages import write_warcs  # noqa: E402

from webcorpus.stages.classifier.selection import tie_hashes  # noqa: E402


def webcorpus(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "webcorpus", *args], check=True, cwd=ROOT)


def pool_run(out: Path) -> Path:
    pages = [gzip.decompress(p.read_bytes()) for p in sorted((DATA / "extract/scrapinghub-aeb/html").glob("*.html.gz"))]
    inputs = [str(p) for p in write_warcs(out / "crawl", len(pages), 1, pages)]
    inputs += [str(DATA / "warc/aut-example/warc/example.warc.gz")]
    inputs += [str(p) for p in sorted((DATA / "warc/copycat-cc-arc-sample/cc-arc-sample").glob("*.arc"))]
    config = {
        "input": inputs, "output": str(out / "pool"), "workers": 2,
        "stages": [{"extract": {"engine": "trafilatura"}},
                   {"train_quality_classifier": {"positives": str(DATA / "extract/newspaper-fulltext/text/*.txt")}},
                   {"quality_classifier": {}}],
    }
    (out / "pool.yaml").write_text(yaml.safe_dump(config))
    webcorpus("run", str(out / "pool.yaml"), "--quiet")
    return out / "pool" / "documents"


def corpora(documents: Path, out: Path) -> tuple[Path, Path, dict]:
    table = pa.concat_tables([pq.read_table(p) for p in sorted(documents.glob("*.parquet"))])
    table = table.filter(pa.compute.is_valid(table.column("quality_score")))
    rows = table.to_pylist()
    hashes = tie_hashes([r["id"] for r in rows])
    for row, h in zip(rows, hashes.tolist()):
        row["_hash"] = h
    by_score = sorted(rows, key=lambda r: (-r["quality_score"], r["_hash"]))
    top = by_score[: len(rows) // 2]
    budget = sum(len(r["text"].encode()) for r in top)
    random, used = [], 0
    for row in sorted(rows, key=lambda r: r["_hash"]):
        if used >= budget:
            break
        random.append(row)
        used += len(row["text"].encode())
    folders = []
    for name, chosen in (("top", top), ("random", random)):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([{k: v for k, v in r.items() if k != "_hash"} for r in chosen]), folder / "part-00000.parquet")
        folders.append(folder)
    facts = {"pool": len(rows), "top": {"documents": len(top), "bytes": budget, "mean_score": sum(r["quality_score"] for r in top) / len(top)},
             "random": {"documents": len(random), "bytes": used, "mean_score": sum(r["quality_score"] for r in random) / len(random)},
             "shared": len({r["id"] for r in top} & {r["id"] for r in random})}
    return folders[0], folders[1], facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1338, 1339])
    parser.add_argument("--steps", type=int, default=None, help="optimiser steps (default: the tiny preset's)")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    top, random, facts = corpora(pool_run(out), out)
    print(json.dumps(facts, indent=1))
    evals = classifier_texts.write_jsonl(out / "readability-articles.jsonl", classifier_texts.articles("readability-testpages"))
    print("| seed | top: loss on trusted texts | random: loss | top: bits/byte | random: bits/byte | random - top (bits/byte) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for seed in args.seeds:
        abl = out / f"ablation-{seed}"
        extra = ["--steps", str(args.steps)] if args.steps else []
        webcorpus("ablate", str(top), str(random), "--out", str(abl), "--preset", "tiny", "--device", "cpu", "--vocab-size", "2048",
                  "--eval-texts", str(evals), "--seed", str(seed), "--threads", "1", "--quiet", *extra)
        result = json.loads((abl / "ablation.json").read_text())
        runs = {r["name"]: r["eval_texts"] for r in result["runs"]}
        a, b = runs["top"], runs["random"]
        print(f"| {seed} | {a['loss']:.4f} | {b['loss']:.4f} | {a['bits_per_byte']:.4f} | {b['bits_per_byte']:.4f} | "
              f"{b['bits_per_byte'] - a['bits_per_byte']:+.4f} |")


if __name__ == "__main__":
    main()
