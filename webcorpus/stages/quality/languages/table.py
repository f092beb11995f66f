"""The per-language table of the language-aware quality filters (``thresholds.json``, package data).

``benchmarks/quality_language_thresholds.py`` writes the table from reference text (its docstring states the
method and the sources) and rebuilds it byte for byte. For each covered language it holds the script, the
word kind (:mod:`.words`), the stop words and, for every threshold option of the four filters, a *scale*: the
language's threshold is the option's value times the scale (English: 1 for all). Each script has defaults
(the median scale of its covered languages), and so has each word kind (for a script with no covered language);
they judge documents of languages the table does not cover, and documents without a language.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from webcorpus.stages.language.scripts import dominant_script
from webcorpus.stages.quality.languages.words import UNSEGMENTED_SCRIPTS

TABLE_FILE = "thresholds.json"


@dataclass(frozen=True)
class Profile:
    """How one language (or one script's default) is judged.

    ``key`` names it in counters: a language code, ``script:Latn`` for a script default, ``kind:space`` /
    ``kind:units`` for a word kind's default. ``stop_words`` is empty for a default: stop words belong to a
    language, so the stop-word rule is off there (its scale is 0); None for English: the filter's own list."""

    key: str
    script: str
    words: str
    stop_words: tuple[str, ...] | None
    scales: dict[str, float] = field(hash=False)
    terminal_punctuation: bool = True
    #: the characters that end a sentence (and a "punctuated" line) in this language; None: the filter's own (English)
    sentence_marks: tuple[str, ...] | None = ()
    #: words of an n-gram per word of the repetition rules (script units per English word; 1 with spaces)
    ngram_span: int = 1

    def scale(self, option: str) -> float:
        return self.scales.get(option, 1.0)


@lru_cache(maxsize=1)
def load_table() -> dict:
    """The table as written by the benchmark script."""
    return json.loads(resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8"))


def covered_languages() -> list[str]:
    """Language codes with their own row in the table."""
    return sorted(load_table()["languages"])


def _profile(key: str, row: dict, script: str) -> Profile:
    return Profile(key=key, script=script, words=row["words"], stop_words=None if row.get("stop_words") is None else tuple(row["stop_words"]),
                   scales=dict(row["scales"]), terminal_punctuation=row["terminal_punctuation"],
                   sentence_marks=None if row["sentence_marks"] is None else tuple(row["sentence_marks"]), ngram_span=row["ngram_span"])


@lru_cache(maxsize=None)
def language_profile(code: str) -> Profile | None:
    """The profile of a covered language (``sr_Cyrl`` is read as ``sr``), or None."""
    base = code.partition("_")[0]
    row = load_table()["languages"].get(base)
    return None if row is None else _profile(base, row, row["script"])


@lru_cache(maxsize=None)
def script_profile(script: str | None) -> Profile:
    """The default profile of a script; a script the table has no language for gets its word kind's default
    (``units`` for the scripts without spaces, ``space`` for the others and for text without letters)."""
    table = load_table()
    row = table["scripts"].get(script or "")
    if row is not None:
        return _profile(f"script:{script}", row, script)
    kind = "units" if script in UNSEGMENTED_SCRIPTS else "space"
    return _profile(f"kind:{kind}", table["kinds"][kind], script or "")


def profile_for(code: str | None, text: str) -> tuple[Profile, str | None]:
    """(the profile that judges a document, why it is a fallback or None): its language's profile when the
    table covers ``code``; else the default of the script most of its letters are in (``no_language`` when
    the document has none, ``not_covered`` when the table lacks it)."""
    if code:
        found = language_profile(code)
        if found is not None:
            return found, None
    script, _ = dominant_script(text)
    return script_profile(script), ("not_covered" if code else "no_language")
