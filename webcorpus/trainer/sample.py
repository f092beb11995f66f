"""Generate text from a checkpoint, decoded with the run's tokenizer when one is found.

The tokenizer is looked for next to the training data (``DATA/../tokenizer/``, see data.py):
the file its ``card.json`` names under ``model``, else a sentencepiece ``*.model``, else a
Hugging Face ``tokenizer.json``. Without one, the
prompt is read as space-separated token ids and the output is printed as token ids.
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

import torch

from webcorpus.trainer.data import separator_of, tokenizer_card, tokenizer_folder
from webcorpus.trainer.model import GPT, GPTConfig
from webcorpus.trainer.train import CHECKPOINT


class TokenIds:
    """The fallback 'tokenizer': text is space-separated integers."""

    name = "token ids"

    def encode(self, text: str) -> list[int]:
        try:
            return [int(t) for t in text.split()]
        except ValueError:
            raise ValueError(
                f"no tokenizer found for this run, so the prompt must be token ids like '12 7 431', not {text!r}"
            ) from None

    def decode(self, ids: list[int]) -> str:
        return " ".join(str(i) for i in ids)


class SentencePiece:
    def __init__(self, path: Path):
        import sentencepiece

        self.name = str(path)
        self.sp = sentencepiece.SentencePieceProcessor(model_file=str(path))

    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def decode(self, ids: list[int]) -> str:
        return self.sp.decode(ids)


class HFTokenizer:
    def __init__(self, path: Path):
        from tokenizers import Tokenizer

        self.name = str(path)
        self.tok = Tokenizer.from_file(str(path))

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text).ids

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids)


def find_tokenizer(data: str | None):
    """The run's tokenizer: the card's ``model`` file, else a ``*.model``, else ``tokenizer.json``."""
    folder = tokenizer_folder(data) if data else None
    if folder is None:
        return TokenIds()
    card = tokenizer_card(data) or {}
    candidates = [folder / card["model"]] if card.get("model") else []
    candidates += sorted(folder.glob("*.model")) + [folder / "tokenizer.json"]
    for path in candidates:
        if path.is_file():
            return HFTokenizer(path) if path.suffix == ".json" else SentencePiece(path)
    return TokenIds()


def load_checkpoint(path: str | Path, device: str = "cpu"):
    """(model in eval mode, run config dict) from a run folder or a checkpoint file."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    ckpt = torch.load(path, map_location=device, weights_only=False)  # our own file
    model = GPT(GPTConfig(**ckpt["model_config"]))
    model.load_state_dict(ckpt["model"])
    return model.to(device).eval(), ckpt["config"]


def sample(checkpoint: str, prompt: str = "", max_new_tokens: int = 100, temperature: float = 0.8,
           top_k: int | None = 200, num_samples: int = 1, seed: int = 1337, device: str = "auto") -> list[str]:
    """Continue ``prompt`` ``num_samples`` times; return the decoded continuations (prompt included)."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    model, config = load_checkpoint(checkpoint, device)
    run_folder = Path(checkpoint) if Path(checkpoint).is_dir() else Path(checkpoint).parent
    record = run_folder / "config.json"  # written by train() with the data folder made absolute
    run_data = json.loads(record.read_text())["data"] if record.is_file() else config.get("data")
    tokenizer = find_tokenizer(run_data)
    ids = tokenizer.encode(prompt) if prompt else []
    if not ids:  # start from the separator so the model begins a document
        separator = config.get("separator_token")
        if separator is None and run_data and Path(run_data).is_dir():
            separator = separator_of(run_data)
        ids = [separator or 0]
    generator = torch.Generator(device=device).manual_seed(seed)
    idx = torch.tensor([ids] * num_samples, dtype=torch.long, device=device)
    on_cuda = device.startswith("cuda")
    with torch.autocast("cuda", dtype=torch.bfloat16) if on_cuda else contextlib.nullcontext():
        out = model.generate(idx, max_new_tokens, temperature=temperature, top_k=top_k, generator=generator)
    return [tokenizer.decode(row) for row in out.tolist()]
