"""Extraction quality: token-bag precision, recall and F1 against human/reference ground truth.

Datasets (read from ``../shared/data/extract``, never copied):

* ``scrapinghub-aeb``: 181 article pages, ground truth = ``articleBody`` of ground-truth.json;
* ``readability-testpages``: 130 pages, ground truth = the text of Readability.js's ``expected.html``;
* ``newspaper-fulltext``: 157 pages, ground truth = newspaper3k's expected full text
  (``X_article.html`` pairs with ``X.txt``; pages without a text file, with an empty one, or whose "text" is
  an upper-case note about a failure of newspaper3k such as "MISSED LAST PARAGRAPH" (22 files) are skipped).

Split: a page is in the **dev** half when the first byte of sha1("<dataset>/<page name>") is even, else
**held-out**. Tuning of the hybrid engine was done on dev only; the numbers we report are held-out.

Metric (bag of tokens, as in the scrapinghub benchmark): text is lower-cased and cut into tokens = runs of
letters/digits, with every CJK, kana, hangul and Thai character a token of its own (those scripts use no
spaces). With P = |pred ∩ truth| / |pred| and R = |pred ∩ truth| / |truth| over multisets, F1 = 2PR/(P+R)
per page; an empty prediction scores 0. We report the mean over pages of each dataset, and the mean over
all pages ("all"). Speed is pages per second on one core, extraction only (decoding excluded).

    python benchmarks/extract_quality.py                # held-out split, every engine
    python benchmarks/extract_quality.py --split dev    # the split used for tuning
    python benchmarks/extract_quality.py --lodo         # every page; blocks trained without the scored set
    python benchmarks/extract_quality.py --old-crawls   # empty results on 2008/2009 crawl pages (no gold)
    python benchmarks/extract_quality.py --stage-speed --split all   # the whole stage, pages per CPU-second

Leave one dataset out (``--lodo``): the ``blocks`` engine's model is trained on two sets and scores the
third, for each set in turn; "mean of sets" is the mean of the three per-set figures, the one to quote.
The other engines are not trained here; their figures on these pages are in-sample wherever their
thresholds were tuned on them (``hybrid``, ``resiliparse``'s trim: the dev half).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "extract"

_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W_{_UNSPACED}]+")


@dataclass
class Page:
    dataset: str
    name: str
    html: bytes
    truth: str

    @property
    def split(self) -> str:
        return split_of(self.dataset, self.name)


def split_of(dataset: str, name: str) -> str:
    return "dev" if hashlib.sha1(f"{dataset}/{name}".encode()).digest()[0] % 2 == 0 else "heldout"


def tokens(text: str) -> Counter:
    return Counter(_TOKEN.findall(text.lower()))


def score(pred: str | None, truth: str) -> tuple[float, float, float]:
    p_bag, t_bag = tokens(pred or ""), tokens(truth)
    if not p_bag or not t_bag:
        return 0.0, 0.0, 0.0
    common = sum((p_bag & t_bag).values())
    precision, recall = common / sum(p_bag.values()), common / sum(t_bag.values())
    f1 = 2 * precision * recall / (precision + recall) if common else 0.0
    return precision, recall, f1


def _html_text(markup: str) -> str:
    """Visible text of a ground-truth HTML fragment, with block elements on their own lines."""
    import lxml.html

    root = lxml.html.fromstring(markup)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag not in {"a", "b", "i", "em", "strong", "span", "code", "sup", "sub", "small", "abbr", "u", "font"}:
            element.tail = "\n" + (element.tail or "")
    return root.text_content()


DATASETS = ("scrapinghub-aeb", "readability-testpages", "newspaper-fulltext")


def load_pages(datasets: tuple[str, ...] = DATASETS) -> Iterator[Page]:
    """Every page with non-empty ground truth, in a fixed order."""
    if "scrapinghub-aeb" in datasets:
        folder = DATA / "scrapinghub-aeb"
        truth = json.loads((folder / "ground-truth.json").read_text())
        for key in sorted(truth):
            path = folder / "html" / f"{key}.html.gz"
            if path.exists() and truth[key]["articleBody"].strip():
                yield Page("scrapinghub-aeb", key, gzip.decompress(path.read_bytes()), truth[key]["articleBody"])
    if "readability-testpages" in datasets:
        for case in sorted((DATA / "readability-testpages" / "test-pages").iterdir()):
            expected = case / "expected.html"
            if expected.exists() and (case / "source.html").exists():
                text = _html_text(expected.read_text(encoding="utf-8"))
                if text.strip():
                    yield Page("readability-testpages", case.name, (case / "source.html").read_bytes(), text)
    if "newspaper-fulltext" in datasets:
        folder = DATA / "newspaper-fulltext"
        for path in sorted((folder / "html").glob("*.html")):
            stem = path.stem
            text_path = folder / "text" / f"{stem}.txt"
            if not text_path.exists():
                text_path = folder / "text" / f"{stem.replace('_article', '')}.txt"
            truth = text_path.read_text(encoding="utf-8") if text_path.exists() else ""
            if truth.strip() and not _is_annotation(truth):
                yield Page("newspaper-fulltext", stem, path.read_bytes(), truth)


def _is_annotation(truth: str) -> bool:
    """newspaper's test folder stores some failures as a note instead of text ("MISSED LAST PARAGRAPH")."""
    return len(truth.split()) < 30 and any(c.isalpha() for c in truth) and truth == truth.upper()


def decode(html: bytes) -> str:
    """Bytes to text as webcorpus's readers do (BOM, <meta> charset, detection; no HTTP header here)."""
    sys.path.insert(0, str(ROOT))
    from webcorpus.readers.charset import decode_html

    return decode_html(html)[0]


def resiliparse_decode(html: bytes) -> str:
    from resiliparse.parse.encoding import bytes_to_str, detect_encoding

    return bytes_to_str(html, detect_encoding(html))


# --- the systems compared ------------------------------------------------------------------------


def trafilatura_direct(**options) -> Callable[[bytes], str | None]:
    import trafilatura

    return lambda html: trafilatura.extract(html, **options)


def resiliparse_direct() -> Callable[[bytes], str | None]:
    from resiliparse.extract.html2text import extract_plain_text

    return lambda html: extract_plain_text(resiliparse_decode(html), main_content=True)


def webcorpus_stage(**options) -> Callable[[str], str | None]:
    """Our ``extract`` stage's engine, called in-process on decoded text (no child process: pure quality)."""
    sys.path.insert(0, str(ROOT))
    from webcorpus.stages.extract import Extract

    stage = Extract(**options)
    engine = stage.make_engine()
    return lambda html: engine(html, None)


def systems() -> dict[str, tuple[Callable, bool]]:
    """name -> (function, takes_decoded_text)."""
    return {
        "trafilatura direct (default)": (trafilatura_direct(), False),
        "trafilatura direct (favor_precision)": (trafilatura_direct(favor_precision=True), False),
        "resiliparse direct (main_content)": (resiliparse_direct(), False),
        "webcorpus extract: engine=trafilatura": (webcorpus_stage(engine="trafilatura"), True),
        "webcorpus extract: engine=trafilatura, favor_precision": (webcorpus_stage(engine="trafilatura", favor_precision=True), True),
        "webcorpus extract: engine=trafilatura, favor_recall": (webcorpus_stage(engine="trafilatura", favor_recall=True), True),
        "webcorpus extract: engine=resiliparse": (webcorpus_stage(engine="resiliparse"), True),
        "webcorpus extract: engine=hybrid": (webcorpus_stage(engine="hybrid"), True),
        "webcorpus extract: engine=blocks (shipped model: trained on all three sets, in-sample)": (webcorpus_stage(engine="blocks"), True),
    }


def evaluate(function: Callable, pages: list[Page], decoded: bool) -> dict:
    """Per dataset and "all": mean (P, R, F1); plus pages per CPU-second and the number of empty results."""
    inputs = [decode(p.html) if decoded else p.html for p in pages]
    per_dataset: dict[str, list] = {}
    seconds, empty = 0.0, 0
    for page, html in zip(pages, inputs):
        start = time.process_time()
        pred = function(html)
        seconds += time.process_time() - start
        empty += not (pred or "").strip()
        per_dataset.setdefault(page.dataset, []).append(score(pred, page.truth))
    return _summary(per_dataset, len(pages), seconds, empty)


def _summary(per_dataset: dict[str, list], count: int, seconds: float, empty: int) -> dict:
    per_dataset = dict(per_dataset)
    per_dataset["all"] = [s for name in list(per_dataset) for s in per_dataset[name]]
    result = {name: [sum(s[i] for s in scores) / len(scores) for i in range(3)] for name, scores in per_dataset.items()}
    result["scores"] = per_dataset
    result["pages_per_s"] = count / seconds if seconds else float("inf")
    result["seconds"], result["empty"], result["pages"] = seconds, empty, count
    return result


def evaluate_blocks_lodo(pages: list[Page]) -> dict:
    """The ``blocks`` engine, leave one dataset out: for each set, a model trained on the other sets only
    (same training code as benchmarks/train_extract_model.py) extracts that set's pages."""
    sys.path.insert(0, str(ROOT))
    from webcorpus.stages.extract.engines import _blocks
    from webcorpus.stages.extract.model import fit_pages, training_rows

    decoded = {id(p): decode(p.html) for p in pages}
    every = [p for p in load_pages()]  # training pages: all pages of the other sets, whatever the split
    rows = {(p.dataset, p.name): training_rows(decode(p.html), p.truth, p.dataset) for p in every}
    per_dataset: dict[str, list] = {}
    seconds, empty = 0.0, 0
    for held in DATASETS:
        model = fit_pages([rows[(p.dataset, p.name)] for p in every if p.dataset != held])
        engine = _blocks(False, model=model)
        for page in (p for p in pages if p.dataset == held):
            start = time.process_time()
            pred = engine(decoded[id(page)], None)
            seconds += time.process_time() - start
            empty += not (pred or "").strip()
            per_dataset.setdefault(held, []).append(score(pred, page.truth))
    return _summary(per_dataset, len(pages), seconds, empty)


def sandbox_overhead(pages: list[Page], engine: str = "resiliparse", repeats: int = 3) -> tuple[float, float]:
    """Best-of wall seconds for the stage on all pages as batches of 100: in-process vs in its child process."""
    from webcorpus.documents import from_rows
    from webcorpus.stages.extract import Extract

    rows = [{"id": str(i), "url": None, "html": decode(p.html)} for i, p in enumerate(pages)]
    batches = [from_rows(rows[i:i + 100]) for i in range(0, len(rows), 100)]
    best = {}
    for timeout in (None, 10.0):
        stage = Extract(engine=engine, timeout=timeout)
        stage(batches[0])  # start-up (imports, child process) is not what we measure
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            for batch in batches:
                stage(batch)
            runs.append(time.perf_counter() - start)
        best[timeout] = min(runs)
    return best[None], best[10.0]


def stage_speed(pages: list[Page], engines: tuple[str, ...] = ("blocks", "resiliparse"), repeats: int = 2) -> None:
    """Pages per CPU-second of the whole ``extract`` stage run in-process (``timeout: null``) on batches of
    100 pages: the engine plus the stage's own work (title, Arrow columns); engines interleaved."""
    from webcorpus.documents import from_rows
    from webcorpus.stages.extract import Extract

    rows = [{"id": str(i), "url": None, "html": decode(p.html)} for i, p in enumerate(pages)]
    batches = [from_rows(rows[i:i + 100]) for i in range(0, len(rows), 100)]
    stages = {engine: Extract(engine=engine, timeout=None) for engine in engines}
    for stage in stages.values():
        stage(batches[0])  # imports and model loading are not what we measure
    for _ in range(repeats):
        for engine, stage in stages.items():
            start = time.process_time()
            for batch in batches:
                stage(batch)
            print(f"extract stage, engine={engine}: {len(rows) / (time.process_time() - start):.0f} pages per CPU-second")


OLD_CRAWLS = ("warc/aut-example/warc/example.warc.gz", "warc/copycat-cc-arc-sample/cc-arc-sample/small-sample-1213893279526_0.arc",
              "warc/copycat-cc-arc-sample/cc-arc-sample/small-sample-1262850551027_8.arc")


def old_crawl_check(engines: tuple[str, ...] = ("blocks", "trafilatura", "resiliparse", "hybrid")) -> None:
    """No gold text, but pages from 2008/2009 crawls that no engine was tuned on: how often each engine
    returns nothing, how much text it returns, and how far it agrees with trafilatura (token-bag F1)."""
    sys.path.insert(0, str(ROOT))
    from webcorpus.readers import read_documents
    from webcorpus.readers.report import ReadReport

    htmls = []
    for relative in OLD_CRAWLS:
        path = str(DATA.parent / relative)
        for table in read_documents(path, ReadReport(path)):
            htmls += [h for h in table.column("html").to_pylist() if h and len(h) < 2_000_000]
    outputs = {engine: [webcorpus_stage(engine=engine)(h) or "" for h in htmls] for engine in engines}
    print(f"{len(htmls)} HTML pages of {', '.join(OLD_CRAWLS)} (crawled 2008-2009; no gold text)")
    print("| engine | empty | mean tokens | token-bag F1 against trafilatura's text |\n|---|---|---|---|")
    for engine, texts in outputs.items():
        empty = sum(not t.strip() for t in texts)
        mean_tokens = sum(sum(tokens(t).values()) for t in texts) / len(texts)
        both = [(t, r) for t, r in zip(texts, outputs["trafilatura"]) if r.strip()]
        agreement = sum(score(t, r)[2] for t, r in both) / len(both)
        print(f"| {engine} | {empty} ({empty / len(texts):.1%}) | {mean_tokens:.0f} | {agreement:.3f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=["dev", "heldout", "all"], default="heldout")
    parser.add_argument("--lodo", action="store_true",
                        help="leave one dataset out: every page scored (--split all), the blocks engine trained without its set")
    parser.add_argument("--only", help="run only systems whose name contains this")
    parser.add_argument("--sandbox-overhead", action="store_true", help="also time the stage in-process vs in its child")
    parser.add_argument("--old-crawls", action="store_true", help="only the empty-result check on 2008/2009 crawl pages")
    parser.add_argument("--stage-speed", action="store_true", help="only the extract stage's pages per CPU-second (blocks, resiliparse)")
    args = parser.parse_args(argv)
    if args.old_crawls:
        old_crawl_check()
        return
    split = "all" if args.lodo else args.split
    if args.stage_speed:
        stage_speed([p for p in load_pages() if split == "all" or p.split == split])
        return
    pages = [p for p in load_pages() if split == "all" or p.split == split]
    counts = Counter(p.dataset for p in pages)
    print(f"split={split}: {len(pages)} pages ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    print(f"| system | {' | '.join(f'{n} F1' for n in DATASETS)} | mean of sets | all F1 | all P | all R "
          f"| empty | pages/s/core |")
    print("|---|" + "---|" * (len(DATASETS) + 6))
    runs = [(name, lambda f=function, d=decoded: evaluate(f, pages, d)) for name, (function, decoded) in systems().items()]
    if args.lodo:
        runs.insert(0, ("webcorpus extract: engine=blocks, leave-one-dataset-out models", lambda: evaluate_blocks_lodo(pages)))
    for name, run in runs:
        if args.only and args.only not in name:
            continue
        r = run()
        cells = " | ".join(f"{r[n][2]:.3f}" for n in DATASETS)
        mean = sum(r[n][2] for n in DATASETS) / len(DATASETS)
        print(f"| {name} | {cells} | {mean:.3f} | {r['all'][2]:.3f} | {r['all'][0]:.3f} | {r['all'][1]:.3f} "
              f"| {r['empty']} ({r['empty'] / r['pages']:.1%}) | {r['pages_per_s']:.0f} |", flush=True)
    if args.sandbox_overhead:
        for engine in ("resiliparse", "hybrid", "blocks"):
            inside, child = sandbox_overhead(pages, engine)
            print(f"sandbox overhead, engine={engine}: in-process {inside:.2f} s, child process {child:.2f} s "
                  f"for {len(pages)} pages ({child / inside - 1:+.0%})")


if __name__ == "__main__":
    main()
