"""The ``dedup`` global stage: exact, URL and MinHash-LSH near-duplicate removal over the whole run."""
from __future__ import annotations

import shutil
from typing import Annotated, Literal

from webcorpus.dedup import phases
from webcorpus.dedup.clusters import KEEP_RULES
from webcorpus.dedup.exact import EXACT, NEAR, URL
from webcorpus.dedup.plan import INLINE_DOCUMENTS, count_documents, partitions_for
from webcorpus.dedup.shingles import MAX_NGRAM
from webcorpus.ledger import digest
from webcorpus.stages.base import OptionError
from webcorpus.stages.global_stage import GlobalContext, GlobalStage, run_relative

#: false negative weight of the LSH parameter search with / without exact confirmation
RECALL_WEIGHT = {True: 0.95, False: 0.5}


class Dedup(GlobalStage):
    """Remove exact, same-URL and near-duplicate documents, keeping one per cluster.

    Near duplicates are documents whose word n-gram sets have a Jaccard
    similarity of at least ``threshold``, found with MinHash LSH and (by
    default) confirmed by their exact Jaccard. Kept documents get
    ``dup_cluster`` (the kept id) and ``dup_count``; removed ones go to
    ``OUTPUT/dedup/removed`` with ``duplicate_of``. See docs/dedup.md.
    """

    name = "dedup"
    run_folders = ("dedup",)
    spreads = True  # every phase gets what it reads through storage.nodes.local: any node can run it
    requires = {"datasketch": "datasketch", "scipy": "scipy"}

    def __init__(
        self,
        threshold: Annotated[float, "Jaccard similarity of shingle sets at which two documents are duplicates"] = 0.8,
        ngram: Annotated[int, "words per shingle"] = 5,
        num_perm: Annotated[int, "MinHash permutations per signature"] = 128,
        bands: Annotated[int | None, "LSH bands; default: datasketch's optimum for threshold"] = None,
        rows: Annotated[int | None, "MinHash values per band; set together with bands"] = None,
        confirm: Annotated[bool, "join a candidate pair only if its exact Jaccard reaches threshold"] = True,
        keep: Annotated[Literal["earliest_date", "longest", "first_id"], "which document of a cluster survives (ties: smallest id)"] = "earliest_date",
        exact: Annotated[bool, "remove documents with identical text"] = True,
        url: Annotated[bool, "remove documents with the same normalised URL"] = True,
        write_removed: Annotated[bool, "write removed documents to OUTPUT/dedup/removed with duplicate_of"] = True,
        partitions: Annotated[int | None, "partitions of the band keys on disk (memory per task ~ 1/partitions); "
                                          "default: one per 20,000 documents, 1 to 16"] = None,
        seed: Annotated[int, "seed of the MinHash permutations (datasketch's convention)"] = 1,
        batch_size: Annotated[int, "documents hashed at once"] = 1000,
    ):
        if not 0.0 < threshold <= 1.0:
            raise OptionError("threshold", f"threshold must be in (0, 1], got {threshold}")
        if not 1 <= ngram <= MAX_NGRAM:
            raise OptionError("ngram", f"ngram must be between 1 and {MAX_NGRAM}, got {ngram}")
        if num_perm < 1:
            raise OptionError("num_perm", f"num_perm must be positive, got {num_perm}")
        if (bands is None) != (rows is None):
            raise OptionError("rows" if rows is None else "bands", "bands and rows must be set together (or neither, to derive them from threshold)")
        if bands is not None and (bands < 1 or rows < 1 or bands * rows > num_perm):
            raise OptionError("bands", f"bands x rows must be positive and at most num_perm={num_perm}, got {bands} x {rows}")
        if keep not in KEEP_RULES:
            raise OptionError("keep", f"keep must be one of {', '.join(KEEP_RULES)}, got {keep!r}")
        if (partitions is not None and partitions < 1) or batch_size < 1:
            raise OptionError("batch_size" if batch_size < 1 else "partitions", "partitions and batch_size must be positive")
        self.threshold = threshold
        self.ngram = ngram
        self.num_perm = num_perm
        self.bands = bands
        self.rows = rows
        self.confirm = confirm
        self.keep = keep
        self.exact = exact
        self.url = url
        self.write_removed = write_removed
        self.partitions = partitions
        self.seed = seed
        self.batch_size = batch_size

    def lsh_shape(self) -> tuple[int, int]:
        """``(bands, rows)``: as set, or datasketch's optimum for the threshold."""
        if self.bands is not None:
            return self.bands, self.rows
        from webcorpus.dedup.minhash import lsh_parameters

        return lsh_parameters(self.threshold, self.num_perm, RECALL_WEIGHT[self.confirm])

    def plan(self, ctx: GlobalContext) -> phases.Plan:
        bands, rows = self.lsh_shape()
        documents = (ctx.count_rows or count_documents)(ctx.inputs)
        return phases.Plan(
            inputs=tuple(str(p) for p in ctx.inputs),
            work=str(ctx.work_dir),
            output_dir=str(ctx.output_dir),
            removed_dir=str(ctx.run_dir / "dedup" / "removed") if self.write_removed else None,
            threshold=self.threshold, ngram=self.ngram, num_perm=self.num_perm, bands=bands, rows=rows,
            seed=self.seed, confirm=self.confirm, exact=self.exact, url=self.url, keep=self.keep,
            partitions=partitions_for(documents, self.partitions), batch_size=self.batch_size, ledger=ctx.ledger,
            inline=documents <= INLINE_DOCUMENTS and not ctx.spread,
        )

    def run(self, ctx: GlobalContext) -> list[str]:
        plan = self.plan(ctx)
        _reset_if_changed(plan, ctx.inputs_key)
        shards, parts = range(len(plan.inputs)), range(plan.partitions)
        results = {}
        for phase, function, indices in (
            ("signatures", phases.signatures, shards),
            ("exact", phases.exact_groups, parts),
            ("near", phases.near_pairs, parts),
            ("confirm", phases.confirm_pairs, parts),
        ):
            results[phase] = _run_phase(ctx, plan, phase, function, indices)
        decided = _components_and_decisions(ctx, plan, results)
        results["filter"] = _run_phase(ctx, plan, "filter", phases.apply_decisions, shards)
        stats = ctx.stats
        stats.documents_in += sum(r["documents_in"] for r in results["filter"])
        stats.documents_out += sum(r["documents_out"] for r in results["filter"])
        for reason in (EXACT, URL, NEAR):
            if decided[f"removed_{reason}"]:
                stats.dropped[reason] += decided[f"removed_{reason}"]
        for key, value in decided.items():
            if not key.startswith("removed_"):
                stats.counters[key] += value
        for phase in ("signatures", "exact", "near", "confirm"):
            for result in results[phase]:
                for key, value in result.items():
                    if key != "documents":
                        stats.counters[key] += value
        return [str(ctx.output_dir / name) for r in results["filter"] for name in r["outputs"]]


def _run_phase(ctx: GlobalContext, plan: phases.Plan, phase: str, function, indices, round_: int | None = None) -> list[dict]:
    """Run the tasks of a phase that have no marker yet, through the executor's map."""
    todo = [i for i in indices if phases.read_result(plan, phase, i) is None]
    if todo:
        items = [(plan, i) if round_ is None else (plan, round_, i) for i in todo]
        if plan.inline:  # a small run: the same tasks, in this process (see INLINE_DOCUMENTS)
            for item in ctx.progress(items, f"dedup: {_plain(phase)}"):
                function(item)
        else:
            ctx.phase_map(f"dedup: {_plain(phase)}", function, items)
    return [phases.read_result(plan, phase, i) for i in indices]


#: dedup's phases in words, for progress bars
PHASE_NAMES = {
    "signatures": "hashing (MinHash)", "exact": "exact and URL duplicates", "near": "candidate pairs (LSH)",
    "confirm": "confirming pairs", "graph": "duplicate graph", "labels": "labelling clusters",
    "decide": "choosing what to keep", "filter": "writing kept documents",
}


def _plain(phase: str) -> str:
    if phase.startswith("cc"):  # cc000, cc001, ...: the rounds of connected components
        return f"clustering, round {int(phase[2:]) + 1}"
    return PHASE_NAMES.get(phase, phase)


def _components_and_decisions(ctx: GlobalContext, plan: phases.Plan, results: dict) -> dict:
    """Connected components in rounds of partitioned tasks until the graph is stars, then the keep rule per
    label partition. Returns the summed decision counters plus the rounds and the most edges / members one
    task loaded (the memory bound of a task: its partition, not the run)."""
    parts = range(plan.partitions)
    results["graph"] = _run_phase(ctx, plan, "graph", phases.graph_edges, parts)
    round_, most_edges = 0, 0
    while True:
        if round_ >= phases.MAX_ROUNDS:
            raise RuntimeError(f"dedup: connected components did not converge in {phases.MAX_ROUNDS} rounds")
        done = _run_phase(ctx, plan, f"cc{round_:03d}", phases.component_round, parts, round_)
        most_edges = max([most_edges] + [r["edges_loaded"] for r in done])
        if not sum(r["unstable"] for r in done):
            break
        shutil.rmtree(plan.root / "cc" / f"{round_:03d}", ignore_errors=True)  # round_ + 1 holds the graph now
        round_ += 1
    labelled = _run_phase(ctx, plan, "labels", phases.component_labels, parts, round_)
    shutil.rmtree(plan.root / "cc", ignore_errors=True)
    decided = _run_phase(ctx, plan, "decide", phases.decide, parts)
    shutil.rmtree(plan.root / "members", ignore_errors=True)
    total: dict = {}
    for result in decided:
        for key, value in result.items():
            if key != "members_loaded":
                total[key] = total.get(key, 0) + value
    total["component_rounds"] = round_ + 1
    total["component_max_task_edges"] = max([most_edges] + [r["edges_loaded"] for r in labelled])
    total["decide_max_task_members"] = max([0] + [r["members_loaded"] for r in decided])
    return total


def _reset_if_changed(plan: phases.Plan, inputs_key: str) -> None:
    """Start afresh when the work folder belongs to other inputs or options (resume only the same run):
    the ledger forgets the phases it holds, and the folders the phases write are emptied."""
    described = {k: v for k, v in plan.__dict__.items() if k not in ("counters", "ledger", "inline")}
    fingerprint = digest(run_relative({k: v for k, v in described.items() if k != "work"}, plan.work), inputs_key)
    if plan.ledger.read("plan", expect={"fingerprint": fingerprint}) is not None:
        return
    plan.ledger.forget()
    for name in ("docs", "shingles", "bands", "exact", "url", "pairs", "edges", "skip", "cc", "members", "decisions"):
        shutil.rmtree(plan.root / name, ignore_errors=True)
    plan.root.mkdir(parents=True, exist_ok=True)
    plan.ledger.commit("plan", {"fingerprint": fingerprint, "plan": described})
