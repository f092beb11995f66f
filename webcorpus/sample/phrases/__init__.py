"""Phrase material for the sample crawl, one module per language.

Every phrase here was written for this project. A sentence is a *frame* such as
``"{S} {V} {O} {P} {T}."`` whose slots are filled from one topic's lists:
subject, verb, object, place, time, plus a sentence-initial connector ``{C}``.
Slot fills are short (mostly two to four words), so that word 5-grams cross slot
boundaries: two unrelated articles built from the same lists then share few
shingles, and only the planted near-duplicates look alike to a dedup stage.
Each language keeps its grammar inside its frames (German verb-final perfect,
Russian masculine subjects for past-tense agreement, Japanese particles).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """The slot lists for one subject area of one language."""

    name: str
    subjects: tuple[str, ...]
    verbs: tuple[str, ...]
    objects: tuple[str, ...]
    places: tuple[str, ...]
    times: tuple[str, ...]


@dataclass(frozen=True)
class Site:
    """A fictional website; hosts use the reserved ``.example`` top-level domain."""

    name: str
    host: str
    tagline: str


@dataclass(frozen=True)
class Phrasebook:
    """Everything the generator needs to write pages in one language."""

    code: str
    frames: tuple[str, ...]
    title_frame: str
    connectors: tuple[str, ...]
    remarks: tuple[str, ...]
    topics: tuple[Topic, ...]
    sites: tuple[Site, ...]
    authors: tuple[str, ...]
    chrome: dict
    pii_frames: tuple[str, ...] = ()
    sentence_joiner: str = " "


def _load() -> dict[str, Phrasebook]:
    from . import de, en, es, fr, ja, ru, zh

    return {module.BOOK.code: module.BOOK for module in (en, de, fr, es, ru, zh, ja)}


PHRASEBOOKS: dict[str, Phrasebook] = _load()
