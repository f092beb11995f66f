"""``hf_classifier``: a score per document from a Hugging Face sequence-classification model folder.

FineWeb-Edu's classifier has this form (``BertForSequenceClassification`` with one output, a regression
head giving an educational score from 0 to 5; FineWeb-Edu kept documents whose rounded score is at
least 3, i.e. ``min_score: 2.5``). A regression head (one output, or ``problem_type: regression``)
gives its output as the score; a classification head gives the probability of the label named by
``label`` (softmax over the labels; sigmoid for ``problem_type: multi_label_classification``).

Text preparation is the model's: its own tokenizer, special tokens added, each document cut to
``max_length`` tokens (default: the model's maximum, ``model_max_length`` of its tokenizer, else its
``max_position_embeddings``; 512 for FineWeb-Edu's). So only a document's start is read, as in
FineWeb-Edu's annotation (``truncation=True``). Documents go through the model ``batch_size`` at a
time, padded to the longest of the batch, on a GPU when there is one (``device: auto``).

Needs ``transformers`` and ``torch`` (``pip install 'webcorpus[hf,train]'``). The folder is read from
disk only: nothing is downloaded while a run works, and no code from the folder is run.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal, Sequence

import pyarrow as pa

from webcorpus.documents import TEXT
from webcorpus.stages.base import Filter, OptionError, Verdict
from webcorpus.stages.requirements import MissingDependency, missing_dependencies
from webcorpus.stages.signals import SHARE_BINS, Signal, Threshold
from webcorpus.suggest import did_you_mean

Device = Literal["auto", "cpu", "cuda"]
WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model")
#: A regression head's scores: quarter steps from -2 to 6 (FineWeb-Edu's scale is 0 to 5).
REGRESSION_BINS = tuple(0.25 * i for i in range(-8, 25))
#: tokenizers write a huge model_max_length (int(1e30)) when the model sets none
UNSET_LENGTH = 1_000_000


class HfClassifier(Filter):
    """Score each document with a Hugging Face sequence-classification model; optionally drop low scores.

    The score goes into a float column (``column``, default ``hf_score``); a document without text
    gets no score (null) and is counted (``no_text``). With ``min_score`` a document scoring below it
    is dropped (``hf_classifier:low_score``), and so is one without text (``hf_classifier:no_text``).
    """

    name = "hf_classifier"
    requires = {"transformers": "transformers", "torch": "torch"}
    resources = {"memory": 2 << 30}  # a BERT-base model and a batch's activations

    def __init__(
        self,
        model: Annotated[str, "a local Hugging Face model folder with a *ForSequenceClassification head and its tokenizer (FineWeb-Edu's classifier has this form)"],
        label: Annotated[str | None, "a classification head: the label whose probability is the score (one of the model's id2label); null for a regression head"] = None,
        column: Annotated[str, "the float column the score goes into"] = "hf_score",
        min_score: Annotated[float | None, "drop documents scoring below this (FineWeb-Edu: 2.5, a rounded score of 3 or more); null keeps all"] = None,
        max_length: Annotated[int | None, "tokens of each document the model reads (its start); null: the model's maximum"] = None,
        batch_size: Annotated[int, "documents per forward pass"] = 32,
        device: Annotated[Device, "auto: a CUDA GPU when there is one, else the CPU"] = "auto",
    ):
        missing = missing_dependencies(self)
        if missing:  # an installation matter, not the pipeline file's (stages/requirements.py)
            raise MissingDependency("; ".join(missing))
        config = read_model_folder(model)
        head = ModelHead.of(config, label)  # a label the model lacks is found here, before any work
        limit = model_max_length(Path(model), config)
        if max_length is not None and not 2 <= max_length <= limit:
            raise OptionError("max_length", f"max_length must lie in [2, {limit}] (the model's maximum), got {max_length}")
        if batch_size < 1:
            raise OptionError("batch_size", f"batch_size must be at least 1, got {batch_size}")
        if not column or column in ("id", "text", "url"):
            raise OptionError("column", f"column must name a new column, got {column!r}")
        if device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise OptionError("device", "device: cuda, but torch finds no CUDA GPU here (use auto or cpu)")
        self.model = model
        self.label = label
        self.column = column
        self.min_score = None if min_score is None else float(min_score)
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.__dict__["_head"], self.__dict__["_limit"] = head, limit

    def files_read(self) -> list[str]:
        return [self.model]

    @property
    def head(self) -> "ModelHead":
        """What the model's output means (read again from the folder in a worker: not shipped)."""
        if "_head" not in self.__dict__:
            config = read_model_folder(self.model)
            self.__dict__["_head"] = ModelHead.of(config, self.label)
            self.__dict__["_limit"] = model_max_length(Path(self.model), config)
        return self.__dict__["_head"]

    @property
    def token_limit(self) -> int:
        """Tokens of each document the model reads: ``max_length``, else the model's maximum."""
        self.head  # noqa: B018 - reads the folder once
        return self.max_length or self.__dict__["_limit"]

    def setup(self) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._torch = torch
        self._device = "cuda" if self.device == "cuda" or (self.device == "auto" and torch.cuda.is_available()) else "cpu"
        self._tokenizer = AutoTokenizer.from_pretrained(self.model, local_files_only=True)
        network = AutoModelForSequenceClassification.from_pretrained(self.model, local_files_only=True)
        self._network = network.to(self._device).eval()

    def scores(self, texts: Sequence[str | None]) -> list[float | None]:
        """The score of each text (None for an empty one), ``batch_size`` texts per forward pass."""
        if "_network" not in self.__dict__:
            self._ensure_setup()
        torch = self._torch
        present = [i for i, text in enumerate(texts) if text and text.strip()]
        out: list[float | None] = [None] * len(texts)
        for start in range(0, len(present), self.batch_size):
            rows = present[start:start + self.batch_size]
            encoded = self._tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                      max_length=self.token_limit, return_tensors="pt")
            with torch.inference_mode():
                logits = self._network(**encoded.to(self._device)).logits.float()
            for i, value in zip(rows, self.head.scores(torch, logits).tolist()):
                out[i] = value
        return out

    def verdict(self, batch: pa.Table) -> Verdict:
        # The extracted text only: a model trained on text says nothing useful about raw HTML.
        texts = batch.column(TEXT).to_pylist() if TEXT in batch.column_names else [None] * batch.num_rows
        scores = self.scores(texts)
        measured = [s for s in scores if s is not None]
        if len(measured) < len(scores):
            self.count("no_text", len(scores) - len(measured))
        if self.min_score is None:
            reasons: list[str | None] = [None] * len(scores)
        else:
            reasons = ["hf_classifier:no_text" if s is None else "hf_classifier:low_score" if s < self.min_score else None
                       for s in scores]
        return Verdict(reasons, {self.column: pa.array(scores, pa.float32())}, signals={self.column: measured})

    def signals(self) -> list[Signal]:
        """The score against ``min_score`` (documents without text are not measured)."""
        threshold = Threshold("min_score", self.min_score, "<") if self.min_score is not None else None
        regression = self.head.regression
        what = "the model's score" if regression else f"probability of {self.label!r}"
        bins = REGRESSION_BINS if regression else SHARE_BINS
        return [Signal.of(self.column, what, bins, threshold)]


class ModelHead:
    """What a model's output means: a regression value, or the probability of one label."""

    def __init__(self, regression: bool, index: int = 0, multi_label: bool = False):
        self.regression = regression
        self.index = index
        self.multi_label = multi_label

    @classmethod
    def of(cls, config: dict, label: str | None) -> "ModelHead":
        """The head of ``config`` (a model's config.json) for ``label``; OptionError naming the option."""
        id2label = {int(k): v for k, v in (config.get("id2label") or {}).items()}
        count = config.get("num_labels") or len(id2label) or 2
        if config.get("problem_type") == "regression" or count == 1:
            if label is not None:
                raise OptionError("label", f"label: the model has a regression head (one score, no labels); remove label ({label!r})")
            return cls(regression=True)
        labels = [id2label.get(i, f"LABEL_{i}") for i in range(count)]
        if label is None:
            raise OptionError("label", f"label: the model classifies into {labels}; name the label whose probability is the score")
        if label not in labels:
            raise OptionError("label", f"label: the model has no label {label!r}{did_you_mean(label, labels)} (its labels: {labels})")
        return cls(regression=False, index=labels.index(label), multi_label=config.get("problem_type") == "multi_label_classification")

    def scores(self, torch, logits):
        if self.regression:
            return logits[:, 0]
        probabilities = torch.sigmoid(logits) if self.multi_label else torch.softmax(logits, dim=-1)
        return probabilities[:, self.index]


def read_model_folder(model: str) -> dict:
    """The config.json of a usable model folder, or OptionError('model') saying what is missing."""
    folder = Path(model).expanduser()
    if not folder.is_dir():
        raise OptionError("model", f"model: {model} is not a folder; hf_classifier reads a local model folder (config.json, "
                                   "weights, tokenizer), e.g. from `huggingface-cli download HuggingFaceFW/fineweb-edu-classifier --local-dir DIR`")
    config_file = folder / "config.json"
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OptionError("model", f"model: {folder} has no config.json: not a Hugging Face model folder") from None
    except (OSError, ValueError) as exc:
        raise OptionError("model", f"model: {config_file} cannot be read as JSON ({exc})") from None
    architectures = config.get("architectures") or []
    if not any(str(a).endswith("ForSequenceClassification") for a in architectures):
        raise OptionError("model", f"model: {folder} is not a sequence-classification model (architectures: "
                                   f"{', '.join(architectures) or 'none'}); hf_classifier needs a *ForSequenceClassification head")
    if not any((folder / name).is_file() for name in WEIGHTS):
        raise OptionError("model", f"model: {folder} has no weights (one of {', '.join(WEIGHTS)})")
    if not any((folder / name).is_file() for name in TOKENIZER_FILES):
        raise OptionError("model", f"model: {folder} has no tokenizer (one of {', '.join(TOKENIZER_FILES)}): "
                                   "save the model's tokenizer into the folder (tokenizer.save_pretrained)")
    return config


def model_max_length(folder: Path, config: dict) -> int:
    """The most tokens the model reads: its tokenizer's model_max_length, else max_position_embeddings, else 512."""
    try:
        length = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8")).get("model_max_length")
    except (OSError, ValueError):
        length = None
    if isinstance(length, (int, float)) and 1 < length < UNSET_LENGTH:
        return int(length)
    positions = config.get("max_position_embeddings")
    return int(positions) if isinstance(positions, int) and positions > 1 else 512
