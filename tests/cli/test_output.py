"""OUTPUT is a dataset to hand over: a dataset card that points at documents/, a tidy schema with the
pipeline in the Parquet metadata, a python stage named by its label."""
from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from webcorpus import Pipeline, build_stage, document_stage
from tests.pipeline.helpers import keep_even_offsets


def test_documents_are_a_publishable_dataset(tmp_path, shared_data):
    source = str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz")
    out = tmp_path / "out"
    stages = [build_stage("extract", {}), document_stage(keep_even_offsets, label="even"), build_stage("dedup", {})]
    result = Pipeline(stages, input=source, output=out).run(quiet=True)

    card = (out / "README.md").read_text()
    _, header, body = card.split("---\n", 2)
    header = yaml.safe_load(header)
    assert header["configs"] == [{"config_name": "default", "data_files": [{"split": "train", "path": "documents/*.parquet"}]}]
    assert "## Pipeline" in body and "## Counts" in body and "## Filters" in body and "## Licence notes" in body
    assert "python (even)" in body and f"documents written: {result.stats['documents']['written']:,}" in body

    shards = sorted((out / "documents").glob("*.parquet"))
    schema = pq.ParquetFile(shards[0]).schema_arrow
    assert schema.field("date").type == pa.timestamp("ms", tz="UTC")  # Parquet has no seconds unit
    assert "html" not in schema.names  # null in every document after extraction
    table = pq.read_table(shards[0])
    assert all(table.column(name).null_count < table.num_rows for name in table.column_names)
    assert table.column("date").null_count < table.num_rows
    pipeline = json.loads(schema.metadata[b"webcorpus.pipeline"])
    assert [next(iter(s)) for s in pipeline["stages"]] == ["extract", "python", "dedup"]
    assert schema.metadata[b"webcorpus.version"]
    funnel = {s.get("label", s["name"]) for s in result.stats["stages"]}
    assert "even" in funnel


def test_dates_in_another_form_stay_text_rather_than_becoming_null(tmp_path):
    from webcorpus.pipeline.publish import tidy_shard

    shard = tmp_path / "a.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "date": ["2024-02-21T11:04:01Z", "21 Feb 2024"]}), shard)
    tidy_shard(shard, set(), {b"webcorpus.pipeline": b"{}", b"webcorpus.version": b"0"})
    assert pq.read_table(shard).column("date").to_pylist() == ["2024-02-21T11:04:01Z", "21 Feb 2024"]
    pq.write_table(pa.table({"id": ["1", "2"], "date": ["2024-02-21T11:04:01Z", None]}), shard)
    tidy_shard(shard, set(), {b"webcorpus.pipeline": b"{}", b"webcorpus.version": b"0"})
    assert str(pq.read_table(shard).column("date")[0].as_py()) == "2024-02-21 11:04:01+00:00"
