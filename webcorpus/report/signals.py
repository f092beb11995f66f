"""The thresholded filters' signals as stats.json holds them: per stage, each signal's histogram and thresholds.

A filter measures a signal only for the documents that reach its rule (:mod:`webcorpus.stages.signals`);
the rest of the documents it saw (dropped by an earlier rule, or without text) are ``not_measured``.
"""
from __future__ import annotations


def stage_signals(stats: dict) -> list[dict]:
    """``[{"stage", "index", "documents_in", "signals": [...]}]`` for every stage of the run with signals,
    in stage order; each signal has its ``bins``, ``counts``, ``thresholds``, ``measured``, ``not_measured``
    and, per bin, whether it lies on a threshold's dropping side (``drop_side``)."""
    found = []
    for index, stage in enumerate(stats["stages"]):
        if not stage.get("signals"):
            continue
        signals = []
        for name, histogram in stage["signals"].items():
            measured = sum(histogram["counts"])
            signals.append({
                "name": name, **histogram, "measured": measured,
                "not_measured": stage["documents_in"] - measured,
                "drop_side": [_drop_side(i, histogram) for i in range(len(histogram["bins"]))],
            })
        found.append({"stage": stage["name"], "index": index, "documents_in": stage["documents_in"], "signals": signals})
    return found


def _drop_side(index: int, histogram: dict) -> bool:
    """True when bin ``index`` lies on the dropping side of a threshold. Thresholds are bin edges, so a
    bin lies wholly on one side, but for the value at a threshold itself: a bin starting at a ``>``
    threshold also holds documents equal to it (kept), one ending at a ``<=`` threshold lacks them."""
    bins = histogram["bins"]
    low = bins[index]
    for threshold in histogram["thresholds"]:
        if threshold["drops"] in ("<", "<=") and low < threshold["value"]:
            return True
        if threshold["drops"] in (">", ">=") and low >= threshold["value"]:
            return True
    return False

