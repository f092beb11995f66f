"""What a pipeline needs installed, checked before any work, apart from what the user wrote.

Each stage's ``requires`` maps the modules it imports (itself or through its engine) to the pip package
that provides them. A module that cannot be found is an installation matter, not a mistake in the
pipeline file: it is reported as :class:`MissingDependency` (never as a ``ConfigError``), every one at
once, each with the install line that provides it, taken from webcorpus's own metadata: the extra that
brings the package (``pip install 'webcorpus[train]'``), or the package's requirement itself when the base
install should have brought it (``pip install 'protobuf>=3.20'``).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import re

class MissingDependency(ImportError):
    """Modules a stage needs are not installed; the message has the install line for each."""


#: Extras that only gather others (or the developers' tools): never the line to suggest.
_GATHERING_EXTRAS = ("all", "dev")


def is_installed(module: str) -> bool:
    """Whether ``module`` (dotted names too: ``google.protobuf``) can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing (``google``), or a broken spec
        return False


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def install_line(package: str) -> str:
    """The pip command that brings ``package`` as webcorpus declares it."""
    try:
        declared = importlib.metadata.requires("webcorpus") or []
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return f"pip install '{package}'"
    base, extras, only = None, [], ""
    for line in declared:
        spec, _, marker = line.partition(";")
        name = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
        if name is None or _canonical(name.group(1)) != _canonical(package):
            continue
        python = re.search(r"python_version\s*([<>=!~]+)\s*['\"]([\d.]+)['\"]", marker)
        if python:  # e.g. heliport's wheel: Python 3.11 or newer
            only = f" (Python {python.group(1)} {python.group(2)} only)"
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
        if extra is None:
            base = spec.strip()
        elif extra.group(1) not in _GATHERING_EXTRAS:
            extras.append(extra.group(1))
    if base is not None:
        return f"pip install '{base}'{only}"
    if extras:
        return f"pip install 'webcorpus[{sorted(extras)[0]}]'{only}"
    return f"pip install '{package}'"


def missing_dependencies(stage, where: str = "") -> list[str]:
    """One line per module ``stage`` requires that is not installed, with the install line."""
    return [f"stage {where}'{stage.name}' needs the module '{module}' (package {package}): {install_line(package)}"
            for module, package in stage.requires.items() if not is_installed(module)]


def check_installed(stages: list) -> None:
    """Raise :class:`MissingDependency` naming every missing module of ``stages`` and how to install it."""
    lines = [line for index, stage in enumerate(stages, start=1) for line in missing_dependencies(stage, f"{index} ")]
    if lines:
        raise MissingDependency(
            "webcorpus is missing packages this pipeline needs (an installation matter; the pipeline file is "
            "fine):\n" + "\n".join(f"  - {line}" for line in lines))
