"""`webcorpus ablate --preset tiny --device cpu` on two real corpora of about 1,600 documents: its wall and
CPU time, the cost it announces, and whether its verdict holds across seeds.

The two corpora are made from the same real pages of ../shared/data/extract (scrapinghub-aeb,
newspaper-fulltext, readability-testpages: 468 articles from many sites):

* ``article``: each page's article text as the benchmarks' ground truth gives it (what a perfect
  main-content extractor would keep);
* ``page``: all the text of the same page's HTML (lxml's text of the body, scripts and styles left
  out): menus, footers, related links and all, what an extractor that keeps everything would give.

Each text is cut at line ends into documents of about the same size, so that each corpus has about
``--documents`` documents; ids differ between the corpora (a page's parts are not the same documents).
The pages are real; only the cutting is made. The ablation then runs as a user would run it, in a
child process: ``webcorpus ablate article page --out ABL --preset tiny --device cpu --seeds 3
--threads 1``. CPU time is user + system of the child (resource.getrusage), steadier than wall time
on a shared machine; both are printed, with the cost line the ablation printed before training.

    .venv/bin/python benchmarks/ablate_cpu.py [--documents 1600] [--seeds 3] [--work SCRATCH] [--reference-rounds 3]
"""
from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "extract"
WEBCORPUS = Path(sys.executable).with_name("webcorpus")


def _read(path: Path) -> str:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    return raw.decode("utf-8", "replace")


def page_text(html: str) -> str:
    """Every text node of the body but scripts and styles, one line per block of text."""
    import lxml.html

    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    lines = [" ".join(t.split()) for t in tree.itertext()]
    return "\n".join(line for line in lines if line)


def pairs() -> list[tuple[str, str, str]]:
    """(page name, article text, whole-page text) of every page of the three extraction sets."""
    import lxml.html

    out = []
    aeb = DATA / "scrapinghub-aeb"
    truth = json.loads((aeb / "ground-truth.json").read_text())
    for key, value in sorted(truth.items()):
        html = aeb / "html" / f"{key}.html.gz"
        if html.is_file() and value.get("articleBody", "").strip():
            out.append((f"aeb-{key[:12]}", value["articleBody"], page_text(_read(html))))
    news = DATA / "newspaper-fulltext"
    for text in sorted((news / "text").glob("*.txt")):
        html = news / "html" / f"{text.stem}.html"
        if html.is_file():
            out.append((f"news-{text.stem}", text.read_text(encoding="utf-8"), page_text(_read(html))))
    for page in sorted((DATA / "readability-testpages" / "test-pages").iterdir()):
        expected, source = page / "expected.html", page / "source.html"
        if expected.is_file() and source.is_file():
            article = "\n".join(" ".join(t.split()) for t in lxml.html.fromstring(_read(expected)).itertext() if t.strip())
            out.append((f"rdb-{page.name}", article, page_text(_read(source))))
    return out


def cut(text: str, target: int) -> list[str]:
    """Consecutive lines of ``text`` grouped into documents of at least ``target`` bytes (the last may be shorter)."""
    docs, current, size = [], [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        current.append(line)
        size += len(line.encode()) + 1
        if size >= target:
            docs.append("\n".join(current))
            current, size = [], 0
    if current:
        docs.append("\n".join(current))
    return docs


def write_corpus(folder: Path, name: str, texts: list[tuple[str, str]], documents: int) -> dict:
    import pyarrow as pa
    import pyarrow.parquet as pq

    target = sum(len(t.encode()) for _, t in texts) // documents
    ids, docs = [], []
    for page, text in texts:
        for i, doc in enumerate(cut(text, target)):
            ids.append(f"<urn:{name}:{page}:{i}>")
            docs.append(doc)
    (folder / name / "documents").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"id": ids, "text": docs}), folder / name / "documents" / "part-00000.parquet")
    return {"documents": len(docs), "bytes": sum(len(d.encode()) for d in docs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1600)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--work", help="scratch folder (default: a temporary one)")
    parser.add_argument("--reference-rounds", type=int, default=3,
                        help="then time the tiny model's step with this vocabulary and with 32,768 pieces (0: skip)")
    parser.add_argument("extra", nargs="*", help="more `webcorpus ablate` flags (after --)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="ablate-bench-"))
    found = pairs()
    sizes = {name: write_corpus(work, name, [(p, texts[i]) for p, *texts in found], args.documents)
             for i, name in enumerate(("article", "page"))}
    print(f"{len(found)} pages; corpora: {json.dumps(sizes)}", flush=True)
    out = work / "abl"
    command = [str(WEBCORPUS), "ablate", str(work / "article"), str(work / "page"), "--out", str(out),
               "--preset", "tiny", "--device", "cpu", "--threads", "1", "--seeds", str(args.seeds), *args.extra]
    print("$ " + " ".join(command), flush=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(done.stderr[-6000:])
    if done.returncode:
        sys.exit(done.returncode)
    result = json.loads((out / "ablation.json").read_text())
    held = result["held_equal"]
    print(f"wall {wall:.1f} s, CPU {cpu:.1f} s (user + system of the ablation process), "
          f"peak RSS {after.ru_maxrss / 1024:.0f} MB")
    print(f"vocabulary {held['tokenizer']['vocab_size']}, {held['steps']} steps x {held['tokens_per_step']} tokens "
          f"= {held['train_tokens']:,} training tokens per run; seeds {held['seeds']}")
    for name, runs in result["seed_runs"].items():
        print(name, "shared val loss by seed:", ", ".join(f"{r['shared_val']['loss']:.4f}" for r in runs))
    print(json.dumps(result["verdict"]["shared_val"], indent=1))
    if args.reference_rounds:
        print(step_times(out / "data" / "article", args.reference_rounds, held["tokenizer"]["vocab_size"]))


def step_times(data: Path, rounds: int, vocab: int) -> str:
    """The tiny model's step time here with the ablation's vocabulary and with the 32,768 pieces it had
    before, interleaved (same data, 1 torch thread): the ratio is the speed-up of sizing it to the model."""
    import contextlib
    import io
    import statistics

    import torch

    from webcorpus.trainer.config import make_config
    from webcorpus.trainer.train import METRICS, train

    torch.set_num_threads(1)
    times = {vocab: [], 32768: []}
    for _ in range(rounds):
        for size in times:
            with tempfile.TemporaryDirectory() as run:
                config = make_config("tiny", data=str(data), out=run, vocab_size=size, steps=11, eval_every=10**6,
                                     eval_tokens=512, checkpoint_every=0, device="cpu")
                with contextlib.redirect_stdout(io.StringIO()):
                    train(config)
                records = [json.loads(x) for x in (Path(run) / METRICS).read_text().splitlines()]
                times[size] += [r["ms_per_step"] for r in records if r.get("step", 0) > 1 and "ms_per_step" in r]
    medians = {size: statistics.median(v) for size, v in times.items()}
    return (f"tiny step, median of {rounds} x 10 interleaved steps: vocabulary {vocab}: {medians[vocab]:.1f} ms; "
            f"32768: {medians[32768]:.1f} ms; ratio {medians[32768] / medians[vocab]:.1f}x")


if __name__ == "__main__":
    main()
