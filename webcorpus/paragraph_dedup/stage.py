"""The ``dedup_paragraphs`` global stage: a paragraph repeated across documents is kept in one of them."""
from __future__ import annotations

import os

import shutil
from typing import Annotated

from webcorpus.dedup.plan import INLINE_DOCUMENTS, count_documents, partitions_for, read_result
from webcorpus.ledger import digest
from webcorpus.paragraph_dedup import phases
from webcorpus.paragraph_dedup.plan import SIDE_FOLDER, TOO_SHORT, Plan
from webcorpus.stages.base import OptionError
from webcorpus.stages.global_stage import GlobalContext, GlobalStage, run_relative

#: each phase in words, for progress bars
PHASE_NAMES = {"hash": "hashing paragraphs", "decide": "choosing where each paragraph stays", "apply": "writing documents"}
#: what the tasks of the phases count, added up into the stage's counters
COUNTED = {
    "hash": ("paragraphs", "paragraphs_short", "characters_in", "documents_without_text"),
    "decide": ("distinct_paragraphs", "repeated_paragraphs"),
    "apply": ("documents_changed", "paragraphs_removed", "characters_removed"),
}


class DedupParagraphs(GlobalStage):
    """Remove paragraphs (lines of ``text``) that other documents of the run also hold, keeping each in one.

    Lines are compared normalised (case, whitespace and punctuation do not count). Of the documents
    holding a paragraph, the one with the smallest id hash keeps it; it goes from the others. A
    document none of whose paragraphs repeat is written as it came in. See docs/stages.md.
    """

    name = "dedup_paragraphs"
    run_folders = ("dedup_paragraphs",)
    spreads = True  # every phase gets what it reads through storage.nodes.local: any node can run it

    def __init__(
        self,
        min_words: Annotated[int, "lines with fewer words (after normalising) are left alone: headings, labels"] = 4,
        min_document_words: Annotated[int, "a document that lost paragraphs and has fewer words left is dropped (0: never)"] = 50,
        top: Annotated[int, "the most repeated paragraphs listed in stats.json and the report"] = 20,
        write_dropped: Annotated[bool, "write documents dropped as too short to OUTPUT/dedup_paragraphs/dropped"] = True,
        partitions: Annotated[int | None, "partitions of the paragraph keys on disk (memory per task ~ 1/partitions); "
                              "default: one per 20,000 documents, 1 to 16"] = None,
        batch_size: Annotated[int, "documents read at once"] = 1000,
    ):
        for option, value, least in (("min_words", min_words, 1), ("min_document_words", min_document_words, 0),
                                      ("top", top, 0), ("partitions", partitions, 1), ("batch_size", batch_size, 1)):
            if value is not None and value < least:
                raise OptionError(option, f"{option} must be at least {least}, got {value}")
        self.min_words = min_words
        self.min_document_words = min_document_words
        self.top = top
        self.write_dropped = write_dropped
        self.partitions = partitions
        self.batch_size = batch_size

    def plan(self, ctx: GlobalContext) -> Plan:
        documents = (ctx.count_rows or count_documents)(ctx.inputs)
        return Plan(
            inputs=tuple(str(p) for p in ctx.inputs),
            work=str(ctx.work_dir),
            output_dir=str(ctx.output_dir),
            dropped_dir=str(ctx.run_dir / SIDE_FOLDER / "dropped") if self.write_dropped else None,
            min_words=self.min_words, min_document_words=self.min_document_words, top=self.top,
            partitions=partitions_for(documents, self.partitions), batch_size=self.batch_size, ledger=ctx.ledger,
            inline=documents <= INLINE_DOCUMENTS and not ctx.spread,
        )

    def run(self, ctx: GlobalContext) -> list[str]:
        plan = self.plan(ctx)
        _reset_if_changed(plan, ctx.inputs_key)
        shards, parts = range(len(plan.inputs)), range(plan.partitions)
        results = {"hash": _run_phase(ctx, plan, "hash", phases.hash_paragraphs, shards)}
        results["decide"] = _run_phase(ctx, plan, "decide", phases.decide, parts)
        top = phases.most_repeated(plan, results["decide"])
        results["apply"] = _run_phase(ctx, plan, "apply", phases.apply_removals, shards)
        stats = ctx.stats
        stats.documents_in += sum(r["documents_in"] for r in results["apply"])
        stats.documents_out += sum(r["documents_out"] for r in results["apply"])
        too_short = sum(r["dropped_too_short"] for r in results["apply"])
        if too_short:
            stats.dropped[TOO_SHORT] += too_short
        for phase, names in COUNTED.items():
            for name in names:
                stats.counters[name] += sum(r[name] for r in results[phase])
        stats.counters["largest_partition_paragraphs"] = max([0] + [r["records"] for r in results["decide"]])
        examples = {key: text for r in results["apply"] for key, text in r["examples"].items()}
        stats.details["most_repeated"] = [{"documents": documents, "occurrences": occurrences, "text": examples.get(str(key), "")}
                                          for key, documents, occurrences, _, _ in top]
        return [str(ctx.output_dir / name) for r in results["apply"] for name in r["outputs"]]


def _run_phase(ctx: GlobalContext, plan: Plan, phase: str, function, indices) -> list[dict]:
    """Run the tasks of a phase that have no marker yet, through the executor's map; every task's result."""
    todo = [i for i in indices if read_result(plan, phase, i) is None]
    if todo:
        label, items = f"dedup_paragraphs: {PHASE_NAMES[phase]}", [(plan, i) for i in todo]
        if plan.inline:  # a small run: the same tasks, in this process (as near-dedup's, see INLINE_DOCUMENTS)
            for item in ctx.progress(items, label):
                function(item)
        else:
            ctx.phase_map(label, function, items)
    return [read_result(plan, phase, i) for i in indices]


def _reset_if_changed(plan: Plan, inputs_key: str) -> None:
    """Start afresh when the work folder belongs to other inputs or options (resume only the same run):
    the ledger forgets the phases, and the phases' folders and the dropped documents of the other run go."""
    described = {k: v for k, v in plan.__dict__.items() if k != "ledger"}
    fingerprint = digest(run_relative({k: v for k, v in described.items() if k != "work"}, plan.work), inputs_key)
    if plan.ledger.read("plan", expect={"fingerprint": fingerprint}) is not None:
        return
    plan.ledger.forget()
    for name in (phases.KIND, "removals"):
        shutil.rmtree(plan.root / name, ignore_errors=True)
    if plan.dropped_dir:
        shutil.rmtree(plan.dropped_dir, ignore_errors=True)
    plan.top_file.unlink(missing_ok=True)
    plan.root.mkdir(parents=True, exist_ok=True)
    plan.ledger.commit("plan", {"fingerprint": fingerprint, "plan": described})
