"""A fastText classifier as a scorer: which model file, whether it has the label, and batched scores.

Any supervised fastText model file loads: ``.bin`` or quantized ``.ftz``, ours or DCLM's released
``openhermes_reddit_eli5_vs_rw_v2_bigram_200k_train.bin`` (labels ``__label__hq`` and ``__label__cc``).
The score of a document is the probability the model gives the named label:

* a model with two labels is asked for its top label only (``k=1``), and the score is that
  probability when the top label is the named one, else one minus it: DCLM's rule, to the bit;
* a model with more labels is asked for all of them (``k=-1``), one text per call, because
  fastText 0.9.x's batched ``multilinePredict`` repeats the top probability for every ``k > 1``.

Texts go to fastText's C++ in one list per batch (``multilinePredict``); the Python around it is
one pass to prepare the lines and one to read the probabilities back.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from webcorpus.stages.base import OptionError
from webcorpus.stages.classifier.text import prepare

#: loaded models of this process, by local path: a worker loads a model once for all its shards
_LOADED: dict[str, object] = {}


def is_url(path: str) -> bool:
    return "://" in path and not path.startswith("file://")


def check_model(path: str, label: str, option: str = "model") -> list[str]:
    """The labels of the model at ``path`` (a local file or an fsspec URL), or OptionError when it
    cannot be read, is not a fastText model, or lacks ``label``. Reads the dictionary only: cheap."""
    from webcorpus.stages.language.engines.fasttext import model_labels

    local = path[len("file://"):] if path.startswith("file://") else path
    if is_url(path):
        local = str(fetch(path, option))
    if not os.path.isfile(local):
        raise OptionError(option, f"{option}: no fastText model file at {path!r}")
    if not os.access(local, os.R_OK):
        raise OptionError(option, f"{option}: {path!r} is not readable")
    try:
        labels = model_labels(local)
    except OptionError as exc:
        raise OptionError(option, str(exc).replace("model:", f"{option}:", 1)) from None
    except Exception as exc:  # noqa: BLE001 - OSError, struct.error and the like: a file that is not a model
        raise OptionError(option, f"{option}: {path!r} is not a fastText model ({type(exc).__name__}: {exc})") from None
    if label not in labels:
        shown = ", ".join(labels[:10]) + (" ..." if len(labels) > 10 else "")
        raise OptionError("label", f"label: the model {path!r} has no label {label!r} (its labels: {shown})", labels[:10])
    return labels


def fetch(url: str, option: str = "model") -> Path:
    """A local copy of the model at ``url`` in the cache folder (fetched once; named by the URL and size)."""
    import fsspec

    from webcorpus.cache import cache_dir

    try:
        fs, remote = fsspec.core.url_to_fs(url)
        size = fs.size(remote)
    except Exception as exc:  # noqa: BLE001 - fsspec's errors vary by backend
        raise OptionError(option, f"{option}: cannot read {url!r}: {type(exc).__name__}: {exc}") from None
    name = hashlib.sha1(f"{url}|{size}".encode()).hexdigest()[:16] + "-" + os.path.basename(remote)
    target = cache_dir() / "classifier-models" / name
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + f".part-{os.getpid()}")
        with fs.open(remote, "rb") as source, open(partial, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 22)
        os.replace(partial, target)
    return target


def load(path: str):
    """The fastText model at local ``path``, loaded once per process."""
    model = _LOADED.get(path)
    if model is None:
        import fasttext

        fasttext.FastText.eprint = lambda *args, **kwargs: None  # the load_model deprecation warning
        model = _LOADED[path] = fasttext.load_model(path)
    return model


class Scorer:
    """Scores texts with the probability a fastText model gives ``label`` (module docstring)."""

    def __init__(self, path: str, label: str):
        self.model = load(path)
        self.label = label
        self.labels = list(self.model.labels)
        self.binary = len(self.labels) == 2

    def score(self, texts: Sequence[str | None]) -> np.ndarray:
        """float32 scores, one per text; NaN for a text that is None or empty after preparation."""
        scores = np.full(len(texts), np.nan, dtype=np.float32)
        index, lines = [], []
        for i, text in enumerate(texts):
            if text:
                line = prepare(text)
                if line:
                    index.append(i)
                    lines.append(line + "\n")
        if lines:
            scores[np.asarray(index, dtype=np.int64)] = self._predict(lines)
        return scores

    def _predict(self, lines: list[str]) -> np.ndarray:
        if not self.binary:
            return np.array([self._probability(line) for line in lines], dtype=np.float32)
        try:
            labels, probs = self.model.f.multilinePredict(lines, 1, 0.0, "replace")
        except UnicodeEncodeError:  # a lone surrogate in some text: make those lines encodable, once
            lines = [line.encode("utf-8", "replace").decode("utf-8") for line in lines]
            labels, probs = self.model.f.multilinePredict(lines, 1, 0.0, "replace")
        top = np.fromiter((p[0] for p in probs), dtype=np.float32, count=len(probs))
        named = np.fromiter((lab[0] == self.label for lab in labels), dtype=bool, count=len(labels))
        return np.where(named, top, np.float32(1.0) - top)

    def _probability(self, line: str) -> float:
        try:
            ranked = self.model.f.predict(line, -1, 0.0, "replace")
        except UnicodeEncodeError:
            ranked = self.model.f.predict(line.encode("utf-8", "replace").decode("utf-8"), -1, 0.0, "replace")
        return next((min(1.0, float(p)) for p, lab in ranked if lab == self.label), 0.0)
