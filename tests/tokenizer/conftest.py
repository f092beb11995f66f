"""Real text from ../shared/data written to temporary Parquet shards, and a trained tokenizer to share."""
from __future__ import annotations

import json
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from webcorpus.documents import from_rows
from webcorpus.stages.global_stage import GlobalContext

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def real_documents(sentences_per_language: int = 200) -> list[dict]:
    """News articles (newspaper, scrapinghub) and paragraphs of 10 sentences in 75 languages (lingua)."""
    data = SHARED.resolve()
    if not data.is_dir():
        pytest.fail(f"real test data not found at {data}")
    docs = []
    for path in sorted((data / "extract/newspaper-fulltext/text").glob("*.txt")):
        docs.append({"id": f"newspaper/{path.name}", "url": f"file:{path.name}", "text": path.read_text(encoding="utf-8")})
    truth = json.loads((data / "extract/scrapinghub-aeb/ground-truth.json").read_text(encoding="utf-8"))
    for key, item in sorted(truth.items()):
        docs.append({"id": f"aeb/{key}", "url": item.get("url"), "text": item["articleBody"]})
    for lang_dir in sorted((data / "lid/lingua-testdata").iterdir()):
        path = lang_dir / "testdata" / "sentences.txt"
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()[:sentences_per_language]
        for i in range(0, len(lines), 10):
            docs.append({"id": f"lingua/{lang_dir.name}/{i}", "url": None, "text": " ".join(lines[i : i + 10])})
    return docs


def write_shards(docs: list[dict], folder: Path, shards: int) -> list[str]:
    """Deal documents round-robin into ``shards`` Parquet files (an empty text included, as real runs have)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(shards):
        rows = docs[k::shards]
        path = folder / f"docs.{k:05d}.parquet"
        pq.write_table(from_rows(rows), path)
        paths.append(str(path))
    return paths


def serial_map(fn, items):
    return [fn(item) for item in items]


class PoolMap:
    """A two-process map, as the local executor's (spawned workers, ordered results)."""

    def __init__(self, workers: int = 2):
        self.workers = workers

    def __call__(self, fn, items):
        with ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn")) as pool:
            return list(pool.map(fn, items))


def make_context(inputs: list[str], root: Path, workers: int = 1) -> GlobalContext:
    return GlobalContext(
        inputs=sorted(inputs),
        output_dir=root / "docs_out",
        work_dir=root / "work",
        run_dir=root / "OUTPUT",
        workers=workers,
        map=serial_map if workers == 1 else PoolMap(workers),
    )


@pytest.fixture(scope="session")
def documents() -> list[dict]:
    docs = real_documents()
    docs.insert(5, {"id": "empty/1", "url": "http://example.invalid/empty", "text": ""})
    return docs


@pytest.fixture(scope="session")
def shards(documents, tmp_path_factory) -> list[str]:
    return write_shards(documents, tmp_path_factory.mktemp("corpus"), 4)


@pytest.fixture(scope="session")
def trained(shards, tmp_path_factory):
    """A run folder whose OUTPUT/tokenizer holds a 4,000-piece model trained on the corpus."""
    from webcorpus.tokenizer.train import TrainTokenizer

    root = tmp_path_factory.mktemp("run")
    ctx = make_context(shards, root)
    stage = TrainTokenizer(vocab_size=4000, sample_bytes=2_000_000, heldout_bytes=200_000)
    stage.run(ctx)
    return root, ctx, stage


def texts_by_id(documents) -> dict[str, str]:
    return {d["id"]: d["text"] for d in documents}


pa  # re-exported for tests that build tables
