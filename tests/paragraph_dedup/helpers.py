"""Helpers of the paragraph-dedup tests: real texts with real paragraphs planted in them, and a plain
Python reference of the rule (one dict, the whole corpus in memory) to compare the stage with."""
from __future__ import annotations

import random
import re
import unicodedata

from webcorpus.dedup.exact import hash64

from tests.dedup.helpers import real_texts

SEPARATORS = "\t\n\v\f\r"


def reference_normalize(line: str) -> str:
    """NFKC, lowercase, punctuation, symbols and separators to spaces, words joined by one space."""
    line = unicodedata.normalize("NFKC", line).lower()
    line = "".join(" " if c in SEPARATORS or unicodedata.category(c)[0] in "PSZ" else c for c in line)
    return " ".join(piece for piece in line.split(" ") if piece)


def reference_removals(rows: list[dict], min_words: int) -> dict[str, list[int]]:
    """Per document id, the line numbers the rule removes: a normalised line of ``min_words`` words or
    more stays only in the document of smallest id hash among those holding it."""
    holders: dict[str, dict[str, list[int]]] = {}
    for row in rows:
        for number, line in enumerate((row["text"] or "").split("\n")):
            key = reference_normalize(line)
            if key and len(key.split(" ")) >= min_words:
                holders.setdefault(key, {}).setdefault(row["id"], []).append(number)
    removals: dict[str, list[int]] = {}
    for documents in holders.values():
        keeper = min(documents, key=lambda i: (hash64(i), i))
        for doc, numbers in documents.items():
            if doc != keeper:
                removals.setdefault(doc, []).extend(numbers)
    return {doc: sorted(numbers) for doc, numbers in removals.items()}


def boilerplate(texts: list[str], n: int) -> list[str]:
    """Real sentences to plant: first sentences of texts the corpus does not otherwise use, 8 to 30 words."""
    found = []
    for text in texts:
        first = re.split(r"(?<=[.!?])\s+", text.strip().split("\n")[0])[0].strip()
        if 8 <= len(first.split()) <= 30 and first.isascii():
            found.append(first)
    return found[:n]


def variants(paragraph: str) -> list[str]:
    """The same paragraph as another page may print it: case, spacing and punctuation changed."""
    return [paragraph, paragraph.upper(), "  " + paragraph.replace(" ", "   ") + " ", paragraph.rstrip(".!?") + " !!", f"« {paragraph} »"]


def planted_corpus(count: int = 120, seed: int = 5) -> tuple[list[dict], list[str], dict[str, set[str]]]:
    """``count`` real texts, four real boilerplate paragraphs planted in some of them (start, middle or end,
    in varied spellings), and, per planted paragraph, the ids of the documents holding it."""
    rng = random.Random(seed)
    texts = real_texts(minimum_words=200)
    corpus, spare = texts[:count], texts[count:]
    planted = boilerplate(spare, 4)
    rows = [{"id": f"page-{i:04d}", "url": f"https://site-{i % 13}.example/{i}", "text": t} for i, t in enumerate(corpus)]
    holders: dict[str, set[str]] = {p: set() for p in planted}
    for rank, paragraph in enumerate(planted):
        for row in rng.sample(rows, 6 + 8 * rank):
            lines = row["text"].split("\n")
            spot = rng.choice([0, len(lines) // 2, len(lines)])
            lines.insert(spot, rng.choice(variants(paragraph)))
            row["text"] = "\n".join(lines)
            holders[paragraph].add(row["id"])
    return rows, planted, holders
