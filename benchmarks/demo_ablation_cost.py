"""What the ablation adds to `webcorpus demo`: CPU time and peak memory with and without it.

Runs `webcorpus demo --quiet` into fresh folders, alternating `--ablation-steps 0` (the demo before
the ablation: pipeline, tiny GPT, report) and the default (plus the same crawl without quality
filters and an ablation of the two), ROUNDS times each, interleaved so both see the same machine
load. CPU time is user + system of the whole process tree (resource.getrusage of the children),
which on a shared machine is steadier than wall time; both are printed.

    .venv/bin/python benchmarks/demo_ablation_cost.py [--rounds 2] [--work SCRATCH_FOLDER]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WEBCORPUS = Path(sys.executable).with_name("webcorpus")


def one_demo(folder: Path, ablation: bool) -> dict:
    shutil.rmtree(folder, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    command = [str(WEBCORPUS), "demo", "--output", str(folder), "--quiet"] + ([] if ablation else ["--ablation-steps", "0"])
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "wall_s": time.perf_counter() - wall,
            "max_rss_mb": after.ru_maxrss / 1024}  # the largest child so far (monotonic over the run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="demo-cost-"))
    results: dict[str, list[dict]] = {"without ablation": [], "with ablation": []}
    for round_ in range(args.rounds):
        for name, ablation in (("without ablation", False), ("with ablation", True)):
            r = one_demo(work / name.replace(" ", "-"), ablation)
            results[name].append(r)
            print(f"round {round_ + 1} {name}: cpu {r['cpu_s']:.1f} s, wall {r['wall_s']:.1f} s", flush=True)
    summary = {name: {k: statistics.median(r[k] for r in rs) for k in ("cpu_s", "wall_s")} for name, rs in results.items()}
    summary["cpu ratio (with / without)"] = summary["with ablation"]["cpu_s"] / summary["without ablation"]["cpu_s"]
    summary["wall ratio (with / without)"] = summary["with ablation"]["wall_s"] / summary["without ablation"]["wall_s"]
    summary["max_rss_mb"] = max(r["max_rss_mb"] for rs in results.values() for r in rs)
    summary["cores"] = os.cpu_count()
    print(json.dumps(summary, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
