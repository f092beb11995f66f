"""Near-dedup on a small run and a larger one, before and after sizing its partitions to the input.

Before: 16 partitions whatever the input, every phase through a pool of worker processes (about a
second per phase to start the pool, even for no documents). After: one partition per 20,000 documents
(1 to 16) and, up to 5,000 documents, every task in the driver process (webcorpus/dedup/plan.py).

Cases (each run with 2 workers, as `make demo` does):
* ``demo``: the documents that reach dedup in `make demo`: the sample crawl through main.yaml's stages
  before dedup (173 documents);
* ``large``: N generated documents of real sentences (dedup_speed.generate_corpus: 10 % exact copies,
  10 % near variants) in shards of 5,000.

Each measurement is a fresh Python process whose PYTHONPATH is this tree (after) or ``--before`` (a copy of
an older commit: ``git archive COMMIT | tar -x -C DIR``); before and after alternate, ``--repeats`` times.
Wall time and CPU time (the process and its workers) of the ``deduplicate`` call alone; the kept and removed
ids of both must be equal.

    mkdir -p /tmp/before && git archive 39dbd34 | tar -x -C /tmp/before
    python benchmarks/dedup_small_runs.py --before /tmp/before --large 40000 --repeats 3
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

MEASURE = r"""
import hashlib, json, resource, sys, time
from webcorpus.dedup.api import deduplicate
import pyarrow.parquet as pq

inputs, out, work = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
def cpu():
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
start_cpu, start = cpu(), time.perf_counter()
result = deduplicate(inputs, out, work_dir=work, workers=2)
wall, spent = time.perf_counter() - start, cpu() - start_cpu
def ids(paths):
    return sorted(i for p in paths for i in pq.read_table(p, columns=["id"]).column("id").to_pylist())
kept, removed = ids(result.outputs), ids(result.removed)
print(json.dumps({"wall": wall, "cpu": spent, "kept": len(kept), "removed": len(removed),
                  "ids": hashlib.sha1(json.dumps([kept, removed]).encode()).hexdigest()}))
"""


def demo_documents(folder: Path) -> list[str]:
    """The shards that reach dedup in `make demo`: the sample crawl through main.yaml's stages before dedup."""
    import yaml

    from webcorpus.sample_crawl import generate_sample_crawl

    crawl = generate_sample_crawl(folder / "sample-crawl")
    main = yaml.safe_load((REPO / "webcorpus" / "pipelines" / "main.yaml").read_text())
    stages = main["stages"][:[next(iter(s)) for s in main["stages"]].index("dedup")]
    pipeline = folder / "before-dedup.yaml"
    pipeline.write_text(yaml.safe_dump({"input": crawl, "output": str(folder / "run"), "workers": 2, "stages": stages}))
    subprocess.run([sys.executable, "-m", "webcorpus", "run", str(pipeline), "--quiet"], check=True, cwd=REPO)
    return sorted(str(p) for p in (folder / "run" / "documents").glob("*.parquet"))


def measure(tree: Path, inputs: list[str], scratch: Path) -> dict:
    out, work = tempfile.mkdtemp(dir=scratch), tempfile.mkdtemp(dir=scratch)
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, "-c", MEASURE, json.dumps(inputs), out, work], env=env, cwd=scratch,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="a copy of the older tree")
    parser.add_argument("--large", type=int, default=40_000, help="documents of the larger case (0: skip it)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from dedup_speed import generate_corpus

    with tempfile.TemporaryDirectory(prefix="dedup-small-") as tmp:
        scratch = Path(tmp)
        cases = {"demo": demo_documents(scratch / "demo")}
        if args.large:
            cases["large"] = generate_corpus(scratch / "large", args.large, per_shard=5_000)
        for name, inputs in cases.items():
            runs: dict[str, list[dict]] = {"before": [], "after": []}
            for _ in range(args.repeats):
                for label, tree in (("before", args.before), ("after", REPO)):
                    runs[label].append(measure(tree, inputs, scratch))
            assert len({r["ids"] for r in runs["before"] + runs["after"]}) == 1, f"{name}: outputs differ"
            first = runs["after"][0]
            row = {"case": name, "documents": first["kept"] + first["removed"], "removed": first["removed"]}
            for label, results in runs.items():
                row[f"{label}_wall_s"] = round(statistics.median(r["wall"] for r in results), 2)
                row[f"{label}_cpu_s"] = round(statistics.median(r["cpu"] for r in results), 2)
            row["cpu_ratio_before_over_after"] = round(row["before_cpu_s"] / row["after_cpu_s"], 2)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
