"""A run's progress read from its metrics file: a bar on a terminal, a line per tenth elsewhere."""
from __future__ import annotations

import io
import json

from webcorpus.ablate.progress import RunProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def write_steps(path, steps):
    with open(path, "a") as f:
        for step in steps:
            f.write(json.dumps({"step": step, "tokens": 512 * step, "train_loss": 5.0 - step / 10,
                                "tokens_per_s": 3000.0, "ms_per_step": 170.0}) + "\n")


def test_plain_lines_name_the_run_and_end_at_the_last_step(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(json.dumps({"step": 0, "tokens": 0, "val_loss": 5.5}) + "\n")
    lines = []
    with RunProgress(metrics, "filtered", 20, lines.append, stream=io.StringIO()):
        write_steps(metrics, range(1, 21))
    assert lines[0].startswith("ablate: filtered: step ") and lines[-1] == "ablate: filtered: step 20/20, loss 3.0000, 3,000 tokens/s"
    assert len(lines) <= 11


def test_a_bar_on_a_terminal_and_nothing_when_quiet(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("")
    screen, lines = Terminal(), []
    with RunProgress(metrics, "filtered", 20, lines.append, stream=screen):
        write_steps(metrics, range(1, 21))
    assert not lines and "20/20" in screen.getvalue() and "loss 3.000" in screen.getvalue()
    quiet = io.StringIO()
    with RunProgress(metrics, "filtered", 20, lines.append, quiet=True, stream=quiet):
        write_steps(metrics, range(21, 25))
    assert not lines and not quiet.getvalue()
