"""CPU cost of the extractor's child process per page: this tree's sandbox against the one of a reference
commit, on the same pages, interleaved (parent and child CPU seconds, best of the rounds).

    python benchmarks/sandbox_cost.py --reference 39dbd34 --engine resiliparse

The reference's ``sandbox.py`` is read with ``git show`` into a temporary file and runs as its own child
(its engines are this tree's: only the sandbox differs). Pages: every page of ../shared/data/extract
(benchmarks/extract_quality.py's loader), in batches of 100, each batch checked to extract fully.
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from extract_quality import decode, load_pages  # noqa: E402

from webcorpus.stages.extract import sandbox as current  # noqa: E402


def reference_sandbox(commit: str, folder: Path):
    """The sandbox module of ``commit``, loaded from a file that also runs as its child process."""
    source = subprocess.run(["git", "show", f"{commit}:webcorpus/stages/extract/sandbox.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    source = source.replace('[sys.executable, "-m", "webcorpus.stages.extract.sandbox"]', "[sys.executable, __file__]")
    path = folder / "reference_sandbox.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("reference_sandbox", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cpu_seconds(module, engine: str, batches: list[pa.Table]) -> tuple[float, float]:
    """(child CPU, parent CPU) seconds to extract ``batches`` through ``module``'s sandbox, start-up excluded."""
    box = module.Sandbox(engine, {"include_comments": False}, 10.0, 4096)
    box.start()
    child = psutil.Process(box._process.pid)
    before_child, before = child.cpu_times(), time.process_time()
    for batch in batches:
        results = box.run(batch)
        assert all(r[0] == "ok" for r in results), [r for r in results if r[0] != "ok"][:1]
    after_child, after = child.cpu_times(), time.process_time()
    box.release()
    return (after_child.user + after_child.system - before_child.user - before_child.system, after - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True, help="git commit whose sandbox.py is the reference")
    parser.add_argument("--engine", default="resiliparse")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    pages = list(load_pages())
    table = pa.table({"html": [decode(p.html) for p in pages], "url": pa.nulls(len(pages), pa.string())})
    batches = [table.slice(i, 100) for i in range(0, table.num_rows, 100)]
    with tempfile.TemporaryDirectory() as folder:
        sides = {"reference": reference_sandbox(args.reference, Path(folder)), "this tree": current}
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, module in sides.items():
                runs[name].append(cpu_seconds(module, args.engine, batches))
    best = {name: min(sum(r) for r in rows) for name, rows in runs.items()}
    for name, rows in runs.items():
        print(f"{name}: engine {args.engine}, {len(pages)} pages: {best[name] / len(pages) * 1000:.2f} ms of CPU per page "
              f"(child + parent, best of {args.rounds}; rounds {[f'{c:.2f}+{p:.2f}' for c, p in rows]})")
    print(f"this tree / reference: {best['this tree'] / best['reference']:.3f}")


if __name__ == "__main__":
    main()
