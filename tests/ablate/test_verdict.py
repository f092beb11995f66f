"""The verdict: the winner by mean loss, the margin, and the margin against the seeds' spread."""
from __future__ import annotations

import pytest

from webcorpus.ablate.verdict import verdict, verdict_line


def runs(**losses):
    return {name: [{"shared_val": {"loss": x}} for x in values] for name, values in losses.items()}


def test_a_margin_larger_than_the_spread_with_every_seed_ahead():
    v = verdict(runs(a=[3.0, 3.1, 3.05], b=[3.5, 3.55, 3.45]), "shared_val")
    assert v["winner"] == "a" and v["runner_up"] == "b" and v["margin"] == pytest.approx(0.45)
    assert v["spread"] == pytest.approx(0.1) and v["wins"] == 3 and v["exceeds_spread"]
    assert "a wins" in verdict_line(v) and "the seeds do not explain" in verdict_line(v)


def test_ahead_at_every_seed_by_less_than_the_spread():
    v = verdict(runs(article=[4.7048, 4.6942, 4.6923], page=[4.7311, 4.7147, 4.7059]), "shared_val")
    assert v["winner"] == "article" and v["wins"] == 3 and not v["exceeds_spread"]
    assert v["paired_margins"] == pytest.approx([0.0263, 0.0205, 0.0136])
    assert "by less than the seeds' spread" in verdict_line(v)


def test_mixed_seeds_and_one_seed():
    mixed = verdict(runs(a=[3.0, 3.4], b=[3.2, 3.3]), "shared_val")
    assert mixed["wins"] == 1 and not mixed["exceeds_spread"] and "not shown to differ" in verdict_line(mixed)
    one = verdict(runs(a=[3.0], b=[3.2], c=[2.9]), "shared_val")
    assert one["winner"] == "c" and one["runner_up"] == "a" and one["spread"] is None
    assert "one seed" in verdict_line(one)
