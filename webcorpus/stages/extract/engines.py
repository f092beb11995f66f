"""HTML-to-text engines: each is a function ``(html, url) -> text | None`` built from the stage's options.

* ``trafilatura``: ``trafilatura.extract`` with the stage's options (the reference quality).
* ``resiliparse``: resiliparse's main-content heuristics, then :func:`trim_boilerplate`, a line-level pass
  that keeps the densest run of prose and drops the navigation, teasers and footers that resiliparse lets
  through at the edges. About 20 times faster than trafilatura.
* ``hybrid``: ``resiliparse`` first; trafilatura (without its own fallback extractors) is called only when
  that result looks unreliable (:func:`looks_unreliable`: about 40% of pages), and its result is taken
  unless it lost most of the text the fast engine found.
* ``blocks``: the page cut into text blocks (:mod:`.blocks`), each kept or dropped by a small learned
  classifier (:mod:`.model`, weights in ``block_model.json``) from its length, link density, tags, class
  names, position, its neighbours and whether resiliparse's main-content pass kept it. Trained by
  ``benchmarks/train_extract_model.py``; chosen by leave-one-dataset-out scores, not in-sample ones.
* ``module:function``: any importable function ``(html, url) -> text | None``, for custom engines.

Every threshold here was chosen on the dev half of benchmarks/extract_quality.py, never on held-out pages.
"""
from __future__ import annotations

import html as html_lib
import importlib
import re
from typing import Callable

from webcorpus.stages.extract.text import count_tokens, resiliparse_main_content

Engine = Callable[[str, "str | None"], "str | None"]

BUILTIN = ("blocks", "trafilatura", "resiliparse", "hybrid")

_SENTENCE_END = re.compile(r"[.!?…。！？:;\"”’»)]\s*$")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def title_of(html: str) -> str | None:
    """The page's ``<title>``, unescaped and on one line (engine-independent, cheap)."""
    match = _TITLE.search(html, 0, 200_000)
    if not match:
        return None
    title = " ".join(html_lib.unescape(match.group(1)).split())
    return title or None


def trim_boilerplate(text: str, min_prose_tokens: int = 5, gap_penalty: float = 1.0) -> str:
    """Keep the contiguous run of lines with the most prose; drop link lists and footers around it.

    A line is prose when it has at least ``min_prose_tokens`` tokens and ends like a sentence (or is
    long). Prose lines score their token count, other lines ``-gap_penalty``; the best-scoring run of
    lines (maximum subarray) is kept, so headings and captions inside the article stay while a
    block of short lines before or after it goes.
    """
    lines = [" ".join(line.split()) for line in text.split("\n")]  # also turns no-break spaces into spaces
    lines = [line for line in lines if line]
    best, best_start, best_end = 0.0, 0, 0
    running, start = 0.0, 0
    for i, line in enumerate(lines):
        if running <= 0:
            running, start = 0.0, i
        n = count_tokens(line)
        prose = n >= min_prose_tokens and (n >= 2.5 * min_prose_tokens or _SENTENCE_END.search(line))
        running += n if prose else -gap_penalty
        if running > best:
            best, best_start, best_end = running, start, i + 1
    if best == 0:
        return "\n".join(lines)
    return "\n".join(lines[best_start:best_end])


def looks_unreliable(raw: str, trimmed: str) -> bool:
    """Whether the fast engine's result deserves a second opinion from trafilatura."""
    n_trimmed = count_tokens(trimmed)
    if n_trimmed < 50:
        return True
    lines = [line for line in trimmed.split("\n") if line.strip()]
    short = sum(1 for line in lines if count_tokens(line) < 8)
    return short > 0.3 * len(lines) or n_trimmed < 0.8 * count_tokens(raw)


def make_engine(engine: str, **options) -> Engine:
    """Build the extraction function for ``engine`` (imports happen here, in the process that extracts)."""
    if engine == "trafilatura":
        return _trafilatura(**options)
    if engine == "resiliparse":
        return _resiliparse(options.get("include_comments", False))
    if engine == "hybrid":
        return _hybrid(**options)
    if engine == "blocks":
        return _blocks(options.get("include_comments", False))
    module_name, _, attr = engine.partition(":")
    function = getattr(importlib.import_module(module_name), attr)
    return function


def _trafilatura(favor_precision=False, favor_recall=False, include_tables=True, include_comments=False,
                 include_links=False, fast=False) -> Engine:
    import trafilatura

    def extract(html: str, url: str | None) -> str | None:
        return trafilatura.extract(
            html, url=url, favor_precision=favor_precision, favor_recall=favor_recall,
            include_tables=include_tables, include_comments=include_comments, include_links=include_links,
            no_fallback=fast, deduplicate=False, output_format="txt",
        )

    return extract


def _resiliparse(include_comments: bool) -> Engine:
    raw = resiliparse_main_content(include_comments)
    return lambda html, url: trim_boilerplate(raw(html))


def _hybrid(**options) -> Engine:
    raw_engine = resiliparse_main_content(options.get("include_comments", False))
    careful = _trafilatura(**{**options, "fast": True})  # its own fallbacks cost 35% more for +0.003 F1 on dev

    def extract(html: str, url: str | None) -> str | None:
        raw = raw_engine(html)
        trimmed = trim_boilerplate(raw)
        if not looks_unreliable(raw, trimmed):
            return trimmed
        second = careful(html, url)
        if not second or count_tokens(second) < 0.3 * count_tokens(trimmed):
            return trimmed or second
        return second

    return extract


def _blocks(include_comments: bool, model=None) -> Engine:
    from webcorpus.stages.extract import model as block_model
    from webcorpus.stages.extract.blocks import blocks_of, resiliparse_votes

    classifier = model or block_model.load()
    raw_engine = resiliparse_main_content(include_comments)

    def extract(html: str, url: str | None) -> str | None:
        blocks = blocks_of(html)
        raw = raw_engine(html)
        if not blocks:
            return trim_boilerplate(raw)
        keep = classifier.keep(blocks, resiliparse_votes(blocks, raw))
        if include_comments:
            keep = [k or (b.comment > 0 and b.tokens >= 5) for k, b in zip(keep, blocks)]
        if not any(keep):  # never empty when the page has text: the fast engine's best run of prose
            return trim_boilerplate(raw) or max(blocks, key=lambda b: b.tokens).text
        return "\n".join(b.text for b, k in zip(blocks, keep) if k)

    return extract
