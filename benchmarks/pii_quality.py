"""PII quality: ours (the ``pii`` stage) against plain presidio, on labelled and on planted data.

1. presidio-research's synthetic sentences (labelled character spans): precision, recall and F1
   per entity. A found span counts when it overlaps a labelled span of the same entity.
2. Real texts with values planted in real-world formats (international phones, IPv6, cards with
   spaces, IBANs of a dozen countries, ...): the share of planted values removed (the whole value
   inside found spans), and the share of documents where something besides the planted values changed.
3. Clean real texts (no contact data): the share of documents changed.

    python benchmarks/pii_quality.py [--limit N] [--json results.json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pii_corpus import ENTITIES, clean_texts, planted_documents, plain_presidio, synth_samples  # noqa: E402


def ours():
    from webcorpus.stages.pii.scrub import PiiScrub

    stage = PiiScrub()
    stage._ensure_setup()

    def find_many(texts: list[str]) -> list[list[tuple[str, int, int]]]:
        return [[(e, s, t) for e, s, t, _ in spans] for spans in stage.find(texts)]

    return find_many


def plain():
    analyze = plain_presidio()
    return lambda texts: [analyze(t) for t in texts]


def _overlaps(a, b) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def synth_scores(find_many, samples) -> dict:
    found = find_many([s["text"] for s in samples])
    tp, fp, fn = Counter(), Counter(), Counter()
    for sample, predicted in zip(samples, found):
        gold = [g for g in sample["spans"] if g[0] in ENTITIES]
        for p in predicted:
            (tp if any(g[0] == p[0] and _overlaps(g, p) for g in gold) else fp)[p[0]] += 1
        for g in gold:
            if not any(p[0] == g[0] and _overlaps(g, p) for p in predicted):
                fn[g[0]] += 1
    table = {}
    for entity in ENTITIES + ["all"]:
        t, f, n = (sum(c.values()) for c in (tp, fp, fn)) if entity == "all" else (tp[entity], fp[entity], fn[entity])
        if t + f + n == 0:
            continue
        precision = t / (t + f) if t + f else 0.0
        recall = t / (t + n) if t + n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[entity] = {"precision": precision, "recall": recall, "f1": f1, "gold": t + n, "found": t + f}
    return table


def _covered(span, found) -> bool:
    return all(any(f[1] <= i < f[2] for f in found) for i in range(span[1], span[2]))


def planted_scores(find_many, docs) -> dict:
    found = find_many([d["text"] for d in docs])
    removed, total, collateral = Counter(), Counter(), 0
    for doc, spans in zip(docs, found):
        for planted in doc["planted"]:
            total[planted[0]] += 1
            removed[planted[0]] += _covered(planted, spans)
        collateral += any(not any(_overlaps(s, p) for p in doc["planted"]) for s in spans)
    per_entity = {e: {"removed": removed[e] / total[e], "values": total[e]} for e in ENTITIES if total[e]}
    return {
        "removed": sum(removed.values()) / sum(total.values()),
        "values": sum(total.values()),
        "per_entity": per_entity,
        "documents_with_other_changes": collateral / len(docs),
    }


def clean_scores(find_many, texts: dict[str, str]) -> dict:
    keys = sorted(texts)
    found = find_many([texts[k] for k in keys])
    changed = [k for k, spans in zip(keys, found) if spans]
    return {"documents": len(keys), "changed": len(changed) / len(keys), "changed_documents": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="use only the first N samples/documents (0: all)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()

    samples = synth_samples()
    clean = clean_texts()
    if args.limit:
        samples = samples[: args.limit]
        clean = dict(sorted(clean.items())[: args.limit])
    docs = planted_documents(clean)
    results = {}
    for name, make in (("ours", ours), ("presidio", plain)):
        find_many = make()
        start = time.perf_counter()
        results[name] = {
            "synth": synth_scores(find_many, samples),
            "planted": planted_scores(find_many, docs),
            "clean": clean_scores(find_many, clean),
        }
        results[name]["seconds"] = round(time.perf_counter() - start, 1)
    print_report(results, len(samples), len(docs))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


def print_report(results: dict, n_samples: int, n_docs: int) -> None:
    print(f"## synthetic sentences ({n_samples}): precision / recall / F1 (gold spans)")
    print(f"{'entity':<14} {'ours':>22} {'plain presidio':>22}")
    for entity in ENTITIES + ["all"]:
        row = [results[n]["synth"].get(entity) for n in ("ours", "presidio")]
        if not any(row):
            continue
        cells = [f"{r['precision']:.2f} / {r['recall']:.2f} / {r['f1']:.2f}" if r else "-" for r in row]
        gold = next(r["gold"] for r in row if r)
        print(f"{entity:<14} {cells[0]:>22} {cells[1]:>22}   ({gold} gold)")
    print(f"\n## planted values in {n_docs} real texts: share removed")
    for entity in ENTITIES:
        cells = [results[n]["planted"]["per_entity"].get(entity, {}) for n in ("ours", "presidio")]
        if cells[0]:
            print(f"{entity:<14} {cells[0]['removed']:>8.1%} {cells[1]['removed']:>8.1%}   ({cells[0]['values']} values)")
    for label, key in (("all", "removed"), ("docs w/ other changes", "documents_with_other_changes")):
        print(f"{label:<14} {results['ours']['planted'][key]:>8.1%} {results['presidio']['planted'][key]:>8.1%}")
    print("\n## clean real texts: share of documents changed")
    for name in ("ours", "presidio"):
        c = results[name]["clean"]
        print(f"{name:<14} {c['changed']:>8.1%} of {c['documents']}")


if __name__ == "__main__":
    main()
