"""Quality heuristics from the papers that built the big web corpora.

* :mod:`.gopher_repetition` and :mod:`.gopher_quality`: Rae et al. 2021, "Scaling
  Language Models: Methods, Analysis & Insights from Training Gopher" (MassiveText,
  appendix A.1.1 and table A1).
* :mod:`.c4`: Raffel et al. 2020, "Exploring the Limits of Transfer Learning with a
  Unified Text-to-Text Transformer", section 2.2 (line cleaning and page rules).
* :mod:`.fineweb`: Penedo et al. 2024, "The FineWeb Datasets", section 3.3
  (custom line-level filters).

Every threshold is an option whose default is the paper's value; docs/stages.md
lists each with its source. Each filter drops with ``<stage>:<rule>`` reasons.

Each filter also has ``flavor: fineweb``: the definitions of datatrove 0.10.1, the library
FineWeb was built with (words are spaCy-English tokens, punctuation included; its line and
paragraph splitting; its thresholds where they differ). :mod:`.fineweb_text` holds the word
and sentence rules; docs/stages.md shows both flavours side by side.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Literal, Sequence

import pyarrow as pa

from webcorpus.documents import text_column
from webcorpus.stages.base import Filter, OptionError, Verdict
from webcorpus.stages.quality.fineweb_text import words as fineweb_words
from webcorpus.stages.quality.languages.aware import LanguageAware


#: ``paper``: the definitions of the papers; ``fineweb``: those of datatrove 0.10.1, as FineWeb ran them.
Flavor = Literal["paper", "fineweb"]
FLAVOR_HELP = "paper: the paper's definitions; fineweb: datatrove 0.10.1's, as FineWeb ran them (docs/stages.md)"


#: ``note(signal, value)``: how a rule reports a value it compared with a threshold (see Filter.signals)
Note = Callable[[str, float], None]


def ignore(signal: str, value: float) -> None:
    """A :data:`Note` that keeps nothing (a check called on its own)."""


class TextRuleFilter(LanguageAware, Filter):
    """A filter whose verdict is ``check(text) -> None | rule`` for each document.

    The reason is ``<name>:<rule>``. A document without text is dropped as ``<name>:no_text``.
    ``check`` passes each value it compares with a threshold to ``note``; they become the
    histograms of the filter's :meth:`signals`. With the ``language`` option set, each document is
    checked by the copy of the filter adapted to its language (:mod:`.languages.aware`).
    """

    def check(self, text: str, note: Note = ignore) -> str | None:
        raise NotImplementedError

    def verdict(self, batch: pa.Table) -> Verdict:
        check: Callable[[str, Note], str | None] = self.check
        prefix = self.name + ":"
        measured: dict[str, list[float]] = defaultdict(list)

        def note(signal: str, value: float) -> None:
            measured[signal].append(value)

        variants = self.row_variants(batch)
        out = []
        for row, text in enumerate(batch.column(text_column(batch)).to_pylist()):
            if not text or not text.strip():
                out.append(prefix + "no_text")
                continue
            rule = (check if variants is None else variants[row].check)(text, note)
            out.append(None if rule is None else prefix + rule)
        if variants is not None:
            self.count_languages(out)
        return Verdict(out, signals=dict(measured))


class FlavoredRuleFilter(TextRuleFilter):
    """A :class:`TextRuleFilter` with a ``flavor``: :meth:`check_paper` or :meth:`check_fineweb` decides.

    Subclasses set ``self.flavor`` in ``__init__``; ``setup`` builds the spaCy-English tokenizer's
    rules once per process when the flavor is ``fineweb`` (subclasses that load more call ``super().setup()``).
    """

    flavor: Flavor = "paper"

    def setup(self) -> None:
        if self.flavor == "fineweb":
            fineweb_words("Build the tokenizer's rules once per process.")

    def check(self, text: str, note: Note = ignore) -> str | None:
        if self.flavor == "fineweb":
            return self.check_fineweb(text, note)
        return self.check_paper(text, note)

    def check_paper(self, text: str, note: Note = ignore) -> str | None:
        """The paper's definitions."""
        raise NotImplementedError

    def check_fineweb(self, text: str, note: Note = ignore) -> str | None:
        """datatrove 0.10.1's definitions, as FineWeb ran them."""
        raise NotImplementedError


def require_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise OptionError(name.split("[")[0], f"{name} must lie in [0, 1], got {value}")


def require_fractions(options: dict[str, float], names: Sequence[str]) -> None:
    """:func:`require_fraction` for each of ``names`` in ``options`` (an ``__init__``'s ``locals()``), in order."""
    for name in names:
        require_fraction(name, options[name])


def repeats(parts: list[str]) -> tuple[int, int]:
    """(parts equal to an earlier part, their characters)."""
    seen: set[str] = set()
    count = chars = 0
    for part in parts:
        if part in seen:
            count += 1
            chars += len(part)
        else:
            seen.add(part)
    return count, chars


def nonempty_lines(text: str) -> list[str]:
    """Lines with their surrounding whitespace removed; blank lines left out."""
    return [line for line in (raw.strip() for raw in text.split("\n")) if line]
