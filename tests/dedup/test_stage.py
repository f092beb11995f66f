"""The dedup stage end to end on real text: what is removed, what is kept, and that nothing depends on order."""
import random
from concurrent.futures import ProcessPoolExecutor

import pyarrow.parquet as pq
import pytest

from webcorpus.dedup import deduplicate, phases
from webcorpus.dedup import dedup_stage
from webcorpus.dedup.dedup_stage import Dedup
from webcorpus.dedup.plan import partitions_for
from webcorpus.stages.registry import OptionError, build_stage

from .helpers import FUZZY, context, read_all, write_shards
from webcorpus.dedup.shingles import normalized_words


def jaccard(a: str, b: str, n: int = 5) -> float:
    def grams(text):
        words = normalized_words([text])[0]
        return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}

    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y)


def doc(i, text, date="2024-01-01T00:00:00Z", url=None):
    return {"id": f"doc-{i:04d}" if isinstance(i, int) else i, "url": url or f"https://site.example/{i}", "date": date, "text": text}


def replace_words(text: str, every: int, offset: int = 0) -> str:
    words = text.split()
    return " ".join(f"zz{j}" if j % every == offset else w for j, w in enumerate(words))


def outcome(result_or_paths):
    kept = {r["id"]: (r["dup_cluster"], r["dup_count"]) for r in read_all(result_or_paths[0])}
    removed = {r["id"]: (r["duplicate_of"], r["drop_reason"]) for r in read_all(result_or_paths[1])}
    return kept, removed


def run(tmp_path, rows, per_shard=7, name="run", **options):
    inputs = write_shards(tmp_path / name / "in", rows, per_shard)
    result = deduplicate(inputs, tmp_path / name / "out", work_dir=tmp_path / name / "work", **options)
    return result, outcome((result.outputs, result.removed))


def test_exact_and_url_duplicates(tmp_path, texts):
    rows = [doc(i, t) for i, t in enumerate(texts[:12])]
    rows.append(doc("copy-old", texts[3], date="2019-05-01T00:00:00Z", url="https://mirror.example/a"))
    rows.append(doc("copy-new", texts[3], date="2025-05-01T00:00:00Z", url="https://mirror.example/b"))
    rows.append(doc("same-url", "An entirely different page body that was crawled again later on.", url="http://SITE.example/5/#top"))
    result, (kept, removed) = run(tmp_path, rows)
    assert removed == {
        "doc-0003": ("copy-old", "exact_duplicate"),
        "copy-new": ("copy-old", "exact_duplicate"),
        "same-url": ("doc-0005", "url_duplicate"),
    }
    assert kept["copy-old"] == ("copy-old", 3) and kept["doc-0005"] == ("doc-0005", 2)
    assert kept["doc-0000"] == ("doc-0000", 1)
    assert result.stats.documents_in == 15 and result.stats.documents_out == 12
    assert result.stats.dropped == {"exact_duplicate": 2, "url_duplicate": 1}
    assert result.stats.counters["clusters"] == 2 and result.stats.counters["cluster_size_3-4"] == 1


def test_near_duplicates_above_and_below_threshold(tmp_path, texts):
    base = texts[0]
    above = replace_words(base, 100)  # one word in 100 changed: Jaccard around 0.9
    below = replace_words(base, 12)  # one word in 12: Jaccard around 0.5
    assert jaccard(base, above) > 0.85 and jaccard(base, below) < 0.7
    rows = [doc(i, t) for i, t in enumerate(texts[1:10], start=1)]
    rows += [doc("base", base, "2020-01-01T00:00:00Z"), doc("above", above), doc("below", below)]
    result, (kept, removed) = run(tmp_path, rows)
    assert removed == {"above": ("base", "near_duplicate")}
    assert kept["base"] == ("base", 2) and kept["below"] == ("below", 1)
    assert result.stats.dropped == {"near_duplicate": 1}


def test_pair_just_under_threshold_is_not_joined_when_confirmed(tmp_path, texts):
    base = texts[1]
    for every in range(14, 40):
        variant = replace_words(base, every)
        if 0.7 <= jaccard(base, variant) < 0.8:
            break
    else:
        pytest.fail("no variant just under the threshold")
    _, (kept, removed) = run(tmp_path, [doc("a", base), doc("b", variant)])
    assert removed == {} and set(kept) == {"a", "b"}


def test_chain_clusters_transitively(tmp_path, texts):
    words = texts[2].split()
    third = len(words) // 8
    a = " ".join(words)
    b = " ".join(words[:-third] + [f"bx{j}" for j in range(third)])
    c = " ".join([f"cx{j}" for j in range(third)] + words[third:-third] + [f"bx{j}" for j in range(third)])
    assert jaccard(a, b) >= 0.8 and jaccard(b, c) >= 0.8 and jaccard(a, c) < 0.8
    rows = [doc("A", a, "2021-01-01T00:00:00Z"), doc("B", b), doc("C", c)] + [doc(i, t) for i, t in enumerate(texts[20:26])]
    _, (kept, removed) = run(tmp_path, rows)
    assert removed == {"B": ("A", "near_duplicate"), "C": ("A", "near_duplicate")}
    assert kept["A"] == ("A", 3)


def _mixed_corpus(texts):
    rows = [doc(i, t, date=f"2024-01-{1 + i % 28:02d}T00:00:00Z") for i, t in enumerate(texts[:40])]
    for i in range(0, 40, 4):
        rows.append(doc(f"var-{i}", replace_words(texts[i], 50, i % 7), date="2023-06-01T00:00:00Z"))
        rows.append(doc(f"copy-{i}", texts[i], date="2024-01-01T00:00:00Z"))
    return rows


def test_same_result_with_two_workers_and_shuffled_input(tmp_path, texts, monkeypatch):
    rows = _mixed_corpus(texts)
    _, reference = run(tmp_path, rows, per_shard=9, name="one")  # a small run: 1 partition, tasks in this process
    assert len(reference[1]) >= 15
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    inputs = write_shards(tmp_path / "two" / "in", shuffled, 5)
    monkeypatch.setattr(dedup_stage, "INLINE_DOCUMENTS", 0)  # every phase through the pool of two workers
    with ProcessPoolExecutor(2) as pool:
        ctx = context(tmp_path, inputs, pool, name="two")
        stage = Dedup(partitions=16)
        outputs = stage.execute(ctx)
    assert stage.plan(ctx).partitions == 16 and not stage.plan(ctx).inline
    assert outcome((outputs, sorted(str(p) for p in (ctx.run_dir / "dedup" / "removed").glob("*.parquet")))) == reference


def test_partitions_are_sized_to_the_input_not_the_workers(tmp_path, texts):
    rows = _mixed_corpus(texts)
    inputs = write_shards(tmp_path / "in", rows, 9)
    small = Dedup().plan(context(tmp_path, inputs, name="small"))
    assert small.partitions == 1 and small.inline
    assert Dedup(partitions=5).plan(context(tmp_path, inputs, name="asked")).partitions == 5
    assert [partitions_for(n, None) for n in (0, 173, 20_000, 20_001, 100_000, 320_000, 5_000_000)] == [1, 1, 1, 2, 5, 16, 16]


def test_keep_rules(tmp_path, texts):
    base = texts[5]
    longer = base + " " + " ".join(texts[6].split()[:20])
    rows = [doc("m", base, "2020-01-01T00:00:00Z"), doc("z", longer, "2022-01-01T00:00:00Z"), doc("a", base + " Read more.", None)]
    for keep, winner in (("earliest_date", "m"), ("longest", "z"), ("first_id", "a")):
        _, (kept, removed) = run(tmp_path, rows, name=keep, keep=keep)
        assert list(kept) == [winner] and kept[winner] == (winner, 3)
        assert {v[0] for v in removed.values()} == {winner}


def test_cs336_fuzzy_fixtures(tmp_path):
    if not FUZZY.exists():
        pytest.skip("cs336 fixtures not found")
    rows = [doc(p.stem, p.read_text(encoding="utf-8")) for p in sorted(FUZZY.glob("*.txt"))]
    _, (kept, removed) = run(tmp_path, rows)
    assert "pytorch_license" in kept
    assert len(kept) == 2 and len(removed) == 1
    assert set(removed) | {v[0] for v in removed.values()} == {"rails_mit_license", "react_mit_license"}


def test_empty_input(tmp_path):
    result = deduplicate([], tmp_path / "out", work_dir=tmp_path / "work")
    assert result.outputs == [] and result.stats.documents_in == 0
    inputs = write_shards(tmp_path / "in", [], 5)
    assert pq.read_table(inputs[0]).num_rows == 0
    result = deduplicate(inputs, tmp_path / "out2", work_dir=tmp_path / "work2")
    assert result.outputs == [] and result.stats.documents_out == 0


def test_documents_shorter_than_one_shingle(tmp_path):
    rows = [
        doc("s1", "Hello world!"),
        doc("s2", "hello, WORLD"),  # same words after normalisation: near duplicate (one shingle each)
        doc("s3", "Goodbye world"),
        doc("s4", ""),
        doc("s5", ""),
        doc("s6", "..."),
    ]
    _, (kept, removed) = run(tmp_path, rows)
    assert removed == {"s2": ("s1", "near_duplicate")}
    assert set(kept) == {"s1", "s3", "s4", "s5", "s6"}


def test_resume_after_a_partial_phase(tmp_path, texts, monkeypatch):
    monkeypatch.setattr(dedup_stage, "INLINE_DOCUMENTS", 0)  # the phases go through ctx.map, which crashes
    rows = _mixed_corpus(texts)
    _, reference = run(tmp_path, rows, per_shard=9, name="fresh")
    inputs = write_shards(tmp_path / "resumed" / "in", rows, 9)
    ctx = context(tmp_path, inputs, name="resumed")
    stage = Dedup()
    calls = []

    def crash_after_two(fn, items):  # a run killed after two signature tasks
        for item in items[:2]:
            calls.append(fn(item))
        raise KeyboardInterrupt

    ctx.map = crash_after_two
    with pytest.raises(KeyboardInterrupt):
        stage.execute(ctx)
    plan = stage.plan(ctx)
    done = sorted(p.name for p in (plan.root / "markers").glob("signatures.*"))
    assert done == ["signatures.00000.done", "signatures.00001.done"]
    seen = []
    ctx.map = lambda fn, items: [seen.append((fn.__name__, item[1])) or fn(item) for item in items]
    outputs = stage.execute(ctx)
    assert ("signatures", 0) not in seen and ("signatures", 2) in seen
    assert outcome((outputs, sorted(str(p) for p in (ctx.run_dir / "dedup" / "removed").glob("*.parquet")))) == reference


def test_options_are_validated_by_the_registry():
    stage = build_stage("dedup", {"threshold": 0.7, "keep": "longest"})
    assert isinstance(stage, Dedup) and stage.lsh_shape()[0] * stage.lsh_shape()[1] <= 128
    with pytest.raises(OptionError) as err:
        build_stage("dedup", {"keep": "newest"})
    assert err.value.option == "keep"
    with pytest.raises(OptionError) as err:
        build_stage("dedup", {"bands": 10})
    assert "rows" in str(err.value)
    with pytest.raises(OptionError):
        build_stage("dedup", {"threshold": 1.5})
    assert build_stage("dedup", {"bands": 20, "rows": 6}).lsh_shape() == (20, 6)
