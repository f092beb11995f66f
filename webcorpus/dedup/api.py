"""Near-dedup as a library call, outside any pipeline."""
from __future__ import annotations

import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from webcorpus.dedup.stage import Dedup
from webcorpus.output.shards import list_shards
from webcorpus.stages.base import StageStats
from webcorpus.stages.global_stage import GlobalContext


@dataclass
class DedupResult:
    outputs: list[str]  # shards of the kept documents
    removed: list[str]  # shards of the removed documents (with duplicate_of), if written
    stats: StageStats


def deduplicate(
    input_shards: Sequence[str | Path],
    output_dir: str | Path,
    work_dir: str | Path | None = None,
    workers: int = 1,
    **options,
) -> DedupResult:
    """Deduplicate Parquet document shards into ``output_dir``.

    ``options`` are those of the ``dedup`` stage (threshold, keep, ...).
    Removed documents go to ``output_dir/dedup/removed``. ``work_dir`` holds
    the resumable intermediate files (a temporary folder when not given).
    """
    stage = Dedup(**options)
    output_dir = Path(output_dir)
    with tempfile.TemporaryDirectory(prefix="dedup-") as scratch:
        work = Path(work_dir) if work_dir is not None else Path(scratch)
        if workers > 1:
            with ProcessPoolExecutor(workers) as pool:
                ctx = _context(input_shards, output_dir, work, workers, lambda fn, items: list(pool.map(fn, items)))
                outputs = stage.execute(ctx)
        else:
            ctx = _context(input_shards, output_dir, work, 1, lambda fn, items: [fn(i) for i in items])
            outputs = stage.execute(ctx)
    removed = list_shards(output_dir / "dedup" / "removed") if stage.write_removed else []
    return DedupResult(outputs, removed, ctx.stats)


def _context(inputs, output_dir: Path, work: Path, workers: int, map_fn) -> GlobalContext:
    return GlobalContext(
        inputs=sorted(str(p) for p in inputs),
        output_dir=output_dir,
        work_dir=work,
        run_dir=output_dir,
        workers=workers,
        map=map_fn,
    )
