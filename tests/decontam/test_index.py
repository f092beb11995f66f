"""The index against the plainest reference on real text: a Python set of n-gram strings (and a substring
test for the items matched whole) flags exactly the documents the memory-mapped index flags.

Items: lingua's 1,000 English test sentences; documents: the gold article texts of newspaper-fulltext
and scrapinghub-aeb, with a few sentences planted. With 6-word n-grams real overlaps occur too
("one of the most important ..."), so the comparison is not only about the planted ones."""
import json
import random

import pyarrow as pa

from webcorpus.decontam import eval_sets
from webcorpus.decontam.contamination_filter import ContaminationFilter
from webcorpus.decontam.index import NgramIndex, build
from webcorpus.decontam.ngrams import words

NGRAM = 6


def test_the_index_flags_what_a_python_set_flags(tmp_path, shared_data):
    sentences = (shared_data / "lid/lingua-testdata/en/testdata/sentences.txt").read_text(encoding="utf-8").splitlines()
    texts = [p.read_text(encoding="utf-8") for p in sorted((shared_data / "extract/newspaper-fulltext/text").glob("*.txt"))]
    truth = json.loads((shared_data / "extract/scrapinghub-aeb/ground-truth.json").read_text(encoding="utf-8"))
    texts += [truth[k]["articleBody"] for k in sorted(truth)]
    rng = random.Random(3)
    for at in rng.sample(range(len(texts)), 10):
        cut = texts[at].find(" ", len(texts[at]) // 3)
        texts[at] = texts[at][:cut] + " " + rng.choice(sentences) + texts[at][cut:]
    items = tmp_path / "lid.jsonl"
    items.write_text("".join(json.dumps({"id": i, "s": s}) + "\n" for i, s in enumerate(sentences)), encoding="utf-8")

    meta = build(tmp_path / "index", eval_sets.resolve([str(items)]), None, "id", NGRAM, 1)
    index = NgramIndex(tmp_path / "index")
    assert list(index.hashes) == sorted(set(index.hashes.tolist()))  # partitions appended in order: sorted
    assert meta["items"] == 1000 and meta["items_matched_whole"] == sum(0 < len(words(s)) < NGRAM for s in sentences)

    grams, whole = set(), []
    for sentence in sentences:
        w = words(sentence)
        if len(w) < NGRAM:
            whole.append(" ".join(w))
        grams.update(" ".join(w[i:i + NGRAM]) for i in range(len(w) - NGRAM + 1))
    expected = set()
    for row, text in enumerate(texts):
        w = words(text)
        joined = f" {' '.join(w)} "
        if any(" ".join(w[i:i + NGRAM]) in grams for i in range(len(w) - NGRAM + 1)) or any(f" {s} " in joined for s in whole):
            expected.add(row)

    check = ContaminationFilter(str(tmp_path / "index"))
    check.setup()
    found = set()
    for at in range(0, len(texts), 100):
        found.update(at + row for row in check.first_hits(pa.array(texts[at:at + 100], pa.string())))
    assert found == expected and len(expected) > 10


def test_every_window_of_every_item_is_found_and_its_item_named(tmp_path, shared_data):
    sentences = (shared_data / "lid/lingua-testdata/de/testdata/sentences.txt").read_text(encoding="utf-8").splitlines()[:300]
    items = tmp_path / "de.jsonl"
    items.write_text("".join(json.dumps({"id": f"de{i}", "s": s}) + "\n" for i, s in enumerate(sentences)), encoding="utf-8")
    build(tmp_path / "index", eval_sets.resolve([str(items)]), None, "id", 13, 1)
    check = ContaminationFilter(str(tmp_path / "index"))
    check.setup()
    hits = check.first_hits(pa.array(sentences, pa.string()))
    # each sentence is found, and named by itself unless an earlier item shares its first window
    assert set(hits) == {i for i, s in enumerate(sentences) if words(s)}
    assert sum(check._index.item(ref)[1] == f"de{row}" for row, ref in hits.items()) >= 0.95 * len(hits)
