"""Exit codes that mean what they say: 1 a re-run fixes it, 2 it does not; one line on the console,
the traceback in run.log, for failures inside global steps too; a killed dedup's temporaries cleaned."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.faults.helpers import documents, run_cli, write_pipeline
from webcorpus.pipeline import run_pipeline
from webcorpus.pipeline.config import config_from_dict
from webcorpus.stages.global_stage import GlobalStage

STAGES = ["extract: {}", "dedup: {}", "train_tokenizer: {vocab_size: 2048}", "tokenize: {formats: [llmc]}"]


def crawl(shared_data: Path) -> list[str]:
    return [str(shared_data / "warc" / name) for name in (
        "aut-example/warc/example.warc.gz", "warcio-tests/example.warc.gz", "jwarc-cc/cc.warc.gz",
        "ipwb-samples/sample-1.warc.gz", "resiliparse-tests/warcfile.warc.gz")]


class Broken(GlobalStage):
    """A global stage with a bug: it fails the same way on every run."""

    name = "broken"

    def run(self, ctx):
        raise ValueError("a bug inside a global step")


def test_a_global_step_that_fails_gives_one_line_exit_2_and_its_traceback_in_run_log(tmp_path, shared_data, capfd):
    output = tmp_path / "out"
    config = config_from_dict({"input": crawl(shared_data)[:1], "output": str(output), "stages": []})
    config.stages = [Broken()]
    result = run_pipeline(config, quiet=True)
    assert result.exit_code == 2 and result.fatal == "ValueError: a bug inside a global step"
    console = capfd.readouterr().err
    assert console.strip() == "ERROR run stopped: ValueError: a bug inside a global step"  # one line, no traceback
    log = (output / "logs" / "run.log").read_text()
    assert "Traceback (most recent call last)" in log and 'raise ValueError("a bug inside a global step")' in log
    # stats.json holds the funnel up to where it stopped, so `report` and `inspect` can say where documents went
    stats = json.loads((output / "stats.json").read_text())
    assert stats["documents"]["read"] > 0 and stats["documents"]["written"] == 0
    assert stats["stages"][-1]["name"] == Broken.name
    assert stats["stages"][-1]["skipped"] == "not finished: the run stopped (ValueError: a bug inside a global step)"


def test_a_tokenizer_file_that_is_not_one_is_refused_at_plan_time(tmp_path, shared_data):
    bogus = tmp_path / "bogus.model"
    bogus.write_bytes(b"not a sentencepiece model")
    stages = ["dedup: {}", f"tokenize: {{tokenizer: {bogus}, formats: [llmc]}}"]
    done = run_cli("run", str(write_pipeline(tmp_path / "p.yaml", crawl(shared_data), tmp_path / "out", stages)))
    assert done.returncode == 2 and "stage 2 'tokenize': cannot load" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
@pytest.mark.parametrize("size", ["120k", "600k"], ids=["full-in-per-file-step", "full-in-dedup"])
def test_disk_full_exits_2_with_one_line_then_resumes_identically(tmp_path, shared_data, size):
    reference = tmp_path / "reference"
    assert run_cli("run", str(write_pipeline(tmp_path / "r.yaml", crawl(shared_data), reference, STAGES)), "--quiet").returncode == 0
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], check=True)
    try:
        output = disk / "out"
        path = write_pipeline(tmp_path / "p.yaml", crawl(shared_data), output, STAGES, workers=2)
        full = run_cli("run", str(path), "--quiet")
        assert full.returncode == 2, full.stderr
        assert "No space left on device" in full.stderr and "free space" in full.stderr
        assert "Traceback" not in full.stderr
        subprocess.run(["mount", "-o", "remount,size=200m", str(disk)], check=True)
        resumed = run_cli("run", str(path), "--quiet")
        assert resumed.returncode == 0, resumed.stderr
        assert documents(output) == documents(reference)
        tokens = sorted(p.relative_to(output) for p in (output / "tokens").rglob("*.bin"))
        assert tokens == sorted(p.relative_to(reference) for p in (reference / "tokens").rglob("*.bin"))
        for name in tokens:
            assert (output / name).read_bytes() == (reference / name).read_bytes()
        assert not [p for p in output.rglob("*.tmp-*")]
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_temporaries_of_a_killed_run_are_removed_by_the_next(tmp_path, shared_data):
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", crawl(shared_data), output, STAGES)
    assert run_cli("run", str(path), "--quiet").returncode == 0
    # what a dedup killed mid-write leaves: a temporary beside its work file, and one beside a marker
    left = [output / "steps" / "step-2" / ".signatures.00000.npy.tmp-4242", output / "markers" / ".step-2.done.tmp-4243"]
    for leftover in left:
        leftover.parent.mkdir(parents=True, exist_ok=True)
        leftover.write_bytes(b"half")
    again = run_cli("run", str(path))
    assert again.returncode == 0 and "removed 2 temporary file(s)" in again.stderr
    assert not any(p.exists() for p in left)
