"""The ``tokenize`` stage: every document becomes tokens, written as training shards.

Two phases. Encoding runs in parallel, one task per document shard
(:func:`webcorpus.tokenizer.encode.encode_shard`), each writing its own scratch
files. Writing then walks those files in input order and packs each split into
shards of at most ``shard_tokens`` tokens, in every listed format at once, with
a provenance sidecar. Nothing depends on the worker count: the split is a hash
of the document id, and documents keep their input order.

Every document is preceded by the separator token, as llm.c's data scripts do
(they prepend GPT-2's ``<|endoftext|>``), so a shard starts on a document
boundary and a sequence that crosses documents sees the separator between them.

Resuming: encoded shards with a ``.done`` file are kept; finished outputs are
recognised by ``tokens/manifest.json`` and the same inputs and options.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pyarrow.parquet as pq

from webcorpus.ledger import digest, file_digest, input_identity
from webcorpus.stages.base import OptionError
from webcorpus.stages.global_stage import GlobalContext, GlobalStage
from webcorpus.tokenizer.formats import FORMATS, check_vocab_size, writer
from webcorpus.tokenizer.formats.provenance import ProvenanceWriter
from webcorpus.tokenizer.packing import Packer
from webcorpus.tokenizer.train import TrainTokenizer

Format = Literal["llmc", "nanogpt", "megatron"]
TOKENS_DIR = "tokens"
MANIFEST = "manifest.json"


class Tokenize(GlobalStage):
    """Encode every document and write token shards for llm.c, nanoGPT and Megatron.

    Uses the tokenizer ``train_tokenizer`` wrote to OUTPUT/tokenizer/, or the one
    named by ``tokenizer``. Writes OUTPUT/tokens/{llmc,nanogpt,megatron}/ and
    OUTPUT/tokens/provenance.parquet. Documents pass through unchanged.
    """

    name = "tokenize"
    run_folders = ("tokenizer", "tokens")

    def __init__(
        self,
        formats: Annotated[list[Format], "layouts to write: llmc (llm.c, modded-nanogpt), nanogpt, megatron"] = ["llmc"],  # noqa: B006
        tokenizer: Annotated[str | None, "a sentencepiece .model or Hugging Face tokenizer.json; default: OUTPUT/tokenizer/ from train_tokenizer"] = None,
        separator: Annotated[str | None, "token put before every document; default: the tokenizer card's, else <|endoftext|>, </s>, ..."] = None,
        name: Annotated[str, "file name prefix: NAME_val_000000.bin, NAME_train_000001.bin, ..."] = "webcorpus",
        val_fraction: Annotated[float, "share of documents (by id hash) in the validation split"] = 0.01,
        shard_tokens: Annotated[int, "most tokens per shard (llm.c's fineweb.py uses 100,000,000)"] = 100_000_000,
        seed: Annotated[int, "salt of the train/val hash"] = 0,
        threads: Annotated[int | None, "encoding threads per worker; default: cores / workers"] = None,
    ):
        self.formats = list(dict.fromkeys(formats))
        self.tokenizer = tokenizer
        self.separator = separator
        self.prefix = name  # not self.name: that is the stage's YAML name
        self.val_fraction = val_fraction
        self.shard_tokens = shard_tokens
        self.seed = seed
        self.threads = threads
        if not self.formats:
            raise OptionError("formats", "formats: list at least one of " + ", ".join(FORMATS))
        if not 0 <= val_fraction < 1:
            raise OptionError("val_fraction", f"val_fraction must be in [0, 1), got {val_fraction}")
        if not 1 <= shard_tokens <= 2**31 - 1:
            raise OptionError("shard_tokens", f"shard_tokens must be between 1 and 2**31 - 1 (llm.c's int32 count), got {shard_tokens}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
            raise OptionError("name", f"name must be a plain file name prefix, got {name!r}")
        if threads is not None and threads < 1:
            raise OptionError("threads", "threads must be at least 1")
        if tokenizer is not None:
            from webcorpus.tokenizer.loaded import find_separator, load_tokenizer

            try:
                loaded = load_tokenizer(tokenizer)
            except FileNotFoundError as exc:
                raise OptionError("tokenizer", str(exc)) from None
            except Exception as exc:  # a file that is not a tokenizer: said at plan time, not as a traceback
                raise OptionError("tokenizer", f"cannot load {tokenizer}: {type(exc).__name__}: {exc}") from None
            self.check_vocab_size(loaded.vocab_size)
            find_separator(loaded, separator)


    @property
    def requires(self) -> dict[str, str]:  # type: ignore[override]
        """sentencepiece for a ``.model`` (train_tokenizer's), tokenizers for a brought ``tokenizer.json``."""
        if self.tokenizer is not None and str(self.tokenizer).endswith(".json"):
            return {"tokenizers": "tokenizers"}
        return {"sentencepiece": "sentencepiece"}

    def files_read(self) -> list[str]:
        return [self.tokenizer] if self.tokenizer is not None else []  # a trained one is the run's own

    def check_vocab_size(self, vocab_size: int) -> None:
        """Raise (option ``formats``) if a listed format cannot store this vocabulary."""
        check_vocab_size(self.formats, vocab_size)

    def check_with_earlier(self, earlier: list) -> None:
        """Validation hook the pipeline calls: the vocabulary an earlier train_tokenizer will build must fit."""
        for stage in earlier:
            if isinstance(stage, TrainTokenizer) and self.tokenizer is None:
                self.check_vocab_size(stage.vocab_size)

    def tokenizer_path(self, run_dir: Path) -> str:
        """The ``tokenizer`` option, else the one :class:`TrainTokenizer` left in this run (by its card)."""
        if self.tokenizer is not None:
            return self.tokenizer
        card = TrainTokenizer.card_path(run_dir)
        if not card.is_file():
            raise FileNotFoundError(f"tokenize: no tokenizer: {card} is missing; run train_tokenizer first or set the 'tokenizer' option")
        return str(card.parent / json.loads(card.read_text())["model"])

    def run(self, ctx: GlobalContext) -> None:
        from webcorpus.tokenizer.encode import EncodeJob, encode_shard
        from webcorpus.tokenizer.loaded import find_separator, load_tokenizer

        run_dir = Path(ctx.run_dir)
        tok_path = self.tokenizer_path(run_dir)
        tokenizer = load_tokenizer(tok_path)
        self.check_vocab_size(tokenizer.vocab_size)  # the latest point: before any encoding
        separator, separator_id = find_separator(tokenizer, self.separator)
        dtype = "uint16" if tokenizer.vocab_size <= 2**16 else "uint32"
        # Names and sizes, not full paths or times: the same run in another folder or executor has the same key.
        inputs = [input_identity(p, portable=True) for p in ctx.inputs]
        encode_key = digest(file_digest(tok_path), separator_id, self.val_fraction, self.seed, inputs)
        output_key = digest(encode_key, self.formats, self.prefix, self.shard_tokens)
        tokens_dir = run_dir / TOKENS_DIR
        manifest_path = tokens_dir / MANIFEST
        if manifest_path.is_file() and ctx.ledger.read(self.name, expect={"key": output_key}) is not None:
            ctx.stats.counters["resumed"] += 1
            return None

        scratch_root = Path(ctx.work_dir) / "tokenize"
        for stale in scratch_root.iterdir() if scratch_root.is_dir() else ():  # encodings of other inputs or options
            if stale.name != encode_key:
                shutil.rmtree(stale, ignore_errors=True)
        scratch = scratch_root / encode_key
        scratch.mkdir(parents=True, exist_ok=True)
        threads = self.threads or max(1, (os.cpu_count() or 1) // max(1, ctx.workers))
        encoded = ctx.ledger.child(f"tokenize-{encode_key}")
        jobs = [EncodeJob(p, i, str(scratch), tok_path, separator_id, self.val_fraction, f"split{self.seed}", dtype, threads, encoded)
                for i, p in enumerate(ctx.inputs)]
        summaries = ctx.phase_map("tokenize: encoding", encode_shard, jobs)

        building = run_dir / f".{TOKENS_DIR}.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        formats_out, counts = self._write(ctx, building, scratch, len(jobs), dtype, tokenizer.vocab_size)
        manifest = {
            "key": output_key,
            "tokenizer": os.path.relpath(tok_path, run_dir) if self.tokenizer is None else tok_path,
            "vocab_size": tokenizer.vocab_size,
            "separator": {"piece": separator, "id": separator_id, "position": "before every document"},
            "val_fraction": self.val_fraction,
            "shard_tokens": self.shard_tokens,
            "documents": {s: sum(x["documents"][s] for x in summaries) for s in ("train", "val")},
            "tokens": {s: sum(x["tokens"][s] for x in summaries) for s in ("train", "val")},
            "empty_documents_skipped": sum(x["empty_documents"] for x in summaries),
            "documents_split_across_shards": counts["pieces_split"],
            "formats": formats_out,
        }
        (building / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        shutil.rmtree(tokens_dir, ignore_errors=True)
        os.replace(building, tokens_dir)
        self._describe_brought_tokenizer(run_dir, tok_path, tokenizer.vocab_size, separator, separator_id)
        ctx.ledger.commit(self.name, {"key": output_key})
        stats = ctx.stats.counters
        stats["documents_tokenized"] += sum(manifest["documents"].values())
        stats["tokens_train"] += manifest["tokens"]["train"]
        stats["tokens_val"] += manifest["tokens"]["val"]
        stats["text_bytes"] += sum(x["text_bytes"] for x in summaries)
        stats["empty_documents_skipped"] += manifest["empty_documents_skipped"]
        return None

    def _write(self, ctx, out: Path, scratch: Path, n_inputs: int, dtype: str, vocab_size: int):
        writers = {f: writer(f, out / f, self.prefix, vocab_size) for f in self.formats}
        provenance = ProvenanceWriter(out / "provenance.parquet")
        next_index = 0
        pieces_split = 0
        for split in ("val", "train"):
            packer = Packer(list(writers.values()), provenance, split, next_index, self.shard_tokens)
            for i in ctx.progress(range(n_inputs), f"tokenize: writing {split} shards"):
                prefix = scratch / f"{i:05d}.{split}"
                docs = pq.read_table(f"{prefix}.docs.parquet")
                if docs.num_rows == 0:
                    continue
                tokens = np.memmap(f"{prefix}.tok", dtype=np.dtype(dtype).newbyteorder("<"), mode="r")
                packer.add(tokens, docs.column("tokens").to_numpy(), docs.column("id").to_pylist(), docs.column("url").to_pylist())
                del tokens
            next_index = max(packer.finish(), 1)  # llm.c's convention: train shards start at 000001
            pieces_split += packer.pieces_split
        provenance.close()
        formats_out = {}
        for name, w in writers.items():
            formats_out[name] = w.finish()
            formats_out[name]["directory"] = name
        return formats_out, {"pieces_split": pieces_split}

    def _describe_brought_tokenizer(self, run_dir: Path, tok_path: str, vocab_size: int, separator: str, separator_id: int) -> None:
        """Give a user-brought tokenizer a card in OUTPUT/tokenizer/, so the trainer finds the vocabulary the same way."""
        card_path = TrainTokenizer.card_path(run_dir)
        folder = card_path.parent
        if self.tokenizer is None or card_path.exists():
            return
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / Path(tok_path).name
        shutil.copyfile(tok_path, target)
        card = {"vocab_size": vocab_size, "model": target.name, "brought": True, "source": os.path.abspath(tok_path),
                "special_tokens": {"separator": {"piece": separator, "id": separator_id}}, "eot_token": separator_id}
        card_path.write_text(json.dumps(card, indent=2) + "\n")


