"""Checks of the whole plan before any work: stage order and dependencies, and an output that can be written.

Each check returns one line per problem (an empty list when all is well), so that a pipeline with
several problems is told all of them at once; the caller raises one :class:`ConfigError` (exit 2).
The rules, and why:

* ``tokenize`` without its ``tokenizer`` option reads the tokenizer ``train_tokenizer`` makes: a
  ``train_tokenizer`` must come before it (else the whole per-file work would run, then fail).
* Nothing comes after ``tokenize``: the token shards are made from the documents at that point, so
  a later stage (dedup, a filter) would leave ``documents/`` and the token shards disagreeing.
* ``dedup_paragraphs`` compares lines of ``text``: before ``extract`` (in the same pipeline) there is
  none yet, and every document would pass through untouched.
* The output folder must be a folder (or creatable) and writable: no re-run can fix either.
"""
from __future__ import annotations

import os
from pathlib import Path

TOKENIZE = "tokenize"
TRAIN_TOKENIZER = "train_tokenizer"
EXTRACT = "extract"
#: stages that read ``text`` only, which ``extract`` makes
READS_TEXT = ("dedup_paragraphs", "decontaminate", "train_quality_classifier", "quality_classifier")


def order_problems(names: list[str], stages_by_index: dict[int, object]) -> list[str]:
    """Problems of stage order: ``names`` as written (YAML names, in order); ``stages_by_index`` the
    stages that could be built (1-based index), to read options such as ``tokenize``'s ``tokenizer``."""
    problems = []
    tokenize_at = None
    for index, name in enumerate(names, start=1):
        if tokenize_at is not None:
            problems.append(
                f"stage {index} '{name}' comes after 'tokenize' (stage {tokenize_at}): the token shards would not "
                f"hold the documents that reach documents/; put it before 'tokenize'"
            )
            continue
        if name in READS_TEXT and EXTRACT in names[index:]:
            problems.append(
                f"stage {index} '{name}' comes before 'extract' (stage {names.index(EXTRACT, index) + 1}): it reads "
                f"the text extract makes; put it after 'extract'"
            )
        if name == TOKENIZE:
            tokenize_at = index
            stage = stages_by_index.get(index)
            brought = getattr(stage, "tokenizer", None) is not None
            if stage is not None and not brought and TRAIN_TOKENIZER not in names[: index - 1]:
                problems.append(
                    f"stage {index} 'tokenize' needs a tokenizer: put 'train_tokenizer' before it, "
                    "or set its 'tokenizer' option to a tokenizer file"
                )
    return problems


def output_problems(output: Path) -> list[str]:
    """Why ``output`` cannot be a run folder: a file in its place, or no write permission."""
    probe = output
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        return [f"output {output}: {probe} is a file, not a folder; choose another --output"]
    if probe.exists() and not os.access(probe, os.W_OK | os.X_OK):
        where = "" if probe == output else f" (its nearest existing folder {probe})"
        return [f"output {output}{where} is not writable; choose another --output or fix its permissions"]
    return []
