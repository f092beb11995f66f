"""Gopher repetition filter (Rae et al. 2021, appendix A.1.1 and table A1).

Repetitive documents are dropped when any of these passes its threshold:

* duplicate lines: share of lines that repeat an earlier line (> 0.30), and share
  of characters in such lines (> 0.20); the same for paragraphs (blank-line
  separated; > 0.30 and > 0.20);
* top n-gram: characters covered by the most frequent word n-gram, as a share of
  all word characters, for n = 2, 3, 4 (> 0.20, 0.18, 0.16);
* duplicate n-grams: share of word characters inside n-grams that repeat an
  earlier n-gram, each word counted once, for n = 5..10 (> 0.15, 0.14, 0.13,
  0.12, 0.11, 0.10).

``flavor: fineweb`` applies datatrove's GopherRepetitionFilter (FineWeb): paragraphs split on two or
more newlines and lines on one or more (neither stripped), every character share over the whole
text's length; words are spaCy-English tokens (:mod:`.fineweb_text`); the top n-gram's length counts
the spaces between its words; repeated n-grams are counted by datatrove's left-to-right scan, which
jumps past a repeated n-gram (so overlapping repeats count once) and does not remember the n-grams it
jumped over.

The n-gram statistics run on integer word ids in numpy (one hash per n-gram,
``np.unique`` for counts), so long documents stay cheap.
"""
from __future__ import annotations

import re
from itertools import count
from typing import Annotated

import numpy as np

from webcorpus.stages.base import OptionError
from webcorpus.stages.quality import FLAVOR_HELP, Flavor, FlavoredRuleFilter, Note, ignore, repeats, require_fraction, require_fractions
from webcorpus.stages.quality.fineweb_text import words as fineweb_words
from webcorpus.stages.quality.languages.aware import LANGUAGE_HELP, check_language_option
from webcorpus.stages.quality.languages.table import Profile
from webcorpus.stages.signals import SHARE_BINS, Signal, Threshold

TOP_NGRAM_DEFAULTS = {2: 0.20, 3: 0.18, 4: 0.16}
DUP_NGRAM_DEFAULTS = {5: 0.15, 6: 0.14, 7: 0.13, 8: 0.12, 9: 0.11, 10: 0.10}
_MIX = np.uint64(0x9E3779B97F4A7C15)
_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_LINE_BREAK = re.compile(r"\n+")


def duplicate_share(parts: list[str]) -> tuple[float, float]:
    """(share of parts that repeat an earlier part, share of characters in them)."""
    if not parts:
        return 0.0, 0.0
    total_chars = sum(map(len, parts))
    firsts = dict.fromkeys(parts)  # each distinct part once: the rest repeat an earlier one
    dup_count = len(parts) - len(firsts)
    dup_chars = total_chars - sum(map(len, firsts))
    return dup_count / len(parts), dup_chars / max(1, total_chars)


def ngram_hashes(ids: np.ndarray, n: int) -> np.ndarray:
    """One 64-bit hash per word n-gram (position i covers words i..i+n-1)."""
    count = ids.size - n + 1
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for k in range(n):
            h = (h ^ ids[k : k + count]) * _MIX
            h ^= h >> np.uint64(29)
    return h


class GopherRepetition(FlavoredRuleFilter):
    """Drop documents with repeated lines, paragraphs or n-grams (Gopher, MassiveText)."""

    name = "gopher_repetition"

    def __init__(
        self,
        max_dup_line_ratio: Annotated[float, "share of lines repeating an earlier line (Gopher: 0.30)"] = 0.30,
        max_dup_para_ratio: Annotated[float, "share of paragraphs repeating an earlier one (Gopher: 0.30)"] = 0.30,
        max_dup_line_char_ratio: Annotated[float, "share of characters in repeated lines (Gopher: 0.20)"] = 0.20,
        max_dup_para_char_ratio: Annotated[float, "share of characters in repeated paragraphs (Gopher: 0.20)"] = 0.20,
        top_ngram_ratios: Annotated[dict[int, float], "n -> max character share of the most frequent n-gram (Gopher: 2: .20, 3: .18, 4: .16)"] = dict(TOP_NGRAM_DEFAULTS),
        dup_ngram_ratios: Annotated[dict[int, float], "n -> max character share of repeated n-grams (Gopher: 5: .15 ... 10: .10)"] = dict(DUP_NGRAM_DEFAULTS),
        flavor: Annotated[Flavor, FLAVOR_HELP] = "paper",
        language: Annotated[str | None, LANGUAGE_HELP] = None,
    ):
        check_language_option(language, flavor)
        require_fractions(locals(), ("max_dup_line_ratio", "max_dup_para_ratio", "max_dup_line_char_ratio", "max_dup_para_char_ratio"))
        for option, table in (("top_ngram_ratios", top_ngram_ratios), ("dup_ngram_ratios", dup_ngram_ratios)):
            for n, ratio in table.items():
                if int(n) < 1:
                    raise OptionError(option, f"{option}: n must be at least 1, got {n}")
                require_fraction(f"{option}[{n}]", ratio)
        self.max_dup_line_ratio = max_dup_line_ratio
        self.max_dup_para_ratio = max_dup_para_ratio
        self.max_dup_line_char_ratio = max_dup_line_char_ratio
        self.max_dup_para_char_ratio = max_dup_para_char_ratio
        self.top_ngram_ratios = {int(n): float(r) for n, r in top_ngram_ratios.items()}
        self.dup_ngram_ratios = {int(n): float(r) for n, r in dup_ngram_ratios.items()}
        self.flavor = flavor
        self.language = language

    SCALED = ("max_dup_line_ratio", "max_dup_para_ratio", "max_dup_line_char_ratio", "max_dup_para_char_ratio",
              "top_ngram_ratios", "dup_ngram_ratios")
    _ngram_span = 1

    def adapt(self, profile: Profile) -> None:
        """The language's words; in scripts without spaces an n-gram spans n times the language's script units
        per English word (``ngram_span``), so that it covers about as much text as n English words."""
        super().adapt(profile)
        self._ngram_span = profile.ngram_span

    def repeated_parts_rule(self, part: str, shares: tuple[float, float], note: Note) -> str | None:
        """``dup_<part>_ratio`` when the share of repeated parts (``para``: paragraphs, ``line``: lines) passes
        its maximum, else ``dup_<part>_char_ratio`` when the share of their characters does, else None.
        Both ``shares`` (of repeated parts, of their characters) are noted as signals first."""
        share, char_share = shares
        note(f"dup_{part}_ratio", share)
        note(f"dup_{part}_char_ratio", char_share)
        max_share, max_char_share = {
            "para": (self.max_dup_para_ratio, self.max_dup_para_char_ratio),
            "line": (self.max_dup_line_ratio, self.max_dup_line_char_ratio),
        }[part]
        if share > max_share:
            return f"dup_{part}_ratio"
        if char_share > max_char_share:
            return f"dup_{part}_char_ratio"
        return None

    def signals(self) -> list[Signal]:
        """Repeated paragraphs and lines (share and characters), the top n-grams, the repeated n-grams."""
        over = "the text's characters" if self.flavor == "fineweb" else "word characters"
        found = []
        for part, plural in (("para", "paragraphs"), ("line", "lines")):
            found += [
                Signal.of(f"dup_{part}_ratio", f"share of {plural} that repeat an earlier one", SHARE_BINS,
                          Threshold(f"max_dup_{part}_ratio", getattr(self, f"max_dup_{part}_ratio"), ">")),
                Signal.of(f"dup_{part}_char_ratio", f"share of characters in repeated {plural}", SHARE_BINS,
                          Threshold(f"max_dup_{part}_char_ratio", getattr(self, f"max_dup_{part}_char_ratio"), ">")),
            ]
        found += [Signal.of(f"top_{n}gram_ratio", f"share of {over} in the most frequent word {n}-gram", SHARE_BINS,
                            Threshold(f"top_ngram_ratios[{n}]", limit, ">"))
                  for n, limit in sorted(self.top_ngram_ratios.items())]
        found += [Signal.of(f"dup_{n}gram_ratio", f"share of {over} in repeated word {n}-grams", SHARE_BINS,
                            Threshold(f"dup_ngram_ratios[{n}]", limit, ">"))
                  for n, limit in sorted(self.dup_ngram_ratios.items())]
        return found

    def check_paper(self, text: str, note: Note = ignore) -> str | None:
        """Gopher's repetition rules as the paper states them."""
        paragraphs = [p for p in map(str.strip, text.split("\n\n")) if p]
        rule = self.repeated_parts_rule("para", duplicate_share(paragraphs), note)
        if rule is not None:
            return rule
        lines = [line for line in map(str.strip, text.split("\n")) if line]
        rule = self.repeated_parts_rule("line", duplicate_share(lines), note)
        if rule is not None:
            return rule
        words = self._words.split(text)
        count = len(words)
        if count < 2:
            return None
        # Dense word ids in order of first appearance (the hashes, and so the tie-breaks below, depend on them).
        vocabulary = dict.fromkeys(words)
        vocabulary = dict(zip(vocabulary, range(len(vocabulary))))
        ids = np.fromiter(map(vocabulary.__getitem__, words), np.uint64, count)
        lengths = np.fromiter(map(len, words), np.int64, count)
        total = lengths.sum()
        ends = np.concatenate(([0], np.cumsum(lengths)))
        hashes = _NgramHashes(ids)
        # An n-gram that occurs twice extends an (n-1)-gram that occurs twice, so each level only sorts the
        # positions the level before found in a group of two or more (``candidates``); levels above the
        # first with no repeat cannot have any.
        span = self._ngram_span  # words per n-gram word (script units per word in the language-aware mode)
        candidates = None
        for n, limit in sorted(self.top_ngram_ratios.items()):
            size = n * span
            if count < size:
                break
            h = hashes.get(size)
            positions, order, starts, counts = _groups(h, candidates)
            if not counts.size or counts.max() < 2:
                break  # no n-gram repeats: the rule does not apply (not measured)
            top = counts.argmax()  # the first of the most frequent, smallest hash first (as np.unique orders them)
            start = int(positions[order[starts[top]]])  # its first occurrence (stable sort of ascending positions)
            ngram_chars = ends[start + size] - ends[start]
            share = float(ngram_chars * counts[top] / total)
            note(f"top_{n}gram_ratio", share)
            if share > limit:
                return f"top_{n}gram_ratio"
            candidates = _in_groups_of_two_or_more(positions, order, counts)
        candidates = None
        for n, limit in sorted(self.dup_ngram_ratios.items()):
            size = n * span
            if count < size:
                break
            positions, order, starts, counts = _groups(hashes.get(size), candidates)
            if not counts.size or counts.max() < 2:
                # No n-gram repeats, so no longer one does: their shares are 0.
                for m in sorted(self.dup_ngram_ratios):
                    if n <= m and m * span <= count:
                        note(f"dup_{m}gram_ratio", 0.0)
                break
            # Every member of a group but its first (earliest) repeats an earlier n-gram.
            repeats = np.ones(order.size, dtype=bool)
            repeats[starts] = False
            repeated = np.zeros(count - size + 1, dtype=np.int64)
            repeated[positions[order[repeats]]] = 1
            # Mark the words each repeated n-gram covers (a difference array), count each word once.
            cover = np.zeros(count + 1, dtype=np.int64)
            cover[: repeated.size] += repeated
            cover[size : size + repeated.size] -= repeated
            covered = np.cumsum(cover[:-1]) > 0
            share = float(lengths[covered].sum() / total)
            note(f"dup_{n}gram_ratio", share)
            if share > limit:
                return f"dup_{n}gram_ratio"
            candidates = _in_groups_of_two_or_more(positions, order, counts)
        return None


    def check_fineweb(self, text: str, note: Note = ignore) -> str | None:
        """datatrove 0.10.1's GopherRepetitionFilter, rule by rule."""
        size = len(text)
        paragraphs = _PARAGRAPH_BREAK.split(text.strip())
        count, chars = repeats(paragraphs)
        rule = self.repeated_parts_rule("para", (count / len(paragraphs), chars / size), note)
        if rule is not None:
            return rule
        lines = _LINE_BREAK.split(text)
        count, chars = repeats(lines)
        rule = self.repeated_parts_rule("line", (count / len(lines), chars / size), note)
        if rule is not None:
            return rule
        words = fineweb_words(text)
        total = len(words)
        if total < 2:
            return None
        ids = word_ids(words)
        ends = np.concatenate(([0], np.cumsum(np.fromiter(map(len, words), np.int64, total))))
        hashes = _NgramHashes(ids)
        # One pass over n = 1, 2, ...: an n-gram seen twice extends an (n-1)-gram seen twice, so each n
        # only groups the positions the n before found in groups of two or more (``candidates``).
        candidates = None
        sizes = [*self.top_ngram_ratios, *self.dup_ngram_ratios]
        last_top = max(self.top_ngram_ratios, default=0)
        pending = None  # datatrove checks every top n-gram before any repeated n-gram
        for n in range(min(sizes, default=1), max(sizes, default=0) + 1):
            if pending is not None and n > last_top:
                return pending
            if total < n:
                break
            if candidates is not None and not candidates.size:
                # No (n-1)-gram repeats, so no n-gram does: the top n-gram is the first, once; nothing repeats.
                if n in self.dup_ngram_ratios:
                    note(f"dup_{n}gram_ratio", 0.0)
                limit = self.top_ngram_ratios.get(n)
                if limit is not None:
                    share = (int(ends[n]) + n - 1) / size
                    note(f"top_{n}gram_ratio", share)
                    if share > limit:
                        return f"top_{n}gram_ratio"
                continue
            h = hashes.get(n)
            positions, order, starts, counts = _groups(h, candidates)
            repeated = counts.size and counts.max() >= 2
            if n in self.top_ngram_ratios:
                if repeated:
                    top = int(counts.max())
                    # Counter.most_common(1): the most frequent n-gram, the earliest seen among equals.
                    start = int(positions[order[starts[counts == top]]].min())
                else:
                    top, start = 1, 0
                ngram_chars = int(ends[start + n] - ends[start]) + n - 1  # joined with spaces
                share = ngram_chars * top / size
                note(f"top_{n}gram_ratio", share)
                if share > self.top_ngram_ratios[n]:
                    return f"top_{n}gram_ratio"
            if n in self.dup_ngram_ratios:
                share = 0.0  # nothing repeats
                if repeated:
                    members = np.sort(positions[order[np.repeat(counts >= 2, counts)]])
                    share = _scanned_repeat_chars(h, ends, n, members.tolist()) / size
                note(f"dup_{n}gram_ratio", share)
                if share > self.dup_ngram_ratios[n] and pending is None:
                    pending = f"dup_{n}gram_ratio"
            candidates = _in_groups_of_two_or_more(positions, order, counts) if repeated else positions[:0]
        return pending



def word_ids(words: list[str]) -> np.ndarray:
    """An id per distinct word, for the words in order. n-grams are compared by hashes of ids; only their
    equality matters, so ids may skip numbers: ``setdefault`` with a running counter keeps the walk in C."""
    return np.fromiter(map({}.setdefault, words, count()), np.uint64, len(words))


def _scanned_repeat_chars(h: np.ndarray, ends: np.ndarray, n: int, members: list[int]) -> int:
    """Characters of repeated n-grams as datatrove's scan counts them.

    The scan walks positions left to right, remembering each n-gram it visits; at an n-gram it has
    seen it adds the n-gram's characters and jumps n positions, skipping the n-grams in between.
    Only n-grams that occur twice or more can ever be "seen" again, so the walk needs only their
    positions (``members``, ascending): every other position is visited and forgotten."""
    seen: set[int] = set()
    chars = 0
    position = 0
    for p in members:
        if p < position:
            continue  # jumped over: not remembered
        value = h[p]
        if value in seen:
            chars += int(ends[p + n] - ends[p])
            position = p + n
        else:
            seen.add(value)
            position = p + 1
    return chars


def _groups(h: np.ndarray, candidates: np.ndarray | None):
    """Group the n-grams at ``candidates`` (ascending positions; None: all) by hash.

    Returns (positions, order, starts, counts): ``positions[order]`` lists the positions by hash, equal
    hashes together and each group in ascending position; ``starts`` indexes each group's first entry in
    that order and ``counts`` its size.
    """
    positions = np.arange(h.size) if candidates is None else candidates[candidates < h.size]
    values = h[positions]
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1]))) if ordered.size else np.zeros(0, np.int64)
    counts = np.diff(np.append(starts, ordered.size))
    return positions, order, starts, counts


def _in_groups_of_two_or_more(positions: np.ndarray, order: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Ascending positions whose n-gram occurs at least twice."""
    return np.sort(positions[order[np.repeat(counts >= 2, counts)]])


class _NgramHashes:
    """``ngram_hashes(ids, n)`` for growing n, each built from the one before (same values, less work)."""

    def __init__(self, ids: np.ndarray):
        self.ids = ids
        self.n = 0
        self.h = np.zeros(ids.size + 1, dtype=np.uint64)  # n = 0: one empty n-gram per position, and one more
        self.cache: dict[int, np.ndarray] = {}

    def get(self, n: int) -> np.ndarray:
        if n in self.cache:
            return self.cache[n]
        if n < self.n:
            return ngram_hashes(self.ids, n)
        ids, h = self.ids, self.h
        # Integer arrays wrap around silently (no overflow check, unlike numpy scalars): no errstate needed.
        while self.n < n:
            k = self.n
            count = ids.size - k
            h = (h[:count] ^ ids[k : k + count]) * _MIX
            h ^= h >> np.uint64(29)
            self.n += 1
        self.h = h
        self.cache[n] = h
        return h
