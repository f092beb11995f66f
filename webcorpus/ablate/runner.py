"""The whole ablation, step by step; re-running the same command resumes.

1. Scan every corpus; hold out documents by id hash; build the shared validation set (equal bytes
   from each corpus) and each corpus's own validation split (:mod:`.corpora`).
2. The shared tokenizer: trained on an equal-sized sample of every corpus, or the one named.
3. Token files: each corpus's training stream up to the token budget, the shared set (whole and
   per corpus part), each own split, the reference texts (:mod:`.tokens`).
4. One training run per corpus with the same config but the data folder (the trainer's presets;
   its in-training validation set is the shared set, so the validation curves compare).
5. Every model on every evaluation set, and on the multiple-choice tasks.
6. ``ABL/ablation.json`` and ``ABL/report.html``.

Resuming: token files are kept while their key (tokenizer digest, split options, corpus shard
names and sizes) is unchanged; a run whose ``done.json`` matches its config is not trained again,
and a run that stopped part way continues from its last checkpoint (``--resume``); evaluations are
kept while the checkpoint and the evaluation sets are the same.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Callable

from webcorpus.ablate import corpora as cp
from webcorpus.ablate.config import AblationConfig, to_yaml, tokens_per_step
from webcorpus.ablate.texts import read_eval_texts
from webcorpus.ablate.tokens import copy_shard, tokenizer_facts, train_shared_tokenizer, write_tokens

RESULT = "ablation.json"
#: the user's evaluation sets: config key -> the name of its scores in a run's ``eval.json``
EXTRA_SETS = {"references": "reference", "eval_texts": "eval_texts"}
CONFIG = "ablation.yaml"


def _key(*parts) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _write_json(path: Path, value) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(tmp, path)


def _read_json(path: Path):
    return json.loads(path.read_text()) if path.is_file() else None


def run_ablation(config: AblationConfig, log: Callable[[str], None] = lambda m: print(m, file=sys.stderr),
                 quiet_training: bool = False, only: list[str] | None = None) -> dict:
    """Run (or resume) the ablation; return the result written to ``OUT/ablation.json``.

    ``only``: train and evaluate just these runs (names), so that several processes (one per GPU,
    say) can share the runs side by side; the result is written by whichever finds every run done.
    """
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    unknown = sorted(set(only or []) - {c.name for c in config.corpora})
    if unknown:
        raise ValueError(f"--run: no corpus named {', '.join(unknown)}")
    with _exclusive(out / "prepare.lock"):  # processes side by side prepare the data once
        prepared = _prepare(config, out, log)
    splits, shared, budget, tokenizer, budget_tokens, probe, data = prepared
    with _torch_threads(config.threads):
        runs = [_train_and_evaluate(config, out, s, tokenizer, data, budget_tokens, log, quiet_training,
                                    train=not only or s.name in only) for s in splits]
    if None in runs:  # a run paused by stop_at, or left to another process: nothing to compare yet
        waiting = [s.name for s, r in zip(splits, runs) if r is None]
        log(f"ablate: not finished: {', '.join(waiting)}; the comparison is written once every run is done")
        return {"out": str(out), "finished": False}
    command = f"webcorpus ablate --config {out / CONFIG}"
    result = {
        "out": str(out),
        "finished": True,
        "command": command,
        "held_equal": {
            "tokenizer": tokenizer, "train_tokens": budget_tokens, "steps": probe.steps,
            "tokens_per_step": tokens_per_step(probe), "seed": config.seed, "preset": config.preset,
            "train_options": config.train, "too_small": config.too_small,
        },
        "shared_val": {"documents": len(shared), "bytes_per_corpus": budget,
                       "in_several_parts": cp.in_several_parts(splits), **data["shared"]},
        "references": data.get("references"),
        "eval_texts": data.get("eval_texts"),
        "tasks": [str(t) for t in config.tasks],
        "runs": runs,
    }
    _write_json(out / RESULT, result)
    from webcorpus.report.ablation import write_ablation_page

    result["report"] = str(write_ablation_page(out))
    for line in summary_lines(result):
        log(line)
    log(f"ablate: {out / RESULT} and {result['report']}")
    return result


def _prepare(config: AblationConfig, out: Path, log):
    """Steps 1 to 3: the splits, the shared tokenizer, the token files (kept when unchanged)."""
    (out / CONFIG).write_text(to_yaml(config))  # `webcorpus ablate --config OUT/ablation.yaml` repeats it
    trusted = read_eval_texts(config.eval_texts) if config.eval_texts else []
    # --- 1. splits
    keep = 2 * config.shared_val_bytes  # held-out text kept in memory: shared part plus own split
    splits = [cp.scan(c.name, c.path, config.val_fraction, keep, config.seed) for c in config.corpora]
    for s in splits:
        if not s.heldout:
            raise ValueError(f"corpus {s.name}: no document falls in the held-out {config.val_fraction:.0%} "
                             f"of {s.documents} document(s); raise val_fraction or give it more documents")
    budget = cp.assign_validation(splits, config.shared_share, config.shared_val_bytes)
    shared = cp.shared_documents(splits)
    references = cp.reference_documents(config.references) if config.references else []
    excluded = ({cp.text_key(d[2]) for s in splits for d in s.heldout} | {cp.text_key(t) for _, t in references}
                | {cp.text_key(t) for _, t in trusted})
    log(f"ablate: {len(splits)} corpora; shared validation set {len(shared)} documents "
        f"({budget:,} bytes from each corpus)")

    # --- 2. tokenizer
    tokenizer = _tokenizer(config, out, splits, excluded, log)
    sep = tokenizer["separator"]["id"]

    # --- 3. token files and the training budget
    probe = config.train_config(splits[0].name, "", "", tokenizer["vocab_size"], sep)
    budget_tokens = probe.steps * tokens_per_step(probe)
    data = _token_files(config, out, splits, shared, {"references": references, "eval_texts": trusted}, excluded,
                        tokenizer, budget_tokens, log)
    return splits, shared, budget, tokenizer, budget_tokens, probe, data


@contextlib.contextmanager
def _exclusive(path: Path):
    """Hold an exclusive lock on ``path`` (another process waits here until it is released)."""
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _train_and_evaluate(config, out: Path, s, tokenizer: dict, data: dict, budget_tokens: int, log, quiet: bool,
                        train: bool = True) -> dict | None:
    """One corpus: check its size against the budget, train (or resume), evaluate; its record
    (None while the run is paused by ``stop_at``, or not done when ``train`` is False)."""
    sep = tokenizer["separator"]["id"]
    train_config = config.train_config(s.name, str(out / "data" / s.name), str(out / "runs" / s.name),
                                       tokenizer["vocab_size"], sep)
    facts = data["corpora"][s.name]
    row = train_config.batch_size * train_config.seq_len + 1
    for what, tokens in (("the shared validation set", data["shared"]["tokens"]), (f"corpus {s.name}", facts["train"]["tokens"])):
        if tokens < row:
            raise ValueError(f"{what} has {tokens:,} tokens, less than one batch of {train_config.batch_size} x "
                             f"{train_config.seq_len} (+1); give it more text (val_fraction, shared_share) or use a smaller batch")
    if facts["train"]["exhausted"] and facts["train"]["tokens"] < budget_tokens:
        if config.too_small == "refuse":
            raise ValueError(f"corpus {s.name}: {facts['train']['tokens']:,} training tokens, fewer than the "
                             f"budget of {budget_tokens:,} (too_small: refuse; use repeat or a smaller budget)")
        log(f"ablate: {s.name} has {facts['train']['tokens']:,} training tokens for a budget of "
            f"{budget_tokens:,}: it is repeated {budget_tokens / facts['train']['tokens']:.2f} times")
    if not train:  # another process trains it: use it only once it is done
        if _read_json(Path(train_config.out) / "done.json") != _wanted(train_config, data["key"]):
            return None
    elif not _train(train_config, data["key"], log, quiet):
        return None
    evaluation = _evaluate(config, out, s.name, train_config, data, tokenizer)
    return _run_record(s, facts, train_config, evaluation, budget_tokens, out)


@contextlib.contextmanager
def _torch_threads(threads: int | None):
    """Run with ``threads`` torch CPU threads (None: leave torch's setting), restored afterwards."""
    import torch

    before = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _tokenizer(config: AblationConfig, out: Path, splits, excluded, log) -> dict:
    if config.tokenizer:
        facts = tokenizer_facts(config.tokenizer)
        facts["trained_on"] = None
        return facts
    share = min(config.tokenizer_sample_bytes // len(splits), min(s.train_bytes for s in splits))
    log(f"ablate: training the shared tokenizer (vocabulary {config.vocab_size:,}) on {share:,} bytes of each corpus")
    samples = {s.name: cp.train_documents(s, config.val_fraction, excluded, config.seed) for s in splits}
    sample = train_shared_tokenizer(out, samples, share, config.vocab_size)
    card = json.loads((out / "tokenizer" / "card.json").read_text())
    facts = tokenizer_facts(str(out / "tokenizer" / card["model"]))
    facts["path"] = "tokenizer/" + card["model"]
    facts["trained_on"] = sample
    facts["bytes_per_token"] = card.get("bytes_per_token")
    return facts


def _tokenizer_path(out: Path, tokenizer: dict) -> str:
    path = Path(tokenizer["path"])
    return str(path if path.is_absolute() else out / path)


def _token_files(config, out: Path, splits, shared, extra: dict, excluded, tokenizer, budget_tokens: int, log) -> dict:
    """Write (or keep) every token file; return their facts, with the key that identifies them.
    ``extra``: the evaluation sets the user gives, by name (``references``, ``eval_texts``): (id, text) each."""
    key = _key(tokenizer["digest"], tokenizer["separator"], config.val_fraction, config.shared_share,
               config.shared_val_bytes, config.seed, budget_tokens,
               [(c.name, [(p.name, p.stat().st_size) for p in s.shards]) for c, s in zip(config.corpora, splits)],
               {name: [cp.text_key(t).hex() for _, t in docs] for name, docs in extra.items()})
    manifest_path = out / "data" / "manifest.json"
    manifest = _read_json(manifest_path)
    if manifest and manifest.get("key") == key:
        return manifest
    log("ablate: encoding every corpus with the shared tokenizer")
    shutil.rmtree(out / "data", ignore_errors=True)
    shutil.rmtree(out / "eval", ignore_errors=True)
    tok = _tokenizer_path(out, tokenizer)
    sep = tokenizer["separator"]["id"]
    evals = out / "eval"
    manifest = {"key": key, "corpora": {}, "shared": {}, "eval_files": {}}
    whole = write_tokens(evals, "shared", "val", 0, [(d[1], d[2]) for d in shared], tok, sep)
    manifest["shared"] = {"tokens": whole["tokens"], "bytes": whole["bytes"]}
    manifest["eval_files"]["shared"] = {"file": f"eval/{whole['files'][0]}", "bytes": whole["bytes"]}
    for s in splits:
        part = write_tokens(evals, f"shared-{s.name}", "val", 0, [(d[1], d[2]) for d in s.shared], tok, sep)
        own = write_tokens(evals, f"own-{s.name}", "val", 0, [(d[1], d[2]) for d in s.own_val], tok, sep)
        train = write_tokens(out / "data" / s.name, s.name, "train", 1,
                             cp.train_documents(s, config.val_fraction, excluded, config.seed),
                             tok, sep, limit=budget_tokens + 1)
        copy_shard(evals / whole["files"][0], out / "data" / s.name, s.name, "val", 0)
        manifest["eval_files"][f"shared-{s.name}"] = {"file": f"eval/{part['files'][0]}", "bytes": part["bytes"]} if part["files"] else None
        manifest["eval_files"][f"own-{s.name}"] = {"file": f"eval/{own['files'][0]}", "bytes": own["bytes"]} if own["files"] else None
        manifest["corpora"][s.name] = {
            "path": next(c.path for c in config.corpora if c.name == s.name),
            "documents": s.documents, "bytes": s.bytes, "heldout_documents": s.heldout_documents,
            "shared_part": {"documents": len(s.shared), "tokens": part["tokens"], "bytes": part["bytes"]},
            "own_val": {"documents": len(s.own_val), "tokens": own["tokens"], "bytes": own["bytes"]},
            "train_available": {"documents": s.train_documents, "bytes": s.train_bytes},
            "train": train,
        }
    for name, docs in extra.items():  # "references" is scored as the set "reference", "eval_texts" as itself
        if docs:
            set_name = EXTRA_SETS[name]
            written = write_tokens(evals, set_name.replace("_", "-"), "val", 0, docs, tok, sep)
            manifest[name] = {"documents": len(docs), "tokens": written["tokens"], "bytes": written["bytes"]}
            if name == "eval_texts":
                manifest[name]["path"] = str(Path(config.eval_texts).resolve())
            manifest["eval_files"][set_name] = {"file": f"eval/{written['files'][0]}", "bytes": written["bytes"]}
    _write_json(manifest_path, manifest)
    return manifest


def _wanted(train_config, data_key: str) -> dict:
    """What a finished run records in done.json: its config (stop_at only pauses a run, the run it
    continues is the same) and the key of its token files."""
    return {"config": dict(train_config.to_dict(), stop_at=None), "data": data_key}


def _train(train_config, data_key: str, log, quiet: bool) -> bool:
    """Train one run, or continue it from its checkpoint, or keep it when it is done with this config.
    Return whether it is done (False: stopped early by ``stop_at``)."""
    from webcorpus.trainer.train import CHECKPOINT, train

    run = Path(train_config.out)
    wanted = _wanted(train_config, data_key)
    done = _read_json(run / "done.json")
    if done == wanted:
        log(f"ablate: {run.name}: already trained")
        return True
    resumable = (run / CHECKPOINT).is_file() and _read_json(run / "started.json") == wanted
    if not resumable:
        shutil.rmtree(run, ignore_errors=True)
    run.mkdir(parents=True, exist_ok=True)
    _write_json(run / "started.json", wanted)
    train_config.resume = resumable
    log(f"ablate: training {run.name} ({train_config.steps} steps" + (", resumed)" if resumable else ")"))
    if quiet:
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            train(train_config)
    else:
        train(train_config)
    train_config.resume = False
    if train_config.stop_at is not None and train_config.stop_at < train_config.steps:
        log(f"ablate: {run.name} stopped after step {train_config.stop_at} (stop_at); run again to continue")
        return False
    _write_json(run / "done.json", wanted)
    return True


def _evaluate(config, out: Path, name: str, train_config, data: dict, tokenizer: dict) -> dict:
    """Every evaluation set and task for one run; cached in RUN/eval.json while nothing changed."""
    from webcorpus.ablate.evaluate import evaluate_file, load_model
    from webcorpus.ablate.tasks import read_task, score_task
    from webcorpus.tokenizer.loaded import load_tokenizer

    run = Path(train_config.out)
    key = _key(_read_json(run / "done.json"), data["key"], [(str(t), Path(t).stat().st_size) for t in config.tasks],
               config.max_task_examples)
    cached = _read_json(run / "eval.json")
    if cached and cached.get("key") == key:
        return cached
    device = train_config.device
    if device == "auto":
        import torch

        device = "cuda" if torch.cuda.is_available() else "cpu"
    model = load_model(run, device)
    T, B = train_config.seq_len, train_config.batch_size
    sets = {}
    for set_name, facts in data["eval_files"].items():
        if facts is None:
            sets[set_name] = None
            continue
        sets[set_name] = evaluate_file(model, out / facts["file"], facts["bytes"], T, B, device)
    tasks = {}
    tok = load_tokenizer(_tokenizer_path(out, tokenizer))
    for path in config.tasks:
        examples = read_task(path, config.max_task_examples)
        tasks[Path(path).stem] = score_task(model, tok, tokenizer["separator"]["id"], examples, T, device)
    result = {"key": key, "sets": sets, "tasks": tasks}
    _write_json(run / "eval.json", result)
    return result


def _run_record(split, facts: dict, train_config, evaluation: dict, budget_tokens: int, out: Path) -> dict:
    run = Path(train_config.out)
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line.strip()]
    train_points = [(m["tokens"], m["train_loss"]) for m in metrics if "train_loss" in m]
    val_points = [(m["tokens"], m["val_loss"]) for m in metrics if m.get("val_loss") is not None]
    tail = [loss for _, loss in train_points[-max(len(train_points) // 10, 1):]]
    sets = evaluation["sets"]
    train_tokens = facts["train"]["tokens"]
    return {
        "name": split.name,
        "corpus": facts["path"],
        "documents": facts["documents"],
        "bytes": facts["bytes"],
        "train_documents_used": facts["train"]["documents"],
        "train_tokens_available": train_tokens if facts["train"]["exhausted"] else None,
        "train_tokens_encoded": train_tokens,
        "epochs": budget_tokens / train_tokens if train_tokens else None,
        "repeated": bool(facts["train"]["exhausted"] and train_tokens < budget_tokens),
        "trained_tokens": train_points[-1][0] if train_points else 0,
        "train_loss": sum(tail) / len(tail) if tail else None,
        "shared_val": sets.get("shared"),
        "shared_val_parts": {k[len("shared-"):]: v for k, v in sets.items() if k.startswith("shared-")},
        "own_val": sets.get(f"own-{split.name}"),
        "reference": sets.get("reference"),
        "eval_texts": sets.get("eval_texts"),
        "tasks": evaluation["tasks"],
        "curve": {"train_loss": train_points, "val_loss": val_points},
        "run_dir": os.path.relpath(run, out),
        "command": train_command(train_config),
    }


def summary_lines(result: dict) -> list[str]:
    """Each run's scores on the sets every model shares, one line per run."""
    lines = []
    for run in result["runs"]:
        parts = [f"shared validation loss {_score(run['shared_val'])}"]
        if run.get("eval_texts"):
            parts.append(f"eval texts loss {_score(run['eval_texts'])}")
        lines.append(f"ablate: {run['name']}: " + ", ".join(parts))
    return lines


def _score(evaluation: dict | None) -> str:
    if not evaluation or evaluation["loss"] is None:
        return "–"
    return f"{evaluation['loss']:.4f} ({evaluation['bits_per_byte']:.4f} bits/byte)"


def train_command(train_config) -> str:
    """The `webcorpus train` command that reproduces one run from the ablation's token files."""
    from webcorpus.trainer.config import TrainConfig

    defaults = TrainConfig()
    parts = ["webcorpus train", f"--data {train_config.data}", f"--out {train_config.out}"]
    for key, value in train_config.to_dict().items():
        if key in ("data", "out", "resume") or value == getattr(defaults, key):
            continue
        flag = "--" + key.replace("_", "-")
        if isinstance(value, bool):
            parts.append(flag if value else f"--no-{key.replace('_', '-')}")
        elif value is not None:
            parts.append(f"{flag} {value}")
    return " ".join(parts)
