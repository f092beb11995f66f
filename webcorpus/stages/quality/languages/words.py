"""Words for the language-aware quality filters: whitespace where a script separates words, units where it does not.

Most scripts put spaces between words, and there a word is a whitespace-separated token, exactly as in the
English rules. Chinese and Japanese (Han, kana), Thai, Lao, Khmer, Burmese and Tibetan do not. A dictionary
segmenter (jieba, SudachiPy, PyThaiNLP, khmer-nltk) finds real words there, but each is a large optional
library and runs one to two orders of magnitude slower than ``str.split``: too slow for filters that must stay
within 1.5x of the English ones per document. The filters do not need real words, only a unit that is the
same in the text the thresholds were derived from and the text they judge (every threshold of a language is
derived on its own units, :mod:`.table`). So these scripts are cut into script units:

* Han and kana: one character per unit (a Chinese character is a morpheme, mostly a syllable; character
  units are what CJK n-gram statistics such as BLEU's ``zh`` tokenizer use);
* Thai, Lao, Khmer, Burmese, Tibetan: one base letter with the combining marks that follow it (a grapheme
  cluster, a part of a syllable);
* anything else in such a text (Latin words, numbers, punctuation) stays a whitespace- and script-separated run.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


#: Scripts (ISO 15924, as :func:`webcorpus.stages.language.scripts.dominant_script` names them) without spaces.
UNSEGMENTED_SCRIPTS = frozenset({"Hani", "Kana", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})
_CHARACTER_RANGES = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002ffff"
_CLUSTER_BLOCKS = ((0x0E00, 0x0EFF), (0x0F00, 0x0FFF), (0x1000, 0x109F), (0x1780, 0x17FF))


@lru_cache(maxsize=1)
def _unit_pattern() -> re.Pattern:
    marks = "".join(chr(c) for a, b in _CLUSTER_BLOCKS for c in range(a, b + 1)
                    if unicodedata.category(chr(c)) in ("Mn", "Mc"))
    bases = "".join(f"{chr(a)}-{chr(b)}" for a, b in _CLUSTER_BLOCKS)
    marks_class = re.escape(marks)
    return re.compile(f"[{_CHARACTER_RANGES}]|[{bases}][{marks_class}]*|[^\\s{_CHARACTER_RANGES}{bases}]+")


_HAS_LETTER = re.compile(r"[^\W\d_]").search


class SpaceWords:
    """Whitespace-separated words (the English rules' words)."""

    kind = "space"

    def split(self, text: str) -> list[str]:
        return text.split()


class ScriptUnits:
    """Script units for scripts without spaces (see the module's docstring)."""

    kind = "units"

    def __init__(self) -> None:
        self._findall = _unit_pattern().findall

    def split(self, text: str) -> list[str]:
        return self._findall(text)

    def count_alpha(self, tokens: list[str]) -> int:
        """Units with a letter."""
        return sum(1 for token in tokens if _HAS_LETTER(token))


SPACE_WORDS = SpaceWords()


def words_for(kind: str) -> SpaceWords | ScriptUnits:
    """The word splitter of a segmentation ``kind`` (``space`` or ``units``)."""
    return SPACE_WORDS if kind == "space" else ScriptUnits()
