"""Which corpus won, by how much, and whether that is more than the seeds' own spread.

The verdict is read on a set every model is scored on (the shared validation set, the user's eval
texts): the corpus with the lowest loss, averaged over the training seeds, wins; the margin is the
runner-up's mean loss minus the winner's. With several seeds the **spread** is the largest range
(highest minus lowest loss) of any one corpus across seeds: a margin above it, with the winner ahead
at every seed, is a difference the seeds do not explain. The paired margins (runner-up minus winner at
each seed, on the same texts) show whether the winner is ahead at every seed even when the seeds move
both corpora's losses together. With one seed nothing can be said of noise, and the verdict says so.
"""
from __future__ import annotations

#: the sets a verdict is given on, with the words the console uses
SETS = {"shared_val": "the shared validation set", "eval_texts": "the eval texts"}


def verdict(seed_runs: dict[str, list[dict]], set_name: str) -> dict:
    """The verdict on ``set_name`` from each corpus's runs (one per seed, the same seeds in the same order)."""
    losses = {name: [run[set_name]["loss"] for run in runs] for name, runs in seed_runs.items()}
    means = {name: sum(values) / len(values) for name, values in losses.items()}
    order = sorted(means, key=lambda name: (means[name], name))
    winner, runner_up = order[0], order[1]
    margin = means[runner_up] - means[winner]
    seeds = len(losses[winner])
    result = {"set": set_name, "metric": "loss (nats per token, mean over seeds)", "winner": winner,
              "runner_up": runner_up, "mean_loss": means, "losses": losses, "margin": margin,
              "relative_margin": margin / means[runner_up] if means[runner_up] else None, "seeds": seeds,
              "spread": None, "wins": None, "exceeds_spread": None}
    if seeds > 1:
        spread = max(max(values) - min(values) for values in losses.values())
        paired = [r - w for w, r in zip(losses[winner], losses[runner_up])]  # the same seed, the same texts
        wins = sum(d > 0 for d in paired)
        result.update(spread=spread, wins=wins, paired_margins=paired, exceeds_spread=margin > spread and wins == seeds)
    return result


def verdict_line(v: dict) -> str:
    """The verdict in one sentence."""
    head = (f"ablate: on {SETS.get(v['set'], v['set'])}, {v['winner']} wins: loss {v['mean_loss'][v['winner']]:.4f} "
            f"against {v['mean_loss'][v['runner_up']]:.4f} for {v['runner_up']} ({v['margin']:.4f} lower, "
            f"{100 * (v['relative_margin'] or 0):.1f}%)")
    if v["seeds"] == 1:
        return head + "; one seed: whether that is more than seed-to-seed noise is unknown (--seeds 3 tells)"
    more = "larger" if v["margin"] > v["spread"] else "not larger"
    paired = v.get("paired_margins") or []
    by = f" (by {min(paired):.4f} to {max(paired):.4f})" if paired else ""
    held = f"with every seed{by}" if v["wins"] == v["seeds"] else f"with {v['wins']} of {v['seeds']} seeds"
    if v["exceeds_spread"]:
        tail = "a difference the seeds do not explain"
    elif v["wins"] == v["seeds"]:
        tail = "ahead at every seed, but by less than the seeds' spread: more seeds or tokens would settle it"
    else:
        tail = "not shown to differ"
    return (head + f", mean of {v['seeds']} seeds; the seed-to-seed spread is {v['spread']:.4f}: the difference "
            f"is {more} than the spread, and {v['winner']} wins {held}: {tail}")


def summary_lines(result: dict) -> list[str]:
    """Each run's scores on the sets every model shares, then the verdicts."""
    lines = []
    for run in result["runs"]:
        parts = [f"shared validation loss {_score(run['shared_val'])}"]
        if run.get("eval_texts"):
            parts.append(f"eval texts loss {_score(run['eval_texts'])}")
        lines.append(f"ablate: {run['name']}: " + ", ".join(parts))
    return lines + [verdict_line(v) for v in result.get("verdict", {}).values()]


def _score(evaluation: dict | None) -> str:
    if not evaluation or evaluation["loss"] is None:
        return "–"
    return f"{evaluation['loss']:.4f} ({evaluation['bits_per_byte']:.4f} bits/byte)"
