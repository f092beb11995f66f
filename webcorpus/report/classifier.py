"""The quality classifier's part of the report: its card (how well it separates held-out texts) and one
example document per score level (``OUTPUT/quality_classifier/``: ``card.json`` from
``train_quality_classifier``, ``examples.json`` from ``quality_classifier``). The score histogram
itself is a signal of the stage (stats.json), drawn with the other filters' signals."""
from __future__ import annotations

import json
from pathlib import Path


def read_classifier(output: Path) -> dict | None:
    """``{"card": ..., "examples": ...}`` (either None when absent), or None when no classifier ran."""
    folder = output / "quality_classifier"
    found = {name: _json(folder / f"{name}.json") for name in ("card", "examples")}
    return found if any(found.values()) else None


def _json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
