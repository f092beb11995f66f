"""The llm.c / modded-nanogpt token shard header, defined once for the writer, the trainer and the report.

A shard is 256 little-endian int32s, then the tokens: ``[0]`` magic, ``[1]`` version, ``[2]`` token
count, the rest zero. Magic 20240520 / version 1 means uint16 tokens (vocabularies up to 65,536,
what llm.c's C loader and modded-nanogpt accept); magic 20240801 / version 7 means uint32 tokens
(llm.c's Llama 3 layout). Sources: docs/formats.md. Only numpy here: the trainer imports it.
"""
from __future__ import annotations

import numpy as np

HEADER_INTS = 256
HEADER_BYTES = HEADER_INTS * 4
#: magic number -> (version, little-endian token dtype)
LAYOUTS = {20240520: (1, np.dtype("<u2")), 20240801: (7, np.dtype("<u4"))}
#: token dtype -> magic number
MAGIC = {np.dtype("<u2"): 20240520, np.dtype("<u4"): 20240801}
MAX_TOKENS = 2**31 - 1  # the count is an int32


def header(dtype, count: int) -> np.ndarray:
    """The header of a shard of ``count`` tokens of ``dtype`` (uint16 or uint32)."""
    magic = MAGIC[np.dtype(dtype).newbyteorder("<")]
    values = np.zeros(HEADER_INTS, dtype="<i4")
    values[0], values[1], values[2] = magic, LAYOUTS[magic][0], count
    return values
