"""On-disk token layouts, one module each, and the vocabulary limits they impose.

Every writer gets the same calls from :mod:`webcorpus.tokenizer.tokenize`:
``open_shard(split, index)``, ``write(tokens, lengths)`` (whole sequences, each
starting where the previous ended) and ``close_shard()``, then ``finish()``.
The layouts and the sources of every number are in docs/formats.md.
"""
from __future__ import annotations

import numpy as np

from webcorpus.stages.base import OptionError

FORMATS = ("llmc", "nanogpt", "megatron")

#: The largest vocabulary each format can hold, and why.
LIMITS = {
    "llmc": (2**32, "llm.c's version 7 shards store uint32 tokens"),
    "nanogpt": (2**16, "nanoGPT's train.py reads train.bin/val.bin as np.uint16"),
    "megatron": (2**31, "Megatron's widest token dtype for a vocabulary is int32"),
}


def check_vocab_size(formats, vocab_size: int) -> None:
    """Raise :class:`OptionError` (``option='formats'``) when a format cannot store ids below ``vocab_size``."""
    for name in formats:
        limit, why = LIMITS[name]
        if vocab_size > limit:
            raise OptionError(
                "formats",
                f"formats: '{name}' cannot hold a vocabulary of {vocab_size:,} tokens ({why}; at most {limit:,}); "
                f"drop '{name}' from formats or use a smaller vocabulary",
            )


def llmc_dtype(vocab_size: int):
    """llm.c: uint16 (magic 20240520, version 1) up to 65,536 tokens, else uint32 (magic 20240801, version 7)."""
    return np.uint16 if vocab_size <= 2**16 else np.uint32


def megatron_dtype(vocab_size: int):
    """Megatron's own choice, ``DType.optimal_dtype``: uint16 below 65,500 tokens, else int32."""
    return np.uint16 if vocab_size < 65500 else np.int32


def writer(name: str, directory, prefix: str, vocab_size: int):
    if name == "llmc":
        from webcorpus.tokenizer.formats.llmc import LlmcWriter

        return LlmcWriter(directory, prefix, vocab_size)
    if name == "nanogpt":
        from webcorpus.tokenizer.formats.nanogpt import NanoGptWriter

        return NanoGptWriter(directory, vocab_size)
    if name == "megatron":
        from webcorpus.tokenizer.formats.megatron import MegatronWriter

        return MegatronWriter(directory, prefix, vocab_size)
    raise ValueError(f"unknown format '{name}'; choose from {', '.join(FORMATS)}")


def shard_name(prefix: str, split: str, index: int) -> str:
    """llm.c's naming, also used for Megatron pairs: ``NAME_val_000000``, ``NAME_train_000001``, ..."""
    return f"{prefix}_{split}_{index:06d}"
