"""Real texts of two kinds for the quality classifier's tests and benchmarks, from ../shared/data/extract.

For every page of the three extraction sets (``extract_quality.load_pages``: scrapinghub-aeb,
readability-testpages, newspaper-fulltext, 438 pages with an expected article text):

* the **article**: the set's expected article text (written by the site's authors; the "good
  prose" a quality classifier should score high);
* the **rest of the page**: the page's whole visible text (resiliparse's ``extract_plain_text``
  with ``main_content=False``: menus, footers, cookie notes, link lists, comments and the article),
  less every line that also occurs in the article, whitespace-normalised. What remains is the part
  an extractor removes: boilerplate, the "low quality" side. A page whose rest is under 200
  characters gives no rest.

Both are real text of the same pages; only the split between them is computed. What this pairing
measures: whether a classifier tells article prose from the page furniture around it, across
sites and sets it was not trained on. It does not measure how it ranks whole crawled documents of
mixed quality (no such labelled data is here).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract_quality import DATASETS, load_pages, resiliparse_decode  # noqa: E402

MIN_REST_CHARS = 200


@dataclass(frozen=True)
class PageTexts:
    dataset: str
    name: str
    article: str
    rest: str | None


def _norm(line: str) -> str:
    return " ".join(line.split())


def rest_of_page(html: bytes, article: str) -> str | None:
    from resiliparse.extract.html2text import extract_plain_text

    whole = extract_plain_text(resiliparse_decode(html), main_content=False)
    in_article = {_norm(line) for line in article.splitlines() if _norm(line)}
    rest = [line for line in whole.splitlines() if _norm(line) and _norm(line) not in in_article]
    text = "\n".join(rest)
    return text if len(text) >= MIN_REST_CHARS else None


@lru_cache(maxsize=1)
def page_texts(datasets: tuple[str, ...] = DATASETS) -> tuple[PageTexts, ...]:
    """Article and rest of every page of ``datasets``, in a fixed order."""
    return tuple(PageTexts(p.dataset, p.name, p.truth, rest_of_page(p.html, p.truth)) for p in load_pages(datasets))


def articles(dataset: str | None = None) -> list[str]:
    return [p.article for p in page_texts() if dataset in (None, p.dataset)]


def rests(dataset: str | None = None) -> list[str]:
    return [p.rest for p in page_texts() if p.rest is not None and dataset in (None, p.dataset)]


def write_jsonl(path: Path, texts: list[str]) -> Path:
    """``texts`` as JSON lines with a ``text`` field (the stage's file format)."""
    import json

    with open(path, "w", encoding="utf-8") as out:
        for text in texts:
            out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
    return path


def read_prepared(path: Path) -> list[str]:
    """The prepared texts (the classifier's one line each) of a JSON lines file."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from webcorpus.stages.classifier.examples import read_files

    return read_files(str(path)).texts


if __name__ == "__main__":
    for name in DATASETS:
        print(f"{name}: {len(articles(name))} articles, {len(rests(name))} rests of pages, "
              f"mean {sum(map(len, articles(name))) // max(1, len(articles(name)))} / "
              f"{sum(map(len, rests(name))) // max(1, len(rests(name)))} characters")
