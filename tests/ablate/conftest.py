"""Two outputs of the same real crawl (dolma's wget sample, ../shared/data): with and without quality
filters, as a user would compare them. Torch runs single-threaded: tiny models gain nothing from
threads, and spinning OpenMP threads slow a shared machine."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from webcorpus import Pipeline, build_stage


def crawl(shared_data: Path) -> list[str]:
    folder = shared_data / "warc" / "dolma-wget-sample"
    return [str(folder / "sample-0000.warc.gz"), str(folder / "sample-0001.warc.gz")]


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def two_outputs(tmp_path_factory, shared_data) -> tuple[Path, Path]:
    """(quality-filtered OUTPUT, unfiltered OUTPUT) of the same two WARC files."""
    root = tmp_path_factory.mktemp("ablate-outputs")
    base = [build_stage("extract", {}), build_stage("language", {"keep": ["en"], "min_score": 0.5})]
    quality = [build_stage("gopher_repetition", {}), build_stage("gopher_quality", {})]
    outputs = []
    for name, stages in (("filtered", base + quality), ("unfiltered", base)):
        result = Pipeline(stages, input=crawl(shared_data), output=root / name, workers=2).run(quiet=True)
        assert result.exit_code == 0
        outputs.append(root / name)
    filtered, unfiltered = (json.loads((o / "stats.json").read_text())["documents"]["written"] for o in outputs)
    assert 0 < filtered < unfiltered  # the filters removed something: the corpora differ
    return outputs[0], outputs[1]


#: A model and batch small enough for seconds on one CPU core; the same for every test.
TINY = {"n_layer": 1, "n_head": 2, "n_embd": 32, "seq_len": 32, "batch_size": 4, "eval_every": 10,
        "checkpoint_every": 10, "warmup_steps": 5}
