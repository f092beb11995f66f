"""decontaminate end to end on real text: sentences of a real test set planted in real articles are
found (also when case and punctuation differ), nothing else is dropped, and the output is the same
for any worker count. Documents: the ground-truth article bodies of scrapinghub-aeb; items: the
English sentences of lingua's language-ID test set."""
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from webcorpus import Pipeline, build_stage
from webcorpus.decontam.ngrams import normalize, words
from webcorpus.pipeline import ConfigError, load_config


@pytest.fixture(scope="module")
def articles(shared_data):
    truth = json.loads((shared_data / "extract/scrapinghub-aeb/ground-truth.json").read_text(encoding="utf-8"))
    return [{"id": key, "url": f"https://articles.example/{i}", "text": value["articleBody"]}
            for i, (key, value) in enumerate(sorted(truth.items())) if len(value.get("articleBody") or "") > 1500]


@pytest.fixture(scope="module")
def sentences(shared_data):
    return (shared_data / "lid/lingua-testdata/en/testdata/sentences.txt").read_text(encoding="utf-8").splitlines()


def plant(text: str, sentence: str) -> str:
    """``sentence`` put in the middle of ``text``, at a word boundary."""
    cut = text.find(" ", len(text) // 2)
    return f"{text[:cut]} {sentence}{text[cut:]}"


def write_jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def items_of(sentences):
    """Multiple-choice items: the question is a real sentence, the choices are words of others."""
    rng = random.Random(7)
    return [{"id": f"q{i}", "question": s, "choices": rng.sample(sentences[(i + 1) % len(sentences)].split(), 2), "answer": 0}
            for i, s in enumerate(sentences)]


@pytest.fixture(scope="module")
def planted(tmp_path_factory, articles, sentences):
    """Articles with 8 items planted (two short ones, one upper-cased, one with its punctuation changed)."""
    folder = tmp_path_factory.mktemp("planted")
    items = items_of(sentences)
    rng = random.Random(11)
    long_items = [i for i in items if len(words(i["question"])) >= 16]
    short_items = [i for i in items if 8 <= len(words(i["question"])) < 13]
    chosen = rng.sample(long_items, 6) + rng.sample(short_items, 2)
    docs = [dict(a) for a in articles]
    hosts = rng.sample(range(len(docs)), len(chosen))
    expected = {}
    for n, (host, item) in enumerate(zip(hosts, chosen)):
        sentence = item["question"]
        if n == 1:
            sentence = sentence.upper()
        if n == 2:
            sentence = sentence.replace(" ", " -- ", 3).replace(",", "").rstrip(".") + "!"
        docs[host]["text"] = plant(docs[host]["text"], sentence)
        expected[docs[host]["id"]] = item["id"]
    return {"docs": write_jsonl(folder / "docs.jsonl", docs), "items": write_jsonl(folder / "mc.jsonl", items),
            "expected": expected, "originals": {a["id"]: a["text"] for a in articles}, "chosen": chosen}


def run(tmp_path, planted, workers=1, name="out", **options):
    options = {"eval_sets": [planted["items"]], "fields": ["question"], **options}
    pipeline = Pipeline([build_stage("decontaminate", options)], input=planted["docs"], output=str(tmp_path / name),
                        workers=workers, excluded=True)
    return pipeline.run(quiet=True)


def rows(folder: Path) -> list[dict]:
    return [r for path in sorted(folder.glob("*.parquet")) for r in pq.read_table(path).to_pylist()]


def test_planted_items_are_found_and_nothing_else_is_dropped(tmp_path, planted, articles):
    result = run(tmp_path, planted)
    dropped = {r["id"]: r["drop_reason"] for r in rows(result.output / "excluded")}
    assert dropped == {doc: f"decontaminate:mc:{item}" for doc, item in planted["expected"].items()}
    kept = rows(result.output / "documents")
    assert len(kept) == len(articles) - len(planted["expected"])
    assert all(r["text"] == planted["originals"][r["id"]] for r in kept)  # untouched
    stage = result.stats["stages"][-1]
    assert stage["dropped"] == {"decontaminate:mc": len(planted["expected"])}
    counters = stage["counters"]
    assert counters["items_hit"] == len(planted["expected"])
    assert all(counters[f"item:mc:{item}"] == 1 for item in planted["expected"].values())
    assert counters["eval_items"] == 1000
    short = sum(1 for line in (i["question"] for i in items_of_file(planted["items"])) if 0 < len(words(line)) < 13)
    assert counters["eval_items_matched_whole"] == short > 0


def items_of_file(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_the_same_output_for_any_worker_count(tmp_path, planted):
    one = run(tmp_path, planted, workers=1, name="one")
    two = run(tmp_path, planted, workers=2, name="two")
    for folder in ("documents", "excluded"):
        a = sorted((one.output / folder).glob("*.parquet"))
        b = sorted((two.output / folder).glob("*.parquet"))
        assert [p.name for p in a] == [p.name for p in b]
        assert [pq.read_table(p).equals(pq.read_table(q)) for p, q in zip(a, b)] == [True] * len(a)


def test_every_string_field_is_text_by_default(tmp_path, planted):
    """Without ``fields``, question and choices together are an item's text: a long question is still
    found by its own n-grams, a short one only with its choices after it (the item whole)."""
    result = run(tmp_path, planted, fields=None)
    dropped = {r["id"]: r["drop_reason"] for r in rows(result.output / "excluded")}
    long_hosts = {doc: item for doc, item in planted["expected"].items()
                  if len(words(next(i["question"] for i in planted["chosen"] if i["id"] == item))) >= 13}
    assert dropped == {doc: f"decontaminate:mc:{item}" for doc, item in long_hosts.items()}


def test_remove_span_cuts_the_match_and_its_window(tmp_path, planted):
    result = run(tmp_path, planted, action="remove_span", window=50, min_piece=20)
    kept = {r["id"]: r["text"] for r in rows(result.output / "documents")}
    chosen = {i["id"]: i["question"] for i in planted["chosen"]}
    for doc, item in planted["expected"].items():
        text = kept[doc]  # a long article cut once keeps two long pieces
        assert normalize(chosen[item]) not in normalize(text)
        original = planted["originals"][doc]
        removed = len(original) + len(chosen[item]) + 1 - len(text)
        assert len(chosen[item]) < removed <= len(chosen[item]) + 2 * 50 + 10  # the match and a window each side
    others = {d: t for d, t in kept.items() if d not in planted["expected"]}
    assert all(t == planted["originals"][d] for d, t in others.items())
    assert result.stats["stages"][-1]["counters"]["documents_cut"] == len(planted["expected"])


def test_remove_span_drops_a_document_cut_into_too_many_pieces(tmp_path, planted, sentences, articles):
    doc = dict(articles[0])
    paragraphs = doc["text"].split("\n")
    doc["text"] = "\n".join(p + (" " + sentences[k] if k < len(sentences) else "") for k, p in enumerate(paragraphs))
    docs = write_jsonl(tmp_path / "many.jsonl", [doc])
    items = write_jsonl(tmp_path / "plain.jsonl", [{"id": f"s{k}", "text": s} for k, s in enumerate(sentences[:len(paragraphs)])])
    hits = sum(1 for k in range(len(paragraphs)) if len(words(sentences[k])) >= 1)
    assert hits > 3
    pipeline = Pipeline([build_stage("decontaminate", {"eval_sets": [items], "action": "remove_span", "max_pieces": 2,
                                                       "window": 0, "min_piece": 1})],
                        input=docs, output=str(tmp_path / "out"), excluded=True)
    result = pipeline.run(quiet=True)
    assert [r["drop_reason"] for r in rows(result.output / "excluded")] == ["decontaminate:plain:s0"]


def test_parquet_globs_urls_and_named_sets(tmp_path, planted):
    items = items_of_file(planted["items"])
    (tmp_path / "sets").mkdir()
    half = len(items) // 2
    for part, chunk in enumerate((items[:half], items[half:])):
        pq.write_table(pa.Table.from_pylist(chunk), tmp_path / "sets" / f"part-{part}.parquet")
    result = run(tmp_path, planted, eval_sets={"mmlu_like": [f"file://{tmp_path}/sets/part-*.parquet"]})
    reasons = sorted(r["drop_reason"] for r in rows(result.output / "excluded"))
    assert reasons == sorted(f"decontaminate:mmlu_like:{item}" for item in planted["expected"].values())


def test_bad_input_is_refused_before_any_work_one_line_each(tmp_path, planted):
    (tmp_path / "numbers.jsonl").write_text('{"id": 1, "score": 0.5}\n', encoding="utf-8")
    config = tmp_path / "bad.yaml"
    config.write_text(
        f"input: {planted['docs']}\noutput: {tmp_path / 'out'}\nstages:\n"
        f"  - decontaminate: {{eval_sets: [{tmp_path / 'nowhere.jsonl'}]}}\n"
        f"  - decontaminate: {{eval_sets: [{tmp_path / 'numbers.jsonl'}, {planted['items']}], fields: [question, answers], ngram: 4}}\n",
        encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    lines = info.value.problems
    assert len(lines) == 4
    assert "stage 1 'decontaminate': eval_sets:" in lines[0] and "nowhere.jsonl" in lines[0]
    assert "stage 2 'decontaminate': ngram must be at least 5" in lines[1]
    assert "eval set 'numbers'" in lines[2] and "holds no text" in lines[2]
    assert "fields: field 'answers' is in no item" in lines[3]
    assert not (tmp_path / "out").exists()


def test_words_are_gpt3_grams():
    assert words("Don't STOP -- the café's “quote”, e.g. 2019!") == ["dont", "stop", "the", "cafés", "quote", "eg", "2019"]
    assert words("  ") == [] and words(None) == []


def test_report_and_dataset_card_say_what_was_found(tmp_path, planted):
    import lxml.html

    from webcorpus.report.data import gather
    from webcorpus.report.html import render

    result = run(tmp_path, planted)
    page = lxml.html.fromstring(render(gather(result.output)))
    section = page.xpath('//section[@id="decontamination"]')[0]
    assert section.xpath('.//b[@data-field="contaminated"]')[0].get("data-value") == str(len(planted["expected"]))
    assert section.xpath('.//tr[@data-set="mc"]/td[@data-field="dropped"]')[0].get("data-value") == str(len(planted["expected"]))
    listed = {row.xpath("td")[0].text_content() for row in section.xpath('.//table[@id="contamination-items"]/tr[td]')}
    assert listed == {f"mc:{item}" for item in planted["expected"].values()}
    card = (result.output / "README.md").read_text(encoding="utf-8")
    whole = result.stats["stages"][-1]["counters"]["eval_items_matched_whole"]
    assert f"{whole} items shorter than an n-gram matched whole" in card and f"mc {len(planted['expected'])}" in card


def test_a_rerun_resumes_and_a_changed_eval_set_is_checked_again(tmp_path, planted, articles):
    items = tmp_path / "mc.jsonl"
    items.write_text(Path(planted["items"]).read_text(encoding="utf-8"), encoding="utf-8")
    first = run(tmp_path, planted, name="again", eval_sets=[str(items)])
    second = run(tmp_path, planted, name="again", eval_sets=[str(items)])
    assert second.stats["tasks"]["resumed"] > first.stats["tasks"]["resumed"]
    assert second.stats["stages"][-1]["dropped"] == first.stats["stages"][-1]["dropped"] == {"decontaminate:mc": 8}
    clean = next(a for a in articles if a["id"] not in planted["expected"])
    passage = " ".join(clean["text"].split()[10:30])  # a real passage of a clean article becomes an item
    with open(items, "a", encoding="utf-8") as out:
        out.write(json.dumps({"id": "new", "question": passage}) + "\n")
    third = run(tmp_path, planted, name="again", eval_sets=[str(items)])
    dropped = {r["id"]: r["drop_reason"] for r in rows(third.output / "excluded")}
    assert dropped[clean["id"]] == "decontaminate:mc:new" and len(dropped) == 9


def test_a_json_array_without_ids_names_items_by_row(tmp_path, planted):
    questions = [{"question": i["question"]} for i in planted["chosen"][:3]]
    (tmp_path / "arc.json").write_text(json.dumps(questions, indent=2), encoding="utf-8")
    result = run(tmp_path, planted, eval_sets=[str(tmp_path / "arc.json")])
    reasons = sorted(r["drop_reason"] for r in rows(result.output / "excluded"))
    assert reasons == ["decontaminate:arc:#0", "decontaminate:arc:#1", "decontaminate:arc:#2"]
