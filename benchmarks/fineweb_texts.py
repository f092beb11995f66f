"""Real texts on which the FineWeb flavour of the quality filters is compared with datatrove.

Each text carries the set it comes from (the unit of leave-one-set-out) and its kind:

* ``gold``: the human/reference article texts of ../shared/data/extract (scrapinghub-aeb,
  readability-testpages, newspaper-fulltext);
* ``trafilatura`` / ``resiliparse``: webcorpus's own extractions of the same pages (trafilatura with
  favor_precision, and resiliparse), boilerplate included;
* ``crawl``: resiliparse extractions of the HTML pages of the real crawls in ../shared/data/warc (set
  ``warc``, many languages);
* ``lingua``: non-English prose, 30 consecutive lines of each language's sentence file in
  ../shared/data/lid/lingua-testdata joined into a document, lines kept (set ``lingua``);
* ``heldout``: texts no rule of :mod:`webcorpus.stages.quality.fineweb_text` was tuned on (its
  special cases were read off the differences with spaCy on the sets above): the text files of
  ../shared/data/dedup/cs336-fixtures (set ``cs336``) and the synthetic PII sentences of
  ../shared/data/pii/presidio-research-synth, 25 records to a document (set ``presidio``).

    python benchmarks/fineweb_texts.py OUT.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

DATA = ROOT / ".." / "shared" / "data"
SETS = ("scrapinghub-aeb", "readability-testpages", "newspaper-fulltext", "warc", "lingua", "cs336", "presidio")


def _extractions(pages, engine: str, **options) -> list[str | None]:
    from extract_quality import decode

    from webcorpus.stages.extract import Extract

    run = Extract(engine=engine, timeout=None, **options).make_engine()
    out = []
    for page in pages:
        try:
            out.append(run(decode(page.html), None))
        except Exception:  # a page the engine cannot read gives no text, as in the stage
            out.append(None)
    return out


def crawl_texts() -> list[dict]:
    from filter_shares import read_pages

    from webcorpus.stages.extract import Extract

    pages = read_pages(DATA / "warc")
    run = Extract(engine="resiliparse", timeout=None).make_engine()
    out = []
    for doc_id, html in zip(pages.column("id").to_pylist(), pages.column("html").to_pylist()):
        try:
            text = run(html, None)
        except Exception:
            text = None
        if text and text.strip():
            out.append({"set": "warc", "kind": "crawl", "name": doc_id, "text": text})
    return out


def lingua_texts(lines_per_doc: int = 30, docs_per_language: int = 2) -> list[dict]:
    out = []
    for folder in sorted((DATA / "lid" / "lingua-testdata").iterdir()):
        path = folder / "testdata" / "sentences.txt"
        if not path.exists():
            candidates = sorted((folder / "testdata").glob("*sentences*")) if (folder / "testdata").exists() else []
            if not candidates:
                continue
            path = candidates[0]
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for d in range(docs_per_language):
            chunk = lines[d * lines_per_doc:(d + 1) * lines_per_doc]
            if chunk:
                out.append({"set": "lingua", "kind": "lingua", "name": f"{folder.name}-{d}", "text": "\n".join(chunk)})
    return out


def heldout_texts(records_per_doc: int = 25, docs: int = 120) -> list[dict]:
    out = []
    folder = DATA / "dedup" / "cs336-fixtures" / "fixtures"
    for path in sorted(folder.rglob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if text.strip():
            out.append({"set": "cs336", "kind": "heldout", "name": str(path.relative_to(folder)), "text": text})
    records = json.loads((DATA / "pii" / "presidio-research-synth" / "data" / "synth_dataset_v2.json").read_text())
    for d in range(docs):
        chunk = [r["full_text"] for r in records[d * records_per_doc:(d + 1) * records_per_doc]]
        if chunk:
            out.append({"set": "presidio", "kind": "heldout", "name": f"records-{d}", "text": "\n".join(chunk)})
    return out


def all_texts(trafilatura: bool = True) -> list[dict]:
    """Every text, in a fixed order (``trafilatura=False`` skips the slowest extractor)."""
    from extract_quality import load_pages

    pages = list(load_pages())
    texts = [{"set": p.dataset, "kind": "gold", "name": p.name, "text": p.truth} for p in pages]
    engines = (("trafilatura", {"favor_precision": True}),) if trafilatura else ()
    for engine, options in engines + (("resiliparse", {}),):
        for page, text in zip(pages, _extractions(pages, engine, **options)):
            if text and text.strip():
                texts.append({"set": page.dataset, "kind": engine, "name": page.name, "text": text})
    return texts + crawl_texts() + lingua_texts() + heldout_texts()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    texts = all_texts()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for row in texts:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(texts)} texts -> {args.out}")
