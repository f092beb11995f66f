"""End-to-end runs of the local executor on real crawl files."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from webcorpus import Drop, Pipeline, document_stage
from webcorpus.pipeline import load_config, run_pipeline
from webcorpus.readers import read_documents
from webcorpus.readers.report import ReadReport

from tests.pipeline.helpers import keep_even_offsets, url_length


def crawl_files(shared_data: Path) -> list[str]:
    return [
        str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"),
        str(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz"),
        str(shared_data / "warc" / "jwarc-cc" / "cc.warc.gz"),
        str(shared_data / "warc" / "copycat-cc-arc-sample" / "cc-arc-sample"),
        str(shared_data / "warc" / "copycat-cc-arc-sample" / "clueweb-09-sample" / "en0000" / "00.warc.gz"),
        str(shared_data / "warc" / "ipwb-samples" / "sample-1.warc.gz"),
        str(shared_data / "warc" / "warcio-tests" / "example.warc.gz"),
    ]


def expand(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        path = Path(p)
        out += sorted(str(f) for f in path.rglob("*") if f.suffix in (".gz", ".arc")) if path.is_dir() else [p]
    return out


def read_table(output: Path):
    shards = sorted((output / "documents").glob("*.parquet"))
    return pq.ParquetDataset([str(s) for s in shards]).read() if shards else None


def direct_count(paths: list[str]) -> int:
    return sum(b.num_rows for p in paths for b in read_documents(p, ReadReport(p)))


def test_run_writes_shards_stats_and_log(tmp_path, shared_data):
    inputs = expand(crawl_files(shared_data))
    pipeline = Pipeline([document_stage(url_length)], input=inputs, output=tmp_path / "out", workers=2)
    result = pipeline.run(quiet=True)
    assert result.exit_code == 0
    table = read_table(tmp_path / "out")
    assert table.num_rows == direct_count(inputs) > 100
    assert len(set(table.column("id").to_pylist())) == table.num_rows
    assert "url_length" in table.column_names
    stats = json.loads((tmp_path / "out" / "stats.json").read_text())
    assert stats["documents"]["written"] == table.num_rows
    assert stats["documents"]["read"] == table.num_rows
    assert stats["reader"]["records"]["html"] == table.num_rows
    assert stats["stages"][0]["documents_in"] == table.num_rows
    assert stats["run"]["input_files"] == len(inputs)
    log = (tmp_path / "out" / "logs" / "run.log").read_text()
    assert log.count(" read, ") == len(inputs)  # one line per finished task
    metadata = pq.ParquetFile(sorted((tmp_path / "out" / "documents").glob("*.parquet"))[0]).metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"


def test_same_output_for_one_and_two_workers(tmp_path, shared_data):
    inputs = expand(crawl_files(shared_data))
    tables = []
    for workers in (1, 2):
        Pipeline([document_stage(keep_even_offsets)], input=inputs, output=tmp_path / f"w{workers}", workers=workers).run(quiet=True)
        tables.append(read_table(tmp_path / f"w{workers}"))
        names = sorted(p.name for p in (tmp_path / f"w{workers}" / "documents").iterdir())
        tables.append(names)
    assert tables[0].equals(tables[2])  # same documents, same order, same shard names
    assert tables[1] == tables[3]


def test_filter_reasons_are_counted_and_excluded_side_output(tmp_path, shared_data):
    source = str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz")
    result = Pipeline([document_stage(keep_even_offsets)], input=source, output=tmp_path / "out", excluded=True).run(quiet=True)
    stage = result.stats["stages"][0]
    kept = read_table(tmp_path / "out").num_rows
    assert stage["documents_out"] == kept
    assert stage["dropped"] == {"odd_offset": stage["documents_in"] - kept}
    assert stage["dropped"]["odd_offset"] > 0
    excluded = pq.ParquetDataset([str(p) for p in (tmp_path / "out" / "excluded").glob("*.parquet")]).read()
    assert set(excluded.column("drop_reason").to_pylist()) == {"odd_offset"}
    assert set(excluded.column("drop_stage").to_pylist()) == {"1:python:keep_even_offsets"}
    assert all(o % 2 == 1 for o in excluded.column("offset").to_pylist())


def test_a_failing_document_is_dropped_and_counted_not_fatal(tmp_path, shared_data):
    @document_stage
    def fragile(doc):
        if "a" in (doc["url"] or "")[-1:]:
            raise RuntimeError("cannot")
        return doc

    source = str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz")
    result = Pipeline([fragile], input=source, output=tmp_path / "out").run(quiet=True)
    stage = result.stats["stages"][0]
    assert result.exit_code == 0
    assert stage["dropped"].get("error:RuntimeError", 0) == stage["counters"]["error:RuntimeError"] > 0


def test_rerun_with_other_config_is_refused_unless_overwrite(tmp_path, shared_data):
    source = str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz")
    Pipeline([], input=source, output=tmp_path / "out").run(quiet=True)
    from webcorpus import ConfigError

    with pytest.raises(ConfigError, match="--overwrite"):
        Pipeline([document_stage(keep_even_offsets)], input=source, output=tmp_path / "out").run(quiet=True)
    result = Pipeline([document_stage(keep_even_offsets)], input=source, output=tmp_path / "out").run(quiet=True, overwrite=True)
    assert result.stats["stages"][0]["dropped"]["odd_offset"] > 0


def test_yaml_pipeline_with_python_function_stage(tmp_path, shared_data):
    source = shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"
    path = tmp_path / "p.yaml"
    path.write_text(
        f"input: {source}\noutput: {tmp_path / 'out'}\nworkers: 2\n"
        "stages:\n  - python: {function: 'tests.pipeline.helpers:keep_even_offsets', label: even}\n"
    )
    result = run_pipeline(load_config(path), quiet=True)
    assert result.exit_code == 0
    assert result.stats["stages"][0]["name"] == "python"
    assert sum(result.stats["stages"][0]["dropped"].values()) > 0


def test_a_rewritten_input_is_processed_again_on_rerun(tmp_path, shared_data):
    import shutil

    first = tmp_path / "a.warc.gz"
    shutil.copyfile(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz", first)
    Pipeline([], input=str(first), output=tmp_path / "out").run(quiet=True)
    before = read_table(tmp_path / "out").num_rows
    shutil.copyfile(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz", first)  # same name, new content
    again = Pipeline([], input=str(first), output=tmp_path / "out").run(quiet=True)
    assert again.stats["tasks"]["resumed"] == 0
    assert read_table(tmp_path / "out").num_rows == again.stats["documents"]["written"] != before


def test_python_and_yaml_pipelines_give_the_same_documents(tmp_path, shared_data):
    from webcorpus import build_stage

    source = str(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz")
    path = tmp_path / "p.yaml"
    path.write_text(f"input: {source}\noutput: {tmp_path / 'yaml'}\nstages:\n  - extract: {{engine: resiliparse}}\n  - language: {{}}\n")
    Pipeline.from_yaml(path).run(quiet=True)
    stages = [build_stage("extract", {"engine": "resiliparse"}), build_stage("language", {})]
    Pipeline(stages, input=source, output=tmp_path / "python").run(quiet=True)
    assert read_table(tmp_path / "yaml").equals(read_table(tmp_path / "python"))

    # One batch through the per-batch stages in memory, without a run folder.
    batch = next(iter(read_documents(source, ReadReport(source))))
    processed = Pipeline(stages).process(batch)
    assert processed.num_rows > 0 and {"text", "language", "language_score"} <= set(processed.column_names)
    assert processed.column("id").to_pylist() == read_table(tmp_path / "python").column("id").to_pylist()[: processed.num_rows]


def test_jsonl_columns_that_appear_or_change_type_in_later_batches_are_all_written(tmp_path):
    lines = [{"text": f"document {i}", "id": f"d{i}"} for i in range(12)]
    for i in range(4, 8):
        lines[i]["score"] = i  # a column the first batch does not have, ints
    for i in range(8, 12):
        lines[i]["score"] = i + 0.5  # ... then floats
        lines[i]["tags"] = {"kind": "late"} if i % 2 else ["late"]  # mixed types inside one batch: JSON text
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = Pipeline([], input=str(source), output=tmp_path / "out", batch_size=4).run(quiet=True)
    assert result.exit_code == 0
    shards = sorted((tmp_path / "out" / "documents").glob("*.parquet"))
    rows = [row for shard in shards for row in pq.read_table(shard).to_pylist()]
    assert [row["id"] for row in rows] == [f"d{i}" for i in range(12)]
    assert [row.get("score") for row in rows] == [None] * 4 + [4.0, 5.0, 6.0, 7.0] + [8.5, 9.5, 10.5, 11.5]
    assert [json.loads(row["tags"]) for row in rows[8:]] == [["late"], {"kind": "late"}, ["late"], {"kind": "late"}]
    assert len(shards) == 3  # a new shard wherever the columns widened


def test_inspect_lists_columns_of_every_shard(tmp_path):
    from click.testing import CliRunner

    from webcorpus.cli import main

    lines = [{"text": f"document {i}", "id": f"d{i}"} for i in range(8)]
    for i in range(4, 8):
        lines[i]["score"] = i
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert Pipeline([], input=str(source), output=tmp_path / "out", batch_size=4).run(quiet=True).exit_code == 0
    result = CliRunner().invoke(main, ["inspect", str(tmp_path / "out" / "documents"), "--columns", "score", "-n", "8"])
    assert result.exit_code == 0, result.output
    assert "score" in result.output.splitlines()[0]
    assert result.output.count("score: 7") == 1 and result.output.count("── document") == 8
