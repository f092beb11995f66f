"""Language-aware quality filters: documents kept per language on held-out real text, junk dropped, speed.

Thresholds come from one half of each language's lingua sentences
(benchmarks/quality_language_thresholds.py). Everything here is measured on text they were NOT derived from:

* **lingua held-out** (same source, other sentences): the held-out half of each of the 75 languages'
  ``sentences.txt`` (halves of a fixed random order), in documents of 10 consecutive sentences (two to a line), none overlapping. Well-formed
  documents made of real sentences; the documents themselves are assembled here.
* **other source** (leave-one-source-out): the expected article texts of extract/readability-testpages
  (expected.html, one line per block) and extract/newspaper-fulltext (text/*.txt), labelled by the project's
  ``language`` stage (fastText); real articles, mostly English, a few in other languages.
* **no language**: the same documents with an empty ``language`` column, judged by their script's defaults;
* **leave one language out**: the same documents judged by the default of their script computed without their
  language, or of its word kind when no other language has its script (a language the table does not cover, as
  far as this data can show it);
* **junk** built from the held-out sentences' words (constructed from real text, so say so): ``nav`` (30 lines of
  1-3 words, or 2-6 units in scripts without spaces, no punctuation: a menu), ``keywords`` (60 distinct words at
  least as long as the language's median word, comma-separated on one line: keyword spam), ``salad`` (the words of
  10 sentences shuffled, lines of 12, punctuation removed), and ``salad_punctuated`` (the same with a full stop
  after each line): none of the four filters looks at word order, so that last kind shows what they cannot see.

The chain is pipelines/multilingual.yaml's: gopher_repetition, gopher_quality, c4, fineweb_quality with
``language: per_document``; next to it the same chain with the English rules (the default), on the same documents.
Speed: CPU seconds per document of both chains on the same documents (all languages' held-out documents, and the
English ones alone), and of each filter alone on all of them (so the English rules' early drops do not flatter
them), interleaved, best of 3.

    .venv/bin/python benchmarks/quality_languages.py [--data ../shared/data] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from quality_language_thresholds import _PUNCT, defaults, documents, halves, language_script, read_sentences  # noqa: E402
from webcorpus.stages.quality.fineweb_text import TERMINAL_PUNCTUATION  # noqa: E402
from webcorpus.stages.quality.languages.table import _profile, language_profile, load_table  # noqa: E402
from webcorpus.stages.quality.languages.words import words_for  # noqa: E402
from webcorpus.stages.registry import build_stage  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"
CHAIN = ("gopher_repetition", "gopher_quality", "c4", "fineweb_quality")
JUNK_PER_KIND = 20
PUNCT = _PUNCT + "".join(sorted(TERMINAL_PUNCTUATION)) + "،؛"


def chain(language: str | None) -> list:
    options = {} if language is None else {"language": language}
    return [build_stage(name, dict(options)) for name in CHAIN]


def run_chain(stages: list, texts: list[str], codes: list[str | None]) -> list[str | None]:
    """The first filter's reason that drops each document (None: kept)."""
    table = pa.table({"id": [str(i) for i in range(len(texts))], "text": texts, "language": pa.array(codes, pa.string())})
    verdict: dict[str, str | None] = {str(i): None for i in range(len(texts))}
    for stage in stages:
        out = stage.apply(table)
        if out.dropped is not None:
            for doc_id, reason in zip(out.dropped.column("id").to_pylist(), out.dropped.column("drop_reason").to_pylist()):
                verdict[doc_id] = reason
        table = out.kept
    return [verdict[str(i)] for i in range(len(texts))]


def junk(code: str, sentences: list[str], script: str) -> dict[str, list[str]]:
    rng = random.Random(f"junk:{code}")
    profile = language_profile(code)
    split = words_for(profile.words if profile else "space").split
    units = profile is not None and profile.words == "units"
    words = [w for w in (t.strip(PUNCT) for s in sentences for t in split(s)) if w and any(c.isalpha() for c in w)]
    glue = "" if units else " "
    median = sorted(map(len, words))[len(words) // 2]
    long_words = list(dict.fromkeys(w for w in words if len(w) >= median))
    kinds: dict[str, list[str]] = defaultdict(list)
    for _ in range(JUNK_PER_KIND):
        lines = []
        for _ in range(30):
            size = rng.randint(2, 6) if units else rng.randint(1, 3)
            start = rng.randrange(max(1, len(words) - size))
            lines.append(glue.join(words[start:start + size]))
        kinds["nav"].append("\n".join(lines))
        if units:
            spans = [glue.join(words[i:i + rng.randint(2, 4)]) for i in rng.sample(range(len(words) - 4), 60)]
            kinds["keywords"].append(", ".join(dict.fromkeys(spans)))
        else:
            kinds["keywords"].append(", ".join(rng.sample(long_words, min(60, len(long_words)))))
        start = rng.randrange(max(1, len(sentences) - 10))
        bag = [w for w in (t.strip(PUNCT) for s in sentences[start:start + 10] for t in split(s)) if w]
        rng.shuffle(bag)
        per_line = 24 if units else 12
        lines = [glue.join(bag[i:i + per_line]) for i in range(0, len(bag), per_line)]
        kinds["salad"].append("\n".join(lines))
        kinds["salad_punctuated"].append("\n".join(line + ("。" if script in ("Hani", "Kana") else ".") for line in lines))
    return kinds


def other_source(data: Path) -> tuple[list[str], list[str]]:
    """Expected article texts of two extraction test sets, with the labels of the ``language`` stage."""
    import lxml.html

    texts = []
    for case in sorted((data / "extract" / "readability-testpages" / "test-pages").iterdir()):
        expected = case / "expected.html"
        if expected.is_file():
            tree = lxml.html.fromstring(expected.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
            blocks = [" ".join(el.text_content().split()) for el in tree.iter("p", "h1", "h2", "h3", "h4", "li", "pre", "blockquote", "td")
                      if not any(child.tag in ("p", "li", "ul", "ol", "table", "div") for child in el.iterdescendants())]
            texts.append("\n".join(b for b in blocks if b))
    for path in sorted((data / "extract" / "newspaper-fulltext" / "text").glob("*.txt")):
        texts.append(path.read_text(encoding="utf-8", errors="replace"))
    texts = [t for t in texts if t.strip()]
    language = build_stage("language", {})
    labelled = language.apply(pa.table({"id": [str(i) for i in range(len(texts))], "text": texts})).kept
    return labelled.column("text").to_pylist(), labelled.column("language").to_pylist()


def left_out_default(code: str):
    """The default of ``code``'s script computed without ``code``; when no other language has its script, the
    default of its word kind computed without it (as the filters judge a script without a covered language)."""
    rows = {c: row for c, row in load_table()["languages"].items() if c != code}
    script, kind = load_table()["languages"][code]["script"], load_table()["languages"][code]["words"]
    row = defaults(rows, lambda r: r["script"]).get(script)
    if row is not None:
        return _profile(f"script:{script}", row, script)
    return _profile(f"kind:{kind}", defaults(rows, lambda r: r["words"], unmarked=frozenset({"units"}))[kind], script)


def judge_as(profile, texts: list[str]) -> list[str | None]:
    """The chain's verdicts with every document judged as ``profile`` (the first rule that drops, or None)."""
    stages = [build_stage(name, {}) for name in CHAIN]
    for stage in stages:
        stage.setup()
    repetition, quality, c4, fineweb = (stage.adapted(profile) for stage in stages)
    out = []
    for text in texts:
        rule = repetition.check(text) or quality.check(text)
        if rule is None:
            cleaned, rule, _ = c4.clean(text)
            rule = rule or (fineweb.check(cleaned) if cleaned and cleaned.strip() else "no_text")
        out.append(rule)
    return out


def cpu_seconds(stages_of, texts: list[str], codes: list) -> float:
    stages = stages_of()
    for stage in stages:
        stage._ensure_setup()
    start = time.process_time()
    run_chain(stages, texts, codes)
    return time.process_time() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    lingua = args.data / "lid" / "lingua-testdata"
    codes = sorted(p.name for p in lingua.iterdir() if (p / "testdata" / "sentences.txt").is_file())
    aware, english = chain("per_document"), chain(None)
    results: dict = {"languages": {}}
    all_texts, all_codes = [], []
    for code in codes:
        _, held_out = halves(read_sentences(lingua / code), code)
        script = language_script(held_out)
        docs = documents(held_out, script, stride=10)
        row = {"documents": len(docs)}
        for mode, stages in (("aware", aware), ("english", english)):
            reasons = run_chain(stages, docs, [code] * len(docs))
            row[f"kept_{mode}"] = sum(r is None for r in reasons) / len(docs)
            row[f"reasons_{mode}"] = dict(Counter(r for r in reasons if r).most_common(3))
        reasons = run_chain(aware, docs, [None] * len(docs))  # as if the language were unknown: script defaults
        row["kept_no_language"] = sum(r is None for r in reasons) / len(docs)
        left_out = left_out_default(code)  # as if the table lacked the language: its script's other languages
        row["kept_left_out"] = sum(r is None for r in judge_as(left_out, docs)) / len(docs)
        row["left_out_default"] = left_out.key
        for kind, texts in junk(code, held_out, script).items():
            row[f"dropped_{kind}_left_out"] = sum(r is not None for r in judge_as(left_out, texts)) / len(texts)
        for kind, texts in junk(code, held_out, script).items():
            reasons = run_chain(aware, texts, [code] * len(texts))
            row[f"dropped_{kind}"] = sum(r is not None for r in reasons) / len(texts)
            reasons = run_chain(aware, texts, [None] * len(texts))
            row[f"dropped_{kind}_no_language"] = sum(r is not None for r in reasons) / len(texts)
        results["languages"][code] = row
        all_texts += docs
        all_codes += [code] * len(docs)
    texts, labels = other_source(args.data)
    other = defaultdict(lambda: {"documents": 0, "kept_aware": 0, "kept_english": 0})
    for mode, stages in (("aware", aware), ("english", english)):
        for label, reason in zip(labels, run_chain(stages, texts, labels)):
            key = label or "none"
            other[key]["documents"] += mode == "aware"
            other[key][f"kept_{mode}"] += reason is None
    results["other_source"] = dict(sorted(other.items(), key=lambda kv: -kv[1]["documents"]))
    english_only = [t for t, c in zip(all_texts, all_codes) if c == "en"]
    timing = defaultdict(lambda: float("inf"))
    for _ in range(3):  # interleaved: the two chains see the same load
        for name, stages_of, texts, cs in (
                ("english_rules_all", lambda: chain(None), all_texts, all_codes),
                ("aware_all", lambda: chain("per_document"), all_texts, all_codes),
                ("english_rules_en", lambda: chain(None), english_only, ["en"] * len(english_only)),
                ("aware_en", lambda: chain("per_document"), english_only, ["en"] * len(english_only))):
            timing[name] = min(timing[name], cpu_seconds(stages_of, texts, cs) / len(texts) * 1e6)
    table = pa.table({"id": [str(i) for i in range(len(all_texts))], "text": all_texts, "language": pa.array(all_codes, pa.string())})
    for _ in range(3):  # each filter alone on every held-out document (none dropped before it), both modes
        for name in CHAIN:
            for mode, options in (("english_rules", {}), ("aware", {"language": "per_document"})):
                stage = build_stage(name, options)
                stage._ensure_setup()
                start = time.process_time()
                stage.apply(table)
                key = f"{name}_{mode}_all"
                timing[key] = min(timing[key], (time.process_time() - start) / len(all_texts) * 1e6)
    results["microseconds_per_document"] = {k: round(v, 1) for k, v in timing.items()}
    results["speed_ratio_per_filter"] = {name: round(timing[f"{name}_aware_all"] / timing[f"{name}_english_rules_all"], 3)
                                         for name in CHAIN}
    results["speed_ratio_all"] = round(timing["aware_all"] / timing["english_rules_all"], 3)
    results["speed_ratio_en"] = round(timing["aware_en"] / timing["english_rules_en"], 3)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    return 0


def report(results: dict) -> str:
    rows = results["languages"]
    kinds = ("nav", "keywords", "salad", "salad_punctuated")
    lines = ["lang docs kept(aware) kept(english) kept(no language) " + " ".join(f"drop_{k}" for k in kinds)
             + "  top reasons (aware)"]
    for code, row in rows.items():
        lines.append(f"{code:4} {row['documents']:4} {row['kept_aware']:.2f} {row['kept_english']:.2f} {row['kept_no_language']:.2f} "
                     + " ".join(f"{row['dropped_' + k]:.2f}" for k in kinds) + "  " + json.dumps(row["reasons_aware"], ensure_ascii=False))
    short = [c for c, r in rows.items() if r["kept_aware"] < 0.95]
    lines.append(f"languages keeping < 95% of held-out documents: {short or 'none'}")
    for k in kinds:
        lines.append(f"languages dropping < 90% of {k}: {[c for c, r in rows.items() if r['dropped_' + k] < 0.9] or 'none'}")
    lines.append("without a language (script defaults): keeping < 95%: "
                 f"{[c for c, r in rows.items() if r['kept_no_language'] < 0.95] or 'none'}; "
                 + "; ".join(f"dropping < 90% of {k}: {[c for c, r in rows.items() if r['dropped_' + k + '_no_language'] < 0.9] or 'none'}"
                             for k in kinds[:3]))
    lines.append("leave-one-language-out (the script or word-kind default computed without the language): keeping < 95%: "
                 f"{[(c, r['left_out_default'], r['kept_left_out']) for c, r in rows.items() if r['kept_left_out'] < 0.95] or 'none'}; "
                 + "; ".join(f"dropping < 90% of {k}: {[c for c, r in rows.items() if r['dropped_' + k + '_left_out'] < 0.9] or 'none'}"
                             for k in kinds[:3]))
    lines.append("other source (readability + newspaper expected texts), by language stage label: "
                 + json.dumps(results["other_source"]))
    # "la": readability's synthetic lorem-ipsum test pages (30 of 31 contain "lorem ipsum")
    others = [row for label, row in results["other_source"].items() if label not in ("en", "la", "none")]
    lines.append(f"other source, neither English nor la: {sum(r['documents'] for r in others)} documents, kept by the language-aware "
                 f"chain {sum(r['kept_aware'] for r in others)}, by the English rules {sum(r['kept_english'] for r in others)}")
    lines.append(f"CPU microseconds per document: {results['microseconds_per_document']}; ratio aware/english: "
                 f"all languages {results['speed_ratio_all']}, English documents {results['speed_ratio_en']}; each filter alone "
                 f"on all documents: {results['speed_ratio_per_filter']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
