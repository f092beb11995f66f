"""The ``train_quality_classifier`` stage: a fastText classifier trained inside the run.

Positives are the user's files (``positives:``); negatives are the user's files (``negatives:``) or a
deterministic sample of the run's own documents at this point (by id hash, bounded in bytes, as
``train_tokenizer`` samples). The model, chosen on a held-out split of these texts
(:mod:`webcorpus.stages.classifier.fit`), goes to OUTPUT/quality_classifier/ with a card; documents
pass through unchanged. ``quality_classifier`` without ``model`` scores with it.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Annotated

from webcorpus.ledger import digest, file_digest, input_identity
from webcorpus.stages.base import OptionError
from webcorpus.stages.classifier import examples as example_texts
from webcorpus.stages.classifier.fit import GRID, Settings, fit
from webcorpus.stages.global_stage import GlobalContext, GlobalStage

CLASSIFIER_DIR = "quality_classifier"  # OUTPUT/quality_classifier/: model.bin and card.json
MODEL = "model.bin"
CARD = "card.json"
#: fewest distinct positives (and negatives) the split can give every part of: about 30 to train on,
#: 6 to choose the settings and 6 to report on
MIN_EXAMPLES = 40


class TrainQualityClassifier(GlobalStage):
    """Train a fastText quality classifier (word bigrams) on positive files against negatives.

    Negatives are ``negatives`` files or, by default, a sample of the run's documents by id hash.
    lr and epochs are chosen on a validation split, the figures are of a test split (card.json).
    Writes OUTPUT/quality_classifier/model.bin and card.json. Documents pass through unchanged.
    """

    name = "train_quality_classifier"
    run_folders = ("quality_classifier",)
    requires = {"fasttext": "fasttext-wheel"}

    def __init__(
        self,
        positives: Annotated[str | list[str], "texts like those to keep: Parquet/JSON lines with 'text', or .txt files; paths, globs, URLs"],
        negatives: Annotated[str | list[str] | None, "texts like those to drop (same formats); default: a sample of the run's documents"] = None,
        class_bytes: Annotated[int, "UTF-8 bytes of text per class at most (the run's sample and the files alike)"] = 25_000_000,
        label: Annotated[str, "the positive label (DCLM's: __label__hq)"] = "__label__hq",
        negative_label: Annotated[str, "the negative label (DCLM's: __label__cc)"] = "__label__cc",
        dim: Annotated[int, "vector size: scoring time grows with it"] = 16,
        bucket: Annotated[int, "hash buckets of word bigrams (model size: (words + bucket) x dim x 4 bytes)"] = 200_000,
        min_count: Annotated[int, "fewest occurrences of a word to get a vector of its own"] = 1,
        seed: Annotated[int, "fastText's seed and the salt of the run's sample"] = 0,
    ):
        self.positives = positives
        self.negatives = negatives
        self.class_bytes = class_bytes
        self.label = label
        self.negative_label = negative_label
        self.dim = dim
        self.bucket = bucket
        self.min_count = min_count
        self.seed = seed
        for option, value in (("label", label), ("negative_label", negative_label)):
            if not value.startswith("__label__") or any(c.isspace() for c in value) or value == "__label__":
                raise OptionError(option, f"{option} must be a fastText label such as __label__hq, got {value!r}")
        if label == negative_label:
            raise OptionError("negative_label", "negative_label must differ from label")
        for option, value in (("class_bytes", class_bytes), ("dim", dim), ("bucket", bucket), ("min_count", min_count)):
            if value < 1:
                raise OptionError(option, f"{option} must be positive, got {value}")
        self._check_texts("positives", positives)  # before any work: missing, unreadable, too few, all duplicates
        if negatives is not None:
            self._check_texts("negatives", negatives)

    def _check_texts(self, option: str, spec) -> None:
        try:
            found = example_texts.read_files(spec, self.class_bytes)
        except (FileNotFoundError, OSError, ValueError) as exc:
            raise OptionError(option, f"{option}: {exc}") from None
        if len(found.texts) < MIN_EXAMPLES:
            detail = f"{found.read:,} read, {found.duplicates:,} of them duplicates, {found.empty:,} without text"
            if found.over_budget:
                detail += f", {found.over_budget:,} beyond class_bytes"
            if found.read > 1 and found.distinct == 1:
                detail += ": all the same text"
            raise OptionError(option, f"{option}: {len(found.texts):,} distinct texts ({detail}); training needs at least "
                                      f"{MIN_EXAMPLES} (70% to train, 15% to choose settings, 15% to measure)")

    def files_read(self) -> list[str]:
        from webcorpus.readers.inputs import expand_inputs

        specs = [self.positives] + ([self.negatives] if self.negatives is not None else [])
        return [p for spec in specs for p in expand_inputs(spec) if "://" not in p]

    @staticmethod
    def card_path(run_dir: str | Path) -> Path:
        """Where this stage leaves the card of the model it trained (``quality_classifier`` reads it there)."""
        return Path(run_dir) / CLASSIFIER_DIR / CARD

    def run(self, ctx: GlobalContext) -> None:
        card_path = self.card_path(ctx.run_dir)
        files = [file_digest(p) for p in self.files_read()]
        key = digest(self.options(), files, [input_identity(p, portable=True) for p in ctx.inputs])
        if card_path.is_file() and ctx.ledger.read(self.name, expect={"key": key}) is not None:
            ctx.stats.counters["resumed"] += 1
            return None
        positives = example_texts.read_files(self.positives, self.class_bytes)
        if self.negatives is not None:
            negatives = example_texts.read_files(self.negatives, self.class_bytes)
            source = "files"
        else:
            negatives = self._sample_run(ctx, set(positives.texts))
            source = "a sample of the run's documents by id hash"
        if len(negatives.texts) < MIN_EXAMPLES:
            raise OptionError("negatives", f"negatives: {len(negatives.texts):,} distinct texts (from {source}); training needs "
                                           f"at least {MIN_EXAMPLES}: name 'negatives' files or give the run more documents")
        scratch = Path(ctx.work_dir) / "train_quality_classifier" / key
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        building = Path(ctx.run_dir) / f".{CLASSIFIER_DIR}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        settings = Settings(self.dim, self.bucket, self.min_count, self.seed)
        with ctx.timer(f"train_quality_classifier: {len(positives.texts):,} positives, {len(negatives.texts):,} negatives, {len(GRID)} settings"):
            result = fit(positives.texts, negatives.texts, self.label, self.negative_label, settings, scratch, building / MODEL)
        card = self._card(building / MODEL, positives, negatives, source, result, key)
        (building / CARD).write_text(json.dumps(card, indent=2) + "\n")
        out = card_path.parent
        examples_file = out / "examples.json"  # quality_classifier's, from an earlier run of it: not this stage's
        if examples_file.is_file():
            os.replace(examples_file, building / "examples.json")
        shutil.rmtree(out, ignore_errors=True)
        os.replace(building, out)
        shutil.rmtree(scratch, ignore_errors=True)
        ctx.ledger.commit(self.name, {"key": key})
        ctx.stats.counters["positives"] += len(positives.texts)
        ctx.stats.counters["negatives"] += len(negatives.texts)
        ctx.stats.counters["bad_records"] += len(positives.bad) + len(negatives.bad)
        return None

    def _sample_run(self, ctx: GlobalContext, positives: set[str]) -> example_texts.Texts:
        """The run's documents of lowest id hash whose texts fit ``class_bytes``, less any positive."""
        from webcorpus.tokenizer.training_sample import thresholds

        salt = f"quality{self.seed}"
        limits = thresholds(lambda fn, items: ctx.phase_map("train_quality_classifier: sizing the sample", fn, items),
                            list(ctx.inputs), salt, self.class_bytes, 0)
        found = ctx.phase_map("train_quality_classifier: reading the sample", example_texts.sample_run,
                              [(p, salt, limits.train) for p in ctx.inputs])
        ordered = sorted(pair for shard in found for pair in shard)
        texts = list(dict.fromkeys(text for _, text in ordered if text not in positives))
        return example_texts.Texts(texts=texts, read=len(ordered), distinct=len(texts))

    def _card(self, model: Path, positives, negatives, source: str, result: dict, key: str) -> dict:
        import fasttext

        def side(texts, origin):
            return {"source": origin, "documents": len(texts.texts), "bytes": sum(len(t.encode("utf-8", "surrogatepass")) for t in texts.texts),
                    "read": texts.read, "duplicates_removed": texts.duplicates, "beyond_class_bytes": texts.over_budget,
                    "without_text": texts.empty,
                    "bad_records": texts.bad[:100], "bad_record_count": len(texts.bad)}

        return {
            "model": MODEL,
            "format": "fastText supervised (.bin)",
            "sha1": file_digest(model),
            "bytes": model.stat().st_size,
            "labels": {"positive": self.label, "negative": self.negative_label},
            "text_preparation": "DCLM's: strip, str.splitlines, join with single spaces (webcorpus/stages/classifier/text.py)",
            "positives": side(positives, self.positives),
            "negatives": side(negatives, self.negatives if self.negatives is not None else source),
            **result,
            "fasttext": getattr(fasttext, "__version__", None) or _package_version(),
            "options": self.options(),
            "key": key,
        }


def _package_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    for name in ("fasttext-wheel", "fasttext"):
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return None
