"""The ``quality_classifier`` stage: every document scored by a fastText classifier, kept by score."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated

import numpy as np

from webcorpus.ledger import commit_json, digest, file_digest, input_identity
from webcorpus.stages.base import OptionError
from webcorpus.stages.classifier import scoring
from webcorpus.stages.classifier.model import check_model, fetch, is_url
from webcorpus.stages.classifier.selection import cutoff
from webcorpus.stages.global_stage import GlobalContext, GlobalStage
from webcorpus.stages.signals import SHARE_BINS, Signal, Threshold

#: what the stage writes beside the documents: one example document per score level, for the report
EXAMPLES = "examples.json"


class QualityClassifier(GlobalStage):
    """Score every document with a fastText classifier into ``quality_score`` (the probability of ``label``).

    The model is ``model`` (any fastText .bin/.ftz, a path or an fsspec URL; DCLM's loads as it is),
    else the one ``train_quality_classifier`` wrote earlier in the run. With no threshold every
    document is kept and scored; ``min_score`` drops those below it, ``keep_fraction`` keeps the top
    share of the whole run (ties by id hash: the same for any worker count). A document without text
    gets no score (null) and is counted; under a threshold it is dropped as ``no_text``. Runs as a
    step of its own: the scoring runs per shard in parallel, the ranking for ``keep_fraction`` once.
    """

    name = "quality_classifier"
    run_folders = ("quality_classifier",)
    requires = {"fasttext": "fasttext-wheel"}

    def __init__(
        self,
        model: Annotated[str | None, "fastText model (.bin/.ftz), path or URL; default: train_quality_classifier's in this run"] = None,
        label: Annotated[str, "the label whose probability is the score (DCLM's files: __label__hq)"] = "__label__hq",
        min_score: Annotated[float | None, "drop documents scoring below this"] = None,
        keep_fraction: Annotated[float | None, "keep this top share of the run's scored documents (a global quantile)"] = None,
        batch_size: Annotated[int, "documents scored per call into fastText"] = 1000,
    ):
        self.model = model
        self.label = label
        self.min_score = min_score
        self.keep_fraction = keep_fraction
        self.batch_size = batch_size
        if min_score is not None and not 0.0 <= min_score <= 1.0:
            raise OptionError("min_score", f"min_score must be in [0, 1], got {min_score}")
        if keep_fraction is not None and not 0.0 < keep_fraction <= 1.0:
            raise OptionError("keep_fraction", f"keep_fraction must be in (0, 1], got {keep_fraction}")
        if batch_size < 1:
            raise OptionError("batch_size", f"batch_size must be positive, got {batch_size}")
        if not label:
            raise OptionError("label", "label must name one of the model's labels, e.g. __label__hq")
        if model is not None:
            check_model(model, label)  # missing, unreadable, not a model, or without the label: before any work

    def files_read(self) -> list[str]:
        return [self.model] if self.model is not None and not is_url(self.model) else []

    def check_with_earlier(self, earlier: list) -> None:
        """Validation hook of the pipeline: without ``model``, a train_quality_classifier must come
        earlier and train the label this stage scores."""
        if self.model is not None:
            return
        from webcorpus.stages.classifier.train import TrainQualityClassifier

        trainers = [s for s in earlier if isinstance(s, TrainQualityClassifier)]
        if not trainers:
            raise OptionError("model", "no model: put 'train_quality_classifier' before this stage, or set 'model' to a fastText file")
        if trainers[-1].label != self.label:
            raise OptionError("label", f"label {self.label!r} is not the one train_quality_classifier trains ({trainers[-1].label!r})")

    def model_path(self, run_dir: Path) -> str:
        """The local model file: ``model`` (fetched once when a URL), else the one the run trained (by its card)."""
        if self.model is not None:
            return str(fetch(self.model)) if is_url(self.model) else self.model.removeprefix("file://")
        from webcorpus.stages.classifier.train import TrainQualityClassifier

        card = TrainQualityClassifier.card_path(run_dir)
        if not card.is_file():
            raise FileNotFoundError(f"quality_classifier: no model: {card} is missing; run train_quality_classifier first or set 'model'")
        return str(card.parent / json.loads(card.read_text())["model"])

    def run(self, ctx: GlobalContext) -> list[str]:
        path = self.model_path(Path(ctx.run_dir))
        check_model(path, self.label)  # the run's own model too, before any scoring
        key = digest(self.options(), file_digest(path), [input_identity(p, portable=True) for p in ctx.inputs])
        work = Path(ctx.work_dir) / "quality_classifier"
        for stale in work.iterdir() if work.is_dir() else ():  # scores of other inputs, options or models
            if stale.name != key:
                shutil.rmtree(stale, ignore_errors=True)
        (work / key).mkdir(parents=True, exist_ok=True)
        select = self.keep_fraction is not None
        jobs = [scoring.ShardJob(p, i, path, self.label, str(work / key), str(ctx.output_dir), self.batch_size,
                                 self.min_score, write=not select) for i, p in enumerate(ctx.inputs)]
        scored = ctx.phase_map("quality_classifier: scoring", scoring.score_shard, jobs)
        scores = np.concatenate([np.load(job.scores_path) for job in jobs]) if jobs else np.empty(0, np.float32)
        cut = None
        if select:
            hashes = np.concatenate([np.load(job.hashes_path) for job in jobs]) if jobs else np.empty(0, np.uint64)
            cut = cutoff(scores, hashes, self.keep_fraction)
            written = ctx.phase_map("quality_classifier: writing the top share", scoring.write_selected, [(job, cut) for job in jobs])
        else:
            written = scored
        self._count(ctx, scores, cut, sum(w.get("kept", 0) for w in written) if select else None)
        self._write_examples(ctx, scored, path, cut)
        return [str(Path(ctx.output_dir) / name) for w in written for name in w["outputs"]]

    def signal(self, cut: tuple[float, int] | None) -> Signal:
        """The score's histogram bins (twentieths) and the thresholds the options set."""
        thresholds = []
        if self.min_score is not None:
            thresholds.append(Threshold("min_score", self.min_score, "<"))
        if cut is not None:
            thresholds.append(Threshold("keep_fraction", round(cut[0], 6), "<"))
        return Signal.of(scoring.SCORE, f"probability of {self.label}", SHARE_BINS, *thresholds)

    def _count(self, ctx: GlobalContext, scores: np.ndarray, cut, kept: int | None) -> None:
        stats = ctx.stats
        no_text = int(np.isnan(scores).sum())
        measured = scores[~np.isnan(scores)]
        stats.counters["scored"] += len(measured)
        stats.counters["no_text"] += no_text
        stats.record_signals([self.signal(cut)], {scoring.SCORE: measured})
        thresholded = self.min_score is not None or self.keep_fraction is not None
        if thresholded and no_text:
            stats.dropped["no_text"] += no_text
        below = int((measured < np.float32(self.min_score)).sum()) if self.min_score is not None else 0
        if below:
            stats.dropped["below_min_score"] += below
        if kept is not None:
            outside = len(measured) - below - kept
            if outside:
                stats.dropped["outside_keep_fraction"] += outside

    def _write_examples(self, ctx: GlobalContext, scored: list[dict], model: str, cut) -> None:
        """OUTPUT/quality_classifier/examples.json: per score level, the document with the lowest id hash."""
        levels: dict = {}
        for result in scored:
            for level, example in result["examples"].items():
                if level not in levels or example["hash"] < levels[level]["hash"]:
                    levels[level] = example
        examples = [{"level": [int(k) / scoring.LEVELS, (int(k) + 1) / scoring.LEVELS],
                     **{f: v for f, v in levels[k].items() if f != "hash"}} for k in sorted(levels, key=int)]
        folder = Path(ctx.run_dir) / "quality_classifier"
        folder.mkdir(parents=True, exist_ok=True)
        commit_json(folder / EXAMPLES, {"model": self.model or "trained in this run", "label": self.label,
                                        "min_score": self.min_score, "keep_fraction": self.keep_fraction,
                                        "keep_fraction_cutoff": None if cut is None else round(cut[0], 6),
                                        "examples": examples}, indent=2)
