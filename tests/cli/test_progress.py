"""Progress people can read: short step labels, bytes with rate and ETA inside files, plain phase names,
a timer for work that cannot count, resume said on screen, plain lines when not a terminal."""
from __future__ import annotations

import io
import re
import time

from click.testing import CliRunner

from webcorpus.cli import main
from webcorpus.pipeline.progress import Progress, Timer, step_label
from webcorpus.pipeline.runner import split_steps
from webcorpus.pipeline.shipped import pipeline_path
from webcorpus.pipeline import load_config


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def shown(stream: Terminal) -> list[str]:
    """What a terminal shows, line by line: every redraw after a carriage return."""
    return [part for part in re.split(r"[\r\n]", stream.getvalue()) if part.strip()]


def test_step_labels_are_short_and_count_the_steps():
    steps = split_steps(load_config(pipeline_path("main")).stages)
    labels = [step_label(n, len(steps), [s.name for s in stages]) for n, (_, stages) in enumerate(steps)]
    assert labels[0] == "step 1/6 url_filter +6" and labels[1] == "step 2/6 dedup" and labels[2] == "step 3/6 dedup_paragraphs"
    assert all(len(label) <= 28 for label in labels)


def test_a_bar_in_bytes_shows_percentage_rate_and_eta_within_80_columns():
    terminal = Terminal()
    progress = Progress(10_000_000, "step 1/5 url_filter +6", unit="B", files=2, stream=terminal)
    for _ in range(3):
        progress.records(1_500_000)  # what the workers have read so far, before any file ends
        time.sleep(0.6)
    progress.close()
    lines = shown(terminal)
    moving = [line for line in lines if "45%" in line]
    assert moving and "eta" in moving[-1] and "B/s" in moving[-1] and "0/2 files" in moving[-1]
    # amounts, rate and time left as webcorpus.numbers writes them: "4.5 MB/10.0 MB 2.5 MB/s eta 2.2 s"
    assert re.search(r"\| 4\.5 MB/10\.0 MB [\d.,]+ MB/s eta [\d.]+ s", moving[-1]), moving[-1]
    assert all(len(line) <= 80 for line in lines)


def test_a_timer_shows_elapsed_time(caplog):
    terminal = Terminal()
    with caplog.at_level("INFO", logger="webcorpus"):
        with Timer("train_tokenizer: training", stream=terminal):
            time.sleep(1.3)
    assert re.search(r"train_tokenizer: training: 1\.\d s elapsed", terminal.getvalue())
    assert re.search(r"train_tokenizer: training: done in 1\.\d s", caplog.text)  # webcorpus.numbers.duration


def test_plain_lines_name_phases_plainly_and_a_resume_says_what_it_skipped(tmp_path, shared_data):
    source = shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text(f"input: {source}\noutput: {tmp_path / 'out'}\nstages:\n  - extract: {{}}\n  - dedup: {{}}\n")
    first = CliRunner().invoke(main, ["run", str(pipeline), "--keep-intermediates"])
    assert first.exit_code == 0, first.output
    assert "[1/1] " in first.output and "dedup: clustering, round 1: " in first.output
    assert "cc000" not in first.output and "component_round" not in first.output
    again = CliRunner().invoke(main, ["run", str(pipeline), "--keep-intermediates"])
    assert "step 1/2 extract: 1 of 1 task(s) finished in an earlier run; skipping them" in again.output
    assert "step 2/2 dedup: finished in an earlier run; skipping it" in again.output


def test_a_resumed_step_draws_no_empty_bar(tmp_path, shared_data, monkeypatch):
    import sys

    from webcorpus import Pipeline, build_stage

    source = str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz")
    pipeline = Pipeline([build_stage("python", {"function": "tests.pipeline.helpers:url_length"})], input=source,
                        output=tmp_path / "out")
    pipeline.run(quiet=True)
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    pipeline.run()
    assert "0/0" not in terminal.getvalue() and "finished in an earlier run" in terminal.getvalue()
