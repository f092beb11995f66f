"""`webcorpus run --crawl CC-MAIN-...` against a local HTTP server laid out like Common Crawl's tree."""
from __future__ import annotations

import json

from click.testing import CliRunner

from webcorpus.cli import main
from tests.readers.test_sources import CRAWL, cc_server  # noqa: F401  (the fixture)


def run_crawl(tmp_path, base: str, limit: int):
    """`webcorpus run` of an empty pipeline on the first ``limit`` files of the served crawl."""
    pipeline = tmp_path / "p.yaml"
    pipeline.write_text("stages: []\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["run", str(pipeline), "--crawl", CRAWL, "--crawl-limit", str(limit), "--crawl-base-url", base, "--output", str(out), "--quiet"],
    )
    return result, out


def test_run_first_n_files_of_a_crawl_over_http(tmp_path, cc_server):  # noqa: F811
    base, paths = cc_server
    result, out = run_crawl(tmp_path, base, 2)
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())
    assert stats["run"]["input_files"] == 2
    assert stats["documents"]["written"] == 2  # one page in each served WARC
    run = json.loads((out / "run.json").read_text())
    assert run["inputs"] == [base + p for p in paths[:2]]


def test_a_crawl_file_that_cannot_be_fetched_fails_its_task_not_the_run(tmp_path, cc_server):  # noqa: F811
    """A file that cannot be opened (network, missing) is a failed task, retried by a re-run; not bad input."""
    base, paths = cc_server  # only the first two of ten listed files exist on the server
    result, out = run_crawl(tmp_path, base, 3)
    assert result.exit_code == 1
    stats = json.loads((out / "stats.json").read_text())
    assert stats["documents"]["read"] == 2
    assert [f["source"] for f in stats["tasks"]["failed"]] == [base + paths[2]]
    markers = sorted(p.name for p in (out / "markers" / "step-0").glob("*.done"))
    assert len(markers) == 2  # the failed file has no marker: a re-run tries it again
