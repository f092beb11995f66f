"""The executor contract on the local pool: a function over items, what is shipped once, failures reported."""
from __future__ import annotations

import ast
from pathlib import Path

from webcorpus.executors.base import Failure
from webcorpus.executors.local import LocalExecutor

EXECUTORS = Path(__file__).resolve().parents[2] / "webcorpus" / "executors"


def scaled(item: int, shipped: dict, progress) -> int:
    """A unit of work: fails on one item, reports a running count on the others."""
    if item == 3:
        raise ValueError("three is not allowed")
    progress(item)
    return item * shipped["factor"]


def test_executors_import_nothing_above_them():
    for path in sorted(EXECUTORS.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
        modules += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        above = [m for m in modules if m.startswith("webcorpus.") and not m.startswith("webcorpus.executors")]
        assert above == [], f"{path.name} imports {above}"


def test_run_reports_each_result_or_failure_in_one_and_two_workers():
    for workers in (1, 2):
        results, counted = {}, []
        LocalExecutor(workers).run(scaled, [1, 2, 3, 4], {"factor": 10}, results.__setitem__, counted.append)
        assert {k: v for k, v in results.items() if k != 3} == {1: 10, 2: 20, 4: 40}
        failure = results[3]
        assert isinstance(failure, Failure) and failure.error == "ValueError: three is not allowed"
        assert "three is not allowed" in failure.traceback
        if workers == 1:  # running counts arrive as increments; with a pool they may still be in flight
            assert sum(counted) == 1 + 2 + 4


def test_map_keeps_input_order():
    assert LocalExecutor(2).map(abs, [-3, 1, -2]) == [3, 1, 2]
