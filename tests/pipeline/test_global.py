"""Global stages run as their own step between per-file steps, and resume like them."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from webcorpus import GlobalStage, Pipeline, document_stage
from webcorpus.document_shards import ShardWriter
from webcorpus.pipeline.runner import split_steps

from tests.pipeline.helpers import url_length
from tests.pipeline.test_run import crawl_files, expand, read_table


def _row_count(path: str) -> int:
    return pq.ParquetFile(path).metadata.num_rows


class KeepSmallestIds(GlobalStage):
    """Keep the ``n`` documents with the smallest ids across the whole run (needs every document)."""

    name = "keep_smallest_ids"

    def __init__(self, n: int = 50):
        self.n = n

    def run(self, ctx):
        counts = ctx.map(_row_count, ctx.inputs)  # the executor's parallel map
        assert sum(counts) > self.n
        table = pa.concat_tables([pq.read_table(p) for p in ctx.inputs], promote_options="default")
        table = table.sort_by("id").slice(0, self.n)
        writer = ShardWriter(ctx.output_dir, "smallest", rows_per_shard=20)
        writer.write(table)
        ctx.stats.counters["kept"] += table.num_rows
        return writer.close()


class Passthrough(GlobalStage):
    name = "passthrough"

    def run(self, ctx):
        (ctx.run_dir / "side-output.txt").write_text(str(len(ctx.inputs)))
        return None


def test_split_steps():
    a, b, g = document_stage(url_length), document_stage(url_length), KeepSmallestIds()
    assert [(kind, len(s)) for kind, s in split_steps([a, g, b])] == [("batch", 1), ("global", 1), ("batch", 1)]
    assert [kind for kind, _ in split_steps([g])] == ["batch", "global"]


def test_global_stage_between_batch_stages(tmp_path, shared_data):
    inputs = expand(crawl_files(shared_data))
    out = tmp_path / "out"
    stages = [KeepSmallestIds(50), document_stage(url_length), Passthrough()]
    result = Pipeline(stages, input=inputs, output=out, workers=2).run(quiet=True)
    assert result.exit_code == 0
    table = read_table(out)
    assert table.num_rows == 50
    assert table.column("id").to_pylist() == sorted(table.column("id").to_pylist())
    assert pc.all(pc.greater_equal(table.column("url_length"), 0)).as_py()
    assert (out / "side-output.txt").read_text() == "3"  # 50 rows at 20 per shard, one task per shard after the global step
    names = [s["name"] for s in result.stats["stages"]]
    assert names == ["keep_smallest_ids", "python", "passthrough"]
    global_stats = result.stats["stages"][0]
    assert global_stats["documents_out"] == 50 and global_stats["documents_in"] > 50
    assert global_stats["counters"] == {"kept": 50}
    assert result.stats["documents"]["written"] == 50

    # A re-run finds every step finished and redoes nothing.
    again = Pipeline(stages, input=inputs, output=out, workers=2).run(quiet=True)
    assert again.stats["tasks"]["resumed"] >= 3
    assert read_table(out).equals(table)
    assert json.loads((out / "stats.json").read_text())["stages"][0]["counters"] == {"kept": 50}
