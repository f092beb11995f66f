"""``webcorpus ablate``: the same model trained on each corpus, compared on the same texts.

Importing this module does not import torch; the command checks for it when it runs.
"""
from __future__ import annotations

import click

from webcorpus.trainer.config import PRESETS


@click.command()
@click.argument("outputs", nargs=-1)
@click.option("--out", help="The ablation folder: tokenizer/, data/, runs/, ablation.json, report.html.")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="A YAML file with every option (flags given here override it).")
@click.option("--name", "names", multiple=True, help="Names of the corpora, in the order of OUTPUTS (default: folder names).")
@click.option("--tokenizer", help="Use this tokenizer (.model or tokenizer.json) instead of training a shared one.")
@click.option("--vocab-size", type=int, help="Vocabulary of the shared tokenizer.  [default: 32768]")
@click.option("--preset", type=click.Choice(list(PRESETS)), help="The trainer preset of every run.  [default: tiny]")
@click.option("--steps", type=int, help="Optimiser steps of every run (overrides the preset).")
@click.option("--train-tokens", type=int, help="Training tokens of every run; the steps are derived from it.")
@click.option("--too-small", type=click.Choice(["repeat", "refuse"]), help="A corpus with fewer tokens than the budget.  [default: repeat]")
@click.option("--val-fraction", type=float, help="Share of each corpus held out of training, by id hash.  [default: 0.1]")
@click.option("--references", type=click.Path(exists=True, file_okay=False), help="A folder of .txt/.md texts to evaluate every model on.")
@click.option("--eval-texts", type=click.Path(exists=True, dir_okay=False),
              help="Texts you trust, not drawn from any corpus (JSONL or Parquet with 'text', or plain text, "
                   "documents split at blank lines): every model's loss and bits per byte on them.")
@click.option("--task", "tasks", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A multiple-choice JSONL file (HellaSwag or {context, endings, label}); repeatable.")
@click.option("--max-task-examples", type=int, help="Score only the first N examples of each task.")
@click.option("--seed", type=int, help="Seed of every run and of the splits.  [default: 1337]")
@click.option("--device", help="auto, cpu, cuda, cuda:N or mps.  [default: auto]")
@click.option("--run", "only", multiple=True,
              help="Train only this corpus's run (repeatable): processes side by side share the runs.")
@click.option("--threads", type=int, help="torch CPU threads (tiny models on a CPU run fastest on 1).")
@click.option("--quiet", is_flag=True, help="No per-step training lines.")
def ablate(outputs, out, config_file, names, tokenizer, vocab_size, preset, steps, train_tokens, too_small,
           val_fraction, references, eval_texts, tasks, max_task_examples, seed, device, only, threads, quiet):
    """Train the same model on each of OUTPUTS (pipeline OUTPUT folders) with the same tokenizer,
    seed, schedule and number of tokens, and compare them on the same texts. Re-run to resume."""
    import importlib.util

    from webcorpus.ablate.config import AblationConfig, InputError, check, load_yaml

    if importlib.util.find_spec("torch") is None:
        raise click.ClickException("ablations train models: pip install 'webcorpus[train]'")
    options = {"out": out, "tokenizer": tokenizer, "vocab_size": vocab_size, "preset": preset,
               "train_tokens": train_tokens, "too_small": too_small, "val_fraction": val_fraction,
               "references": references, "eval_texts": eval_texts, "max_task_examples": max_task_examples, "seed": seed, "device": device, "threads": threads}
    if tasks:
        options["tasks"] = list(tasks)
    try:
        if config_file:
            config = load_yaml(config_file, options)
            if outputs:
                config.corpora = _corpora(outputs, names)
        else:
            if not out:
                raise click.UsageError("--out is required (or a --config file with 'out')")
            config = AblationConfig(corpora=_corpora(outputs, names),
                                    **{k: v for k, v in options.items() if v is not None})
        if steps is not None:
            config.train = dict(config.train, steps=steps)
        check(config)
    except ValueError as error:
        raise click.UsageError(str(error)) from error
    from webcorpus.ablate.runner import run_ablation

    try:
        run_ablation(config, log=lambda m: click.echo(m, err=True), quiet_training=quiet, only=list(only) or None)
    except InputError as error:  # found before any training: a usage problem, exit 2
        raise click.UsageError(str(error)) from error
    except (FileNotFoundError, ValueError) as error:
        raise click.ClickException(str(error)) from error


def _corpora(outputs, names):
    from webcorpus.ablate.config import Corpus, corpora_from_paths

    if names and len(names) != len(outputs):
        raise ValueError(f"--name given {len(names)} time(s) for {len(outputs)} output(s)")
    return [Corpus(n, p) for n, p in zip(names, outputs)] if names else corpora_from_paths(list(outputs))
