"""Make OUTPUT/documents a dataset to hand to others, once a run has succeeded.

* The final shards get a tidy schema: ``date`` a UTC timestamp (a string between steps), no column
  that is null in every document (``html`` after extraction), and Parquet key-value metadata with
  the pipeline (``webcorpus.pipeline``, JSON) and the version (``webcorpus.version``).
* ``OUTPUT/README.md`` is a dataset card in the Hugging Face layout: a YAML header whose
  ``configs`` point ``load_dataset(OUTPUT)`` at ``documents/`` (not at the token provenance or
  the excluded documents), then the pipeline, the counts, the filters and licence notes.

Rewriting a shard is by temporary name and rename, and a shard that already carries this run's
metadata is left alone, so a run killed here and re-run finishes the job.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from webcorpus import numbers
from webcorpus.documents import DATE

PIPELINE_KEY = b"webcorpus.pipeline"
VERSION_KEY = b"webcorpus.version"


def publish(output: Path, stats: dict, shards: list[str]) -> None:
    """Tidy the final shards and write the dataset card (see the module's docstring)."""
    from webcorpus import __version__

    config = stats["run"]["config"]  # what makes the documents; not where they were written
    pipeline = json.dumps({k: config[k] for k in ("stages", "batch_size", "excluded")}, sort_keys=True, default=str)
    empty = all_null_columns(shards)
    for shard in shards:
        tidy_shard(Path(shard), empty, {PIPELINE_KEY: pipeline.encode(), VERSION_KEY: __version__.encode()})
    (output / "README.md").write_text(dataset_card(output, stats, shards), encoding="utf-8")


def all_null_columns(shards: list[str]) -> set[str]:
    """Columns null in every row of every shard that has them (from the footers' statistics)."""
    seen: dict[str, bool] = {}
    for shard in shards:
        meta = pq.ParquetFile(shard).metadata
        for i in range(meta.num_columns):
            name = meta.schema.column(i).path.split(".")[0]
            nulls = rows = 0
            for g in range(meta.num_row_groups):
                column = meta.row_group(g).column(i)
                rows += meta.row_group(g).num_rows
                stats = column.statistics
                nulls += stats.null_count if stats is not None and stats.has_null_count else 0
            seen[name] = seen.get(name, True) and rows > 0 and nulls == rows
    return {name for name, empty in seen.items() if empty}


def tidy_shard(path: Path, drop: set[str], metadata: dict[bytes, bytes]) -> None:
    """Rewrite one shard with ``date`` as a timestamp, ``drop`` removed and ``metadata`` attached."""
    existing = pq.ParquetFile(path).schema_arrow.metadata or {}
    if existing.get(PIPELINE_KEY) == metadata[PIPELINE_KEY]:
        return  # published by this run already
    table = pq.read_table(path)
    table = table.drop_columns([c for c in table.column_names if c in drop])
    if DATE in table.column_names and pa.types.is_string(table.schema.field(DATE).type):
        dates = table.column(DATE)
        stamps = pc.strptime(dates, format="%Y-%m-%dT%H:%M:%SZ", unit="s", error_is_null=True)
        if stamps.null_count == dates.null_count:  # the readers' form; dates from text inputs in another form stay text
            table = table.set_column(table.column_names.index(DATE), pa.field(DATE, pa.timestamp("ms", tz="UTC")),
                                     stamps.cast(pa.timestamp("ms", tz="UTC")))
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    tmp = path.with_name(path.name + ".publishing")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)  # also unlinks a hard link to an earlier step's shard, never changing that one


def dataset_card(output: Path, stats: dict, shards: list[str]) -> str:
    """OUTPUT/README.md: a Hugging Face dataset card for OUTPUT/documents."""
    from webcorpus import __version__

    config = stats["run"]["config"]
    languages = _languages(shards)
    written = stats["documents"]["written"]
    header = {
        "pretty_name": f"webcorpus output of {Path(stats['run']['source']).name}",
        "language": [lang for lang, _ in languages.most_common() if lang and lang != "unknown"][:50] or None,
        "size_categories": [_size_category(written)],
        "task_categories": ["text-generation"],
        "tags": ["webcorpus", "web-crawl", "pretraining"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": "documents/*.parquet"}]}],
    }
    header = {k: v for k, v in header.items() if v is not None}
    schema = pq.ParquetFile(shards[0]).schema_arrow if shards else pa.schema([])
    lines = ["---", yaml.safe_dump(header, sort_keys=False, allow_unicode=True).strip(), "---", ""]
    lines += [f"# {header['pretty_name']}", "",
              f"{numbers.count(written)} documents from {numbers.count(stats['run']['input_files'])} crawl file(s), made by "
              f"[webcorpus](https://pypi.org/project/webcorpus/) {__version__}. "
              "`datasets.load_dataset(\"path/to/this/folder\")` reads `documents/*.parquet`.", ""]
    lines += ["## Pipeline", "", "```yaml", yaml.safe_dump({"stages": config["stages"]}, sort_keys=False).strip(), "```", ""]
    lines += ["## Counts", "", f"Records read: {numbers.count(stats['documents']['read'])}; bad input records: "
              f"{numbers.count(stats['reader']['error_count'])}; documents written: {numbers.count(written)} "
              f"({numbers.share(written, stats['documents']['read'])} of the records read; "
              f"{numbers.size(sum(os.path.getsize(s) for s in shards))} in {numbers.count(len(shards))} shard(s)).", "",
              "| step | stage | in | out | dropped | top drop reasons |", "|---|---|---:|---:|---:|---|"]
    for stage in stats["stages"]:
        dropped = stage.get("dropped", {})
        reasons = ", ".join(f"{r} {numbers.count(n)}" for r, n in Counter(dropped).most_common(3))
        name = stage["name"] + (f" ({stage['label']})" if stage.get("label") else "")
        lines.append(f"| {stage['step'] + 1} | {name} | {numbers.count(stage['documents_in'])} | {numbers.count(stage['documents_out'])} | "
                     f"{numbers.count(sum(dropped.values()))} ({numbers.share(sum(dropped.values()), stage['documents_in'])}) | {reasons} |")
    for stage in stats["stages"]:
        if stage["name"] == "decontaminate" and not stage.get("skipped"):
            from webcorpus.decontam.stage import card_lines

            lines += [""] + card_lines(stage)
    if languages:
        lines += ["", "Languages of the documents: " + ", ".join(f"{k} {numbers.count(v)}" for k, v in languages.most_common(10)) + "."]
    lines += ["", "## Filters", ""]
    for item in config["stages"]:
        (name, options), = item.items()
        shown = ", ".join(f"`{k}: {json.dumps(v, default=str)}`" for k, v in (options or {}).items()) or "defaults"
        lines.append(f"- `{name}`: {shown}")
    lines += ["", "## Columns", ""] + [f"- `{f.name}`: {f.type}" for f in schema]
    lines += ["", "## Licence notes", "",
              "The texts are copies of public web pages; their copyright stays with their authors and sites. "
              "This card gives no licence for them. Crawl data from Common Crawl comes under its terms of use "
              "(https://commoncrawl.org/terms-of-use). Check what you may publish where you publish it, and "
              "honour removal requests. PII scrubbing (if the `pii` stage ran) is best effort, not a guarantee.", ""]
    return "\n".join(lines)


def _languages(shards: list[str]) -> Counter:
    counts: Counter = Counter()
    for shard in shards:
        if "language" in pq.ParquetFile(shard).schema_arrow.names:
            counts.update(pq.read_table(shard, columns=["language"]).column("language").to_pylist())
    return counts


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                        (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")):
        if n < limit:
            return name
    return "n>1B"
