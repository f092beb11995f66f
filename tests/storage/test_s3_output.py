"""Runs whose output is an S3 bucket (a real S3 API: the moto server of conftest.py).

Same pipeline, same bytes on local disk and on S3; a kill -9 on S3 and a re-run from another
staging folder (another machine) loses and repeats nothing; an output that cannot work is refused
with exit 2 before any work.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from webcorpus import Pipeline
from webcorpus.pipeline import ConfigError

from tests.conftest import REPO, SHARED_DATA
from tests.executors.test_ray import full_chain, output_digests
from tests.pipeline.test_resume import documents, pipeline_file
from tests.pipeline.test_run import crawl_files, expand


def download(url: str, target: Path) -> Path:
    """Every object under ``url`` into ``target`` (what a reader of the bucket sees)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    fs.invalidate_cache()
    for key in fs.find(root):
        local = target / key[len(root.rstrip("/")) + 1:]
        local.parent.mkdir(parents=True, exist_ok=True)
        fs.get_file(key, str(local))
    return target


def small_inputs(shared_data: Path) -> list[str]:
    return [
        str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"),
        str(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz"),
        str(shared_data / "warc" / "copycat-cc-arc-sample" / "cc-arc-sample" / "small-sample-1213893279526_0.arc"),
    ]


@pytest.mark.slow
def test_full_chain_on_s3_gives_the_bytes_of_a_local_run(tmp_path, shared_data, bucket, monkeypatch):
    monkeypatch.setenv("WEBCORPUS_STAGING", str(tmp_path / "staging"))
    inputs = small_inputs(shared_data)
    local = Pipeline(full_chain(), input=inputs, output=tmp_path / "local", workers=2).run(quiet=True)
    remote = Pipeline(full_chain(), input=inputs, output=f"{bucket}/run", workers=2).run(quiet=True)
    assert local.exit_code == remote.exit_code == 0
    assert remote.url == f"{bucket}/run"
    on_s3 = output_digests(download(f"{bucket}/run", tmp_path / "from-s3"))
    on_disk = output_digests(tmp_path / "local")
    assert any(name.startswith("tokens/llmc/") for name in on_disk)
    assert any(name.startswith("dedup/") for name in on_disk) and any(name.startswith("tokenizer/") for name in on_disk)
    assert on_s3 == on_disk
    # The bucket holds the run's own records too, and nothing half-written.
    published = {p.relative_to(tmp_path / "from-s3").as_posix() for p in (tmp_path / "from-s3").rglob("*") if p.is_file()}
    assert {"run.json", "stats.json", "logs/run.log"} <= published
    assert any(name.startswith("markers/step-0/") for name in published)
    assert not [name for name in published if "/." in f"/{name}" or name.endswith(".tmp")]
    assert remote.stats["storage"]["total"]["requests"]["put"] >= len(published)
    # The driver's folder held the ledger only, and no task marker: the workers put theirs, its results stay in memory.
    assert not list((tmp_path / "staging").rglob("*.parquet")) and not list((tmp_path / "staging").rglob("step-0/*.done"))

    # A re-run on another machine (a fresh staging folder) resumes from the bucket: nothing redone.
    monkeypatch.setenv("WEBCORPUS_STAGING", str(tmp_path / "staging-2"))
    again = Pipeline(full_chain(), input=inputs, output=f"{bucket}/run", workers=2).run(quiet=True)
    assert again.exit_code == 0
    assert again.stats["tasks"]["resumed"] >= len(inputs)
    # Only the run's own records are published again (run.json, the log, stats.json): no output
    # twice, nothing deleted but the stats.json it replaces.
    assert again.remote.mirror.put_names <= {"run.json", "logs/run.log", "stats.json"}, again.remote.mirror.put_names
    assert again.remote.store.requests["delete"] <= 1, again.remote.store.requests
    assert output_digests(download(f"{bucket}/run", tmp_path / "from-s3-again")) == on_disk


@pytest.mark.slow
def test_split_files_on_s3_give_the_bytes_of_an_unsplit_local_run(tmp_path, shared_data, bucket, monkeypatch):
    """Byte ranges with an output URL: workers commit range shards to the bucket, the driver joins
    them in staging and the mirror replaces them: the bucket ends as an unsplit local run."""
    monkeypatch.setenv("WEBCORPUS_STAGING", str(tmp_path / "staging"))
    inputs = small_inputs(shared_data)[:2]  # example.warc.gz (2.5 MB) becomes 4 ranges of 640 KB
    local = Pipeline(full_chain(), input=inputs, output=tmp_path / "local", workers=2, split_bytes=0).run(quiet=True)
    remote = Pipeline(full_chain(), input=inputs, output=f"{bucket}/split", workers=2,
                      split_bytes=640 << 10).run(quiet=True)
    assert local.exit_code == remote.exit_code == 0
    on_s3 = output_digests(download(f"{bucket}/split", tmp_path / "from-s3"))
    on_disk = output_digests(tmp_path / "local")
    assert any(name.startswith("documents/") for name in on_disk)
    assert "joined the byte ranges of 1 file(s)" in (tmp_path / "from-s3" / "logs" / "run.log").read_text()
    assert not [name for name in on_s3 if ".bytes-" in name]  # no range shard is left in the bucket
    assert not list((tmp_path / "from-s3" / "markers").rglob("*.bytes-*"))  # nor a range's marker
    assert on_s3 == on_disk


def _start(path: Path, staging: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO), "WEBCORPUS_TEST_SLOW": "0.01",
           "WEBCORPUS_STAGING": str(staging), "WEBCORPUS_PUBLISH_SECONDS": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "webcorpus", "run", str(path), "--quiet"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )


def _remote_markers(url: str) -> int:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    fs.invalidate_cache()
    try:
        return sum(1 for key in fs.find(f"{root}/markers/step-0") if key.endswith(".done"))
    except FileNotFoundError:
        return 0


@pytest.mark.slow
def test_kill_9_on_s3_then_rerun_elsewhere_loses_and_repeats_nothing(tmp_path, shared_data, bucket):
    inputs = expand(crawl_files(shared_data))
    reference = tmp_path / "reference"
    process = _start(pipeline_file(tmp_path, inputs, reference), tmp_path / "unused")
    assert process.wait(timeout=300) == 0, process.stderr.read().decode()
    expected = documents(reference)

    url = f"{bucket}/killed"
    path = pipeline_file(tmp_path, inputs, Path("killed"))
    path.write_text(path.read_text().replace("output: killed", f"output: {url}"))
    for attempt, (wait_for_markers, whole_group) in enumerate(((1, True), (3, False))):  # kill twice, at different points
        process = _start(path, tmp_path / f"machine-{attempt}")  # each attempt on "another machine"
        deadline = time.time() + 120
        while time.time() < deadline and process.poll() is None and _remote_markers(url) < wait_for_markers:
            time.sleep(0.1)
        if whole_group:  # the driver and its workers, with no chance to publish anything more
            os.killpg(process.pid, signal.SIGKILL)
        else:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert 0 < _remote_markers(url) < len(inputs), "the run finished before it was killed, or published nothing"

    process = _start(path, tmp_path / "machine-last")
    assert process.wait(timeout=300) == 0, process.stderr.read().decode()
    got = documents(download(url, tmp_path / "from-s3"))
    assert len(got) == len(expected) > 100
    assert got == expected  # nothing lost, nothing twice
    # No shard of a killed attempt stays in the bucket: exactly the shards stats.json lists.
    import json

    listed = json.loads((tmp_path / "from-s3" / "stats.json").read_text())["documents"]["shards"]
    assert sorted(p.name for p in (tmp_path / "from-s3" / "documents").iterdir()) == sorted(listed)


def _run_cli(tmp_path: Path, output: str) -> subprocess.CompletedProcess:
    path = tmp_path / "p.yaml"
    inputs = [str(SHARED_DATA / "warc" / "aut-example" / "warc" / "example.warc.gz")]
    path.write_text(f"output: {output}\ninput: {inputs[0]}\nstages: []\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "WEBCORPUS_STAGING": str(tmp_path / "staging")}
    return subprocess.run([sys.executable, "-m", "webcorpus", "run", str(path), "--quiet"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_unknown_scheme_is_refused_with_exit_2(tmp_path):
    done = _run_cli(tmp_path, "nosuchscheme://bucket/out")
    assert done.returncode == 2
    assert "unknown scheme 'nosuchscheme://'" in done.stderr
    assert not (REPO / "nosuchscheme:").exists() and not (tmp_path / "nosuchscheme:").exists()


def test_missing_backend_names_the_package(tmp_path):
    import fsspec

    try:
        fsspec.get_filesystem_class("oci")
        pytest.skip("ocifs is installed here: no missing backend to show")
    except ImportError:
        pass
    done = _run_cli(tmp_path, "oci://bucket@namespace/out")
    assert done.returncode == 2
    assert "ocifs" in done.stderr


def test_missing_bucket_is_refused_before_any_work(tmp_path, s3_endpoint):
    done = _run_cli(tmp_path, "s3://no-such-bucket-here/out")
    assert done.returncode == 2, done.stderr
    assert "is not writable" in done.stderr
    assert not (tmp_path / "staging").exists()


def test_unwritable_local_output_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        with pytest.raises(ConfigError, match="not writable"):
            Pipeline([], input=small_inputs(SHARED_DATA)[:1], output=locked / "out").run(quiet=True)
    finally:
        locked.chmod(0o700)


def test_credentials_that_do_not_work_are_refused(tmp_path, s3_endpoint, monkeypatch):
    """A server that checks credentials (moto with authentication on) refuses the dummy ones."""
    from tests.storage.conftest import start_moto

    with start_moto({"INITIAL_NO_AUTH_ACTION_COUNT": "0"}) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        done = _run_cli(tmp_path, "s3://some-bucket/out")
    assert done.returncode == 2, done.stderr
    assert "is not writable" in done.stderr


def test_file_url_output_is_the_local_folder(tmp_path):
    result = Pipeline([], input=small_inputs(SHARED_DATA)[:1], output=f"file://{tmp_path / 'out'}").run(quiet=True)
    assert result.exit_code == 0 and result.remote is None
    assert (tmp_path / "out" / "stats.json").is_file()
    assert len(list((tmp_path / "out" / "documents").glob("*.parquet"))) == len(result.stats["documents"]["shards"]) > 0


def test_dry_run_with_an_output_url_names_the_url_and_writes_nothing(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(f"output: s3://some-bucket/run\ninput: {small_inputs(SHARED_DATA)[0]}\nstages: []\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "WEBCORPUS_STAGING": str(tmp_path / "staging")}
    done = subprocess.run([sys.executable, "-m", "webcorpus", "run", str(path), "--dry-run"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "-> s3://some-bucket/run" in done.stdout and "a dry run does not read the bucket" in done.stdout
    assert not (tmp_path / "s3:").exists() and not (tmp_path / "staging").exists()


def test_a_report_of_a_run_on_s3_is_put_beside_it(tmp_path, bucket):
    """`run --report` on an output URL: the report is made from what it reads, pulled into a temporary
    folder (never the driver's ledger folder), and put as URL/report.html."""
    path = tmp_path / "p.yaml"
    path.write_text(f"output: {bucket}/reported\ninput: {small_inputs(SHARED_DATA)[0]}\n"
                    "stages:\n  - extract: {engine: resiliparse}\n  - dedup: {}\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "WEBCORPUS_STAGING": str(tmp_path / "ledger")}
    done = subprocess.run([sys.executable, "-m", "webcorpus", "run", str(path), "--quiet", "--report"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"report: {bucket}/reported/report.html" in done.stderr
    got = download(f"{bucket}/reported", tmp_path / "from-s3")
    page = (got / "report.html").read_text()
    assert '<section id="funnel">' in page and 'id="storage-table"' in page and 'id="nodes-table"' in page
    assert not list((tmp_path / "ledger").rglob("*.parquet"))  # the driver's folder never held a document
