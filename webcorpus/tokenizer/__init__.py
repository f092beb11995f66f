"""Tokenizer training and token shards: the corpus becomes training data.

* :mod:`.sample` draws a deterministic, byte-bounded sample of documents.
* :mod:`.train` is the ``train_tokenizer`` stage (sentencepiece BPE, byte fallback).
* :mod:`.loaded` gives one encode/decode interface over a sentencepiece ``.model``
  or a Hugging Face ``tokenizer.json``.
* :mod:`.shards` is the ``tokenize`` stage; :mod:`.formats` holds one writer per
  on-disk layout (llm.c, nanoGPT, Megatron) and the provenance sidecar.

Nothing heavy is imported here, so listing stages stays cheap.
"""
from __future__ import annotations

from webcorpus.tokenizer.formats import check_vocab_size

__all__ = ["check_vocab_size", "check_pipeline"]


def check_pipeline(stages) -> None:
    """Check every ``tokenize`` stage against the vocabulary an earlier ``train_tokenizer`` will build.

    The runner calls this after building all stages of a pipeline, so that a
    ``vocab_size`` too large for a listed format fails before any work starts.
    Raises :class:`ValueError` whose ``option`` attribute is ``"formats"``.
    """
    vocab_size = None
    for stage in stages:
        if getattr(stage, "name", "") == "train_tokenizer":
            vocab_size = stage.vocab_size
        elif getattr(stage, "name", "") == "tokenize" and vocab_size is not None and stage.tokenizer is None:
            stage.check_vocab_size(vocab_size)
