"""The same input and config give byte-identical outputs whatever the worker count (Ray: tests/executors)."""
from __future__ import annotations

import json

from webcorpus import Pipeline, build_stage

from tests.executors.test_ray import full_chain, output_digests


def test_full_chain_is_identical_with_one_and_two_workers(tmp_path, shared_data):
    inputs = [
        str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"),
        str(shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz"),
        str(shared_data / "warc" / "copycat-cc-arc-sample" / "cc-arc-sample" / "small-sample-1213893279526_0.arc"),
    ]
    one = Pipeline(full_chain(), input=inputs, output=tmp_path / "one", workers=1).run(quiet=True)
    two = Pipeline(full_chain(), input=inputs, output=tmp_path / "two", workers=2).run(quiet=True)
    assert one.exit_code == two.exit_code == 0
    digests = output_digests(tmp_path / "one")
    assert any(name.startswith("tokens/") for name in digests) and any(name.startswith("dedup/") for name in digests)
    assert digests == output_digests(tmp_path / "two")


def _without_timings(stats: dict) -> dict:
    """stats.json less what the clock, the worker count and the output folder decide."""
    stats = json.loads(json.dumps(stats))
    stats["run"] = {"stages": stats["run"]["config"]["stages"], "input": stats["run"]["config"]["input"]}
    for stage in stats["stages"]:
        stage.pop("seconds")
        stage.pop("setup_seconds")
    return stats


def test_filter_signals_in_stats_json_are_identical_with_one_and_two_workers(tmp_path, shared_data):
    inputs = [
        str(shared_data / "warc" / "dolma-wget-sample" / "sample-0000.warc.gz"),
        str(shared_data / "warc" / "dolma-wget-sample" / "sample-0001.warc.gz"),
        str(shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"),
    ]

    def stages():
        return [build_stage("extract", {}), build_stage("gopher_repetition", {"flavor": "fineweb"}),
                build_stage("gopher_quality", {}), build_stage("c4", {}), build_stage("fineweb_quality", {})]

    one = Pipeline(stages(), input=inputs, output=tmp_path / "one", workers=1).run(quiet=True)
    two = Pipeline(stages(), input=inputs, output=tmp_path / "two", workers=2).run(quiet=True)
    assert one.exit_code == two.exit_code == 0
    stats_one = json.loads((tmp_path / "one" / "stats.json").read_text())
    stats_two = json.loads((tmp_path / "two" / "stats.json").read_text())
    with_signals = [s["name"] for s in stats_one["stages"] if s.get("signals")]
    assert with_signals == ["extract", "gopher_repetition", "gopher_quality", "c4", "fineweb_quality"]
    assert sum(stats_one["stages"][2]["signals"]["words"]["counts"]) == stats_one["stages"][2]["documents_in"] > 0
    assert _without_timings(stats_one) == _without_timings(stats_two)
    assert output_digests(tmp_path / "one") == output_digests(tmp_path / "two")
