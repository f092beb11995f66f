"""A wheel built from the repository works where the repository is not: `webcorpus demo` (shipped
pipelines as package data), `python -m webcorpus`, and the `webcorpus` script.

The fresh venv has no pip and no packages of its own: it installs the wheel with `--no-deps` and
sees the project venv's site-packages through a .pth file, so the test needs no network.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "demo-out", ".pytest_cache")


def run(*args, cwd, timeout=600):
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: the build writes build/ and *.egg-info beside the sources
    shutil.copytree(REPO, source, symlinks=True, ignore=SKIP)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", work / "dist", source, cwd=work)
    wheel, = (work / "dist").glob("webcorpus-*.whl")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=work)
    site = Path(run(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=work).stdout.strip())
    # The project's installed dependencies, not its editable webcorpus (a .pth in a .pth'd folder is not read).
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "--no-deps", "-q", wheel, cwd=work)
    return venv


def test_the_wheel_carries_the_cli_and_the_pipelines(fresh_venv, tmp_path):
    where = run(fresh_venv / "bin" / "python", "-c", "import webcorpus.cli, webcorpus; print(webcorpus.__file__)", cwd=tmp_path)
    assert str(fresh_venv) in where.stdout
    listed = run(fresh_venv / "bin" / "python", "-m", "webcorpus", "--help", cwd=tmp_path)
    assert "demo" in listed.stdout and "Usage: webcorpus" in listed.stdout
    shipped = run(fresh_venv / "bin" / "python", "-c",
                  "from webcorpus.pipeline.shipped import shipped_pipelines; print(sorted(shipped_pipelines()))", cwd=tmp_path)
    assert "'fineweb-en', 'main', 'multilingual'" in shipped.stdout


def test_webcorpus_demo_works_from_the_installed_wheel(fresh_venv, tmp_path):
    run(fresh_venv / "bin" / "webcorpus", "demo", "--output", "demo", "--train-steps", "0", "--quiet", cwd=tmp_path)
    stats = json.loads((tmp_path / "demo" / "run" / "stats.json").read_text())
    assert stats["documents"]["written"] > 50
    assert stats["run"]["source"].endswith("main.yaml") and str(fresh_venv) in stats["run"]["source"]
