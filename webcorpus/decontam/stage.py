"""The ``decontaminate`` global stage: drop documents that hold text of the evaluation sets.

Two phases, each resumable through the step's ledger:

1. ``index`` (one task): the eval sets' n-grams hashed into a sorted, memory-mapped index in the
   step's work folder (:mod:`webcorpus.decontam.index`), once per run;
2. ``apply`` (one task per input shard): every worker maps that index and runs
   :class:`~webcorpus.decontam.contamination_filter.ContaminationFilter` over the shard's batches,
   writing the kept documents and, when the run writes them, the dropped ones to ``OUTPUT/excluded/``.

Each document's fate depends on its text and the index alone, so the output is the same for any
number of workers.
"""
from __future__ import annotations

import os

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from webcorpus import numbers
from webcorpus.decontam import eval_sets as eval_files  # the option of the same name is the user's value
from webcorpus.decontam.contamination_filter import ITEM_PREFIX, REASON, ContaminationFilter
from webcorpus.document_shards import ShardWriter, remove_shards
from webcorpus.ledger import Ledger, digest, input_identity
from webcorpus.stages.base import OptionError, OptionErrors, StageStats
from webcorpus.stages.global_stage import GlobalContext, GlobalStage, run_relative

MIN_NGRAM = 5
TOP_ITEMS = 20  # items named in the stats, most documents first
STAGE_COLUMN = "drop_stage"


@dataclass(frozen=True)
class Plan:
    """What every task of the stage needs; picklable."""

    inputs: tuple[str, ...]
    work: str
    output_dir: str
    excluded_dir: str | None
    sets: tuple[eval_files.EvalSet, ...]
    fields: tuple[str, ...] | None
    id_field: str
    ngram: int
    min_item_words: int
    action: str
    window: int
    min_piece: int
    max_pieces: int
    batch_size: int
    ledger: Ledger = field(default=None, compare=False)

    @property
    def index_dir(self) -> Path:
        return Path(self.work) / "index"


class Decontaminate(GlobalStage):
    """Drop documents that share a word n-gram with an item of the evaluation sets.

    Words are lower-cased and stripped of punctuation (GPT-3's grams); an item shorter than
    ``ngram`` words matches where its whole word sequence occurs. ``action: remove_span`` cuts the
    matching spans out instead (GPT-3's 200-character rule). See docs/stages.md.
    """

    name = "decontaminate"

    def __init__(
        self,
        eval_sets: Annotated[str | list[str] | dict[str, str | list[str]], "JSON lines or Parquet files of eval items (paths, globs, URLs): a list (each file a set named after it) or {name: files}"],
        fields: Annotated[list[str] | None, "the item fields that are text (default: every string field, lists and nested records included, but id_field)"] = None,
        id_field: Annotated[str, "the field that names an item in drop reasons (absent: #row)"] = "id",
        ngram: Annotated[int, "words per n-gram (GPT-3: 13; at least 5)"] = 13,
        action: Annotated[Literal["drop", "remove_span"], "drop the document, or cut the matching spans out (GPT-3's rule)"] = "drop",
        window: Annotated[int, "remove_span: characters cut on each side of a match"] = 200,
        min_piece: Annotated[int, "remove_span: pieces shorter than this many characters are discarded"] = 200,
        max_pieces: Annotated[int, "remove_span: a document cut into more pieces is dropped"] = 10,
        min_item_words: Annotated[int, "items with fewer words are not matched (counted); 1 matches every item"] = 1,
        batch_size: Annotated[int, "documents checked at once"] = 1000,
    ):
        errors: list[OptionError] = []
        if ngram < MIN_NGRAM:
            errors.append(OptionError("ngram", f"ngram must be at least {MIN_NGRAM} (short n-grams match common phrases), got {ngram}"))
        for option, value in (("window", window), ("min_piece", min_piece)):
            if value < 0:
                errors.append(OptionError(option, f"{option} must not be negative, got {value}"))
        for option, value in (("max_pieces", max_pieces), ("min_item_words", min_item_words), ("batch_size", batch_size)):
            if value < 1:
                errors.append(OptionError(option, f"{option} must be at least 1, got {value}"))
        if not eval_sets:
            errors.append(OptionError("eval_sets", "eval_sets names no file"))
        else:
            errors += _eval_set_errors(eval_sets, fields, id_field)
        if errors:
            raise errors[0] if len(errors) == 1 else OptionErrors(errors)
        self.eval_sets = eval_sets
        self.fields = list(fields) if fields is not None else None
        self.id_field = id_field
        self.ngram = ngram
        self.action = action
        self.window = window
        self.min_piece = min_piece
        self.max_pieces = max_pieces
        self.min_item_words = min_item_words
        self.batch_size = batch_size

    def files_read(self) -> list[str]:
        return [f for s in eval_files.resolve(self.eval_sets) for f in s.files if "://" not in f]

    def plan(self, ctx: GlobalContext) -> Plan:
        excluded = ctx.excluded_dir
        return Plan(
            inputs=tuple(str(p) for p in ctx.inputs), work=str(ctx.work_dir), output_dir=str(ctx.output_dir),
            excluded_dir=str(excluded) if excluded else None, sets=tuple(eval_files.resolve(self.eval_sets)),
            fields=tuple(self.fields) if self.fields is not None else None, id_field=self.id_field, ngram=self.ngram,
            min_item_words=self.min_item_words, action=self.action, window=self.window, min_piece=self.min_piece,
            max_pieces=self.max_pieces, batch_size=self.batch_size, ledger=ctx.ledger,
        )

    def run(self, ctx: GlobalContext) -> list[str]:
        plan = self.plan(ctx)
        _reset_if_changed(plan, ctx.inputs_key)
        meta = plan.ledger.read("index")
        if meta is None:
            ctx.phase_map("decontaminate: indexing the eval sets", build_index, [plan])
            meta = plan.ledger.read("index")
        shards = range(len(plan.inputs))
        todo = [(plan, i) for i in shards if plan.ledger.read(_task(i)) is None]
        if todo:
            ctx.phase_map("decontaminate: checking documents", apply_to_shard, todo)
        results = [plan.ledger.read(_task(i)) for i in shards]
        _add_stats(ctx.stats, meta, [StageStats.from_dict(r["stats"]) for r in results])
        return [str(Path(ctx.output_dir) / name) for r in results for name in r["outputs"]]


def _eval_set_errors(spec, fields, id_field) -> list[OptionError]:
    try:
        sets = eval_files.resolve(spec)
    except FileNotFoundError as exc:
        return [OptionError("eval_sets", f"eval_sets: {str(exc).replace('input ', '', 1)}")]
    errors = []
    for line in eval_files.problems(sets, fields, id_field):
        option = "fields" if line.startswith("field ") else "eval_sets"
        errors.append(OptionError(option, f"{option}: {line}"))
    return errors


def _task(shard: int) -> str:
    return f"apply.{shard:05d}"


def build_index(plan: Plan) -> dict:
    """The index phase's one task: build the index, then commit its counts."""
    from webcorpus.decontam.index import build

    meta = build(plan.index_dir, list(plan.sets), list(plan.fields) if plan.fields else None, plan.id_field,
                 plan.ngram, plan.min_item_words)
    meta["index_bytes"] = sum(f.stat().st_size for f in plan.index_dir.iterdir() if f.is_file())
    return plan.ledger.commit("index", meta)


def apply_to_shard(task: tuple[Plan, int]) -> dict:
    """Check one input shard: kept documents to the output, dropped ones (if wanted) to excluded/."""
    plan, shard = task
    prefix = f"decontaminate-{shard:05d}"
    remove_shards(plan.output_dir, prefix)
    if plan.excluded_dir:
        remove_shards(plan.excluded_dir, prefix)
    check = ContaminationFilter(str(plan.index_dir), plan.action, plan.window, plan.min_piece, plan.max_pieces)
    kept = ShardWriter(plan.output_dir, prefix, group_rows=plan.batch_size)
    excluded = ShardWriter(plan.excluded_dir, prefix, group_rows=plan.batch_size) if plan.excluded_dir else None
    try:
        parquet = pq.ParquetFile(plan.inputs[shard], pre_buffer=False)
        for batch in parquet.iter_batches(batch_size=plan.batch_size):
            output = check.apply(pa.Table.from_batches([batch]))
            kept.write(output.kept)
            if excluded is not None and output.dropped is not None and output.dropped.num_rows:
                label = pa.array([f"1:{check.name}"] * output.dropped.num_rows)
                excluded.write(output.dropped.append_column(STAGE_COLUMN, label))
        outputs = kept.close()
        if excluded is not None:
            excluded.close()
    except BaseException:
        kept.abort()
        if excluded is not None:
            excluded.abort()
        raise
    # names, not paths: the marker holds for the run folder wherever it lies (another machine resumes from it)
    return plan.ledger.commit(_task(shard), {"outputs": [os.path.basename(p) for p in outputs], "stats": check.pop_stats().to_dict()})


def _add_stats(stats: StageStats, meta: dict, shards: list[StageStats]) -> None:
    """The stage's stats: documents dropped per eval set, the items hit most, the index's counts."""
    total = StageStats()
    for shard in shards:
        total.merge(shard)
    for reason, n in total.dropped.items():
        stats.dropped[":".join(reason.split(":")[:2]) if reason.startswith(f"{REASON}:") else reason] += n
    items = Counter({k: v for k, v in total.counters.items() if k.startswith(ITEM_PREFIX)})
    stats.counters.update({k: v for k, v in total.counters.items() if not k.startswith(ITEM_PREFIX)})
    stats.counters.update(dict(items.most_common(TOP_ITEMS)))
    stats.counters["items_hit"] += len(items)
    for counter, key in (("eval_items", "items"), ("eval_items_matched_whole", "items_matched_whole"),
                         ("eval_items_without_text", "items_without_text"), ("eval_items_too_short", "items_too_short"),
                         ("index_ngrams", "ngrams"), ("index_bytes", "index_bytes")):
        stats.counters[counter] += meta.get(key, 0)
    stats.text_lengths.update(total.text_lengths)


def _reset_if_changed(plan: Plan, inputs_key: str) -> None:
    """Start afresh when the work folder holds another run's work (other inputs, options or eval sets)."""
    described = {k: v for k, v in plan.__dict__.items() if k not in ("ledger", "work")}
    identities = [input_identity(f) for s in plan.sets for f in s.files]
    fingerprint = digest(run_relative(described, plan.work), identities, inputs_key)
    if plan.ledger.read("plan", expect={"fingerprint": fingerprint}) is not None:
        return
    plan.ledger.forget()  # the index is built afresh and each shard's task clears its own shards first
    plan.ledger.commit("plan", {"fingerprint": fingerprint})


def card_lines(stage: dict) -> list[str]:
    """What the dataset card says of a decontaminate stage (its stats.json entry)."""
    counters = stage["counters"]
    per_set = ", ".join(f"{reason.split(':', 1)[1]} {numbers.count(n)}" for reason, n in sorted(stage["dropped"].items())
                        if reason.startswith(f"{REASON}:")) or "none"
    return [f"Decontamination: documents checked against {numbers.count(counters.get('eval_items', 0))} eval items "
            f"({numbers.count(counters.get('index_ngrams', 0))} distinct word n-grams; "
            f"{numbers.count(counters.get('eval_items_matched_whole', 0))} items shorter than an n-gram matched whole, "
            f"{numbers.count(counters.get('eval_items_without_text', 0))} without words, "
            f"{numbers.count(counters.get('eval_items_too_short', 0))} left out as too short); contaminated documents "
            f"dropped per eval set: {per_set}; cut (remove_span): {numbers.count(counters.get('documents_cut', 0))}."]
