"""Phrase material for the sample crawl: one JSON file per language (``en.json``, ``de.json``, ...).

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

import json
from dataclasses import dataclass
from pathlib import Path


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


#: the languages in the order the generator draws them
LANGUAGES = ("en", "de", "fr", "es", "ru", "zh", "ja")


def _tuples(value):
    """JSON arrays back to the tuples the dataclasses hold (the tables are immutable)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _book(data: dict) -> Phrasebook:
    data = _tuples(data)
    topics = tuple(Topic(**topic) for topic in data.pop("topics"))
    sites = tuple(Site(**site) for site in data.pop("sites"))
    return Phrasebook(topics=topics, sites=sites, **data)


def _load() -> dict[str, Phrasebook]:
    folder = Path(__file__).parent
    return {code: _book(json.loads((folder / f"{code}.json").read_text(encoding="utf-8"))) for code in LANGUAGES}


PHRASEBOOKS: dict[str, Phrasebook] = _load()
