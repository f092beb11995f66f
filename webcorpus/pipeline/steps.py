"""Steps: a run of per-batch stages is one step (one task per file or shard), a global stage a step of its own."""
from __future__ import annotations

from pathlib import Path


def split_steps(stages: list) -> list[tuple[str, list]]:
    """[a, b, GLOBAL, c] -> [("batch", [a, b]), ("global", [GLOBAL]), ("batch", [c])]."""
    steps: list[tuple[str, list]] = [("batch", [])]
    for stage in stages:
        if getattr(stage, "is_global", False):
            steps.append(("global", [stage]))
        elif steps[-1][0] == "batch":
            steps[-1][1].append(stage)
        else:
            steps.append(("batch", [stage]))
    return steps


def step_output(output: Path, number: int, last: bool) -> Path:
    """Where step ``number`` writes its documents: OUTPUT/documents/ for the last step."""
    return output / "documents" if last else output / "steps" / f"step-{number}" / "documents"


def step_folder(number: int, last: bool) -> str:
    """``step_output`` relative to the run folder."""
    return "documents" if last else f"steps/step-{number}/documents"
