"""Fresh virtual environments that hold what one of the README's install lines would install, offline.

``pip install 'webcorpus[EXTRA]'`` installs the wheel and the closure of the requirements its metadata
declares for EXTRA (markers evaluated here). Resolving that closure needs no index: every distribution in
it is already installed in the project's environment (``make setup`` installs ``[all]``). So a fresh venv
gets the wheel installed by pip (``--no-deps``), and exactly the closure's distributions linked into its
site-packages from the project's environment: each distribution's files (from its RECORD), linked at the
highest folder no other installed distribution shares, its ``.dist-info`` included. A package that the
code imports but the metadata does not declare is then absent, as after a real install; nothing of the
project's environment outside the closure is visible (not even through a shared namespace folder such as
``google/``).
"""
from __future__ import annotations

import email.parser
import importlib.metadata as md
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

#: The README's install lines: the extras each installs.
INSTALL_LINES = {"base": (), "train": ("train",), "s3": ("s3",), "all": ("all",)}


def installed() -> dict[str, md.Distribution]:
    """The project environment's distributions by canonical name (the first one found on the path)."""
    found: dict[str, md.Distribution] = {}
    for dist in md.distributions():
        found.setdefault(canonicalize_name(dist.metadata["Name"]), dist)
    return found


def wheel_requires(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(name).decode("utf-8"))
    return metadata.get_all("Requires-Dist") or []


def closure(extras: tuple[str, ...], dists: dict[str, md.Distribution], declared: list[str]) -> set[str]:
    """Canonical names of the distributions ``pip install 'webcorpus[extras]'`` installs, webcorpus
    excluded, for webcorpus's ``declared`` requirements; a requirement not installed here, or installed
    at a version outside its range, fails."""
    wanted: set[str] = set()
    todo = [("webcorpus", set(extras))]
    seen: set[tuple[str, frozenset]] = set()
    while todo:
        name, name_extras = todo.pop()
        key = (name, frozenset(name_extras))
        if key in seen:
            continue
        seen.add(key)
        for line in (declared if name == "webcorpus" else dists[name].requires) or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not any(
                    requirement.marker.evaluate({**default_environment(), "extra": extra}) for extra in (name_extras or {""})):
                continue
            child = canonicalize_name(requirement.name)
            assert child in dists, f"{name} requires {line}, which the project environment does not have"
            version = dists[child].version
            assert requirement.specifier.contains(version, prereleases=True), f"{line}: installed {version}"
            if child != "webcorpus":
                wanted.add(child)
            todo.append((child, {canonicalize_name(e) for e in requirement.extras} | ({*name_extras} if child == "webcorpus" else set())))
    return wanted


def _files(dist: md.Distribution) -> list[Path]:
    """A distribution's files relative to its site-packages (scripts outside it left out)."""
    return [Path(f) for f in dist.files or [] if not str(f).startswith("..")]


def link_closure(site: Path, names: set[str], dists: dict[str, md.Distribution]) -> None:
    """Link the files of ``names`` into ``site``: at the highest folder of each path that only that
    distribution uses in the project environment (a shared folder is made, and its entries linked); a
    file two distributions both install is linked as it lies in the project environment."""
    owners: dict[tuple[str, ...], set[str]] = {}
    for name, dist in dists.items():
        for path in _files(dist):
            for depth in range(1, len(path.parts) + 1):
                owners.setdefault(path.parts[:depth], set()).add(name)
    for name in sorted(names):
        dist = dists[name]
        root = Path(dist.locate_file(""))
        for path in _files(dist):
            depth = next((d for d in range(1, len(path.parts)) if owners[path.parts[:d]] == {name}), len(path.parts))
            prefix = path.parts[:depth]  # a file two distributions both write (fasttext's): the file itself
            target = site.joinpath(*prefix)
            if not target.exists() and not target.is_symlink() and root.joinpath(*prefix).exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(root.joinpath(*prefix))


def make_venv(where: Path, wheel: Path, extras: tuple[str, ...], install: bool = True) -> Path:
    """A venv with the closure of ``extras`` (as ``wheel`` declares them) linked in and ``wheel`` installed
    by pip (``install=False``: webcorpus itself not installed); its folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    dists = installed()
    link_closure(site, closure(extras, dists, wheel_requires(wheel)), dists)
    if install:
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q", str(wheel)],
                       check=True, capture_output=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return where
