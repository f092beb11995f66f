"""FineWeb's own filters (Penedo et al. 2024, section 3.3, "custom filters").

A document is dropped when the share of its lines ending in punctuation is at
most 0.12, when 67% or more of its lines are shorter than 30 characters, when
10% or more of its characters (newlines aside) sit in lines that repeat an
earlier line, or when it is list-like: more than 0.3 newlines per word
(datatrove's FineWeb filter, ``new_line_ratio``).

``flavor: fineweb`` applies datatrove 0.10.1's FineWebQualityFilter as FineWeb ran it: lines are not
stripped; a punctuated line ends in a Unicode sentence terminal (``.`` ``!`` ``?`` and the like, not
quotes or colons); a short line has at most 30 characters; repeated lines drop from 1% of the
characters (datatrove's default, where the paper says 10%); the list rule counts spaCy-English
words (:mod:`.fineweb_text`); every comparison is datatrove's (``<`` / ``>``).
"""
from __future__ import annotations

from typing import Annotated

from webcorpus.stages.base import OptionError
from webcorpus.stages.quality import FLAVOR_HELP, Flavor, FlavoredRuleFilter, Note, ignore, nonempty_lines, repeats, require_fractions
from webcorpus.stages.quality.fineweb_text import TERMINAL_PUNCTUATION, words as fineweb_words
from webcorpus.stages.quality.languages.aware import LANGUAGE_HELP, check_language_option
from webcorpus.stages.quality.languages.table import Profile
from webcorpus.stages.signals import SHARE_BINS, Signal, Threshold

LINE_END_PUNCTUATION = (".", "!", "?", '"', "'", "”", "’", "…", ":", ";", ")", "»")


class FineWebQuality(FlavoredRuleFilter):
    """Drop documents that fail FineWeb's line-level filters."""

    name = "fineweb_quality"

    def __init__(
        self,
        min_line_punct_ratio: Annotated[float, "share of lines ending in punctuation at or below this drops (FineWeb: 0.12)"] = 0.12,
        max_short_line_ratio: Annotated[float, "share of short lines at or above this drops (FineWeb: 0.67)"] = 0.67,
        short_line_length: Annotated[int, "a line shorter than this many characters is short (FineWeb: 30)"] = 30,
        max_dup_line_char_ratio: Annotated[float | None, "share of characters in repeated lines that drops (null: paper 0.1; fineweb 0.01)"] = None,
        max_newline_word_ratio: Annotated[float, "newlines per word above this is list-like and drops (datatrove FineWeb: 0.3)"] = 0.3,
        line_end_punctuation: Annotated[list[str] | None, "what counts as a line's end punctuation (null: the flavor's)"] = None,
        flavor: Annotated[Flavor, FLAVOR_HELP] = "paper",
        language: Annotated[str | None, LANGUAGE_HELP] = None,
    ):
        check_language_option(language, flavor)
        if max_dup_line_char_ratio is None:
            max_dup_line_char_ratio = 0.1 if flavor == "paper" else 0.01
        if line_end_punctuation is None:
            line_end_punctuation = list(LINE_END_PUNCTUATION) if flavor == "paper" else sorted(TERMINAL_PUNCTUATION)
        require_fractions(locals(), ("min_line_punct_ratio", "max_short_line_ratio", "max_dup_line_char_ratio"))
        if short_line_length < 1:
            raise OptionError("short_line_length", f"short_line_length must be at least 1, got {short_line_length}")
        self.min_line_punct_ratio = min_line_punct_ratio
        self.max_short_line_ratio = max_short_line_ratio
        self.short_line_length = short_line_length
        self.max_dup_line_char_ratio = max_dup_line_char_ratio
        self.max_newline_word_ratio = max_newline_word_ratio
        self.line_end_punctuation = list(line_end_punctuation)
        self.flavor = flavor
        self.language = language

    SCALED = ("min_line_punct_ratio", "max_short_line_ratio", "short_line_length", "max_dup_line_char_ratio",
              "max_newline_word_ratio")

    def adapt(self, profile: Profile) -> None:
        """The language's words; a line is punctuated when it ends in one of the language's sentence marks."""
        super().adapt(profile)
        if profile.sentence_marks is not None:  # None: English, the filter's own
            self.line_end_punctuation = list(profile.sentence_marks)

    def signals(self) -> list[Signal]:
        """Punctuated lines, short lines, characters in repeated lines, newlines per word."""
        paper = self.flavor == "paper"
        return [
            Signal.of("line_punct_ratio", "share of lines ending in punctuation", SHARE_BINS,
                      Threshold("min_line_punct_ratio", self.min_line_punct_ratio, "<=" if paper else "<")),
            Signal.of("short_line_ratio", f"share of lines shorter than {self.short_line_length} characters" if paper else
                      f"share of lines of at most {self.short_line_length} characters", SHARE_BINS,
                      Threshold("max_short_line_ratio", self.max_short_line_ratio, ">=" if paper else ">")),
            Signal.of("dup_line_char_ratio", "share of characters in lines that repeat an earlier line", SHARE_BINS,
                      Threshold("max_dup_line_char_ratio", self.max_dup_line_char_ratio, ">=" if paper else ">")),
            Signal.of("newline_word_ratio", "newlines per word", SHARE_BINS,
                      Threshold("max_newline_word_ratio", self.max_newline_word_ratio, ">")),
        ]

    def check_paper(self, text: str, note: Note = ignore) -> str | None:
        """FineWeb's filters as the paper states them."""
        lines = nonempty_lines(text)
        if not lines:
            return "no_text"
        ends = tuple(self.line_end_punctuation)
        punctuated = sum(line.endswith(ends) for line in lines) / len(lines)
        note("line_punct_ratio", punctuated)
        if punctuated <= self.min_line_punct_ratio:
            return "line_punct_ratio"
        short = sum(len(line) < self.short_line_length for line in lines) / len(lines)
        note("short_line_ratio", short)
        if short >= self.max_short_line_ratio:
            return "short_line_ratio"
        _, dup_chars = repeats(lines)
        dup_share = dup_chars / max(1, len(text.replace("\n", "")))
        note("dup_line_char_ratio", dup_share)
        if dup_share >= self.max_dup_line_char_ratio:
            return "dup_line_char_ratio"
        words = len(self._words.split(text))
        newline_share = text.count("\n") / max(1, words)
        note("newline_word_ratio", newline_share)
        if newline_share > self.max_newline_word_ratio:
            return "list_like"
        return None

    def check_fineweb(self, text: str, note: Note = ignore) -> str | None:
        """datatrove 0.10.1's FineWebQualityFilter, rule by rule."""
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return "no_text"
        ends = tuple(self.line_end_punctuation)
        punctuated = sum(line.endswith(ends) for line in lines) / len(lines)
        note("line_punct_ratio", punctuated)
        if punctuated < self.min_line_punct_ratio:
            return "line_punct_ratio"
        short = sum(len(line) <= self.short_line_length for line in lines) / len(lines)
        note("short_line_ratio", short)
        if short > self.max_short_line_ratio:
            return "short_line_ratio"
        _, dup_chars = repeats(lines)
        dup_share = dup_chars / len(text.replace("\n", ""))
        note("dup_line_char_ratio", dup_share)
        if dup_share > self.max_dup_line_char_ratio:
            return "dup_line_char_ratio"
        newlines = text.count("\n")
        # No newline: datatrove does not count the words, and the rule cannot drop (the share is 0).
        newline_share = newlines / max(1, len(fineweb_words(text))) if newlines else 0.0
        note("newline_word_ratio", newline_share)
        if newlines and newline_share > self.max_newline_word_ratio:
            return "list_like"
        return None
