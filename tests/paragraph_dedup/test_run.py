"""dedup_paragraphs in a real `webcorpus run`: bad options refused before any work, stats.json and the
report, and a run killed (kill -9) inside each phase then re-run gives the documents of an uninterrupted one."""
from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pyarrow.parquet as pq

from webcorpus.documents import from_rows

from tests.faults.helpers import cli, documents, run_cli, write_pipeline
from tests.paragraph_dedup.helpers import planted_corpus


def parquet_inputs(folder: Path, per_file: int = 4) -> list[str]:
    """The planted corpus as Parquet files of documents, a run's input as any other."""
    rows, _, _ = planted_corpus()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for start in range(0, len(rows), per_file):
        path = folder / f"pages-{start // per_file:03d}.parquet"
        pq.write_table(from_rows(rows[start : start + per_file]), path)
        paths.append(str(path))
    return paths


def test_bad_options_exit_2_before_any_work_one_line_each(tmp_path):
    inputs = parquet_inputs(tmp_path / "in", per_file=60)
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", inputs, output, ["dedup_paragraphs: {min_words: 0, partitions: many, min_document_word: 5}"])
    done = run_cli("run", str(path), "--quiet")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    problem = [line for line in done.stderr.splitlines() if "dedup_paragraphs" in line]
    assert problem and any("min_document_word" in line and "did you mean" in line for line in problem), done.stderr
    assert not (output / "documents").exists()
    path = write_pipeline(tmp_path / "q.yaml", inputs, output, ["dedup_paragraphs: {min_words: 0}"])
    done = run_cli("run", str(path), "--quiet")
    assert done.returncode == 2 and "'dedup_paragraphs'" in done.stderr and "min_words must be at least 1, got 0" in done.stderr
    path = write_pipeline(tmp_path / "r.yaml", inputs, output, ["dedup_paragraphs: {}", "extract: {}"])
    done = run_cli("run", str(path), "--quiet")
    assert done.returncode == 2 and "stage 1 'dedup_paragraphs' comes before 'extract' (stage 2)" in done.stderr
    assert not (output / "documents").exists()


def test_stats_and_report_list_the_most_repeated_paragraphs(tmp_path):
    inputs = parquet_inputs(tmp_path / "in", per_file=30)
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", inputs, output, ["dedup_paragraphs: {top: 5}"], workers=2)
    done = run_cli("run", str(path), "--quiet", "--report")
    assert done.returncode == 0, done.stderr
    stage = next(s for s in json.loads((output / "stats.json").read_text())["stages"] if s["name"] == "dedup_paragraphs")
    most = stage["details"]["most_repeated"]
    assert len(most) == 5 and [m["documents"] for m in most[:4]] == [30, 22, 14, 6]
    assert stage["counters"]["paragraphs_removed"] >= 68 and stage["counters"]["characters_removed"] > 68 * 80
    page = (output / "report.html").read_text()
    assert '<section id="paragraphs">' in page and f'data-value="{stage["counters"]["paragraphs_removed"]}"' in page
    assert most[0]["text"][:40].split()[0] in page


# each a file whose appearance means the run is inside that phase of the stage (step 1): kill it there
PHASE_SIGNS = ["hash.00000.done", "decide.00000.done", "apply.00000.done"]


def test_kill_9_inside_every_phase_then_rerun_gives_the_same_documents(tmp_path):
    inputs = parquet_inputs(tmp_path / "in")
    reference = tmp_path / "reference"
    path = write_pipeline(tmp_path / "r.yaml", inputs, reference, ["dedup_paragraphs: {partitions: 64}"])
    assert run_cli("run", str(path), "--quiet").returncode == 0
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", inputs, output, ["dedup_paragraphs: {partitions: 64}"])
    killed_in = []
    for sign in PHASE_SIGNS:
        run = cli("run", str(path), "--quiet")
        deadline = time.time() + 300
        while not (output / "markers" / "step-1" / sign).exists() and run.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            killed_in.append(sign)
        run.wait()
    assert len(killed_in) >= 2, killed_in  # a phase may be too short to catch on a fast machine, not most
    final = run_cli("run", str(path), "--quiet")
    assert final.returncode == 0, final.stderr
    assert documents(output) == documents(reference) and len(documents(reference)) == 120
    stats = [json.loads((folder / "stats.json").read_text())["stages"][-1] for folder in (reference, output)]
    assert stats[0]["counters"] == stats[1]["counters"] and stats[0]["details"] == stats[1]["details"]
    assert not list(output.rglob("*.tmp-*"))
