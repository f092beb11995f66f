"""FineWeb fidelity: webcorpus's ``flavor: fineweb`` filters against datatrove's, decision by decision.

Part 1 (always): the texts of benchmarks/fineweb_texts.py (gold article texts, webcorpus's
trafilatura and resiliparse extractions of the same real pages, extractions of the real crawls in
../shared/data/warc, non-English lingua prose). The language filter (English at 0.65, whole text,
lid.176.ftz on both sides) and each of the four quality filters run alone on every text,
in datatrove (``.venv-ref``, benchmarks/fineweb_reference.py, a subprocess) and in webcorpus (the
stage on one Arrow batch per 500 texts). Reported per filter and per set of texts: agreement of
decision and reason (C4: also of the cleaned text), and CPU seconds of both (``time.process_time``,
datatrove's spaCy loaded before timing).

Part 2 (``--warc RECORDS``): end to end on a WARC of real pages (benchmarks/warc_of_pages.py):
datatrove's FineWeb pipeline (WarcReader -> URLFilter -> Trafilatura(favour_precision) ->
LanguageFilter(en, 0.65) -> the four filters) against ``webcorpus run pipelines/fineweb-en.yaml`` on
the same file; reported: per-step drops, the kept-URL agreement of the whole chain, the agreement of
each filter on the documents both reached it with, and how much of the difference is extraction
(webcorpus's filters run on datatrove's extracted texts).

``--write-fixture PATH`` writes the expected FineWeb decisions on a fixed sample of the texts for
tests/stages/test_fineweb_flavor.py (texts are referenced by set, kind and name, never copied).

    python benchmarks/fineweb_fidelity.py [--warc 600] [--write-fixture tests/stages/fineweb_decisions.json]
"""
from __future__ import annotations

import argparse
import collections
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

REF_PYTHON = ROOT / ".venv-ref" / "bin" / "python"
FILTERS = ("language", "gopher_repetition", "gopher_quality", "c4", "fineweb_quality")
STAGE_OPTIONS = {"language": {"keep": ["en"], "min_score": 0.65, "max_chars": None},
                 "gopher_repetition": {"flavor": "fineweb"}, "gopher_quality": {"flavor": "fineweb"},
                 "c4": {"flavor": "fineweb", "terminal_punctuation": False}, "fineweb_quality": {"flavor": "fineweb"}}
#: webcorpus reason (after "<stage>:") -> datatrove's reason for the same rule.
DATATROVE_REASONS = {
    "language": {},  # datatrove's LanguageFilter gives no reason: any drop is "dropped"
    "gopher_repetition": {"no_text": "empty", "dup_para_ratio": "dup_para_frac", "dup_para_char_ratio": "dup_para_char_frac",
                          "dup_line_ratio": "dup_line_frac", "dup_line_char_ratio": "dup_line_char_frac",
                          **{f"top_{n}gram_ratio": f"top_{n}_gram" for n in range(1, 11)},
                          **{f"dup_{n}gram_ratio": f"duplicated_{n}_n_grams" for n in range(1, 21)}},
    "gopher_quality": {"too_few_words": "gopher_short_doc", "too_many_words": "gopher_long_doc",
                       "mean_word_length_below": "gopher_below_avg_threshold",
                       "mean_word_length_above": "gopher_above_avg_threshold", "hash_word_ratio": "gopher_too_many_hashes",
                       "ellipsis_word_ratio": "gopher_too_many_ellipsis", "bullet_lines": "gopher_too_many_bullets",
                       "ellipsis_lines": "gopher_too_many_end_ellipsis", "alpha_words": "gopher_below_alpha_threshold",
                       "stop_words": "gopher_enough_stop_words", "no_text": "gopher_short_doc"},
    "c4": {"lorem_ipsum": "lorem_ipsum", "curly_brace": "curly_bracket", "too_few_sentences": "too_few_sentences",
           "no_text": "too_few_sentences"},
    "fineweb_quality": {"no_text": "empty", "line_punct_ratio": "line_punct_ratio", "short_line_ratio": "short_line_ratio",
                        "dup_line_char_ratio": "char_dup_ratio", "list_like": "list_ratio"},
}


def as_datatrove(stage: str, reason: str | None) -> str | None:
    """webcorpus's ``<stage>:<rule>`` as datatrove names it (None: kept)."""
    if reason is None:
        return None
    if stage == "language":
        return "dropped"
    rule = reason.split(":", 1)[1]
    return DATATROVE_REASONS[stage].get(rule, rule)


def run_webcorpus_filters(texts: list[str], batch_size: int = 500, flavor: str = "fineweb") -> tuple[list[dict], dict]:
    """Each filter alone on every text: [{filter: datatrove-named reason, "c4_text": ...}], CPU seconds."""
    from webcorpus.stages.registry import build_stage

    rows = [{} for _ in texts]
    seconds = {}
    for name in FILTERS:
        flavor_of_stage = ("webcorpus" if flavor == "paper" else flavor) if name == "language" else flavor
        stage = build_stage(name, {**STAGE_OPTIONS[name], "flavor": flavor_of_stage})
        stage.setup()
        stage.check("Warm up. The tables load here.") if hasattr(stage, "check") else None
        spent = 0.0
        for lo in range(0, len(texts), batch_size):
            batch = pa.table({"id": [str(i) for i in range(lo, min(lo + batch_size, len(texts)))],
                              "text": pa.array(texts[lo:lo + batch_size], pa.string())})
            start = time.process_time()
            verdict = stage.verdict(batch)
            spent += time.process_time() - start
            cleaned = verdict.columns["text"].to_pylist() if name == "c4" else None
            for k, reason in enumerate(verdict.reasons):
                rows[lo + k][name] = as_datatrove(name, reason)
                if cleaned is not None:
                    rows[lo + k]["c4_text"] = cleaned[k]
        seconds[name] = spent
    return rows, seconds


def run_datatrove_filters(texts_path: Path, out_path: Path) -> tuple[list[dict], dict]:
    from webcorpus.stages.language.engines.fasttext import default_model_path

    subprocess.run([str(REF_PYTHON), str(ROOT / "benchmarks" / "fineweb_reference.py"), str(texts_path), str(out_path),
                    str(default_model_path())], check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    lines = [json.loads(line) for line in open(out_path, encoding="utf-8")]
    return lines[:-1], lines[-1]["cpu_seconds"]


def compare_texts(meta: list[dict], ours: list[dict], theirs: list[dict], our_s: dict, their_s: dict,
                  paper: list[dict] | None = None) -> None:
    sets = sorted({m["set"] for m in meta})
    print(f"{len(meta)} texts; agreement of decision and reason, per filter and per set of texts\n")
    if paper is not None:
        print("flavor: paper against datatrove (decision only): " + ", ".join(
            f"{name} {sum((p[name] is None) == (t[name] is None) for p, t in zip(paper, theirs)) / len(theirs):.1%}"
            for name in FILTERS) + "\n")
    print("| filter | all | " + " | ".join(sets) + " | datatrove CPU s | webcorpus CPU s | × datatrove |")
    print("|---|---:|" + "---:|" * len(sets) + "---:|---:|---:|")
    for name in FILTERS:
        same = [o[name] == t[name] for o, t in zip(ours, theirs)]
        per_set = []
        for s in sets:
            idx = [i for i, m in enumerate(meta) if m["set"] == s]
            per_set.append(f"{sum(same[i] for i in idx) / len(idx):.2%}")
        print(f"| {name} | {sum(same) / len(same):.2%} ({len(same) - sum(same)} differ) | " + " | ".join(per_set)
              + f" | {their_s[name]:.2f} | {our_s[name]:.2f} | {their_s[name] / max(our_s[name], 1e-9):.1f}× |")
    kept_both = [i for i, (o, t) in enumerate(zip(ours, theirs)) if o["c4"] is None and t["c4"] is None]
    same_text = sum(ours[i]["c4_text"] == theirs[i]["c4_text"] for i in kept_both)
    print(f"\nc4 cleaned text identical on {same_text} of {len(kept_both)} texts both keep")
    for name in FILTERS:
        diffs = collections.Counter((t[name], o[name]) for o, t in zip(ours, theirs) if o[name] != t[name])
        if diffs:
            print(f"{name} differences (datatrove, webcorpus): " + ", ".join(f"{k} ×{v}" for k, v in diffs.most_common(6)))


def write_fixture(path: Path, meta: list[dict], theirs: list[dict], per_set: int = 60) -> None:
    """datatrove's verdicts on a fixed sample: per set every k-th text, plus every text one filter drops
    for a reason seen fewer than 20 times (so rare rules are pinned too). Texts are named, not copied."""
    import hashlib

    rare = collections.Counter((name, t[name]) for t in theirs for name in FILTERS)
    chosen = set()
    for s in sorted({m["set"] for m in meta}):
        idx = [i for i, m in enumerate(meta) if m["set"] == s and m["kind"] != "trafilatura"]
        chosen.update(idx[::max(1, len(idx) // per_set)][:per_set])
    chosen.update(i for i, t in enumerate(theirs) if meta[i]["kind"] != "trafilatura"
                  and any(t[name] is not None and rare[(name, t[name])] < 20 for name in FILTERS))
    rows = [{"set": meta[i]["set"], "kind": meta[i]["kind"], "name": meta[i]["name"],
             "sha1": hashlib.sha1(meta[i]["text"].encode()).hexdigest(), **{name: theirs[i][name] for name in FILTERS}}
            for i in sorted(chosen)]
    path.write_text("{\"datatrove\": \"0.10.1\", \"texts\": [\n"
                    + ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n]}\n", encoding="utf-8")
    print(f"wrote {len(rows)} expected decisions to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warc", type=int, default=0, help="also run end to end on a WARC of this many records")
    parser.add_argument("--texts", type=Path, help="a JSONL written by fineweb_texts.py (default: build it)")
    parser.add_argument("--write-fixture", type=Path)
    args = parser.parse_args()
    if not REF_PYTHON.exists():
        raise SystemExit("needs datatrove in .venv-ref: python3 -m venv .venv-ref && .venv-ref/bin/pip install "
                         "'datatrove[processing]' lxml_html_clean spacy")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        texts_path = args.texts
        if texts_path is None:
            from fineweb_texts import all_texts

            texts_path = tmp / "texts.jsonl"
            with open(texts_path, "w", encoding="utf-8") as f:
                for row in all_texts():
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
        meta = [json.loads(line) for line in open(texts_path, encoding="utf-8")]
        texts = [m["text"] for m in meta]
        theirs, their_s = run_datatrove_filters(texts_path, tmp / "reference.jsonl")
        ours, our_s = run_webcorpus_filters(texts)
        paper, _ = run_webcorpus_filters(texts, flavor="paper")
        compare_texts(meta, ours, theirs, our_s, their_s, paper)
        if args.write_fixture:
            write_fixture(args.write_fixture, meta, theirs)
        if args.warc:
            from fineweb_chain import compare_chain

            compare_chain(tmp, args.warc)


if __name__ == "__main__":
    main()
