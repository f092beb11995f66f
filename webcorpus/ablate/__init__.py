"""Ablations: which of several corpora makes the better model, at the same token budget.

``webcorpus ablate OUT_A OUT_B [...] --out ABL`` (or a YAML file) trains the same model, with
the same seed and schedule, on the same number of tokens of each corpus, all tokenized with one
shared tokenizer, and evaluates every model on the same texts. The rooms:

* :mod:`.config` — :class:`AblationConfig` (every option, plain values) and the YAML form.
* :mod:`.corpora` — each corpus's documents split into train, its own validation, and its equal
  part of the shared validation set; the equal-sized tokenizer sample.
* :mod:`.tokens` — the shared tokenizer and the token files (llm.c shards) of every split.
* :mod:`.evaluate` — loss and bits per byte of a model on a token file.
* :mod:`.tasks` — multiple-choice tasks (HellaSwag JSONL, plain JSONL) scored by likelihood.
* :mod:`.runner` — the whole ablation, step by step, each step resumable.
* :mod:`.commands` — the ``webcorpus ablate`` click command.

The report (table and loss curves) is written by :mod:`webcorpus.report.ablation`.
Nothing here imports torch at package import time. The method is described in docs/trainer.md.
"""
