"""Click commands `report` and `inspect`; webcorpus.cli registers them with ``main.add_command``."""
from __future__ import annotations

import sys

import click


@click.command()
@click.argument("output", type=click.Path(exists=True, file_okay=False))
@click.option("--train", "train_dir", type=click.Path(exists=True, file_okay=False),
              help="A `webcorpus train` run folder (its metrics.jsonl): adds training and validation loss.")
@click.option("--ablation", "ablation_dir", type=click.Path(exists=True, file_okay=False),
              help="A `webcorpus ablate` folder (its ablation.json): adds the comparison of corpora.")
@click.option("--out", "out_file", type=click.Path(dir_okay=False), help="Where to write the page; default OUTPUT/report.html.")
def report(output, train_dir, ablation_dir, out_file):
    """Write one self-contained HTML page (no network needed to view it) describing the run in OUTPUT."""
    from webcorpus.report import write_report

    try:
        path = write_report(output, train_dir=train_dir, out_file=out_file, ablation_dir=ablation_dir)
    except (FileNotFoundError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(str(path))


@click.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("-n", "n", type=int, default=5, show_default=True, help="Documents to show (Parquet).")
@click.option("--columns", help="Comma-separated columns to show (Parquet); default: url, title, language, ..., text.")
@click.option("--chars", type=int, default=600, show_default=True, help="Characters of long text fields to show.")
@click.option("--start", type=int, default=0, show_default=True, help="First token of the window (token shards).")
@click.option("--tokens", type=int, default=256, show_default=True, help="Tokens in the window (token shards).")
def inspect(path, n, columns, chars, start, tokens):
    """Show the first documents of a Parquet shard (or folder of shards), or the header, token count and a
    decoded window of a token shard (llm.c .bin, nanoGPT train.bin/val.bin, Megatron .bin/.idx)."""
    from webcorpus.report.inspect import inspect_lines

    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    try:
        for line in inspect_lines(path, n=n, columns=wanted, start=start, tokens=tokens, chars=chars):
            click.echo(line)
    except (FileNotFoundError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
