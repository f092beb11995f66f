"""The README's first command, `webcorpus demo`, end to end: sample crawl -> pipelines/main.yaml -> a tiny
GPT on the token shards -> the same crawl without quality filters and an ablation of the two -> the HTML report."""
from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

pytest.importorskip("torch")

from webcorpus.cli import main  # noqa: E402


def test_demo_goes_from_crawl_to_model_and_report_and_quiet_means_quiet(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--output", str(out), "--workers", "2", "--train-steps", "6", "--ablation-steps", "6", "--quiet"])
    assert result.exit_code == 0, result.output + (result.stderr or "")
    stats = json.loads((out / "run" / "stats.json").read_text())
    assert stats["documents"]["written"] > 50
    assert any((out / "run" / "tokens").rglob("*.bin"))
    metrics = [json.loads(line) for line in (out / "model" / "metrics.jsonl").read_text().splitlines()]
    assert metrics[-1]["step"] == 6 and "train_loss" in metrics[-1]
    assert (out / "run" / "report.html").stat().st_size > 10_000
    # The ablation: the main output against the same crawl without quality filters, in the report.
    variant = json.loads((out / "run-no-quality" / "stats.json").read_text())
    assert variant["documents"]["written"] > stats["documents"]["written"]
    assert not {"gopher_quality", "c4", "fineweb_quality"} & {s["name"] for s in variant["stages"]}
    ablation = json.loads((out / "ablation" / "ablation.json").read_text())
    assert [r["name"] for r in ablation["runs"]] == ["quality-filtered", "no-quality-filters"]
    assert all(r["trained_tokens"] == ablation["held_equal"]["train_tokens"] for r in ablation["runs"])
    page = (out / "run" / "report.html").read_text()
    assert '<section id="ablation">' in page and 'data-run="no-quality-filters"' in page
    # --quiet: no progress lines and no per-step training lines on stdout
    assert "step " not in result.stdout and "docs/s" not in result.stdout
    # no-quality.yaml names what the demo ran: its input and output
    ran = json.loads((out / "run-no-quality" / "run.json").read_text())["config"]
    written = yaml.safe_load((out / "no-quality.yaml").read_text())
    assert written["input"] == ran["input"] and written["output"] == ran["output"] == str((out / "run-no-quality").absolute())
    # a second demo finds the same sample crawl (same bytes, same file times) and resumes the finished run
    again = CliRunner().invoke(main, ["demo", "--output", str(out), "--workers", "2", "--train-steps", "0", "--ablation-steps", "0", "--quiet"])
    assert again.exit_code == 0, again.output
    log = (out / "run" / "logs" / "run.log").read_text()
    assert "starting afresh" not in log and log.rstrip().endswith(f"nothing to do ({out / 'run' / 'stats.json'})")
