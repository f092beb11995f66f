"""webcorpus command line: parses arguments and calls the package; no pipeline logic lives here."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from webcorpus import numbers

EXIT_CODES = """\b
Exit codes:
  0    finished (bad records are counted in
       stats.json, not fatal)
  1    a re-run can fix it (a worker killed, a
       network error): re-run the same command
  2    a re-run alone cannot fix it (an invalid
       pipeline, flag or file; output in use or
       not writable; disk full; a bug): the one
       line says what to do, run.log has the rest
  3    finished, but no document came out: the
       summary names the stage that dropped the
       most and why (stats.json has the funnel)
  130  interrupted: re-run the same command to
       resume
"""


class Commands(click.Group):
    """The command group; a reader that stops reading (``webcorpus stages | head``) is not an error: exit 0."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
            sys.exit(0)


@click.group(cls=Commands, epilog=EXIT_CODES)
@click.version_option(package_name="webcorpus")
def main() -> None:
    """Turn raw web crawls into pretraining data: read, clean, dedup, scrub, tokenize, train."""


@main.command(epilog=EXIT_CODES)
@click.argument("pipeline")
@click.option("--input", "inputs", multiple=True, help="Input file, glob or URL (repeatable); overrides the file's 'input'.")
@click.option("--crawl", help="A Common Crawl id such as CC-MAIN-2024-10: its WARC paths become the input.")
@click.option("--crawl-kind", type=click.Choice(["warc", "wet"]), default="warc", show_default=True, help="Which files of --crawl.")
@click.option("--crawl-limit", type=int, help="With --crawl: take the first N files.")
@click.option("--crawl-sample", type=int, help="With --crawl: take a seeded random sample of N files.")
@click.option("--crawl-base-url", default="https://data.commoncrawl.org/", show_default=True, help="With --crawl: where the crawl's tree lives (a mirror, s3://commoncrawl/, a local copy).")
@click.option("--output", help="Output folder; overrides the file's 'output'.")
@click.option("--workers", type=int, help="Worker processes; overrides the file's 'workers'.")
@click.option("--executor", type=click.Choice(["local", "ray"]), help="Where tasks run; overrides the file's 'executor'.")
@click.option("--ray-address", help="With --executor ray: join this cluster (e.g. 10.0.0.1:6379); default: a local Ray.")
@click.option("--excluded", is_flag=True, default=None, help="Also write dropped documents with their reason to OUTPUT/excluded/.")
@click.option("--split-bytes", type=int, help="A crawl file gzipped per record over this many bytes becomes one task per range of that size (default 1 GiB; 0: never split); overrides the file's 'split_bytes'.")
@click.option("--overwrite", is_flag=True, help="Start OUTPUT afresh even if it holds another run.")
@click.option("--quiet", is_flag=True, help="No progress bar or per-task lines; errors only.")
@click.option("--report", "with_report", is_flag=True, help="Write OUTPUT/report.html at the end (see `webcorpus report`).")
@click.option("--dry-run", is_flag=True, help="Check everything, print the plan (steps, stages, inputs, outputs, what a resume skips) and exit.")
@click.option("--keep-intermediates", is_flag=True, help="Keep OUTPUT/steps/ (documents between steps) after a successful run.")
def run(pipeline, inputs, crawl, crawl_kind, crawl_limit, crawl_sample, crawl_base_url, output, workers, executor, ray_address, excluded, split_bytes, overwrite, quiet, with_report, dry_run, keep_intermediates):
    """Run PIPELINE (a YAML file, or a shipped pipeline's name: main, fineweb-en, multilingual).
    A re-run of the same command resumes where it stopped."""
    from webcorpus.pipeline.runner import EXIT_EMPTY
    from webcorpus.pipeline.summary import empty_run_line, print_summary

    if os.getcwd() not in sys.path:  # as `python -m` does: `python: {function: "mymodule:f"}` finds ./mymodule.py
        sys.path.insert(0, os.getcwd())
    overrides = {"output": output, "workers": workers, "executor": executor, "address": ray_address, "excluded": excluded,
                 "split_bytes": split_bytes}
    if inputs:
        overrides["input"] = list(inputs) if len(inputs) > 1 else inputs[0]
    if crawl:
        overrides["input"] = {
            "commoncrawl": crawl, "kind": crawl_kind, "limit": crawl_limit, "sample": crawl_sample, "base_url": crawl_base_url,
        }
    result = _run_or_exit(pipeline, overrides, quiet=quiet, overwrite=overwrite, dry_run=dry_run,
                          keep_intermediates=keep_intermediates)
    if not quiet:
        print_summary(result)
    elif result.exit_code == EXIT_EMPTY:  # quiet, yet an exit code needs its reason
        click.echo(empty_run_line(result.stats), err=True)
    if with_report:
        from webcorpus.report import write_report, write_run_report

        # on object storage the report is made from what it reads, pulled into a temporary folder, and put beside the run
        click.echo(f"report: {write_run_report(result.url) if result.remote else write_report(result.output)}", err=True)
    sys.exit(result.exit_code)


@main.command()
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def stages(name, as_json):
    """List every stage with its options, types and defaults (or one stage, by NAME)."""
    from webcorpus.stages.registry import STAGES, describe_stages

    if name and name not in STAGES:
        click.echo(f"error: unknown stage '{name}' (valid: {', '.join(STAGES)})", err=True)
        sys.exit(2)
    described = [s for s in describe_stages() if not name or s["name"] == name]
    if as_json:
        click.echo(json.dumps(described, indent=2, default=str))
        return
    for stage in described:
        click.secho(f"{stage['name']}", bold=True, nl=False)
        click.echo(f"  ({stage['kind']})  {stage['summary']}")
        for option in stage["options"]:
            default = "required" if option["required"] else f"default {option['default']!r}"
            click.echo(f"    {option['name']}: {option['type']}  [{default}]")
            if option["help"]:
                click.echo(f"        {option['help']}")
        click.echo()


@main.command("sample-crawl")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--pages", type=int, default=300, show_default=True)
def sample_crawl(directory, seed, pages):
    """Write the embedded sample crawl (WARC files the project generates itself) to DIRECTORY."""
    from webcorpus.sample_crawl import generate_sample_crawl

    for path in generate_sample_crawl(directory, seed=seed, pages=pages):
        click.echo(path)


@main.command(epilog=EXIT_CODES)
@click.option("--output", default="demo-out", show_default=True, help="Folder for the sample crawl, the run and the model.")
@click.option("--pipeline", "pipeline_path", default="main", show_default=True,
              help="A pipeline file, or the name of a shipped one (main, fineweb-en, multilingual).")
@click.option("--input", "inputs", multiple=True, help="Real crawl files instead of the generated sample.")
@click.option("--workers", type=int, default=2, show_default=True)
@click.option("--train-steps", type=int, default=200, show_default=True,
              help="Then train the tiny GPT on the token shards for this many steps on the CPU (0: skip).")
@click.option("--ablation-steps", type=int, default=200, show_default=True,
              help="Then compare the output with the same crawl run without quality filters: a tiny GPT on each "
                   "for this many steps on the CPU, same tokenizer and tokens (0: skip).")
@click.option("--quiet", is_flag=True)
def demo(output, pipeline_path, inputs, workers, train_steps, ablation_steps, quiet):
    """Crawl to model on one machine: generate the sample crawl, run the main pipeline on it,
    train a tiny GPT on the token shards, compare it with the same crawl without quality filters
    (an ablation), and write the HTML report. No download needed."""
    from webcorpus.pipeline.summary import print_summary
    from webcorpus.report import write_report
    from webcorpus.sample_crawl import generate_sample_crawl

    output = Path(output)
    if not inputs:
        inputs = generate_sample_crawl(output / "sample-crawl")
        click.echo(f"sample crawl: {len(inputs)} WARC file(s) in {output / 'sample-crawl'}", err=True)
    overrides = {"input": list(inputs), "output": str(output / "run"), "workers": workers}
    # The demo folder is ours: a changed pipeline replaces it, an unchanged one resumes.
    result = _run_or_exit(pipeline_path, overrides, quiet=quiet, overwrite="changed")
    print_summary(result)
    if result.exit_code:
        sys.exit(result.exit_code)
    train_dir = None
    tokens = result.output / "tokens"
    if train_steps > 0 and tokens.is_dir():
        train_dir = _demo_training(tokens, output / "model", train_steps, quiet=quiet)
    ablation_dir = None
    if ablation_steps > 0 and train_dir is not None:  # train_dir is None without torch
        ablation_dir = _demo_ablation(pipeline_path, list(inputs), output, workers, ablation_steps, quiet)
    report = write_report(result.output, train_dir=train_dir, ablation_dir=ablation_dir)
    click.echo(f"report: {report}  (open it in a browser)", err=True)


def _run_or_exit(pipeline: str, overrides: dict, quiet: bool, overwrite, dry_run: bool = False,
                 keep_intermediates: bool = False):
    """Load and run a pipeline file; a config error exits with 2 (and goes to OUTPUT/logs/run.log when
    OUTPUT is a run folder), an interruption with 130. ``dry_run`` prints the plan and exits 0."""
    from webcorpus.pipeline import ConfigError, load_config, run_pipeline
    from webcorpus.pipeline.config import resolve_inputs
    from webcorpus.pipeline.plan import describe_plan
    from webcorpus.pipeline.run_record import log_refusal
    from webcorpus.pipeline.shipped import pipeline_path
    from webcorpus.stages.requirements import MissingDependency, check_installed

    path = pipeline_path(pipeline)
    config = None
    try:
        config = load_config(path, overrides)
        check_installed(config.stages)
        if dry_run:
            click.echo("\n".join(describe_plan(config, resolve_inputs(config))))
            sys.exit(0)
        return run_pipeline(config, quiet=quiet, overwrite=overwrite, keep_intermediates=keep_intermediates)
    except ConfigError as exc:
        from webcorpus.pipeline.runner import OutputInUse

        click.echo(f"error: {exc}", err=True)
        if not isinstance(exc, OutputInUse):  # the folder belongs to the run holding it: not a line of ours
            log_refusal(config.output if config else _output_of(path, overrides), str(exc))
        sys.exit(2)
    except MissingDependency as exc:  # an installation matter, not the pipeline file's: no refusal logged
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted: re-run the same command to resume", err=True)
        sys.exit(130)


def _output_of(path: str, overrides: dict) -> str | None:
    """OUTPUT of a pipeline file that did not load: the --output flag, else the file's 'output' if readable."""
    if overrides.get("output"):
        return overrides["output"]
    try:
        import yaml

        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
        return data.get("output") if isinstance(data, dict) and isinstance(data.get("output"), str) else None
    except Exception:  # the file itself is the problem; the message already says so
        return None


def _demo_training(tokens: Path, out: Path, steps: int, quiet: bool = False) -> Path | None:
    """A tiny GPT on the run's token shards, on the CPU: enough to see the loss fall.

    Quiet: the per-step lines are not printed (they are still in the model's metrics.jsonl)."""
    try:
        from webcorpus.trainer.config import make_config
        from webcorpus.trainer.train import train as run_training
    except ImportError:
        click.echo("training skipped: torch is not installed (pip install 'webcorpus[train]')", err=True)
        return None
    import shutil

    shutil.rmtree(out, ignore_errors=True)  # a demo model is cheap: always train it afresh
    config = make_config("tiny", data=str(tokens), out=str(out), steps=steps, device="cpu",
                         eval_every=max(steps // 4, 1), checkpoint_every=steps)
    click.echo(f"training a tiny GPT for {steps} steps on the CPU -> {out}", err=True)
    if quiet:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            run_training(config)
    else:
        run_training(config)
    return out


def _demo_ablation(pipeline_path: str, inputs: list, output: Path, workers: int, steps: int, quiet: bool) -> Path:
    """The same crawl without quality filters, then both outputs compared with tiny models."""
    from webcorpus.ablate.demo import demo_ablation_config, without_quality_filters
    from webcorpus.ablate.runner import run_ablation

    from webcorpus.pipeline.shipped import pipeline_path as resolve_pipeline

    # one worker: the variant is small, and a pool of spawned workers costs more CPU than it saves here
    overrides = {"input": [p if "://" in p else os.path.abspath(p) for p in map(str, inputs)],
                 "output": os.path.abspath(output / "run-no-quality"), "workers": 1}
    variant = without_quality_filters(resolve_pipeline(pipeline_path), output / "no-quality.yaml", overrides)
    click.echo(f"ablation: the same crawl without quality filters ({variant}) -> {output / 'run-no-quality'}", err=True)
    result = _run_or_exit(str(variant), overrides, quiet=True, overwrite="changed")
    if result.exit_code:
        sys.exit(result.exit_code)
    config = demo_ablation_config(output / "run", result.output, output / "ablation", steps)
    log = (lambda message: None) if quiet else (lambda message: click.echo(message, err=True))
    result = run_ablation(config, log=log, quiet_training=True)
    for run in result["runs"]:
        click.echo(f"ablation: {run['name']}: shared validation loss {numbers.decimal(run['shared_val']['loss'])} "
                   f"after {numbers.count(run['trained_tokens'])} tokens", err=True)
    return Path(config.out)


def _register_part_commands() -> None:
    """Commands of the larger parts live with them; their heavy imports stay inside each command."""
    from webcorpus.ablate.commands import ablate
    from webcorpus.report.commands import inspect, report
    from webcorpus.trainer.commands import sample, train

    main.add_command(train)
    main.add_command(sample)
    main.add_command(report)
    main.add_command(inspect)
    main.add_command(ablate)


# One line per command in `webcorpus --help`, short enough for a 60-column terminal (click cuts the
# docstring's first sentence to fit, mid-phrase).
SHORT_HELP = {
    "run": "Run a pipeline (a YAML file or a name).",
    "demo": "Crawl to model on the sample crawl.",
    "stages": "List the stages and their options.",
    "sample-crawl": "Write the embedded sample crawl.",
    "train": "Train a GPT on token shards.",
    "sample": "Generate text from a checkpoint.",
    "report": "Write a run's HTML report.",
    "inspect": "Show documents, stats or token shards.",
    "ablate": "Compare corpora with tiny models.",
}


_register_part_commands()
for _name, _text in SHORT_HELP.items():
    main.commands[_name].short_help = _text

if __name__ == "__main__":
    main()
