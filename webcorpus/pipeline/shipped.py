"""The ready pipelines shipped inside the package (`main`, `fineweb-en`, `multilingual`).

In the repository they live in `pipelines/` (the package's `webcorpus/pipelines` links there); a wheel
carries them as package data, so `webcorpus demo` and `webcorpus run main` work after `pip install`.
"""
from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def shipped_pipelines() -> dict[str, Path]:
    """Name -> path of every pipeline shipped with the package."""
    folder = resources.files("webcorpus") / "pipelines"
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml")}


def pipeline_path(name_or_path: str | os.PathLike) -> str:
    """A pipeline file as given, or, when no such file exists, the shipped pipeline of that name
    (`main`, `main.yaml`, `pipelines/main.yaml`)."""
    path = str(name_or_path)
    if os.path.exists(path):
        return path
    stem = Path(path).name.removesuffix(".yaml")
    return str(shipped_pipelines().get(stem, path))
