"""The language-aware mode of the quality filters: option ``language``, one adapted filter per language.

With ``language: per_document`` each document is judged by a copy of the filter adapted to its ``language``
column (:mod:`.table`): that language's words (:mod:`.words`), stop words, sentence marks and thresholds
(every threshold option times the language's scale). With ``language: de`` every document is judged as German.
The stage counts, per language, the documents it judged (``language_in:<key>``) and dropped
(``language_dropped:<key>``), and the fallbacks (``fallback_no_language:<key>``, ``fallback_not_covered:<code>``);
the report turns them into drop rates per language and filter.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Sequence

import pyarrow as pa

from webcorpus.stages.base import OptionError
from webcorpus.stages.quality.fineweb_text import TERMINAL_PUNCTUATION
from webcorpus.stages.quality.languages.table import Profile, covered_languages, language_profile, profile_for
from webcorpus.stages.quality.languages.words import SPACE_WORDS, words_for

PER_DOCUMENT = "per_document"
LANGUAGE_COLUMN = "language"
LANGUAGE_HELP = ("null: the paper's English rules; per_document: each document's `language` column picks its words, "
                 "stop words, sentence marks and thresholds (docs/stages.md); a code such as de: every document as that language")
#: What may close a sentence after its terminal mark.
CLOSERS = "\"'”’»」』）)]"
#: The candidates for a language's sentence marks: a Unicode sentence terminal of any script (the set datatrove
#: uses: ``. ! ?``, ``।``, ``။``, ``።``, ``؟``, ``۔``, ``。``, ``។`` ...) or a closing quote or bracket. The table
#: keeps, per language, those that end its reference sentences; the Tibetan shad (not a Unicode sentence
#: terminal) ends Tibetan sentences.
END_MARKS = tuple(sorted(TERMINAL_PUNCTUATION)) + tuple(CLOSERS) + ("།", "༎")  # and the Tibetan shads
_FULL_WIDTH = "。！？｡"


@lru_cache(maxsize=None)
def sentence_end(marks: tuple[str, ...]) -> re.Pattern:
    """A sentence end: a run of ``marks`` (closers may follow) before whitespace or the text's end, or a
    full-width mark (``。！？``), which scripts without spaces follow directly with the next sentence."""
    terminals = re.escape("".join(m for m in marks if m not in CLOSERS) or ".")
    closers = re.escape(CLOSERS)
    full_width = "".join(m for m in marks if m in _FULL_WIDTH)
    pattern = f"[{terminals}]+[{closers}]*(?=\\s|$)"
    if full_width:
        pattern += f"|[{re.escape(full_width)}]+[{closers}]*(?=\\S)"
    return re.compile(pattern)


def check_language_option(language: str | None, flavor: str) -> None:
    """The ``language`` option is null, ``per_document`` or a covered code, and needs ``flavor: paper``."""
    if language is None:
        return
    if flavor != "paper":
        raise OptionError("language", "language needs flavor: paper (flavor: fineweb is datatrove's English rules)")
    if language != PER_DOCUMENT and language_profile(language) is None:
        covered = covered_languages()
        raise OptionError("language", f"language {language!r} has no row in the quality filters' table "
                          f"({len(covered)} languages are covered)", choices=[PER_DOCUMENT, *covered])


class LanguageAware:
    """Mixed into a quality filter: ``SCALED`` names its threshold options; :meth:`adapt` sets the rest."""

    #: the threshold options a language's scale multiplies (a dict option: each of its entries)
    SCALED: tuple[str, ...] = ()
    language: str | None = None
    _words = SPACE_WORDS

    def adapt(self, profile: Profile) -> None:
        """Set this copy's words, stop words and sentence marks for ``profile`` (thresholds are done)."""
        self._words = words_for(profile.words)

    def adapted(self, profile: Profile) -> "LanguageAware":
        """A copy of this filter judging as ``profile`` says."""
        variant = object.__new__(type(self))  # not copy.copy: a stage pickles (and so copies) its options only
        variant.__dict__.update(self.__dict__)
        for option in self.SCALED:
            value = getattr(self, option)
            key = f"{self.name}.{option}"
            if isinstance(value, dict):
                setattr(variant, option, {n: _scaled(option, v, profile.scale(f"{key}.{n}")) for n, v in value.items()})
            else:
                setattr(variant, option, _scaled(option, value, profile.scale(key)))
        variant.adapt(profile)
        return variant

    def row_variants(self, batch: pa.Table) -> list | None:
        """The filter that judges each row (None: the English rules for all, the default)."""
        if self.language is None:
            return None
        cache = self.__dict__.setdefault("_variants", {})
        if self.language != PER_DOCUMENT:
            profile = language_profile(self.language)
            keys = [profile.key] * batch.num_rows
            profiles = {profile.key: profile}
        else:
            codes = (batch.column(LANGUAGE_COLUMN).to_pylist() if LANGUAGE_COLUMN in batch.column_names
                     else [None] * batch.num_rows)
            texts = batch.column("text").to_pylist()
            keys, profiles = [], {}
            for code, text in zip(codes, texts):
                profile, why = profile_for(code, text or "")
                if why is not None:
                    self.count(f"fallback_{why}:{code or profile.key}")
                keys.append(profile.key)
                profiles[profile.key] = profile
        for key, profile in profiles.items():
            if key not in cache:
                cache[key] = self.adapted(profile)
        self.__dict__["_row_keys"] = keys
        return [cache[key] for key in keys]

    def count_languages(self, reasons: Sequence[str | None]) -> None:
        """Documents judged and dropped per language, for the rows of the last :meth:`row_variants`."""
        keys = self.__dict__.pop("_row_keys")
        counters = self.stats.counters
        counters.update(Counter(f"language_in:{key}" for key in keys))
        counters.update(Counter(f"language_dropped:{key}" for key, reason in zip(keys, reasons) if reason is not None))


def _scaled(option: str, value: float, scale: float) -> float:
    """``value * scale``; a share's maximum capped at 1; scale 0 turns a minimum rule off (-inf: nothing is below)."""
    if scale == 0:
        return float("-inf")
    scaled = value * scale
    return min(1.0, scaled) if "ratio" in option and value <= 1.0 else scaled
