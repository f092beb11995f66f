"""dedup_paragraphs end to end on real texts with real paragraphs planted: what goes, what stays
byte for byte, the same result for any worker count and shard order, resuming a killed phase."""
from __future__ import annotations

import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from webcorpus.dedup.exact import hash64
from webcorpus.paragraph_dedup.paragraphs import without_lines
from webcorpus.paragraph_dedup.plan import TOO_SHORT
from webcorpus.paragraph_dedup.stage import DedupParagraphs
from webcorpus.stages.registry import OptionError, build_stage

from tests.dedup.helpers import context, read_all, write_shards
from tests.paragraph_dedup.helpers import planted_corpus, reference_normalize, reference_removals


def run(tmp_path: Path, rows: list[dict], per_shard: int = 13, name: str = "run", pool=None, **options):
    inputs = write_shards(tmp_path / name / "in", rows, per_shard)
    ctx = context(tmp_path, inputs, pool, name=name)
    outputs = DedupParagraphs(**options).execute(ctx)
    return ctx, outputs, {row["id"]: row for row in read_all(outputs)}


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus()


def test_a_planted_paragraph_stays_in_one_document_and_goes_from_the_others(tmp_path, corpus):
    rows, planted, holders = corpus
    ctx, _, out = run(tmp_path, rows)
    for paragraph in planted:
        key = reference_normalize(paragraph)
        still = {doc for doc, row in out.items() if any(reference_normalize(line) == key for line in row["text"].split("\n"))}
        assert still == {min(holders[paragraph], key=hash64)}, paragraph
    most = ctx.stats.details["most_repeated"]
    assert [(m["documents"], reference_normalize(m["text"])) for m in most[:4]] == [
        (len(holders[p]), reference_normalize(p)) for p in reversed(planted)]
    assert ctx.stats.counters["repeated_paragraphs"] >= 4
    assert ctx.stats.counters["paragraphs_removed"] >= sum(len(h) - 1 for h in holders.values())


def test_the_removals_are_the_rule_applied_to_the_whole_corpus(tmp_path, corpus):
    rows, planted, _ = corpus
    ctx, _, out = run(tmp_path, rows)
    expected = reference_removals(rows, min_words=4)
    by_id = {row["id"]: row["text"].split("\n") for row in rows}
    keys = {reference_normalize(p) for p in planted}
    natural = {reference_normalize(by_id[doc][n]) for doc, numbers in expected.items() for n in numbers} - keys
    assert len(expected) > 50 and len(natural) >= 3  # planted, and what real pages share ("This article has been adapted ...")
    characters = 0
    for row in rows:
        text, removed = without_lines(row["text"], expected.get(row["id"], []))
        characters += removed
        assert out[row["id"]]["text"] == text, row["id"]
    counters = ctx.stats.counters
    assert counters["paragraphs_removed"] == sum(map(len, expected.values())) and counters["characters_removed"] == characters
    assert counters["documents_changed"] == len(expected) and ctx.stats.documents_out == len(rows)


def test_a_document_none_of_whose_paragraphs_repeat_comes_out_byte_identical(tmp_path, corpus):
    rows, _, _ = corpus
    _, _, out = run(tmp_path, rows)
    changed = set(reference_removals(rows, min_words=4))
    untouched = [row for row in rows if row["id"] not in changed]
    assert len(untouched) > 40
    for row in untouched:
        assert out[row["id"]]["text"].encode() == row["text"].encode()
        assert {k: v for k, v in out[row["id"]].items() if k in row} == row
    for row in rows:  # order: what is left of a changed document is its own lines, in their order
        kept = [line for line in out[row["id"]]["text"].split("\n") if line.strip()]
        original = iter(row["text"].split("\n"))
        assert all(any(line == other for other in original) for line in kept)


def test_same_output_for_one_and_two_workers_and_any_shard_order(tmp_path, corpus, monkeypatch):
    from webcorpus.paragraph_dedup import stage as stage_module

    rows, _, _ = corpus
    one_ctx, one_outputs, one = run(tmp_path, rows, name="one")  # small: in this process, one partition
    monkeypatch.setattr(stage_module, "INLINE_DOCUMENTS", 0)  # every phase through the pool of two workers
    with ProcessPoolExecutor(2) as pool:
        two_ctx, two_outputs, two = run(tmp_path, rows, name="two", pool=pool, partitions=16)
    monkeypatch.undo()
    assert [Path(p).read_bytes() for p in one_outputs] == [Path(p).read_bytes() for p in two_outputs]
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    other_ctx, _, other = run(tmp_path, shuffled, per_shard=7, name="shuffled")
    assert other == one == two
    for ctx in (two_ctx, other_ctx):
        assert ctx.stats.to_dict()["counters"] | {"largest_partition_paragraphs": 0} == \
            one_ctx.stats.to_dict()["counters"] | {"largest_partition_paragraphs": 0}
        assert ctx.stats.details == one_ctx.stats.details


def test_short_lines_are_left_alone_and_min_words_moves_the_line(tmp_path, corpus):
    rows, _, _ = corpus
    rows = [dict(row) for row in rows[:30]]
    for row in rows[:10]:
        row["text"] = "Related articles\n" + row["text"] + "\nShare this story\nLike us on Facebook"
    _, _, default = run(tmp_path, rows, name="default")
    texts = [default[row["id"]]["text"] for row in rows[:10]]
    assert all(t.startswith("Related articles\n") for t in texts) and all("\nShare this story" in t for t in texts)
    assert sum(t.endswith("\nLike us on Facebook") for t in texts) == 1  # 4 words: one copy stays
    _, _, three = run(tmp_path, rows, name="three", min_words=3)
    texts = [three[row["id"]]["text"] for row in rows[:10]]
    assert sum("\nShare this story" in t for t in texts) == 1 and all(t.startswith("Related articles\n") for t in texts)


def test_a_document_left_too_short_is_dropped_with_its_own_reason(tmp_path, corpus):
    rows, _, _ = corpus
    rows = [dict(row) for row in rows[:20]]
    notice = ("We use cookies to give you the best experience on our website. By continuing to browse "
              "you agree to our use of cookies and our privacy policy.")
    rows[0]["text"] = f"{rows[0]['text']}\n\n{notice}"
    husk_id = next(f"husk-{i}" for i in range(100) if hash64(f"husk-{i}") > hash64(rows[0]["id"]))  # not the keeper
    husk = {"id": husk_id, "url": "https://husk.example/", "text": f"{notice}\n\nRead the full story below."}
    ctx, _, out = run(tmp_path, rows + [husk])
    assert husk_id not in out and ctx.stats.dropped == {TOO_SHORT: 1} and out[rows[0]["id"]]["text"].endswith(notice)
    dropped = read_all(sorted(str(p) for p in (ctx.run_dir / "dedup_paragraphs" / "dropped").glob("*.parquet")))
    assert [(d["id"], d["text"], d["drop_reason"]) for d in dropped] == [(husk_id, husk["text"], TOO_SHORT)]
    ctx, _, out = run(tmp_path, rows + [husk], min_document_words=0)  # the same folder, other options: afresh
    assert out[husk_id]["text"] == "Read the full story below." and ctx.stats.dropped == {}
    assert not list((ctx.run_dir / "dedup_paragraphs" / "dropped").glob("*.parquet"))


def test_resume_after_a_run_killed_inside_a_phase(tmp_path, corpus, monkeypatch):
    from webcorpus.paragraph_dedup import stage as stage_module

    monkeypatch.setattr(stage_module, "INLINE_DOCUMENTS", 0)  # the phases go through ctx.map, which crashes
    rows, _, _ = corpus
    _, _, reference = run(tmp_path, rows, name="fresh")
    inputs = write_shards(tmp_path / "resumed" / "in", rows, 13)
    ctx = context(tmp_path, inputs, name="resumed")
    stage = DedupParagraphs(partitions=16)
    for phase, finished in (("hash", 2), ("decide", 3), ("apply", 1)):
        calls = []

        def crash_inside(fn, items):  # the run is killed after `finished` tasks of this phase
            if fn.__name__ != {"hash": "hash_paragraphs", "decide": "decide", "apply": "apply_removals"}[phase]:
                return [fn(item) for item in items]
            for item in items[:finished]:
                calls.append(fn(item))
            raise KeyboardInterrupt

        ctx.map = crash_inside
        with pytest.raises(KeyboardInterrupt):
            stage.execute(ctx)
        done = sorted(p.name for p in (ctx.work_dir / "markers").glob(f"{phase}.*"))
        assert len(done) >= finished
    seen = []
    ctx.map = lambda fn, items: [seen.append((fn.__name__, item[1])) or fn(item) for item in items]
    outputs = stage.execute(ctx)
    assert ("hash_paragraphs", 0) not in seen and ("apply_removals", 0) not in seen and ("apply_removals", 1) in seen
    assert {row["id"]: row for row in read_all(outputs)} == reference


def test_an_exact_copy_loses_every_paragraph_and_documents_without_text_pass_through(tmp_path, corpus):
    rows, _, _ = corpus
    rows = [dict(rows[0]), dict(rows[0], id="copy"), {"id": "empty", "text": None}, {"id": "blank", "text": ""}]
    ctx, _, out = run(tmp_path, rows)
    keeper, copy = sorted((rows[0]["id"], "copy"), key=hash64)
    assert set(out) == {keeper, "empty", "blank"} and out[keeper]["text"] == rows[0]["text"]
    assert ctx.stats.dropped == {TOO_SHORT: 1} and ctx.stats.counters["documents_without_text"] == 1
    assert out["empty"]["text"] is None and out["blank"]["text"] == ""


def test_empty_input(tmp_path):
    ctx, outputs, out = run(tmp_path, [])
    assert out == {} and ctx.stats.documents_in == 0 and ctx.stats.details == {"most_repeated": []}
    assert all(pq.read_table(p).num_rows == 0 for p in outputs)


def test_options_are_checked_before_any_work():
    assert isinstance(build_stage("dedup_paragraphs", {"min_words": 5}), DedupParagraphs)
    for options, option in (({"min_words": 0}, "min_words"), ({"min_document_words": -1}, "min_document_words"),
                            ({"partitions": 0}, "partitions"), ({"min_words": "many"}, "min_words"), ({"minwords": 3}, "minwords")):
        with pytest.raises(OptionError) as err:
            build_stage("dedup_paragraphs", options)
        assert err.value.option == option


def test_partitions_and_inline_tasks_are_sized_to_the_input(tmp_path, corpus):
    rows, _, _ = corpus
    inputs = write_shards(tmp_path / "in", rows, 13)
    small = DedupParagraphs().plan(context(tmp_path, inputs, name="small"))
    assert small.partitions == 1 and small.inline
    assert DedupParagraphs(partitions=5).plan(context(tmp_path, inputs, name="asked")).partitions == 5
