"""Real text for the dedup benchmarks: gold article texts of ../shared/data/extract and variants of them.

Nothing here is invented text except the edit marks: variants are made by
inserting, deleting and substituting words taken from other real texts,
reordering paragraphs, and adding boilerplate lines taken from real texts.
"""
from __future__ import annotations

import json
import random
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def gold_texts(minimum_words: int = 150) -> list[str]:
    """Gold texts of scrapinghub-aeb, newspaper-fulltext and readability-testpages (tags stripped)."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((DATA / "extract" / "newspaper-fulltext" / "text").glob("*.txt"))]
    truth = json.loads((DATA / "extract" / "scrapinghub-aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    texts += [truth[key]["articleBody"] for key in sorted(truth)]
    for page in sorted((DATA / "extract" / "readability-testpages" / "test-pages").glob("*/expected.html")):
        html = page.read_text(encoding="utf-8", errors="replace")
        html = re.sub(r"</(p|div|h\d|li|pre|blockquote)>", "\n\n", html)
        texts.append(re.sub(r"[ \t]+", " ", re.sub(r"<[^>]+>", " ", html)).strip())
    unique = list(dict.fromkeys(t.strip() for t in texts))
    return [t for t in unique if len(t.split()) >= minimum_words]


def paragraphs(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    return parts if len(parts) > 1 else [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def variant(text: str, rng: random.Random, vocabulary: list[str], boilerplate: list[str], strength: float) -> str:
    """A near copy: each edit kind applied with probability, at a rate scaled by ``strength`` (0..1)."""
    paras = paragraphs(text)
    if rng.random() < 0.4 and len(paras) > 2:  # reordered paragraphs
        i, j = rng.sample(range(len(paras)), 2)
        paras[i], paras[j] = paras[j], paras[i]
    if rng.random() < 0.4:  # added boilerplate (header and/or footer)
        paras = ([rng.choice(boilerplate)] if rng.random() < 0.5 else []) + paras + [rng.choice(boilerplate)]
    words = "\n\n".join(paras).split(" ")
    rate = strength * 0.01
    out = []
    for word in words:
        roll = rng.random()
        if roll < rate:  # deletion
            continue
        if roll < 2 * rate:  # substitution
            out.append(rng.choice(vocabulary))
            continue
        out.append(word)
        if roll > 1 - rate:  # insertion
            out.append(rng.choice(vocabulary))
    return " ".join(out)


def hard_negative(text: str, other: str, rng: random.Random) -> str:
    """Shares only part of its text: a prefix of ``text`` (40-75 %) followed by the start of ``other``."""
    words, tail = text.split(" "), other.split(" ")
    keep = int(len(words) * rng.uniform(0.4, 0.75))
    return " ".join(words[:keep] + tail[: len(words) - keep])


def vocabulary_of(texts: list[str]) -> list[str]:
    return sorted({w for t in texts for w in t.split() if w.isalpha()})


def boilerplate_of(texts: list[str]) -> list[str]:
    """Short real lines (first sentences of other texts) used as headers and footers."""
    lines = []
    for t in texts:
        first = re.split(r"(?<=[.!?])\s+", t.strip())[0]
        if 5 <= len(first.split()) <= 25:
            lines.append(first)
    return lines
