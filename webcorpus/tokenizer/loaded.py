"""One encode/decode interface over the tokenizers a run can use.

A run either trains its own sentencepiece model (``train_tokenizer``) or brings
one: a sentencepiece ``.model``, or a Hugging Face ``tokenizer.json`` read with
the ``tokenizers`` package, so that shards match an existing model's vocabulary.
Workers load a tokenizer once per process through :func:`load_tokenizer`'s cache.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import numpy as np

from webcorpus.stages.base import OptionError

#: Separator tokens looked for, in this order, when none is named.
SEPARATOR_CANDIDATES = ("<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "<|eos|>", "<s>")
_SPACE_MARK = "\u2581"  # sentencepiece's visible space, "▁"


class SentencePieceTokenizer:
    """A sentencepiece model.

    With byte fallback and no dummy prefix (how ``train_tokenizer`` trains),
    ``decode(encode(text)) == text`` for every string, including text that
    itself contains sentencepiece's space mark "▁" (U+2581), which plain
    sentencepiece would decode as a space: those characters are encoded as
    their three byte-fallback tokens instead.
    """

    kind = "sentencepiece"

    def __init__(self, path: str | Path):
        import sentencepiece as spm

        self.path = str(path)
        self._sp = spm.SentencePieceProcessor(model_file=self.path)
        self.vocab_size = self._sp.get_piece_size()
        mark_bytes = [self._sp.piece_to_id(f"<0x{b:02X}>") for b in _SPACE_MARK.encode()]
        has_bytes = all(self._sp.id_to_piece(i) == f"<0x{b:02X}>" for i, b in zip(mark_bytes, _SPACE_MARK.encode()))
        no_dummy_prefix = not self._sp.encode("a", out_type=str)[0].startswith(_SPACE_MARK)
        self._mark_ids = mark_bytes if has_bytes and no_dummy_prefix else None

    def encode_batch(self, texts: Sequence[str], threads: int = 1) -> list[list[int]]:
        ids = self._sp.encode(list(texts), num_threads=threads)
        if self._mark_ids is not None:
            for i, text in enumerate(texts):
                if _SPACE_MARK in text:
                    ids[i] = self._encode_with_marks(text)
        return ids

    def _encode_with_marks(self, text: str) -> list[int]:
        out: list[int] = []
        for n, part in enumerate(text.split(_SPACE_MARK)):
            if n:
                out.extend(self._mark_ids)
            if part:
                out.extend(self._sp.encode(part))
        return out

    def decode(self, ids: Sequence[int]) -> str:
        return self._sp.decode([int(i) for i in ids])

    def token_to_id(self, token: str) -> int | None:
        i = self._sp.piece_to_id(token)
        return None if i == self._sp.unk_id() and token != self._sp.id_to_piece(i) else i

    def id_to_token(self, i: int) -> str:
        return self._sp.id_to_piece(int(i))


class HuggingFaceTokenizer:
    """A Hugging Face ``tokenizer.json``, encoded without adding special tokens."""

    kind = "huggingface"

    def __init__(self, path: str | Path):
        try:
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise ImportError(f"reading {path} needs the Hugging Face tokenizers package: pip install tokenizers") from exc

        self.path = str(path)
        self._tok = Tokenizer.from_file(self.path)
        self.vocab_size = self._tok.get_vocab_size(with_added_tokens=True)

    def encode_batch(self, texts: Sequence[str], threads: int = 1) -> list[list[int]]:
        encode = getattr(self._tok, "encode_batch_fast", self._tok.encode_batch)
        return [e.ids for e in encode(list(texts), add_special_tokens=False)]

    def decode(self, ids: Sequence[int]) -> str:
        return self._tok.decode([int(i) for i in ids], skip_special_tokens=False)

    def token_to_id(self, token: str) -> int | None:
        return self._tok.token_to_id(token)

    def id_to_token(self, i: int) -> str:
        return self._tok.id_to_token(int(i))


Tokenizer = SentencePieceTokenizer | HuggingFaceTokenizer


@lru_cache(maxsize=4)
def load_tokenizer(path: str) -> Tokenizer:
    """Open a ``.model`` (sentencepiece) or a ``.json`` (Hugging Face) tokenizer; cached per process."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"tokenizer '{path}' does not exist")
    if p.suffix == ".json":
        return HuggingFaceTokenizer(p)
    return SentencePieceTokenizer(p)


def find_separator(tokenizer: Tokenizer, name: str | None = None) -> tuple[str, int]:
    """The document separator: ``name`` if given, else the card's, else a well-known end-of-text token."""
    if name is None:
        card = Path(tokenizer.path).with_name("card.json")
        if card.is_file():
            name = json.loads(card.read_text()).get("special_tokens", {}).get("separator", {}).get("piece")
    candidates = [name] if name else list(SEPARATOR_CANDIDATES)
    for piece in candidates:
        token_id = tokenizer.token_to_id(piece)
        if token_id is not None:
            return piece, token_id
    wanted = f"'{name}'" if name else f"any of {', '.join(SEPARATOR_CANDIDATES)}"
    raise OptionError("separator", f"separator: tokenizer {tokenizer.path} has no token {wanted}; name one with the 'separator' option")


def flatten(ids: list[list[int]], dtype=np.uint32) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate per-document id lists into one array, with the length of each document."""
    from itertools import chain

    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter(chain.from_iterable(ids), dtype=dtype, count=int(lengths.sum()))
    return flat, lengths
