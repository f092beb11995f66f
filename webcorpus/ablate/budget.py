"""What an ablation will cost, from a few timed steps, and the token budget that fits ``--max-minutes``.

Before any run trains, the model of the runs is trained for :data:`TIMED_STEPS` steps (after one
warm-up step) on the shared validation tokens in a scratch folder; the median step time gives the
training speed on this machine, with this model, vocabulary, batch, device and threads. A forward
pass costs about a third of a step per token (backward is about twice the forward), which prices the
evaluations during training and the final scoring of every evaluation set.

With ``max_minutes`` the budget is solved for: ``runs x (steps x step time + evaluations)`` fits
the minutes, where runs are corpora x seeds; the token budget is the same for every corpus. The
timing is kept in ``ABL/probe/timing.json`` while the model and device are the same, so a resumed
ablation plans the same budget (and keeps its token files).
"""
from __future__ import annotations

import dataclasses
import json
import shutil
import statistics
from pathlib import Path

from webcorpus import numbers
from webcorpus.ablate.config import InputError, tokens_per_step

WARMUP_STEPS = 1
TIMED_STEPS = 4
FORWARD_SHARE = 1 / 3  # a forward pass per token, as a share of a training step per token


def plan_budget(config, out: Path, model, shared: list, tokenizer: dict, eval_tokens: int, log) -> dict:
    """Time a few steps of ``model`` (a train config) and return the budget facts: ``train_tokens``
    (None: the config's own budget), the timing, and the estimate of one run and of all."""
    per_step = tokens_per_step(model)
    timing = _timing(config, out, model, shared, tokenizer, log)
    runs = len(config.corpora) * config.seeds
    facts = {"max_minutes": config.max_minutes, "runs": runs, "train_tokens": None, **timing}
    if timing["seconds_per_step"] is None:
        return facts
    step = timing["seconds_per_step"]
    forward = step / per_step * FORWARD_SHARE  # seconds per token scored
    in_training_eval = min(model.eval_tokens, max(eval_tokens, per_step)) * forward  # one evaluation during training
    final_eval = eval_tokens * forward
    if config.max_minutes is not None:
        available = config.max_minutes * 60 / runs - in_training_eval - final_eval
        steps = int(available / (step + in_training_eval / model.eval_every))
        if steps < 1:
            least = runs * (step + 2 * in_training_eval + final_eval) / 60
            raise InputError(f"--max-minutes {config.max_minutes}: one step of {runs} run(s) with their evaluations "
                             f"takes {numbers.duration(least * 60)} here; give at least {least:.1f} minutes")
        facts["train_tokens"] = steps * per_step
    steps = -(-facts["train_tokens"] // per_step) if facts["train_tokens"] else model.steps
    run_seconds = steps * step + (steps // model.eval_every + 1) * in_training_eval + final_eval
    facts.update(steps=steps, estimated_run_seconds=round(run_seconds, 1), estimated_seconds=round(runs * run_seconds, 1))
    return facts


def _timing(config, out: Path, model, shared: list, tokenizer: dict, log) -> dict:
    """Seconds per step and tokens per second of ``model`` here (cached while the model and device are the same)."""
    from webcorpus.ablate.tokens import write_tokens

    identity = dict(model.to_dict(), data="", out="", steps=0, seed=0, eval_every=0, stop_at=None,
                    checkpoint_every=0, threads=config.threads)
    path = out / "probe" / "timing.json"
    cached = json.loads(path.read_text()) if path.is_file() else None
    if cached and cached.get("model") == identity:
        return cached["timing"]
    scratch = out / "probe" / "run"
    shutil.rmtree(out / "probe", ignore_errors=True)
    data = out / "probe" / "data"
    tok = tokenizer["path"] if Path(tokenizer["path"]).is_absolute() else str(out / tokenizer["path"])
    written = write_tokens(data, "probe", "train", 1, [(d[1], d[2]) for d in shared], tok, tokenizer["separator"]["id"])
    timing = {"seconds_per_step": None, "tokens_per_second": None, "timed_steps": 0}
    if written["tokens"] > model.batch_size * model.seq_len + 1:
        shutil.copyfile(data / written["files"][0], data / written["files"][0].replace("_train_", "_val_"))
        seconds = _time_steps(model, data, scratch)
        timing = {"seconds_per_step": seconds, "tokens_per_second": tokens_per_step(model) / seconds,
                  "timed_steps": TIMED_STEPS}
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    path.write_text(json.dumps({"model": identity, "timing": timing}, indent=2) + "\n")
    return timing


def _time_steps(model, data: Path, scratch: Path) -> float:
    import contextlib
    import io

    from webcorpus.trainer.train import METRICS, train

    steps = WARMUP_STEPS + TIMED_STEPS
    probe = dataclasses.replace(model, data=str(data), out=str(scratch), steps=steps, warmup_steps=1,
                                eval_every=10**9, eval_tokens=model.batch_size * model.seq_len,
                                checkpoint_every=0, stop_at=None, resume=False)
    with contextlib.redirect_stdout(io.StringIO()):
        train(probe)
    records = [json.loads(line) for line in (scratch / METRICS).read_text().splitlines() if line.strip()]
    times = [r["ms_per_step"] / 1000 for r in records if "ms_per_step" in r and r["step"] > WARMUP_STEPS]
    return statistics.median(times)


def log_cost(config, splits, model, facts: dict, log) -> None:
    """The cost, before training: corpora, runs, tokens and steps per run, and the estimated time."""
    per_step = tokens_per_step(model)
    seeds = f" x {config.seeds} seeds" if config.seeds > 1 else ""
    line = (f"ablate: cost: {len(splits)} corpora{seeds} = {facts['runs']} run(s) of {numbers.count(model.steps)} steps x "
            f"{numbers.count(per_step)} tokens = {numbers.count(model.steps * per_step)} training tokens each")
    if facts["seconds_per_step"] is not None:
        line += (f"; {facts['timed_steps']} timed steps: {facts['seconds_per_step'] * 1000:,.0f} ms per step, "
                 f"{numbers.count(round(facts['tokens_per_second']))} tokens/s: about "
                 f"{numbers.duration(facts['estimated_run_seconds'])} per run with its evaluations, "
                 f"{numbers.duration(facts['estimated_seconds'])} in all")
    if facts["max_minutes"] is not None:
        line += f" (budget chosen to fit --max-minutes {facts['max_minutes']:g})"
    log(line)
