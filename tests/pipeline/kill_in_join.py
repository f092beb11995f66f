"""``python -m tests.pipeline.kill_in_join POINT ARGS``: ``webcorpus ARGS`` in this process, which kills
itself with SIGKILL at one point of joining a split file's byte ranges (pipeline/range_join.py):

* ``shards``: just after the first joined shard is renamed into place, before the file's marker;
* ``marker``: just after the whole file's marker is committed, before its ranges' shards go;
* ``ranges``: after the ranges' shards are gone, before their markers go.

A real kill -9 of a real run at a chosen moment, with nothing after it run: what a re-run finds
is exactly what a crash there leaves. Run it with ``workers: 1`` (the join then runs in this process).
"""
from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from webcorpus.cli import main
from webcorpus.document_shards import ShardWriter
from webcorpus.ledger import Ledger


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def arm(point: str) -> None:
    close, commit, marker = ShardWriter._close_shard, Ledger.commit, Ledger.marker
    joined = []

    def close_then_die(self):
        close(self)
        if ".bytes-" not in self.prefix:  # a step-0 writer of a whole file: here, only a join writes one
            die()

    def commit_then_note(self, name, record):
        result = commit(self, name, record)
        if Path(self.root).name == "step-0" and ".bytes-" not in name:
            if point == "marker":
                die()
            joined.append(name)
        return result

    def die_at_range_marker(self, name):
        if joined and ".bytes-" in name:
            die()
        return marker(self, name)

    if point == "shards":
        ShardWriter._close_shard = close_then_die
    Ledger.commit = commit_then_note
    if point == "ranges":
        Ledger.marker = die_at_range_marker


if __name__ == "__main__":
    arm(sys.argv[1])
    main(args=sys.argv[2:], prog_name="webcorpus")
