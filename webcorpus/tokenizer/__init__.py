"""Tokenizer training and token shards: the corpus becomes training data.

* :mod:`.training_sample` draws the deterministic, byte-bounded sample a tokenizer is trained on.
* :mod:`.train` is the ``train_tokenizer`` stage (sentencepiece BPE, byte fallback).
* :mod:`.loaded` gives one encode/decode interface over a sentencepiece ``.model``
  or a Hugging Face ``tokenizer.json``.
* :mod:`.tokenize` is the ``tokenize`` stage; :mod:`.formats` holds one writer per
  on-disk layout (llm.c, nanoGPT, Megatron) and the provenance sidecar.

Nothing heavy is imported here, so listing stages stays cheap.
"""
from __future__ import annotations

from webcorpus.tokenizer.formats import check_vocab_size

__all__ = ["check_vocab_size"]
