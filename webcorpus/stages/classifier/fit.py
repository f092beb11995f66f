"""Training the fastText classifier: a three-way split, a small grid, one deterministic model.

* Split: each distinct prepared text goes by a hash of itself (salted apart from the hash that orders
  texts up to the byte budget) to *train* (70%), *validation* (15%) or *test* (15%), per class, so
  the split depends on the texts only.
* Grid: ``lr`` x ``epoch`` (:data:`GRID`), each trained on *train* with word bigrams
  (``wordNgrams 2``), one thread and a fixed seed; the setting with the best ROC AUC on
  *validation* wins (ties: the earlier in the grid). Its model, trained on *train* only, is the
  one written, and its figures on *test* (never used to choose) are the card's held-out figures.
* Deterministic: the training file lists the examples in text-hash order, fastText runs one
  thread (its threads race on the shared weights) with ``seed``, so the same texts give the same
  model bytes (tested).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webcorpus.stages.classifier.examples import text_key

#: the settings tried: learning rate x epochs (dim, bucket, minCount and wordNgrams are options)
GRID = tuple({"lr": lr, "epoch": epoch} for lr in (0.1, 0.5) for epoch in (3, 10))
SPLIT = {"train": 0.70, "validation": 0.15, "test": 0.15}


@dataclass(frozen=True)
class Settings:
    """What fastText is given besides the grid's lr and epoch."""

    dim: int
    bucket: int
    min_count: int
    seed: int

    def arguments(self, lr: float, epoch: int) -> dict:
        return {"lr": lr, "epoch": epoch, "dim": self.dim, "bucket": self.bucket, "minCount": self.min_count,
                "wordNgrams": 2, "loss": "softmax", "thread": 1, "seed": self.seed, "verbose": 0}


def split_of(line: str) -> str:
    """train, validation or test, by a hash of the text salted apart from the one that orders texts
    up to ``class_bytes`` (with the same hash, a budget would take the train split's texts only)."""
    share = text_key(line, "split") / 2**64
    return "train" if share < SPLIT["train"] else "validation" if share < SPLIT["train"] + SPLIT["validation"] else "test"


def split(positives: list[str], negatives: list[str]) -> dict[str, tuple[list[str], list[str]]]:
    parts = {name: ([], []) for name in SPLIT}
    for side, texts in ((0, positives), (1, negatives)):
        for line in texts:
            parts[split_of(line)][side].append(line)
    return parts


def write_examples(path: Path, positives: list[str], negatives: list[str], label: str, negative_label: str) -> None:
    """One line per example, in text-hash order (a deterministic interleaving of the two classes)."""
    rows = [(text_key(t), label, t) for t in positives] + [(text_key(t), negative_label, t) for t in negatives]
    rows.sort()
    with open(path, "w", encoding="utf-8", errors="surrogatepass", newline="\n") as out:
        for _, lab, text in rows:
            out.write(f"{lab} {text}\n")


def train(path: Path, arguments: dict):
    import fasttext

    return fasttext.train_supervised(input=str(path), **arguments)


def probabilities(model, texts: list[str], label: str) -> np.ndarray:
    """The probability of ``label`` for each prepared text (two-label models: DCLM's rule)."""
    if not texts:
        return np.empty(0, np.float32)
    labels, probs = model.f.multilinePredict([t + "\n" for t in texts], 1, 0.0, "replace")
    top = np.fromiter((p[0] for p in probs), dtype=np.float32, count=len(probs))
    named = np.fromiter((lab[0] == label for lab in labels), dtype=bool, count=len(labels))
    return np.where(named, top, np.float32(1.0) - top)


def roc_auc(positive: np.ndarray, negative: np.ndarray) -> float | None:
    """Area under the ROC curve: the chance a positive outscores a negative (ties count half)."""
    if not len(positive) or not len(negative):
        return None
    from scipy.stats import rankdata

    ranks = rankdata(np.concatenate([positive, negative]).astype(np.float64))
    wins = ranks[: len(positive)].sum() - len(positive) * (len(positive) + 1) / 2
    return float(wins / (len(positive) * len(negative)))


def evaluate(model, positives: list[str], negatives: list[str], label: str) -> dict:
    """ROC AUC, and precision and recall of the positive class at a score of 0.5."""
    pos, neg = probabilities(model, positives, label), probabilities(model, negatives, label)
    true_pos, false_pos = int((pos >= 0.5).sum()), int((neg >= 0.5).sum())
    auc = roc_auc(pos, neg)
    return {
        "positives": len(positives), "negatives": len(negatives),
        "roc_auc": None if auc is None else round(auc, 4),
        "precision": round(true_pos / (true_pos + false_pos), 4) if true_pos + false_pos else None,
        "recall": round(true_pos / len(positives), 4) if positives else None,
    }


def fit(positives: list[str], negatives: list[str], label: str, negative_label: str, settings: Settings,
        scratch: Path, model_path: Path) -> dict:
    """Choose lr and epoch on validation, write the chosen model to ``model_path``; what the card says of it."""
    parts = split(positives, negatives)
    examples = scratch / "train.txt"
    write_examples(examples, *parts["train"], label, negative_label)
    start = time.process_time()
    tried, best, best_model = [], None, None
    for point in GRID:
        model = train(examples, settings.arguments(**point))
        validation = evaluate(model, *parts["validation"], label)
        tried.append({**point, "validation": validation})
        auc = validation["roc_auc"] if validation["roc_auc"] is not None else -1.0
        if best is None or auc > best[0]:
            best, best_model = (auc, point), model
        else:
            del model
    best_model.save_model(str(model_path))
    seconds = time.process_time() - start
    os.unlink(examples)
    return {
        "split": {name: {"positives": len(p), "negatives": len(n), "share": SPLIT[name]} for name, (p, n) in parts.items()},
        "split_rule": "by a 64-bit BLAKE2b hash of the prepared text (salt 'split'): train < 0.70 <= validation < 0.85 <= test",
        "grid": tried,
        "chosen": {**best[1], **{k: v for k, v in settings.arguments(**best[1]).items() if k not in best[1]}},
        "chosen_by": "the highest ROC AUC on validation (ties: the earlier in the grid)",
        "test": evaluate(best_model, *parts["test"], label),
        "training_cpu_seconds": round(seconds, 3),
    }
