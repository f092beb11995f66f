"""PII throughput: the ``pii`` stage against presidio's ``AnalyzerEngine.analyze`` on each whole document.

Same documents (the real article texts of ../shared/data/extract, contact data included), same run,
one process. Plain presidio is timed with the stage's seven entities (the fair comparison) and with
every default recognizer (how it is usually called). The machine is shared, so the three are timed
interleaved, chunk by chunk, and each total is the sum over chunks: a burst of load hits all three.

    python benchmarks/pii_speed.py [--repeat 3] [--chunk 64] [--limit N]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.pii_corpus import plain_presidio, real_texts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes of the stage over each chunk")
    parser.add_argument("--chunk", type=int, default=64, help="documents per chunk (and per stage batch)")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N documents (0: all)")
    args = parser.parse_args()

    from webcorpus.documents import from_rows
    from webcorpus.stages.pii.scrub import PiiScrub

    texts = list(real_texts().values())
    if args.limit:
        texts = texts[: args.limit]
    print(f"{len(texts)} documents, {sum(map(len, texts)) / len(texts):,.0f} characters on average")

    start = time.perf_counter()
    stage = PiiScrub()
    stage._ensure_setup()
    print(f"pii stage setup (presidio, blank spaCy, phone metadata): {time.perf_counter() - start:.1f} s")
    plain = {"7 entities": plain_presidio(all_recognizers=False), "all recognizers": plain_presidio(all_recognizers=True)}
    for analyze in plain.values():
        for text in texts[:8]:
            analyze(text)
    stage(from_rows([{"id": str(i), "text": t} for i, t in enumerate(texts[:8])]))

    seconds = {"pii stage": 0.0, **{name: 0.0 for name in plain}}
    for i in range(0, len(texts), args.chunk):
        chunk = texts[i : i + args.chunk]
        for name, analyze in plain.items():
            t = time.perf_counter()
            for text in chunk:
                analyze(text)
            seconds[name] += time.perf_counter() - t
        batch = from_rows([{"id": str(i + j), "text": text} for j, text in enumerate(chunk)])
        t = time.perf_counter()
        for _ in range(args.repeat):
            stage(batch)
        seconds["pii stage"] += (time.perf_counter() - t) / args.repeat

    rate = {name: len(texts) / s for name, s in seconds.items()}
    for name in plain:
        print(f"plain presidio, {name:<16} {rate[name]:9.1f} docs/s")
    print(f"pii stage                        {rate['pii stage']:9.1f} docs/s")
    print(
        f"speed-up: {rate['pii stage'] / rate['7 entities']:.0f}x (7 entities), "
        f"{rate['pii stage'] / rate['all recognizers']:.0f}x (all recognizers)"
    )


if __name__ == "__main__":
    main()
