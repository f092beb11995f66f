"""The Ray executor gives exactly the local executor's output, and survives a killed worker."""
from __future__ import annotations

import pyarrow.parquet as pq

from webcorpus import Pipeline, document_stage

from tests.pipeline.helpers import keep_even_offsets, url_length
from tests.pipeline.test_global import KeepSmallestIds
from tests.pipeline.test_run import crawl_files, expand


def documents(output):
    shards = sorted((output / "documents").glob("*.parquet"))
    return [p.name for p in shards], pq.ParquetDataset([str(s) for s in shards]).read()


def test_ray_matches_local_with_batch_and_global_steps(tmp_path, shared_data, ray_address):
    inputs = expand(crawl_files(shared_data))
    stages = [document_stage(keep_even_offsets), KeepSmallestIds(60), document_stage(url_length)]
    local = Pipeline(stages, input=inputs, output=tmp_path / "local", workers=2).run(quiet=True)
    ray_run = Pipeline(stages, input=inputs, output=tmp_path / "ray", workers=2, executor="ray", address=ray_address).run(quiet=True)
    assert local.exit_code == ray_run.exit_code == 0
    local_names, local_table = documents(tmp_path / "local")
    ray_names, ray_table = documents(tmp_path / "ray")
    assert local_names == ray_names
    assert local_table.equals(ray_table)
    assert local.stats["stages"][0]["dropped"] == ray_run.stats["stages"][0]["dropped"]
    assert ray_run.stats["run"]["executor"] == "ray"
