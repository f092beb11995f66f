"""decontaminate: documents per core-second against an eval set of 1 million items, and the index's memory.

    python benchmarks/decontaminate_bench.py --items 1000000 --docs 20000

Documents: the gold texts of ../shared/data/extract (benchmarks/dedup_corpus.py) cut into pieces of
about 5,000 characters, cycled up to ``--docs``. Eval items: generated from real text, ``--items`` of
them: 14 to 30 words each, drawn by their frequency in the same gold texts and lingua's English
sentences (real words at real frequencies; their 13-grams are new to the documents, as most of a real
benchmark's are to a crawl), plus ``--planted`` items that are 20-word spans copied from as many
documents, which must be found.

Each side runs in processes of its own (ours: one builds the index, another maps it and checks; peak
memory is their own), on the same files, one after the
other in the same run; times are CPU (process) time of that process:

* webcorpus: ``decontam.index.build`` (the stage's index phase) and ``ContaminationFilter`` on batches
  of 1,000 documents (the stage's apply phase, without Parquet I/O);
* reference: a Python ``set`` of the items' n-gram strings (13 normalised words joined by a space), and
  per document a lookup of each of its n-grams; its words come from the same function as ours
  (``batch_words``, in batches of 1,000), so the two differ in the index and the lookup alone.

Both must flag the same documents (the planted ones and any real overlap); the script checks it.
"""
from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dedup_corpus import DATA, gold_texts  # noqa: E402

NGRAM = 13


def documents(count: int) -> list[str]:
    pieces = []
    for text in gold_texts():
        pieces += [text[i:i + 5000] for i in range(0, len(text), 5000) if len(text[i:i + 5000]) > 1000]
    return [pieces[i % len(pieces)] for i in range(count)]


def generated_items(count: int, docs: list[str], planted: int, seed: int = 0) -> tuple[list[dict], list[int]]:
    """``count`` items of real words drawn by their frequency in real text, then ``planted`` spans copied
    from documents."""
    from collections import Counter

    from webcorpus.decontam.ngrams import words

    sentences = (DATA / "lid" / "lingua-testdata" / "en" / "testdata" / "sentences.txt").read_text(encoding="utf-8")
    frequency = Counter(w for text in gold_texts() + sentences.splitlines() for w in text.split())
    vocabulary, cumulative = list(frequency), list(itertools.accumulate(frequency.values()))
    rng = random.Random(seed)
    items = [{"id": f"gen{i}", "text": " ".join(rng.choices(vocabulary, cum_weights=cumulative, k=rng.randint(14, 30)))}
             for i in range(count)]
    hosts = rng.sample(range(len(docs)), planted)
    for n, host in enumerate(hosts):
        tokens = docs[host].split()
        at = rng.randrange(0, max(1, len(tokens) - 20))
        items.append({"id": f"planted{n}", "text": " ".join(tokens[at:at + 20])})
        assert len(words(items[-1]["text"])) >= NGRAM
    return items, hosts


def peak_rss() -> int:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss it does not carry the parent's peak
    over the exec of a spawned process)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def current_rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def ours_build(items_path: str, work: str, queue) -> None:
    from webcorpus.decontam.eval_sets import resolve
    from webcorpus.decontam.index import build

    base = current_rss()
    start = time.process_time()
    meta = build(Path(work) / "index", resolve([items_path]), None, "id", NGRAM, 1)
    queue.put({"build_seconds": time.process_time() - start, "ngrams": meta["ngrams"],
               "build_peak_rss": peak_rss(), "start_rss": base})


def ours_check(docs: list[str], work: str, queue) -> None:
    import pyarrow as pa

    from webcorpus.decontam.contamination_filter import ContaminationFilter

    check = ContaminationFilter(str(Path(work) / "index"))
    check.setup()
    base = current_rss()
    flagged = []
    start = time.process_time()
    for at in range(0, len(docs), 1000):
        batch = pa.table({"text": pa.array(docs[at:at + 1000], pa.string())})
        reasons = check.verdict(batch).reasons
        flagged += [at + i for i, r in enumerate(reasons) if r is not None]
    check_seconds = time.process_time() - start
    index_bytes = sum(f.stat().st_size for f in (Path(work) / "index").iterdir())
    queue.put({"check_seconds": check_seconds, "flagged": flagged, "index_bytes": index_bytes,
               "rss_growth_while_checking": current_rss() - base})


def reference(items_path: str, docs: list[str], queue) -> None:
    """A Python set of n-gram strings; the words come from the same function as ours (batch_words), so
    the two differ in the index and the lookup alone."""
    import pyarrow as pa

    from webcorpus.decontam.ngrams import batch_words

    def word_lists(texts: list[str]) -> list[list[str]]:
        flat, offsets = batch_words(pa.array(texts, pa.string()))
        flat = flat.to_pylist()
        return [flat[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]

    word_lists(["warm up"])
    base = current_rss()
    start = time.process_time()
    grams: set[str] = set()
    with open(items_path, encoding="utf-8") as lines:
        texts = []
        for line in lines:
            texts.append(json.loads(line)["text"])
            if len(texts) == 10_000:
                for item in word_lists(texts):
                    grams.update(" ".join(item[i:i + NGRAM]) for i in range(len(item) - NGRAM + 1))
                texts = []
        for item in word_lists(texts):
            grams.update(" ".join(item[i:i + NGRAM]) for i in range(len(item) - NGRAM + 1))
    build_seconds = time.process_time() - start
    held = current_rss() - base
    flagged = []
    start = time.process_time()
    for at in range(0, len(docs), 1000):
        for n, w in enumerate(word_lists(docs[at:at + 1000])):
            if any(" ".join(w[i:i + NGRAM]) in grams for i in range(len(w) - NGRAM + 1)):
                flagged.append(at + n)
    check_seconds = time.process_time() - start
    queue.put({"build_seconds": build_seconds, "check_seconds": check_seconds, "flagged": flagged,
               "ngrams": len(grams), "set_rss": held, "build_peak_rss": peak_rss(), "start_rss": base})


def in_process(target, *args):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--planted", type=int, default=100)
    args = parser.parse_args()
    docs = documents(args.docs)
    items, hosts = generated_items(args.items, docs, args.planted)
    with tempfile.TemporaryDirectory(prefix="decontam-bench-") as work:
        items_path = str(Path(work) / "items.jsonl")
        with open(items_path, "w", encoding="utf-8") as out:
            for item in items:
                out.write(json.dumps(item) + "\n")
        del items
        mine = in_process(ours_build, items_path, work)
        mine.update(in_process(ours_check, docs, work))
        ref = in_process(reference, items_path, docs)
    planted_docs = {n for n in range(len(docs)) if any(docs[n] == docs[h] for h in hosts)}
    assert planted_docs <= set(mine["flagged"]), "a planted item was missed"
    assert mine["flagged"] == ref["flagged"], (len(mine["flagged"]), len(ref["flagged"]))
    report = {
        "items": args.items + args.planted, "documents": len(docs), "flagged_documents": len(mine["flagged"]),
        "distinct_ngrams": {"webcorpus": mine["ngrams"], "reference": ref["ngrams"]},
        "docs_per_cpu_second": {"webcorpus": round(len(docs) / mine["check_seconds"]),
                                "reference": round(len(docs) / ref["check_seconds"])},
        "check_speedup": round(ref["check_seconds"] / mine["check_seconds"], 2),
        "index_build_cpu_seconds": {"webcorpus": round(mine["build_seconds"], 1), "reference": round(ref["build_seconds"], 1)},
        "index_memory_bytes": {"webcorpus_files_mapped": mine["index_bytes"],
                               "webcorpus_rss_growth_while_checking": mine["rss_growth_while_checking"],
                               "reference_set": ref["set_rss"]},
        "memory_ratio": round(ref["set_rss"] / mine["index_bytes"], 2),
        "peak_rss_bytes": {"webcorpus_build": mine["build_peak_rss"], "reference": ref["build_peak_rss"]},
    }
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
