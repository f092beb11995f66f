"""CLD2, Google's Compact Language Detector 2 (Chromium's; Dolma's tagger), through the ``pycld2`` wheel.

Its score is the share of the text CLD2 gives the language (its ``percent``
divided by 100), halved when CLD2 says the result is not reliable. CLD2's old
codes are respelled: ``iw`` -> ``he``, ``jw`` -> ``jv``, ``no`` -> ``nb``, ``bh`` -> ``bih``,
``zh-Hant`` -> ``zh``; ``un`` and script-only results (``xx-Latn``) are no language.
"""
from __future__ import annotations

from webcorpus.stages.language.engines.base import Engine, Ranking

_RELABEL = {"iw": "he", "jw": "jv", "no": "nb", "bh": "bih", "zh-Hant": "zh", "sr-ME": "sr", "un": None, "xxx": None}


def cld2_code(code: str) -> str | None:
    """A CLD2 language code -> the stage's code (None for "unknown" and script-only results)."""
    if code.startswith("xx-") or code.startswith("zz"):
        return None
    return _RELABEL.get(code, code)


class Cld2Engine(Engine):
    """CLD2 on the text as UTF-8 (its own quadgram and word models, no download)."""

    name = "cld2"

    def codes(self) -> frozenset[str]:
        import pycld2

        return frozenset(c for c in (cld2_code(code) for _, code in pycld2.LANGUAGES) if c)

    def load(self) -> None:
        import pycld2

        self._detect = pycld2.detect
        self._error = pycld2.error

    def rank(self, line: str, k: int) -> Ranking:
        try:
            reliable, _, found = self._detect(line)
        except (self._error, UnicodeError):  # CLD2 rejects some text (lone surrogates, control bytes)
            return []
        out = []
        for _, code, percent, _ in found:
            code = cld2_code(code)
            if code is not None and percent > 0:
                out.append((code, percent / 100.0 if reliable else percent / 200.0))
        return out[:k]
