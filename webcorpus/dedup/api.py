"""Near-dedup as a library call, outside any pipeline."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from webcorpus.dedup.dedup_stage import Dedup
from webcorpus.document_shards import list_shards
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
    from webcorpus.executors.local import LocalExecutor

    stage = Dedup(**options)
    output_dir = Path(output_dir)
    executor = LocalExecutor(workers)
    with tempfile.TemporaryDirectory(prefix="dedup-") as scratch:
        work = Path(work_dir) if work_dir is not None else Path(scratch)
        ctx = GlobalContext(
            inputs=sorted(str(p) for p in input_shards),
            output_dir=output_dir,
            work_dir=work,
            run_dir=output_dir,
            workers=executor.workers,
            map=executor.map,
        )
        outputs = stage.execute(ctx)
    removed = list_shards(output_dir / "dedup" / "removed") if stage.write_removed else []
    return DedupResult(outputs, removed, ctx.stats)
