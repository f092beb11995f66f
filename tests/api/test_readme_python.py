"""The README's Python block runs as written, and the Python API says plainly when a run failed."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.pipeline.helpers import Explode
from webcorpus import Pipeline, RunFailed, read_batches
from webcorpus.sample_crawl import generate_sample_crawl


def readme_python_block() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## From Python"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    generate_sample_crawl(folder / "crawl", pages=120)
    return folder


def test_the_readme_python_block_runs_verbatim(crawl):
    (crawl / "example.py").write_text(readme_python_block(), encoding="utf-8")
    done = subprocess.run([sys.executable, "example.py"], cwd=crawl, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    written, kept = done.stdout.strip().splitlines()
    assert int(written.split()[0]) > 20 and (crawl / "out" / "documents").is_dir()
    assert int(kept.split()[0]) > 0
    assert "worker process died" not in done.stderr


def test_read_batches_reads_documents_from_a_glob_of_crawl_files(crawl):
    batches = list(read_batches(str(crawl / "crawl" / "*.warc.gz"), batch_size=50))
    assert sum(b.num_rows for b in batches) >= 120 and all(b.num_rows <= 50 for b in batches)
    assert {"id", "url", "html", "text"} <= set(batches[0].column_names)


def test_run_raises_when_a_task_fails_and_check_false_returns_the_failure(crawl, tmp_path):
    pipeline = Pipeline([Explode()], input=str(crawl / "crawl" / "*.warc.gz"), output=str(tmp_path / "out"), workers=1)
    with pytest.raises(RunFailed, match="boom") as caught:
        pipeline.run(quiet=True)
    assert caught.value.result.exit_code == 1 and caught.value.result.failed
    result = pipeline.run(quiet=True, check=False)
    assert result.failed and result.exit_code == 1
