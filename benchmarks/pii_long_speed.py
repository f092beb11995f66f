"""PII throughput on long real page texts: the ``pii`` stage against presidio, per entity type.

The documents are the *extracted* texts of every real HTML page in ../shared/data: the pages of the
three extraction sets (scrapinghub-aeb, readability-testpages, newspaper-fulltext) and the HTML
responses of the WARC/ARC files under warc/, run through the ``extract`` stage (``blocks``), keeping
texts of at least ``--min-chars`` characters, each distinct text once. These carry what real pages are
full of (dates, prices, scores, reference numbers, navigation) around the planted values.

Values are planted at sentence or paragraph breaks with the generators of ``pii_corpus`` (valid
checksums, the formats people write them in), one per ``--chars-per-value`` characters of text
(at least one per document): once with a single entity type per run (the per-entity rows), once
mixed, and once with nothing planted. The digit-heavy rows are the documents whose characters are at
least ``--digit-share`` digits (tables, prices, sports results, dates), measured on their own.

Both sides run in this one process on the same documents; time is the process's CPU time
(``time.process_time``), interleaved chunk by chunk so a burst of load on this shared machine hits
both. presidio is ``AnalyzerEngine.analyze`` on each whole document with the stage's seven entities.

    python benchmarks/pii_long_speed.py [--limit N] [--repeat 3] [--only mixed,clean,digits]
"""
from __future__ import annotations

import argparse
import glob
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pii_corpus import DATA, ENTITIES, GENERATORS, TEMPLATES, plain_presidio  # noqa: E402
from benchmarks.warc_of_pages import write_warcs  # noqa: E402

CRAWL_PATTERNS = ("warc/**/*.warc.gz", "warc/**/*.warc", "warc/**/*.arc.gz", "warc/**/*.arc")


def extracted_texts(min_chars: int) -> dict[str, str]:
    """Extracted texts of every real page in ../shared/data: key (source/url) -> text."""
    from webcorpus import build_stage, read_batches

    extract = build_stage("extract", {"engine": "blocks"})
    texts: dict[str, str] = {}
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        (page_warc,) = write_warcs(Path(tmp), records=468, files=1)
        sources = [("extract-sets", str(page_warc))]
        for pattern in CRAWL_PATTERNS:
            sources += [("warc", p) for p in sorted(glob.glob(str(DATA / pattern), recursive=True))]
        for kind, path in sources:
            try:
                batches = list(read_batches(path, batch_size=200))
            except Exception:  # the deliberately broken files of warc/ (their readers' tests cover them)
                continue
            for batch in batches:
                out = extract(batch)
                for url, text in zip(out.column("url").to_pylist(), out.column("text").to_pylist()):
                    if text and len(text) >= min_chars and text not in seen:
                        seen.add(text)
                        texts[f"{kind}:{url}"] = text
    return texts


def plant(texts: list[str], entities: list[str], chars_per_value: int, seed: int) -> list[str]:
    """Each text with values of ``entities`` planted at breaks: one per ``chars_per_value`` characters."""
    import random
    import re

    rng = random.Random(seed)
    out = []
    for text in texts:
        breaks = [m.end() for m in re.finditer(r"\n|\. ", text)] or [len(text)]
        count = min(len(breaks), max(1, len(text) // chars_per_value))
        parts, pos = [], 0
        for point in sorted(rng.sample(breaks, count)):
            entity = rng.choice(entities)
            sentence = " " + rng.choice(TEMPLATES[entity]).format(GENERATORS[entity](rng)) + " "
            parts += [text[pos:point], sentence]
            pos = point
        out.append("".join(parts) + text[pos:])
    return out


def digit_share(text: str) -> float:
    return sum(c.isdigit() for c in text) / max(1, len(text))


def measure(stage, presidio, texts: list[str], chunk: int, repeat: int) -> dict:
    """CPU seconds of the stage and of presidio over ``texts``, interleaved by chunk."""
    from webcorpus.documents import from_rows

    stage_s = presidio_s = 0.0
    for i in range(0, len(texts), chunk):
        part = texts[i : i + chunk]
        t = time.process_time()
        for text in part:
            presidio(text)
        presidio_s += time.process_time() - t
        batch = from_rows([{"id": str(i + j), "text": text} for j, text in enumerate(part)])
        t = time.process_time()
        for _ in range(repeat):
            stage(batch)
        stage_s += (time.process_time() - t) / repeat
    chars = sum(map(len, texts))
    return {"docs": len(texts), "mb": chars / 1e6, "stage_s": stage_s, "presidio_s": presidio_s}


def row(name: str, m: dict) -> str:
    stage_rate, presidio_rate = m["docs"] / m["stage_s"], m["docs"] / m["presidio_s"]
    return (
        f"| {name} | {m['docs']:,} | {m['mb'] * 1e6 / m['docs']:,.0f} | {stage_rate:,.0f} | {m['mb'] / m['stage_s']:.2f} "
        f"| {presidio_rate:,.1f} | {m['mb'] / m['presidio_s']:.3f} | **{stage_rate / presidio_rate:.0f}x** |"
    )


DIGIT_BINS = [(0, 0.01), (0.01, 0.02), (0.02, 0.04), (0.04, 0.08), (0.08, 1.01)]
AT_BINS = [(0, 1e-9), (1e-9, 2e-4), (2e-4, 1.01)]


def density_table(stage, clean: list[str], planted: list[str], repeat: int) -> None:
    """The stage alone: CPU milliseconds per MB of text, documents binned by digit share and by '@'s."""
    from webcorpus.documents import from_rows

    def ms_per_mb(docs: list[str]) -> str:
        if not docs:
            return "—"
        batches = [from_rows([{"id": str(j), "text": x} for j, x in enumerate(docs[i : i + 64])]) for i in range(0, len(docs), 64)]
        t = time.process_time()
        for _ in range(repeat):
            for batch in batches:
                stage(batch)
        return f"{(time.process_time() - t) / repeat * 1000 / (sum(map(len, docs)) / 1e6):,.0f}"

    print("| digits in the text | documents | clean: CPU ms per MB | planted (mixed): CPU ms per MB |")
    print("|---|---:|---:|---:|")
    for low, high in DIGIT_BINS:
        pick = [i for i, x in enumerate(clean) if low <= digit_share(x) < high]
        label = f"{low:.0%}–{high:.0%}" if high <= 1 else f">= {low:.0%}"
        print(f"| {label} | {len(pick)} | {ms_per_mb([clean[i] for i in pick])} | {ms_per_mb([planted[i] for i in pick])} |", flush=True)
    print("\n| '@' per 10,000 characters | documents | clean: CPU ms per MB |")
    print("|---|---:|---:|")
    for low, high in AT_BINS:
        pick = [x for x in clean if low <= x.count("@") / len(x) < high]
        label = "none" if high < 1e-6 else (f"up to {high * 1e4:.0f}" if high <= 1 else f"over {low * 1e4:.0f}")
        print(f"| {label} | {len(pick)} | {ms_per_mb(pick)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--min-chars", type=int, default=2000, help="shortest extracted text kept")
    parser.add_argument("--chars-per-value", type=int, default=2000, help="one planted value per this many characters")
    parser.add_argument("--digit-share", type=float, default=0.06, help="digit-heavy: at least this share of digits")
    parser.add_argument("--limit", type=int, default=0, help="documents per row (0: all)")
    parser.add_argument("--repeat", type=int, default=3, help="passes of the stage over each chunk")
    parser.add_argument("--chunk", type=int, default=64, help="documents per chunk (and per stage batch)")
    parser.add_argument("--only", default="", help="comma-separated rows: clean, mixed, digits, or entity names")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--density", action="store_true", help="instead: the stage's CPU seconds per MB by digit and '@' density")
    args = parser.parse_args()

    from webcorpus.documents import from_rows
    from webcorpus.stages.pii.scrub import PiiScrub

    t = time.perf_counter()
    texts = sorted(extracted_texts(args.min_chars).items())
    keys, texts = [k for k, _ in texts], [v for _, v in texts]
    print(f"{len(texts)} extracted texts of >= {args.min_chars:,} characters "
          f"({sum(k.startswith('extract-sets') for k in keys)} from the extraction sets, "
          f"{sum(k.startswith('warc') for k in keys)} from warc/), {sum(map(len, texts)) / len(texts):,.0f} "
          f"characters on average, in {time.perf_counter() - t:.0f} s", flush=True)
    digits = [x for x in texts if digit_share(x) >= args.digit_share]
    if args.limit:
        texts, digits = texts[: args.limit], digits[: args.limit]

    stage = PiiScrub()
    stage._ensure_setup()
    presidio = plain_presidio(all_recognizers=False)
    for text in texts[:8]:
        presidio(text)
    stage(from_rows([{"id": str(i), "text": x} for i, x in enumerate(texts[:8])]))

    rows = {
        "clean (nothing planted)": texts,
        "mixed (all seven)": plant(texts, ENTITIES, args.chars_per_value, args.seed),
        **{e: plant(texts, [e], args.chars_per_value, args.seed) for e in ENTITIES},
        f"digit-heavy (>= {args.digit_share:.0%} digits), mixed": plant(digits, ENTITIES, args.chars_per_value, args.seed),
        f"digit-heavy (>= {args.digit_share:.0%} digits), clean": digits,
    }
    if args.only:
        wanted = args.only.split(",")
        rows = {k: v for k, v in rows.items() if any(w in k for w in wanted)}
    if args.density:
        density_table(stage, texts, plant(texts, ENTITIES, args.chars_per_value, args.seed), args.repeat)
        return
    print("| documents | n | chars/doc | stage docs/s | stage MB/s | presidio docs/s | presidio MB/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, docs in rows.items():
        print(row(name, measure(stage, presidio, docs, args.chunk, args.repeat)), flush=True)


if __name__ == "__main__":
    main()
