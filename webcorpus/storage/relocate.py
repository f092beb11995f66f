"""Paths of one machine's run folder, moved to another's: what a task item holds travels between places."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


def relocate(value: Any, old: str, new: str) -> Any:
    """``value`` with every path under the folder ``old`` moved under ``new``: strings, paths, and the
    tuples, lists, dicts and dataclasses holding them (a task's plan, its ledger), whatever their depth."""
    if isinstance(value, str):
        return new + value[len(old):] if value == old or value.startswith(old + "/") else value
    if isinstance(value, Path):
        return Path(relocate(str(value), old, new))
    if isinstance(value, tuple):
        return tuple(relocate(item, old, new) for item in value)
    if isinstance(value, list):
        return [relocate(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: relocate(item, old, new) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: relocate(getattr(value, f.name), old, new) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if hasattr(value, "root") and type(value).__name__ == "Ledger":
        return type(value)(relocate(value.root, old, new))
    return value
