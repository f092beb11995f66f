"""Near-duplicate quality on real text: pair precision and recall at Jaccard 0.8, ours vs datasketch greedy.

Corpus (from benchmarks/dedup_corpus.py): clusters of variants of real gold
texts (insertions, deletions, substitutions, reordered paragraphs, added
boilerplate, at random strengths so that many pairs sit near the threshold),
unrelated real texts, and hard negatives that share only a prefix of a text.

Truth: the exact Jaccard of the 5-gram shingle sets (plain Python sets of the
normalised word tuples), computed for every pair sharing a shingle.

Two readings of "pair", both reported:
* cluster pairs: two documents are duplicates when they are in the same
  connected component of the truth graph (pairs with Jaccard >= 0.8); a
  method's pairs are the pairs inside its clusters.
* direct pairs: truth pairs are the pairs with Jaccard >= 0.8 themselves
  (a clustering method pays here for every chain A~B~C whose ends are
  below the threshold).
Also reported: the share of removal links (removed document -> the document
it is said to duplicate) whose exact Jaccard reaches 0.8.

datasketch greedy: for each document in order, query a MinHashLSH (threshold
0.8, 128 permutations) built from the same shingles; a hit makes the document
a duplicate of the first hit, otherwise it is inserted.

    python benchmarks/dedup_quality.py [--clusters 150] [--seed 0]
"""
from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_corpus import boilerplate_of, gold_texts, hard_negative, variant, vocabulary_of  # noqa: E402

THRESHOLD, NGRAM, NUM_PERM = 0.8, 5, 128


def build_corpus(n_clusters: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = gold_texts()
    rng.shuffle(texts)
    vocabulary, boilerplate = vocabulary_of(texts), boilerplate_of(texts)
    bases, rest = texts[:n_clusters], texts[n_clusters:]
    docs = []
    for base in bases:
        docs.append(base)
        for _ in range(rng.randint(1, 5)):
            docs.append(variant(base, rng, vocabulary, boilerplate, rng.uniform(0.0, 1.5)))
    docs += rest  # unrelated documents
    for base in rng.sample(bases, min(len(bases), n_clusters // 2)):
        docs.append(hard_negative(base, rng.choice(rest), rng))
    rng.shuffle(docs)
    return docs


def shingle_sets(docs: list[str]) -> list[set]:
    from webcorpus.dedup.shingles import normalized_words

    sets = []
    for words in normalized_words(docs):
        grams = {" ".join(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}
        sets.append(grams or ({" ".join(words)} if words else set()))
    return sets


def true_pairs(sets: list[set]) -> dict[tuple[int, int], float]:
    """Exact Jaccard of every pair that shares at least one shingle, via an inverted index."""
    index: dict[str, list[int]] = {}
    for i, s in enumerate(sets):
        for g in s:
            index.setdefault(g, []).append(i)
    shared: dict[tuple[int, int], int] = {}
    for members in index.values():
        if 1 < len(members) < 200:
            for pair in itertools.combinations(members, 2):
                shared[pair] = shared.get(pair, 0) + 1
    return {p: len(sets[p[0]] & sets[p[1]]) / len(sets[p[0]] | sets[p[1]]) for p in shared}


def cluster_pairs(labels: list[int]) -> set[tuple[int, int]]:
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(label, []).append(i)
    return {p for members in groups.values() for p in itertools.combinations(sorted(members), 2)}


def components(n: int, edges) -> list[int]:
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        parent[find(a)] = find(b)
    return [find(i) for i in range(n)]


def score(predicted: set, truth: set) -> tuple[float, float]:
    hit = len(predicted & truth)
    return hit / max(len(predicted), 1), hit / max(len(truth), 1)


def ours(docs: list[str], **options) -> tuple[list[int], list]:
    import pyarrow.parquet as pq

    from webcorpus.dedup import deduplicate
    from webcorpus.documents import from_rows

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rows = [{"id": f"d{i:06d}", "text": t} for i, t in enumerate(docs)]
        inputs = []
        for k in range(0, len(rows), 500):
            path = tmp / f"in-{k:06d}.parquet"
            pq.write_table(from_rows(rows[k : k + 500]), path)
            inputs.append(str(path))
        result = deduplicate(inputs, tmp / "out", work_dir=tmp / "work", keep="first_id", threshold=THRESHOLD, num_perm=NUM_PERM, **options)
        label = {}
        for path in result.outputs:
            for row in pq.read_table(path, columns=["id", "dup_cluster"]).to_pylist():
                label[row["id"]] = row["dup_cluster"]
        links = []
        for path in result.removed:
            for row in pq.read_table(path, columns=["id", "duplicate_of"]).to_pylist():
                label[row["id"]] = row["duplicate_of"]
                links.append((int(row["id"][1:]), int(row["duplicate_of"][1:])))
    names = sorted(set(label.values()))
    code = {name: i for i, name in enumerate(names)}
    return [code[label[f"d{i:06d}"]] for i in range(len(docs))], links


def datasketch_greedy(sets: list[set]) -> list[int]:
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    links = []
    for i, s in enumerate(sets):
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch([g.encode("utf-8") for g in s])
        hits = lsh.query(m)
        if hits:
            links.append((i, min(hits)))
        else:
            lsh.insert(i, m)
    return components(len(sets), links), links


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    docs = build_corpus(args.clusters, args.seed)
    sets = shingle_sets(docs)
    jaccards = true_pairs(sets)
    direct = {p for p, j in jaccards.items() if j >= THRESHOLD}
    truth_clusters = cluster_pairs(components(len(docs), direct))
    near = sum(1 for j in jaccards.values() if 0.7 <= j < 0.9)
    print(f"documents {len(docs)}; pairs sharing a shingle {len(jaccards)}; truth pairs (J >= {THRESHOLD}) {len(direct)}; "
          f"pairs in truth clusters {len(truth_clusters)}; pairs with 0.7 <= J < 0.9: {near}")
    methods = (
        ("webcorpus dedup", lambda: ours(docs)),
        ("webcorpus, confirm off (ablation)", lambda: ours(docs, confirm=False)),
        ("datasketch MinHashLSH greedy", lambda: datasketch_greedy(sets)),
    )
    for name, method in methods:
        start = time.perf_counter()
        labels, links = method()
        seconds = time.perf_counter() - start
        predicted = cluster_pairs(labels)
        cp, cr = score(predicted, truth_clusters)
        dp, dr = score(predicted, direct)
        good = sum(jaccards.get((min(a, b), max(a, b)), 0.0) >= THRESHOLD for a, b in links)
        print(f"{name:34s} cluster pairs P {cp:.4f} R {cr:.4f} | direct pairs P {dp:.4f} R {dr:.4f} | "
              f"removal links {len(links)}, J >= {THRESHOLD}: {good / max(len(links), 1):.4f} | {seconds:.1f} s")


if __name__ == "__main__":
    main()
