"""Large crawl files split into byte-range tasks give the outputs of an unsplit run, resume, and refuse bad values."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from webcorpus import Pipeline, build_stage
from webcorpus.pipeline.config import ConfigError, config_from_dict
from webcorpus.readers.ranges import byte_ranges

from tests.conftest import REPO
from tests.faults.helpers import cli, run_cli, write_pipeline

SPLIT = 1 << 19  # 512 KiB: the two large files below become 4 and 5 ranges


def inputs(shared_data: Path) -> list[str]:
    warc = shared_data / "warc"
    return [str(warc / name) for name in (
        "aut-example/warc/example.warc.gz",  # 2.5 MB, 822 members
        "aut-example/arc/example.arc.gz",  # 2.0 MB ARC, 300 members
        "cdxwriter-edgecases/giant_html.warc.gz",  # 1.9 MB in one member: stays one task
        "warcio-tests/example.warc.gz",  # small
    )]


def rows(output: Path, folder: str = "documents") -> list[dict]:
    """Every row of a run's shards, the shards read in sorted order."""
    out = []
    for shard in sorted((output / folder).glob("*.parquet")):
        out += pq.read_table(shard).to_pylist()
    return out


def read_stats(output: Path) -> dict:
    return json.loads((output / "stats.json").read_text())


def stage():
    return [build_stage("python", {"function": "tests.pipeline.helpers:url_length"})]


def digests(output: Path, folder: str = "documents") -> dict[str, str]:
    """sha256 of every Parquet file in a run's folder, by name."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((output / folder).glob("*.parquet"))}


def counts(stats: dict) -> dict:
    """stats.json without what is timing or where the run was: the counts a split must not change."""
    stages = [{k: v for k, v in stage.items() if k not in ("seconds", "setup_seconds")} for stage in stats["stages"]]
    return {"reader": stats["reader"], "documents": stats["documents"], "tasks": stats["tasks"], "stages": stages}


@pytest.mark.parametrize("workers", [1, 2])
def test_split_files_give_the_files_of_an_unsplit_run(tmp_path, shared_data, workers):
    files = inputs(shared_data)
    whole = Pipeline(stage(), input=files, output=tmp_path / "whole", workers=1, split_bytes=0).run(quiet=True)
    split = Pipeline(stage(), input=files, output=tmp_path / "split", workers=workers, split_bytes=SPLIT).run(quiet=True)
    assert whole.exit_code == split.exit_code == 0
    assert len(rows(tmp_path / "whole")) > 150
    assert digests(tmp_path / "split") == digests(tmp_path / "whole")  # names and bytes
    a, b = read_stats(tmp_path / "whole"), read_stats(tmp_path / "split")
    assert counts(b) == counts(a) and a["tasks"]["finished"] == 4
    log = (tmp_path / "split" / "logs" / "run.log").read_text()
    assert "joined the byte ranges of 2 file(s)" in log  # the two large files were split, then joined
    assert [p.name for p in (tmp_path / "split" / "markers" / "step-0").glob("*.done")] == [
        p.name for p in (tmp_path / "whole" / "markers" / "step-0").glob("*.done")]


def test_split_step_shards_and_excluded_documents_are_those_of_an_unsplit_run(tmp_path, shared_data):
    """Small batches (many row groups, cut at other places in each range) and a filter that drops
    documents: the step's intermediate shards, the documents after a global step, the excluded
    documents and the counts are the unsplit run's, byte for byte."""
    files = inputs(shared_data)[:2]

    def chain():
        return [build_stage("extract", {"engine": "resiliparse"}),
                build_stage("python", {"function": "tests.pipeline.helpers:keep_even_offsets"}),
                build_stage("dedup", {}), build_stage("python", {"function": "tests.pipeline.helpers:url_length"})]

    for name, split in (("whole", 0), ("split", SPLIT)):
        run = Pipeline(chain(), input=files, output=tmp_path / name, workers=2, split_bytes=split, batch_size=7,
                       excluded=True)
        assert run.run(quiet=True, keep_intermediates=True).exit_code == 0
    for folder in ("documents", "steps/step-0/documents", "steps/step-1/documents", "dedup/removed"):
        assert digests(tmp_path / "split", folder) == digests(tmp_path / "whole", folder), folder
        assert digests(tmp_path / "whole", folder), folder
    assert rows(tmp_path / "split", "excluded") == rows(tmp_path / "whole", "excluded") != []
    assert counts(read_stats(tmp_path / "split")) == counts(read_stats(tmp_path / "whole"))


def test_the_full_chain_gives_the_same_tokens_split_or_not(tmp_path, shared_data):
    files = inputs(shared_data)[:2]

    def chain():
        return [build_stage("extract", {"engine": "resiliparse"}), build_stage("dedup", {}),
                build_stage("train_tokenizer", {"vocab_size": 512}), build_stage("tokenize", {"formats": ["llmc"]})]

    for name, split in (("whole", 0), ("split", SPLIT)):
        assert Pipeline(chain(), input=files, output=tmp_path / name, workers=2, split_bytes=split).run(quiet=True).exit_code == 0
    for folder in ("documents", "dedup/removed"):
        assert rows(tmp_path / "split", folder) == rows(tmp_path / "whole", folder), folder
        assert digests(tmp_path / "split", folder) == digests(tmp_path / "whole", folder), folder
    assert counts(read_stats(tmp_path / "split")) == counts(read_stats(tmp_path / "whole"))
    tokens = sorted(p.relative_to(tmp_path / "whole") for p in (tmp_path / "whole").rglob("*.bin"))
    assert tokens
    for path in tokens + [Path("tokenizer/tokenizer.model")]:
        assert (tmp_path / "split" / path).read_bytes() == (tmp_path / "whole" / path).read_bytes(), path


def test_kill_9_mid_run_then_resume_split_tasks_and_change_the_split(tmp_path, shared_data):
    files = inputs(shared_data)
    reference = tmp_path / "reference"
    stages = ["python: {function: 'tests.pipeline.helpers:slow'}"]
    assert run_cli("run", str(write_pipeline(tmp_path / "r.yaml", files, reference, stages)), "--split-bytes", "0",
                   "--quiet").returncode == 0
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", files, output, stages, workers=2)
    run = cli("run", str(path), "--quiet", "--split-bytes", str(SPLIT), env={"WEBCORPUS_TEST_SLOW": "0.05"})
    markers = output / "markers" / "step-0"
    deadline = time.time() + 120
    while run.poll() is None and time.time() < deadline and len(list(markers.glob("*.bytes-*.done"))) < 3:
        time.sleep(0.02)
    assert run.poll() is None, "the run ended before it could be killed"
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    finished = sorted(p.name for p in markers.glob("*.done"))
    assert any(".bytes-" in name for name in finished)
    # the same split resumes: finished ranges are skipped
    again = run_cli("run", str(path), "--split-bytes", str(SPLIT))
    assert again.returncode == 0, again.stderr
    assert "finished in an earlier run; skipping them" in again.stderr
    assert rows(output) == rows(reference)
    # another split, and none: same documents, nothing twice
    for split in (str(SPLIT * 2), "0"):
        assert run_cli("run", str(path), "--quiet", "--split-bytes", split).returncode == 0
        assert rows(output) == rows(reference), split


def test_shards_of_an_unsplit_attempt_are_not_kept_beside_the_ranges(tmp_path, shared_data):
    """A whole-file task stopped after writing its shards and before its marker (the moment a kill can
    hit), then a re-run that splits the file: the whole-file shards must go, or documents come twice."""
    files = inputs(shared_data)
    whole = tmp_path / "whole"
    assert Pipeline(stage(), input=files, output=whole, split_bytes=0).run(quiet=True).exit_code == 0
    expected = rows(whole)
    (marker,) = (whole / "markers" / "step-0").glob("example.arc.gz-*.done")
    marker.unlink()
    assert any(p.name.startswith("example.arc.gz-") for p in (whole / "documents").glob("*.parquet"))
    assert Pipeline(stage(), input=files, output=whole, split_bytes=SPLIT).run(quiet=True).exit_code == 0
    assert rows(whole) == expected
    arc = sorted(p.name for p in (whole / "documents").glob("example.arc.gz-*"))
    assert arc == [marker.name.replace(".done", ".00000.parquet")]  # the ranges, joined under the file's name
    assert not list((whole / "markers" / "step-0").glob("*.bytes-*"))


def nested_crawl(tmp_path: Path, shared_data: Path) -> tuple[Path, int]:
    """Real members of a WARC file with, at a range boundary, a record holding a real gzipped WARC record
    stored uncompressed (deflate level 0): a member start that only the seam check can tell apart.
    Returns the file and a ``split_bytes`` whose second range starts inside that record, before the
    stored member's magic bytes."""
    data = (shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz").read_bytes()
    starts, position = [], 0
    while position < len(data):
        inflater = zlib.decompressobj(31)
        starts.append(position)
        inflater.decompress(data[position:])
        position = len(data) - len(inflater.unused_data)
    members = [data[a:b] for a, b in zip(starts, starts[1:])]
    inner = next(m for m in members[50:] if b"WARC-Type: response" in (record := zlib.decompress(m, 31))
                 and b"text/html" in record and b"200 OK" in record)  # a real member: an HTML page's response
    head = (b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Target-URI: http://example.com/crawl.warc.gz\r\n"
            b"WARC-Record-ID: <urn:uuid:00000000-0000-4000-8000-000000000001>\r\nContent-Type: application/warc\r\n"
            # a long extension header: the stored member lies further into the record than members lie apart
            b"X-Note: " + b"n" * 8000 + b"\r\nContent-Length: %d\r\n\r\n" % len(inner))
    stored = gzip.compress(head + inner + b"\r\n\r\n", compresslevel=0, mtime=0)
    size, reach = len(data) + len(stored), stored.index(inner)
    # a cut and a boundary of it such that the outer record starts before the boundary, its stored member after
    split, at = next((split, member) for split in (-(-size // n) for n in range(3, 30)) for start, _ in byte_ranges(size, split)[1:]
                     for member in [max(m for m in starts if m < start)] if member + reach >= start)
    path = tmp_path / "nested.warc.gz"
    path.write_bytes(data[:at] + stored + data[at:])
    return path, split


def test_ranges_that_do_not_meet_are_read_again_as_one_task(tmp_path, shared_data):
    path, split = nested_crawl(tmp_path, shared_data)
    whole = Pipeline(stage(), input=[str(path)], output=tmp_path / "whole", split_bytes=0).run(quiet=True)
    split_run = Pipeline(stage(), input=[str(path)], output=tmp_path / "split", workers=2, split_bytes=split).run(quiet=True)
    assert whole.exit_code == split_run.exit_code == 0
    assert rows(tmp_path / "split") == rows(tmp_path / "whole") and rows(tmp_path / "whole")
    assert read_stats(tmp_path / "split")["reader"] == read_stats(tmp_path / "whole")["reader"]
    log = (tmp_path / "split" / "logs" / "run.log").read_text()
    assert "byte ranges do not meet" in log
    assert [p.name for p in (tmp_path / "split" / "markers" / "step-0").glob("*.done")] == [
        p.name for p in (tmp_path / "whole" / "markers" / "step-0").glob("*.done")]


@pytest.mark.parametrize("value", [-1, 1000, "1GiB", 1.5, True])
def test_a_bad_split_bytes_is_refused_before_work(value):
    with pytest.raises(ConfigError, match="split_bytes"):
        config_from_dict({"input": "x.warc.gz", "output": "out", "split_bytes": value, "stages": []})


def test_a_bad_split_bytes_on_the_command_line_exits_2(tmp_path, shared_data):
    path = write_pipeline(tmp_path / "p.yaml", inputs(shared_data)[:1], tmp_path / "out", [])
    result = run_cli("run", str(path), "--split-bytes", "100")
    assert result.returncode == 2 and "'split_bytes' must be 0 (never split) or an integer of at least 65536" in result.stderr
    assert not (tmp_path / "out" / "documents").exists()


def test_a_range_task_counts_its_own_bytes_and_keeps_absolute_offsets(tmp_path, shared_data):
    from webcorpus.pipeline.tasks import FileTask, run_file_task

    source = inputs(shared_data)[0]
    start, end = byte_ranges(os.path.getsize(source), SPLIT)[2]
    task = FileTask(source, str(tmp_path / "docs"), str(tmp_path / "markers"), batch_size=10,
                    size=os.path.getsize(source), byte_range=(start, end))
    seen: list[int] = []
    result = run_file_task(task, [], seen.append)
    assert result.task == task.task_id and task.task_id.endswith(f".bytes-{start:013d}-{end:013d}")
    assert len(seen) > 2 and seen == sorted(seen) and seen[-1] == end - start and all(0 <= n <= end - start for n in seen)
    first, stop = result.seam
    assert start <= first < end <= stop and result.byte_range == [start, end]
    offsets = [row["offset"] for row in rows(tmp_path, "docs")]
    assert offsets and first <= min(offsets) and max(offsets) < end
    assert task.ledger.read(task.task_id)["seam"] == [first, stop]  # the marker keeps the seam for a resumed check


@pytest.mark.parametrize("point", ["shards", "marker", "ranges"])
def test_a_run_killed_while_joining_ranges_resumes_to_the_files_of_an_unsplit_run(tmp_path, shared_data, point):
    """kill -9 at each step of the join (tests/pipeline/kill_in_join.py), then the same command again:
    the documents, counts and markers are those of an unsplit run, with no range left behind."""
    files = inputs(shared_data)[:2]
    stages = ["python: {function: 'tests.pipeline.helpers:url_length'}"]
    reference = tmp_path / "reference"
    assert run_cli("run", str(write_pipeline(tmp_path / "r.yaml", files, reference, stages)), "--split-bytes", "0",
                   "--quiet").returncode == 0
    output = tmp_path / "out"
    path = write_pipeline(tmp_path / "p.yaml", files, output, stages)
    killed = subprocess.run([sys.executable, "-m", "tests.pipeline.kill_in_join", point, "run", str(path), "--quiet",
                             "--split-bytes", str(SPLIT)], cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list((output / "markers" / "step-0").glob("*.bytes-*.done"))  # killed before the ranges were forgotten
    again = run_cli("run", str(path), "--quiet", "--split-bytes", str(SPLIT))
    assert again.returncode == 0, again.stderr
    assert digests(output) == digests(reference) and digests(reference)
    assert counts(read_stats(output))["stages"] == counts(read_stats(reference))["stages"]
    assert read_stats(output)["reader"] == read_stats(reference)["reader"]
    assert sorted(p.name for p in (output / "markers" / "step-0").iterdir()) == sorted(
        p.name for p in (reference / "markers" / "step-0").iterdir())
