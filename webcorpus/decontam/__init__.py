"""Benchmark decontamination: drop documents that hold text of evaluation sets (a global stage)."""
