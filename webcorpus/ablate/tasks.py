"""Multiple-choice tasks scored offline by the likelihood the model gives each ending.

Two JSONL layouts, one example per line, read from local files (nothing is downloaded):

* HellaSwag as its release and llm.c's ``dev/data/hellaswag.py`` use it: ``ctx`` (the context),
  ``endings`` (four strings), ``label`` (the index of the right one), plus fields not used here;
* plain: ``context``, ``endings``, ``label``.

Scoring follows llm.c: the ending is joined to the context with one space (none when either side
already has whitespace there), and for each ending the model's negative log-likelihood of the
ending's tokens given the context is summed. ``acc`` picks the ending of lowest total, ``acc_norm``
the lowest mean per token (llm.c's headline number). The sequence starts with the separator token,
as every training document does, and keeps its last ``seq_len + 1`` tokens when it is longer.
Each accuracy carries a 95% Wilson score interval: with a few hundred examples it is wide, and two
models whose intervals overlap are not shown to differ.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Example:
    context: str
    endings: list[str]
    label: int


def read_task(path: str | Path, limit: int | None = None) -> list[Example]:
    """Examples of a JSONL task file (HellaSwag or plain layout); a bad line is an error naming it."""
    examples = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                context = row["ctx"] if "ctx" in row else row["context"]
                endings = [str(e) for e in row["endings"]]
                label = int(row["label"])
            except (KeyError, ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: expected ctx or context, endings and label ({exc})") from None
            if not 0 <= label < len(endings) or len(endings) < 2:
                raise ValueError(f"{path}:{number}: label {label} does not index {len(endings)} endings")
            examples.append(Example(str(context), endings, label))
            if limit is not None and len(examples) >= limit:
                break
    if not examples:
        raise ValueError(f"{path}: no examples")
    return examples


def join(context: str, ending: str) -> str:
    """The ending as it follows the context: after one space unless whitespace is already there."""
    return ending if not context or context[-1].isspace() or ending[:1].isspace() else " " + ending


def wilson(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default)."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def score_task(model, tokenizer, separator_id: int, examples: list[Example], seq_len: int, device: str) -> dict:
    """Accuracy (sum of ending losses) and normalised accuracy (mean per ending token) with intervals."""
    import torch

    from webcorpus.ablate.evaluate import token_nll

    correct = correct_norm = 0
    with torch.no_grad():
        for ex in examples:
            context_ids = [separator_id] + tokenizer.encode_batch([ex.context])[0]
            rows, spans = [], []
            for ending in ex.endings:
                ending_ids = tokenizer.encode_batch([join(ex.context, ending)])[0] or [separator_id]
                ids = (context_ids + ending_ids)[-(seq_len + 1):]
                rows.append(ids)
                spans.append(min(len(ending_ids), len(ids) - 1))
            width = max(map(len, rows))
            padded = torch.zeros(len(rows), width, dtype=torch.long)
            for i, ids in enumerate(rows):
                padded[i, : len(ids)] = torch.tensor(ids)
            padded = padded.to(device)
            nll = token_nll(model, padded[:, :-1], padded[:, 1:]).cpu()
            sums, means = [], []
            for i, ids in enumerate(rows):
                end = len(ids) - 1  # targets are positions 0..len-2; the ending is the last `span` of them
                part = nll[i, end - spans[i] : end]
                sums.append(float(part.sum()))
                means.append(float(part.mean()))
            correct += int(min(range(len(sums)), key=sums.__getitem__) == ex.label)
            correct_norm += int(min(range(len(means)), key=means.__getitem__) == ex.label)
    n = len(examples)
    return {"examples": n, "chance": sum(1 / len(e.endings) for e in examples) / n,
            "acc": correct / n, "acc_ci": list(wilson(correct, n)),
            "acc_norm": correct_norm / n, "acc_norm_ci": list(wilson(correct_norm, n))}
