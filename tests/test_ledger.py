"""The ledger: committed markers are the only record of finished work, for one identity of the inputs."""
from __future__ import annotations

import os
import pickle

from webcorpus.ledger import Ledger, digest, input_identity


def test_commit_read_expect_and_forget(tmp_path):
    ledger = Ledger(tmp_path / "markers")
    assert ledger.read("step-0/task-a") is None
    ledger.commit("step-0/task-a", {"key": "k1", "rows": 3})
    ledger.commit("plan", {"key": "k1"})
    assert ledger.read("step-0/task-a") == {"key": "k1", "rows": 3}
    assert ledger.read("step-0/task-a", expect={"key": "k2"}) is None  # done, but for other inputs
    assert (tmp_path / "markers" / "step-0" / "task-a.done").is_file()
    assert not [p for p in (tmp_path / "markers").rglob("*") if ".tmp-" in p.name]  # nothing half-written stays
    ledger.forget("step-0/")
    assert ledger.read("step-0/task-a") is None and ledger.read("plan") is not None
    assert pickle.loads(pickle.dumps(ledger.child("step-0"))).marker("x") == tmp_path / "markers" / "step-0" / "x.done"


def test_identity_follows_the_file_and_the_portable_one_its_name_and_size(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(b"12345")
    before, portable = input_identity(str(path)), input_identity(str(path), portable=True)
    assert before[:2] == portable == ["crawl.warc.gz", 5]
    os.utime(path, ns=(before[2] + 10**9, before[2] + 10**9))  # rewritten with the same bytes
    assert input_identity(str(path)) != before and input_identity(str(path), portable=True) == portable
    assert input_identity("s3://bucket/crawl.warc.gz") == ["crawl.warc.gz"]
    assert digest([before], "opts") == digest([before], "opts") != digest([portable], "opts")
