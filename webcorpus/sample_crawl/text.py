"""Compose article text from a phrasebook with seeded randomness.

Slots are drawn from shuffled *decks* (reshuffled when empty) rather than with
replacement, so one article rarely repeats a phrase: the sample's good pages
should pass repetition filters, and only the planted low-quality pages fail them.
"""
from __future__ import annotations

import random
import string

from .phrases import Phrasebook, Topic


class _Deck:
    def __init__(self, items, rng: random.Random):
        self.items, self.rng, self.pile = tuple(items), rng, []

    def draw(self) -> str:
        if not self.pile:
            self.pile = list(self.items)
            self.rng.shuffle(self.pile)
        return self.pile.pop()


def _capitalize(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


class ArticleWriter:
    """Writes sentences and titles on one topic of one language; stock remarks come from ``remarks``."""

    def __init__(self, book: Phrasebook, topic: Topic, rng: random.Random):
        self.book, self.rng = book, rng
        self.decks = {
            "S": _Deck(topic.subjects, rng), "V": _Deck(topic.verbs, rng), "O": _Deck(topic.objects, rng),
            "P": _Deck(topic.places, rng), "T": _Deck(topic.times, rng), "C": _Deck(book.connectors, rng),
        }
        self.frames = _Deck(book.frames, rng)
        self.remarks = _Deck(book.remarks, rng)

    def _fill(self, frame: str) -> str:
        names = {field for _, field, _, _ in string.Formatter().parse(frame) if field}
        values = {name: self.decks[name[0]].draw() for name in sorted(names)}
        return _capitalize(frame.format(**values))

    def sentence(self) -> str:
        return self._fill(self.frames.draw())

    def title(self) -> str:
        return self._fill(self.book.title_frame)


# --- low-quality material: each kind fails a different quality heuristic -------------------------

_SPAM_WORDS = ("cheap", "best", "deals", "hotel", "hotels", "flights", "discount", "online", "free", "top",
               "offer", "price", "booking", "now", "buy", "cheapest", "sale", "coupon")
_FILLER_SYLLABLES = ("ta", "mer", "vul", "qua", "si", "no", "ra", "pel", "dun", "tis", "ma", "co", "ve", "lis", "ur")


def keyword_spam(rng: random.Random, words: int = 220) -> str:
    """Search-bait keyword soup: no sentences, a handful of words over and over."""
    return " ".join(rng.choice(_SPAM_WORDS) for _ in range(words))


def placeholder_filler(rng: random.Random, paragraphs: int = 6) -> list[str]:
    """Made-up pseudo-Latin placeholder text, one short paragraph repeated word for word."""
    words = ["".join(rng.choice(_FILLER_SYLLABLES) for _ in range(rng.randint(2, 3))) for _ in range(9)]
    sentence = _capitalize(" ".join(rng.choice(words) for _ in range(12))) + "."
    return [" ".join([sentence] * 3)] * paragraphs


def repeated_lines(rng: random.Random) -> list[str]:
    """The same call to action, line after line."""
    line = rng.choice(("Click here to claim your prize now!", "Subscribe now and never miss an update!",
                       "Limited offer, order today!"))
    return [line] * rng.randint(18, 30)


VERY_SHORT = ("Page under construction.", "Gallery: 12 photos.", "Coming soon.", "Video unavailable.")
