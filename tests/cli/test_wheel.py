"""The built wheel works in fresh virtual environments made for each of the README's install lines
(base, ``[train]``, ``[s3]``, ``[all]``: tests/cli/install_lines.py, offline): the demo and one command per
extra run, a command whose extra is not installed names the install line, and the checkout's top-level
``cli.py`` runs a pipeline where webcorpus is not installed at all.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.install_lines import INSTALL_LINES, make_venv
from tests.conftest import REPO
from tests.storage.conftest import bucket, s3_endpoint  # noqa: F401 - fixtures: a real S3 API (moto's server)

pytestmark = pytest.mark.slow

SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "demo-out", ".pytest_cache")
WARC = "warc/aut-example/warc/example.warc.gz"


def run(*args, cwd, timeout=900, ok=True):
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if ok:
        assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """(a copy of the checkout, the wheel built from it)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"  # a copy: the build writes build/ and *.egg-info beside the sources
    shutil.copytree(REPO, source, symlinks=True, ignore=SKIP)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", work / "dist", source, cwd=work)
    wheel, = (work / "dist").glob("webcorpus-*.whl")
    return source, wheel


@pytest.fixture(scope="module")
def venvs(built, tmp_path_factory):
    """A fresh venv per install line, made on first use."""
    made: dict[str, Path] = {}

    def venv(line: str) -> Path:
        if line not in made:
            made[line] = make_venv(tmp_path_factory.mktemp(f"venv-{line}") / "venv", built[1], INSTALL_LINES[line])
        return made[line]

    return venv


def test_the_wheel_carries_the_cli_and_the_pipelines_and_not_the_checkout_script(venvs, built, tmp_path):
    import zipfile

    assert "cli.py" not in zipfile.ZipFile(built[1]).namelist()  # the checkout's cli.py stays in the checkout
    base = venvs("base")
    where = run(base / "bin" / "python", "-c", "import webcorpus.cli, webcorpus; print(webcorpus.__file__)", cwd=tmp_path)
    assert str(base) in where.stdout
    listed = run(base / "bin" / "python", "-m", "webcorpus", "--help", cwd=tmp_path)
    assert "demo" in listed.stdout and "Usage: webcorpus" in listed.stdout
    shipped = run(base / "bin" / "python", "-c",
                  "from webcorpus.pipeline.shipped import shipped_pipelines; print(sorted(shipped_pipelines()))", cwd=tmp_path)
    assert "'fineweb-en', 'main', 'multilingual'" in shipped.stdout


def test_base_install_runs_the_demo_and_names_the_extras_it_lacks(venvs, tmp_path, shared_data):
    base = venvs("base")
    demo = run(base / "bin" / "webcorpus", "demo", "--output", "demo", "--quiet", cwd=tmp_path)
    assert "training skipped: torch is not installed (pip install 'webcorpus[train]')" in demo.stderr
    stats = json.loads((tmp_path / "demo" / "run" / "stats.json").read_text())
    assert stats["documents"]["written"] > 50 and (tmp_path / "demo" / "run" / "tokens" / "llmc").is_dir()
    assert stats["run"]["source"].endswith("main.yaml") and str(base) in stats["run"]["source"]
    ray = run(base / "bin" / "webcorpus", "run", "main", "--input", shared_data / WARC, "--output", "r", "--executor", "ray",
              cwd=tmp_path, ok=False)
    assert ray.returncode == 2 and "executor 'ray' needs the module 'ray': pip install 'webcorpus[ray]'" in ray.stderr
    s3 = run(base / "bin" / "webcorpus", "run", "main", "--input", shared_data / WARC, "--output", "s3://bucket/run",
             cwd=tmp_path, ok=False)
    assert s3.returncode == 2 and "webcorpus[s3]" in s3.stderr


def test_train_install_runs_the_demo_with_training(venvs, tmp_path):
    train = venvs("train")
    run(train / "bin" / "webcorpus", "demo", "--output", "demo", "--train-steps", "4", "--ablation-steps", "0", "--quiet", cwd=tmp_path)
    metrics = [json.loads(line) for line in (tmp_path / "demo" / "model" / "metrics.jsonl").read_text().splitlines()]
    assert any(m.get("step") == 4 for m in metrics)
    assert (tmp_path / "demo" / "run" / "tokenizer" / "tokenizer.model").is_file()


def test_s3_install_writes_a_run_to_a_bucket(venvs, bucket, tmp_path, shared_data):  # noqa: F811 - the fixture
    s3 = venvs("s3")
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("stages:\n  - extract: {engine: resiliparse}\n")
    run(s3 / "bin" / "webcorpus", "run", pipeline, "--input", shared_data / WARC, "--output", f"{bucket}/run", "--quiet", cwd=tmp_path)
    listing = run(s3 / "bin" / "python", "-c", f"import fsspec; print(fsspec.filesystem('s3').ls('{bucket[5:]}/run/documents'))", cwd=tmp_path)
    assert ".parquet" in listing.stdout


def test_all_install_runs_the_multilingual_pipeline(venvs, tmp_path, shared_data):
    every = venvs("all")
    run(every / "bin" / "webcorpus", "run", "multilingual", "--input", shared_data / WARC, "--output", "out", "--workers", "1", "--quiet",
        cwd=tmp_path)
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    stages = {stage["name"]: stage for stage in stats["stages"]}
    assert stages["language"]["documents_out"] > 50  # every page with text labelled
    # ... then judged by the language-aware quality filters, which keep some and drop some
    assert 0 < stats["documents"]["written"] < stages["language"]["documents_out"]
    assert stages["gopher_quality"]["documents_in"] > stages["gopher_quality"]["documents_out"]


def test_the_checkouts_cli_py_runs_a_pipeline_without_webcorpus_installed(built, tmp_path_factory, tmp_path, shared_data):
    source = built[0]
    bare = make_venv(tmp_path_factory.mktemp("venv-deps-only") / "venv", built[1], (), install=False)
    missing = run(bare / "bin" / "python", "-c", "import webcorpus", cwd=tmp_path, ok=False)
    assert missing.returncode != 0  # only the checkout has it
    run(bare / "bin" / "python", source / "cli.py", "run", "pipelines/main.yaml", "--input", shared_data / WARC,
        "--output", tmp_path / "out", "--workers", "1", "--quiet", cwd=source)
    assert (tmp_path / "out" / "tokens" / "llmc").is_dir()
