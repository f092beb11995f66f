"""The same input and config give byte-identical outputs whatever the worker count (Ray: tests/executors)."""
from __future__ import annotations

from webcorpus import Pipeline

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
