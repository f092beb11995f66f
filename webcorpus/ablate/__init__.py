"""Ablations: which of several corpora makes the better model, at the same token budget.

``webcorpus ablate OUT_A OUT_B [...] --out ABL`` (or a YAML file) trains the same model, with
the same seed and schedule, on the same number of tokens of each corpus, all tokenized with one
shared tokenizer, and evaluates every model on the same texts. The rooms:

* :mod:`.config` — :class:`AblationConfig` (every option, plain values) and the YAML form.
* :mod:`.corpora` — each corpus's documents split into train, its own validation, and its part of
  the shared validation set, equal in tokens; how equal parts are filled.
* :mod:`.tokens` — the shared tokenizer (on a sample of equal bytes of every corpus) and the token
  files (llm.c shards) of every split.
* :mod:`.texts` — the texts the user trusts (``--eval-texts``: JSONL, Parquet or plain text).
* :mod:`.budget` — the cost from a few timed steps, and the token budget that fits ``--max-minutes``.
* :mod:`.progress` — a progress bar (or lines) per training run.
* :mod:`.verdict` — which corpus won, by how much, against the seeds' spread.
* :mod:`.evaluate` — loss and bits per byte of a model on a token file.
* :mod:`.tasks` — multiple-choice tasks (HellaSwag JSONL, plain JSONL) scored by likelihood.
* :mod:`.runner` — the whole ablation, step by step, each step resumable.
* :mod:`.commands` — the ``webcorpus ablate`` click command.

The report (table and loss curves) is written by :mod:`webcorpus.report.ablation`.
Nothing here imports torch at package import time. The method is described in docs/trainer.md.
"""
