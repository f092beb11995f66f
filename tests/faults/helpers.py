"""Shared pieces of the fault-injection suite: real `webcorpus run` subprocesses on real or generated WARCs."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq

from tests.conftest import REPO


def write_pipeline(path: Path, inputs: list[str], output: Path, stages: list[str], workers: int = 1) -> Path:
    """A pipeline YAML with these inputs and stage lines (each a YAML list item without the dash)."""
    lines = [f"output: {output}", f"workers: {workers}", "input:"] + [f"  - {p}" for p in inputs]
    lines += ["stages:"] + [f"  - {s}" for s in stages] if stages else ["stages: []"]
    path.write_text("\n".join(lines) + "\n")
    return path


def cli(*args: str, env: dict | None = None) -> subprocess.Popen:
    """`webcorpus ARGS` as a real process in its own process group (so a test can signal all of it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "webcorpus", *args],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True,
    )


def run_cli(*args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    process = cli(*args, env=env)
    out, err = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def documents(output: Path) -> list[tuple]:
    """(id, url, text or html) of every final document, in shard order."""
    shards = sorted((output / "documents").glob("*.parquet"))
    rows = []
    for shard in shards:
        # the page as the run left it: its text after extract (an all-null html column is not written)
        names = pq.read_schema(shard).names
        table = pq.read_table(shard, columns=["id", "url"] + [c for c in ("html", "text") if c in names])
        rows += list(zip(*(table.column(c).to_pylist() for c in table.column_names)))
    return rows


def tree(folder: Path) -> dict:
    """Every file under ``folder`` with its size and modification time: to prove nothing was touched."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}
