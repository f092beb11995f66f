"""What an ablation holds equal and what it varies: one dataclass of plain values, and its YAML form.

The corpora are the only thing that differs between runs; everything else here (tokenizer, model,
seed, schedule, token budget, evaluation texts) is the same for all of them. A YAML file has the
same keys as :class:`AblationConfig`; ``corpora`` is a mapping ``name: OUTPUT folder`` or a list of
folders (named after the folder), ``train`` a mapping of ``webcorpus train`` options::

    corpora: {filtered: out/main, unfiltered: out/no-quality}
    out: abl/
    preset: small
    train: {steps: 2000}
    tasks: [evals/hellaswag_val.jsonl]

This module does not import torch.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

from webcorpus.trainer.config import PRESETS, TrainConfig, make_config

TOO_SMALL = ("repeat", "refuse")


class InputError(ValueError):
    """A problem with the ablation's inputs found before any training: ``webcorpus ablate`` exits 2."""


@dataclass
class Corpus:
    name: str  # a plain file-name part: runs/NAME, data/NAME
    path: str  # a pipeline OUTPUT folder (its documents/*.parquet) or a folder of Parquet shards


@dataclass
class AblationConfig:
    corpora: list[Corpus]
    out: str
    # --- the shared tokenizer: trained on an equal-sized sample of every corpus, or the one named here
    tokenizer: str | None = None  # a sentencepiece .model or a Hugging Face tokenizer.json
    vocab_size: int = 32768
    tokenizer_sample_bytes: int = 100_000_000  # in all; each corpus gives the same share
    # --- validation: documents held out by id hash; part of them forms the shared set, in equal bytes
    val_fraction: float = 0.1  # share of each corpus's documents (by id hash) held out of training
    shared_share: float = 0.5  # share of the smallest corpus's held-out bytes every corpus gives the shared set
    shared_val_bytes: int = 20_000_000  # at most this many bytes per corpus in the shared set
    references: str | None = None  # a folder of .txt/.md files: one more evaluation set, the same for all
    eval_texts: str | None = None  # texts the user trusts (JSONL/Parquet with `text`, or plain text): one more set
    tasks: list[str] = field(default_factory=list)  # multiple-choice JSONL files (HellaSwag or plain)
    max_task_examples: int | None = None  # score the first N examples of each task (None: all)
    # --- training: the same for every corpus
    preset: str | None = "tiny"
    train: dict = field(default_factory=dict)  # TrainConfig fields over the preset
    train_tokens: int | None = None  # None: the preset's steps x tokens per step; else steps are derived
    too_small: str = "repeat"  # a corpus with fewer train tokens than the budget: repeat it, or refuse
    seed: int = 1337
    device: str = "auto"
    threads: int | None = None  # torch CPU threads; None: torch's default (tiny models are fastest on 1)

    def __post_init__(self):
        check(self)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def train_config(self, corpus: str, data: str, run_dir: str, vocab_size: int, separator: int):
        """The trainer config of one run: identical for every corpus except the data and run folders."""
        values = dict(self.train)
        values.update(data=data, out=run_dir, vocab_size=vocab_size, separator_token=separator,
                      seed=self.seed, device=self.device)
        config = make_config(self.preset, **values)
        if self.train_tokens is not None:
            config.steps = max(1, -(-self.train_tokens // tokens_per_step(config)))
            if config.warmup_steps >= config.steps:  # a short budget still gets a decay phase
                config.warmup_steps = max(config.steps // 10, 1)
        return config


def to_yaml(config: AblationConfig) -> str:
    """The YAML form of ``config``, paths made absolute, so ``webcorpus ablate --config`` repeats it anywhere."""
    import yaml

    def absolute(p):
        return p if p is None or re.match(r"^\w+://", str(p)) else str(Path(p).resolve())

    values = config.to_dict()
    values["corpora"] = {c.name: absolute(c.path) for c in config.corpora}
    for key in ("out", "tokenizer", "references", "eval_texts"):
        values[key] = absolute(values[key])
    values["tasks"] = [absolute(t) for t in config.tasks]
    return yaml.safe_dump(values, sort_keys=False)


def tokens_per_step(config: TrainConfig) -> int:
    """Tokens of one optimiser step on one process (accumulation keeps it the same on N ranks)."""
    return config.total_batch_tokens or config.batch_size * config.seq_len


def check(config: AblationConfig) -> None:
    """Values that cannot work, caught before any work starts (ValueError naming the option)."""
    if len(config.corpora) < 2:
        raise ValueError("corpora: an ablation compares at least two corpora")
    names = [c.name for c in config.corpora]
    if len(set(names)) != len(names):
        raise ValueError(f"corpora: names must differ, got {names}")
    for c in config.corpora:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", c.name):
            raise ValueError(f"corpora: name {c.name!r} must be a plain file name part (letters, digits, _ . -)")
    if not 0 < config.val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {config.val_fraction}")
    if not 0 < config.shared_share <= 1:
        raise ValueError(f"shared_share must be in (0, 1], got {config.shared_share}")
    if config.too_small not in TOO_SMALL:
        raise ValueError(f"too_small must be one of {', '.join(TOO_SMALL)}, got {config.too_small!r}")
    if config.preset is not None and config.preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {config.preset!r}")
    fixed = {"data", "out", "seed", "device", "resume", "vocab_size"} & set(config.train)
    if fixed:
        raise ValueError(f"train: {', '.join(sorted(fixed))} are set by the ablation itself (use its own options)")
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    unknown = sorted(set(config.train) - known)
    if unknown:
        raise ValueError(f"train: unknown trainer option(s) {', '.join(unknown)}")
    if config.train_tokens is not None and config.train_tokens < 1:
        raise ValueError("train_tokens must be positive")
    make_config(config.preset, **config.train)  # the trainer's own checks (head widths, decay)


def corpora_from_paths(paths: list[str]) -> list[Corpus]:
    """Name each folder after itself; when two share a name, after its parent too, then by position."""
    names = [Path(p).resolve().name for p in paths]
    if len(set(names)) != len(names):
        names = [f"{Path(p).resolve().parent.name}-{Path(p).resolve().name}" for p in paths]
    if len(set(names)) != len(names):
        names = [f"{n}-{i + 1}" for i, n in enumerate(names)]
    names = [re.sub(r"[^A-Za-z0-9_.-]", "_", n).lstrip("._-") or f"corpus{i + 1}" for i, n in enumerate(names)]
    return [Corpus(n, str(p)) for n, p in zip(names, paths)]


def load_yaml(path: str, overrides: dict | None = None) -> AblationConfig:
    """An :class:`AblationConfig` from a YAML file; relative paths in the file are relative to the file;
    ``overrides`` (non-None values, command-line flags whose paths are relative to the working folder)
    replace the file's keys."""
    import yaml

    base = Path(path).resolve().parent
    values = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of options")
    overrides = {k: v for k, v in (overrides or {}).items() if v is not None}
    known = {f.name for f in dataclasses.fields(AblationConfig)}
    unknown = sorted(set(values) - known)  # (overrides are the CLI's own, known, names)
    if unknown:
        raise ValueError(f"{path}: unknown option(s) {', '.join(unknown)}; valid: {', '.join(sorted(known))}")

    def resolve(p):
        return p if p is None or Path(p).is_absolute() or re.match(r"^\w+://", str(p)) else str(base / p)

    corpora = values.get("corpora")
    if isinstance(corpora, dict):
        values["corpora"] = [Corpus(str(n), resolve(str(p))) for n, p in corpora.items()]
    elif isinstance(corpora, list):
        values["corpora"] = corpora_from_paths([resolve(str(p)) for p in corpora])
    else:
        raise ValueError(f"{path}: corpora must be a mapping name: folder or a list of folders")
    if "out" not in values and "out" not in overrides:
        raise ValueError(f"{path}: 'out' (the ablation folder) is required")
    values["out"] = resolve(values.get("out"))
    for key in ("tokenizer", "references", "eval_texts"):
        values[key] = resolve(values.get(key))
    values["tasks"] = [resolve(str(t)) for t in values.get("tasks") or []]
    values.update(overrides)
    return AblationConfig(**values)
