"""The quality classifier: scoring speed, training time, held-out ROC AUC leave one dataset out.

Texts (benchmarks/classifier_texts.py, from ../shared/data/extract; real, never copied): per page of
the three extraction sets, its expected **article** and the **rest of the page** (the page's whole
visible text less the article's lines: menus, footers, link lists, comments).

    python benchmarks/classifier_bench.py --lodo    # ROC AUC on the set left out (train on the other two)
    python benchmarks/classifier_bench.py --speed   # documents per CPU-second, ~5 KB documents
    python benchmarks/classifier_bench.py --train   # train_quality_classifier on a run of 100,000 documents

``--speed``: 20,000 documents of about 5 KB, each an article or a rest of a page repeated end to end
until it reaches 5,000 characters (the text is real, the length is made). Scored (1) by fastText's C++
alone on lines prepared beforehand (``multilinePredict``: the floor), (2) by the stage's ``Scorer``
(preparation, the C++ call, reading the probabilities back), (3) by the whole stage on Parquet shards
(reading, scoring, id hashes for the examples, writing), interleaved in one process, CPU time.

``--train``: 100,000 distinct documents of about 5 KB, cut as windows of 800 words at a stride of a
few words from the concatenated articles (50,000 positives, a JSON lines file) and from the
concatenated rests (50,000 run documents in 4 Parquet shards, the sampled negatives). The windows
are real text, re-cut; they overlap heavily, so the figures are of speed, not of quality.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import classifier_texts  # noqa: E402
from extract_quality import DATASETS  # noqa: E402

from webcorpus.stages.classifier.fit import Settings, evaluate, fit, train, write_examples  # noqa: E402
from webcorpus.stages.classifier.model import load  # noqa: E402
from webcorpus.stages.classifier.text import prepare  # noqa: E402


def prepared(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(line for line in map(prepare, texts) if line))


def lodo() -> None:
    print("held-out ROC AUC, leave one dataset out: articles (positives) against the rest of their pages (negatives)")
    print("| left out (scored) | trained on | test positives | test negatives | ROC AUC | precision at 0.5 | recall at 0.5 | chosen lr, epochs |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    aucs = []
    for held in DATASETS:
        others = [d for d in DATASETS if d != held]
        positives = prepared([t for d in others for t in classifier_texts.articles(d)])
        negatives = prepared([t for d in others for t in classifier_texts.rests(d)])
        with tempfile.TemporaryDirectory() as scratch:
            model_path = Path(scratch) / "model.bin"
            card = fit(positives, negatives, "__label__hq", "__label__cc", Settings(16, 200_000, 1, 0), Path(scratch), model_path)
            model = load(str(model_path))
            result = evaluate(model, prepared(classifier_texts.articles(held)), prepared(classifier_texts.rests(held)), "__label__hq")
        aucs.append(result["roc_auc"])
        print(f"| {held} | {' + '.join(others)} | {result['positives']} | {result['negatives']} | {result['roc_auc']:.4f} | "
              f"{result['precision']} | {result['recall']} | {card['chosen']['lr']}, {card['chosen']['epoch']} |")
    print(f"mean of the three held-out sets: {sum(aucs) / len(aucs):.4f}")


def five_kb(texts: list[str], count: int) -> list[str]:
    docs = []
    for i in range(count):
        text = texts[i % len(texts)]
        doc = text
        while len(doc) < 5000:
            doc += "\n" + text
        docs.append(doc[:5000])
    return docs


def speed(count: int = 20_000, rounds: int = 3) -> None:
    import fasttext
    import pyarrow as pa
    import pyarrow.parquet as pq

    from webcorpus.stages.classifier.apply import QualityClassifier
    from webcorpus.stages.classifier.model import Scorer
    from webcorpus.stages.global_stage import GlobalContext

    fasttext.FastText.eprint = lambda *a, **k: None
    texts = classifier_texts.articles() + classifier_texts.rests()
    docs = five_kb(texts, count)
    lines = [prepare(d) + "\n" for d in docs]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        positives = prepared(classifier_texts.articles())
        negatives = prepared(classifier_texts.rests())
        models = {}
        for dim in (16, 256):
            write_examples(scratch / "train.txt", positives, negatives, "__label__hq", "__label__cc")
            train(scratch / "train.txt", Settings(dim, 200_000, 1, 0).arguments(0.5, 10)).save_model(str(scratch / f"dim{dim}.bin"))
            models[dim] = str(scratch / f"dim{dim}.bin")
        shards = []
        for part in range(4):
            rows = [{"id": f"doc-{i}", "url": None, "text": d} for i, d in enumerate(docs) if i % 4 == part]
            path = scratch / f"shard-{part}.parquet"
            pq.write_table(pa.Table.from_pylist(rows), path, compression="zstd")
            shards.append(str(path))
        results: dict[str, list[float]] = {}
        for _ in range(rounds):  # interleaved: the machine's load falls on every variant alike
            for dim, path in models.items():
                model = load(path)
                start = time.process_time()
                for i in range(0, len(lines), 1000):
                    model.f.multilinePredict(lines[i : i + 1000], 1, 0.0, "replace")
                results.setdefault(f"dim {dim}: fastText C++ alone (multilinePredict on prepared lines)", []).append(time.process_time() - start)
                scorer = Scorer(path, "__label__hq")
                start = time.process_time()
                for i in range(0, len(docs), 1000):
                    scorer.score(docs[i : i + 1000])
                results.setdefault(f"dim {dim}: Scorer (prepare + C++ + read back)", []).append(time.process_time() - start)
                stage = QualityClassifier(model=path)
                run_dir = scratch / f"run-{dim}-{_}"
                ctx = GlobalContext(inputs=shards, output_dir=run_dir / "out", work_dir=run_dir / "work", run_dir=run_dir,
                                    workers=1, map=lambda fn, items: [fn(item) for item in items])
                start = time.process_time()
                stage.run(ctx)
                results.setdefault(f"dim {dim}: whole stage on Parquet shards (read, score, write)", []).append(time.process_time() - start)
    print(f"{count:,} documents of 5,000 characters; best of {rounds} interleaved rounds, CPU time of this process")
    print("| what | documents per CPU-second | ratio to the C++ alone |")
    print("|---|---:|---:|")
    for name, seconds in results.items():
        floor = min(results[name.split(":")[0] + ": fastText C++ alone (multilinePredict on prepared lines)"])
        print(f"| {name} | {count / min(seconds):,.0f} | {floor / min(seconds):.2f} |")


def windows(texts: list[str], count: int, words: int = 800) -> list[str]:
    stream = " ".join(prepare(t) for t in texts).split()
    stride = max(1, (len(stream) - words) // count)
    return [" ".join(stream[i * stride : i * stride + words]) for i in range(count)]


def train_time(count: int = 100_000) -> None:
    import resource

    import pyarrow as pa
    import pyarrow.parquet as pq

    from webcorpus.stages.classifier.train import TrainQualityClassifier
    from webcorpus.stages.global_stage import GlobalContext

    half = count // 2
    positives, negatives = windows(classifier_texts.articles(), half), windows(classifier_texts.rests(), half)
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        classifier_texts.write_jsonl(scratch / "positives.jsonl", positives)
        shards = []
        for part in range(4):
            path = scratch / f"run-{part}.parquet"
            pq.write_table(pa.Table.from_pylist([{"id": f"run-{i}", "text": t} for i, t in enumerate(negatives) if i % 4 == part]), path)
            shards.append(str(path))
        size = sum(len(t.encode()) for t in positives + negatives)
        print(f"{count:,} documents ({half:,} positives in a JSON lines file, {half:,} run documents in 4 shards), {size / 1e6:.0f} MB of text")
        print("| class_bytes | positives used | negatives used | CPU seconds (reading, sampling, 4 settings, card) | peak RSS | test ROC AUC |")
        print("|---:|---:|---:|---:|---:|---:|")
        for class_bytes in (25_000_000,):  # the default; all 511 MB would take ~20x the CPU (the grid is linear in bytes)
            run_dir = scratch / f"run-{class_bytes}"
            ctx = GlobalContext(inputs=shards, output_dir=run_dir / "out", work_dir=run_dir / "work", run_dir=run_dir,
                                workers=1, map=lambda fn, items: [fn(item) for item in items])
            start = time.process_time()
            stage = TrainQualityClassifier(positives=str(scratch / "positives.jsonl"), class_bytes=class_bytes)
            stage.run(ctx)
            seconds = time.process_time() - start
            card = json.loads(TrainQualityClassifier.card_path(run_dir).read_text())
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"| {class_bytes:,} | {card['positives']['documents']:,} | {card['negatives']['documents']:,} | {seconds:.1f} | "
                  f"{rss:,.0f} MB | {card['test']['roc_auc']} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lodo", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--train", action="store_true")
    args = parser.parse_args()
    if args.lodo:
        lodo()
    if args.speed:
        speed()
    if args.train:
        train_time()
