"""Gopher quality filter (Rae et al. 2021, appendix A.1.1, "Quality filters").

A document is dropped when it has fewer than 50 or more than 100,000 words, a
mean word length outside 3..10 characters, more than 0.1 hash symbols or
ellipses per word, more than 90% of lines starting with a bullet, more than 30%
of lines ending with an ellipsis, fewer than 80% of words with an alphabetic
character, or fewer than two of the stop words "the, be, to, of, and, that,
have, with". Words are whitespace-separated tokens; word length and the stop
words are read after stripping punctuation from each token's ends.

``flavor: fineweb`` applies datatrove's GopherQualityFilter (FineWeb): words are spaCy-English
tokens, punctuation tokens included (so "Hello, world." has four words, two without a letter);
the word-count and mean-length rules count only words that are not all punctuation; hashes and
ellipses are two rules; lines are ``str.splitlines()`` (blank ones count); bullets are ``•`` and
``-`` only; the stop-word rule counts distinct, case-sensitive stop words.
"""
from __future__ import annotations

import string
from functools import lru_cache
from itertools import repeat
from typing import Annotated

import numpy as np

from webcorpus.stages.base import OptionError
from webcorpus.stages.quality import FLAVOR_HELP, Flavor, FlavoredRuleFilter, Note, ignore, nonempty_lines, require_fractions
from webcorpus.stages.quality.fineweb_text import PUNCTUATION_SET, words as fineweb_words
from webcorpus.stages.quality.languages.aware import LANGUAGE_HELP, check_language_option
from webcorpus.stages.quality.languages.table import Profile
from webcorpus.stages.quality.languages.words import SPACE_WORDS
from webcorpus.stages.signals import COUNT_BINS, LENGTH_BINS, SHARE_BINS, Signal, Threshold

#: The stop words Gopher requires (at least two occurrences among them).
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")
BULLETS = ("•", "●", "○", "◦", "▪", "▫", "■", "□", "‣", "⁃", "∙", "·", "-", "*", "–", "—", "➢", "►", "▶", "✓", "✔")
ELLIPSES = ("...", "…")
_PUNCT = string.punctuation + "“”‘’«»„…–—·•"


_BMP = 0x10000


@lru_cache(maxsize=1)
def _char_tables() -> tuple[np.ndarray, np.ndarray]:
    """Per code point of the Basic Multilingual Plane: ``str.isalpha`` and ``str.isspace`` (what
    ``str.split`` splits on). Code points above it are looked up one by one: they are rare, and no
    whitespace lies there. (Tables for all 1.1 M code points took 0.25 s in every worker process.)"""
    chars = "".join(map(chr, range(_BMP)))
    alpha = np.fromiter(map(str.isalpha, chars), bool, _BMP)
    space = np.fromiter(map(str.isspace, chars), bool, _BMP)
    return alpha, space


def count_alpha_tokens(text: str) -> int:
    """``sum(any(c.isalpha() for c in t) for t in text.split())``, vectorised over code points."""
    alpha_table, space_table = _char_tables()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    astral = np.flatnonzero(points >= _BMP)
    if astral.size:
        low = np.where(points < _BMP, points, 0)
        alpha = alpha_table[low]
        alpha[astral] = [chr(p).isalpha() for p in points[astral].tolist()]
        space = space_table[low]
        space[astral] = False
    else:
        alpha = alpha_table[points]
    if not alpha.any():
        return 0
    if not astral.size:
        space = space_table[points]
    starts = ~space
    starts[1:] &= space[:-1]  # a token starts at a non-space after a space (or at the start)
    token = np.cumsum(starts)[alpha]  # the token of each letter, non-decreasing
    return 1 + int(np.count_nonzero(token[1:] != token[:-1]))


class GopherQuality(FlavoredRuleFilter):
    """Drop documents that fail Gopher's quality heuristics (MassiveText)."""

    name = "gopher_quality"

    def __init__(
        self,
        min_words: Annotated[int, "fewer words drops (Gopher: 50)"] = 50,
        max_words: Annotated[int, "more words drops (Gopher: 100,000)"] = 100_000,
        min_mean_word_length: Annotated[float, "shorter mean word length drops (Gopher: 3)"] = 3.0,
        max_mean_word_length: Annotated[float, "longer mean word length drops (Gopher: 10)"] = 10.0,
        max_symbol_word_ratio: Annotated[float, "'#' and ellipses per word above this drops (Gopher: 0.1)"] = 0.1,
        max_bullet_lines_ratio: Annotated[float, "share of lines starting with a bullet above this drops (Gopher: 0.9)"] = 0.9,
        max_ellipsis_lines_ratio: Annotated[float, "share of lines ending with an ellipsis above this drops (Gopher: 0.3)"] = 0.3,
        min_alpha_words_ratio: Annotated[float, "share of words with a letter below this drops (Gopher: 0.8)"] = 0.8,
        min_stop_words: Annotated[int, "fewer stop-word occurrences drops (Gopher: 2)"] = 2,
        stop_words: Annotated[list[str], "the stop words counted (Gopher's eight English words)"] = list(GOPHER_STOP_WORDS),
        flavor: Annotated[Flavor, FLAVOR_HELP] = "paper",
        language: Annotated[str | None, LANGUAGE_HELP] = None,
    ):
        check_language_option(language, flavor)
        require_fractions(locals(), ("max_bullet_lines_ratio", "max_ellipsis_lines_ratio", "min_alpha_words_ratio"))
        if min_words > max_words:
            raise OptionError("min_words", f"min_words ({min_words}) exceeds max_words ({max_words})")
        if min_mean_word_length > max_mean_word_length:
            raise OptionError("min_mean_word_length", "min_mean_word_length exceeds max_mean_word_length")
        self.min_words = min_words
        self.max_words = max_words
        self.min_mean_word_length = min_mean_word_length
        self.max_mean_word_length = max_mean_word_length
        self.max_symbol_word_ratio = max_symbol_word_ratio
        self.max_bullet_lines_ratio = max_bullet_lines_ratio
        self.max_ellipsis_lines_ratio = max_ellipsis_lines_ratio
        self.min_alpha_words_ratio = min_alpha_words_ratio
        self.min_stop_words = min_stop_words
        self.stop_words = [w.lower() for w in stop_words] if flavor == "paper" else list(stop_words)
        self.flavor = flavor
        self.language = language

    SCALED = ("min_words", "max_words", "min_mean_word_length", "max_mean_word_length", "max_symbol_word_ratio",
              "max_bullet_lines_ratio", "max_ellipsis_lines_ratio", "min_alpha_words_ratio", "min_stop_words")

    def adapt(self, profile: Profile) -> None:
        """The language's words and stop words (its own list, read as written: no lower-casing for scripts without case)."""
        super().adapt(profile)
        if profile.stop_words is not None:  # None: English, the option's list
            self._stop = frozenset(w.lower() for w in profile.stop_words)

    def setup(self) -> None:
        self._stop = frozenset(self.stop_words)
        _char_tables()
        super().setup()

    def signals(self) -> list[Signal]:
        """Words, mean word length, symbols per word, bullet and ellipsis lines, words with a letter, stop words."""
        fineweb = self.flavor == "fineweb"
        word_kind = "words that are not all punctuation (spaCy-English tokens)" if fineweb else "whitespace-separated words"
        found = [
            Signal.of("words", f"{word_kind} per document", COUNT_BINS,
                      Threshold("min_words", self.min_words, "<"),
                      # datatrove skips the upper bound when it is 0 or None
                      Threshold("max_words", self.max_words, ">") if self.max_words or not fineweb else None),
            Signal.of("mean_word_length", "mean characters per word", LENGTH_BINS,
                      Threshold("min_mean_word_length", self.min_mean_word_length, "<"),
                      Threshold("max_mean_word_length", self.max_mean_word_length, ">")),
        ]
        symbol = Threshold("max_symbol_word_ratio", self.max_symbol_word_ratio, ">")
        if fineweb:
            found += [Signal.of("hash_word_ratio", "'#' per word", SHARE_BINS, symbol),
                      Signal.of("ellipsis_word_ratio", "ellipses per word", SHARE_BINS, symbol)]
        else:
            found.append(Signal.of("symbol_word_ratio", "'#' and ellipses per word", SHARE_BINS, symbol))
        return found + [
            Signal.of("bullet_lines_ratio", "share of lines starting with a bullet", SHARE_BINS,
                      Threshold("max_bullet_lines_ratio", self.max_bullet_lines_ratio, ">")),
            Signal.of("ellipsis_lines_ratio", "share of lines ending with an ellipsis", SHARE_BINS,
                      Threshold("max_ellipsis_lines_ratio", self.max_ellipsis_lines_ratio, ">")),
            Signal.of("alpha_words_ratio", "share of words with a letter", SHARE_BINS,
                      Threshold("min_alpha_words_ratio", self.min_alpha_words_ratio, "<")),
            Signal.of("stop_words", ("distinct stop words present" if fineweb else "stop-word occurrences"), COUNT_BINS,
                      Threshold("min_stop_words", self.min_stop_words, "<")),
        ]

    def check_paper(self, text: str, note: Note = ignore) -> str | None:
        """Gopher's quality rules as the paper states them."""
        tokens = self._words.split(text)
        n = len(tokens)
        note("words", n)
        if n < self.min_words:
            return "too_few_words"
        if n > self.max_words:
            return "too_many_words"
        words = [w for w in map(str.strip, tokens, repeat(_PUNCT)) if w]
        mean_length = sum(map(len, words)) / len(words) if words else 0.0
        note("mean_word_length", mean_length)
        if not self.min_mean_word_length <= mean_length <= self.max_mean_word_length:
            return "mean_word_length"
        symbols = (text.count("#") + text.count("...") + text.count("…")) / n
        note("symbol_word_ratio", symbols)
        if symbols > self.max_symbol_word_ratio:
            return "symbol_word_ratio"
        lines = nonempty_lines(text)
        if lines:
            bullets = sum(map(str.startswith, lines, repeat(BULLETS))) / len(lines)
            note("bullet_lines_ratio", bullets)
            if bullets > self.max_bullet_lines_ratio:
                return "bullet_lines"
            ellipses = sum(map(str.endswith, lines, repeat(ELLIPSES))) / len(lines)
            note("ellipsis_lines_ratio", ellipses)
            if ellipses > self.max_ellipsis_lines_ratio:
                return "ellipsis_lines"
        alpha = (count_alpha_tokens(text) if self._words is SPACE_WORDS else self._words.count_alpha(tokens)) / n
        note("alpha_words_ratio", alpha)
        if alpha < self.min_alpha_words_ratio:
            return "alpha_words"
        stop = self._stop
        stop_words = sum(map(stop.__contains__, map(str.lower, words)))
        note("stop_words", stop_words)
        if stop_words < self.min_stop_words:
            return "stop_words"
        return None

    def check_fineweb(self, text: str, note: Note = ignore) -> str | None:
        """datatrove 0.10.1's GopherQualityFilter, rule by rule (its reasons in docs/stages.md)."""
        words = fineweb_words(text)
        n = len(words)
        is_symbol = PUNCTUATION_SET.issuperset
        lengths = [len(w) for w in words if not is_symbol(w)]
        note("words", len(lengths))
        if len(lengths) < self.min_words:
            return "too_few_words"
        if self.max_words and len(lengths) > self.max_words:
            return "too_many_words"
        if lengths:  # datatrove's mean of no words is nan, which passes both bounds
            mean_length = sum(lengths) / len(lengths)
            note("mean_word_length", mean_length)
            if mean_length < self.min_mean_word_length:
                return "mean_word_length_below"
            if mean_length > self.max_mean_word_length:
                return "mean_word_length_above"
        if n:
            hashes = text.count("#") / n
            note("hash_word_ratio", hashes)
            if hashes > self.max_symbol_word_ratio:
                return "hash_word_ratio"
            ellipses = (text.count("...") + text.count("…")) / n
            note("ellipsis_word_ratio", ellipses)
            if ellipses > self.max_symbol_word_ratio:
                return "ellipsis_word_ratio"
        lines = text.splitlines()
        if lines:
            bullets = sum(line.lstrip().startswith(("•", "-")) for line in lines) / len(lines)
            note("bullet_lines_ratio", bullets)
            if bullets > self.max_bullet_lines_ratio:
                return "bullet_lines"
            ellipsis_lines = sum(line.rstrip().endswith(ELLIPSES) for line in lines) / len(lines)
            note("ellipsis_lines_ratio", ellipsis_lines)
            if ellipsis_lines > self.max_ellipsis_lines_ratio:
                return "ellipsis_lines"
        if n:
            alpha = count_alpha_tokens("\n".join(words)) / n
            note("alpha_words_ratio", alpha)
            if alpha < self.min_alpha_words_ratio:
                return "alpha_words"
        stop_words = len(self._stop.intersection(words))
        note("stop_words", stop_words)
        if stop_words < self.min_stop_words:
            return "stop_words"
        return None
