"""The shared tokenizer and the token files of every split, as llm.c shards.

The tokenizer is trained by the pipeline's own ``train_tokenizer`` stage on an equal-sized
sample of every corpus (the first ``tokenizer_sample_bytes / N`` bytes of each corpus's training
stream, or less when the smallest corpus has less), so no corpus's vocabulary is favoured; or it
is the one the user names. Every document is encoded with it, preceded by the separator token, as
the ``tokenize`` stage does.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from webcorpus.tokenizer.formats import shard_name
from webcorpus.tokenizer.formats.llmc import LlmcWriter
from webcorpus.tokenizer.loaded import find_separator, flatten, load_tokenizer

ENCODE_BATCH = 256
SHARD_TOKENS = 100_000_000  # llm.c's fineweb.py shard size


def train_shared_tokenizer(out: Path, samples: dict[str, Iterable[tuple[str, str]]], share_bytes: int,
                           vocab_size: int) -> dict:
    """Write an equal-sized sample of every corpus to ``out/tokenizer-sample/`` and train the
    ``train_tokenizer`` stage on it into ``out/tokenizer/``; return the sample's facts.

    The stage recognises an unchanged sample (its card's key) and does not train again."""
    from webcorpus.stages.global_stage import GlobalContext
    from webcorpus.tokenizer.train import TrainTokenizer

    folder = out / "tokenizer-sample"
    folder.mkdir(parents=True, exist_ok=True)
    facts = {}
    paths = []
    for name, docs in samples.items():
        ids, texts, total = [], [], 0
        for doc_id, text in docs:
            size = len(text.encode("utf-8", "surrogatepass"))
            if texts and total + size > share_bytes:
                break
            ids.append(doc_id)
            texts.append(text)
            total += size
        path = folder / f"{name}.parquet"
        pq.write_table(pa.table({"id": pa.array(ids, pa.string()), "text": pa.array(texts, pa.string())}), path)
        paths.append(str(path))
        facts[name] = {"documents": len(ids), "bytes": total}
    stage = TrainTokenizer(vocab_size=vocab_size, sample_bytes=sum(f["bytes"] for f in facts.values()) + 1,
                           heldout_bytes=max(share_bytes // 32, 1), threads=1)
    work = out / "work"
    context = GlobalContext(inputs=paths, output_dir=work, work_dir=work, run_dir=out, workers=1,
                            map=lambda fn, items: [fn(item) for item in items])
    stage.execute(context)
    return facts


def tokenizer_facts(path: str, separator: str | None = None) -> dict:
    """Path, digest, vocabulary size and separator of a tokenizer file."""
    tokenizer = load_tokenizer(path)
    piece, sep_id = find_separator(tokenizer, separator)
    digest = hashlib.sha1(Path(path).read_bytes()).hexdigest()[:16]
    return {"path": str(path), "digest": digest, "vocab_size": tokenizer.vocab_size,
            "separator": {"piece": piece, "id": sep_id}}


def write_tokens(directory: Path, prefix: str, split: str, first_index: int, docs: Iterable[tuple[str, str]],
                 tokenizer_path: str, separator_id: int, limit: int | None = None) -> dict:
    """Encode documents (separator first) into llm.c shards ``directory/PREFIX_SPLIT_NNNNNN.bin``;
    stop after the first batch that reaches ``limit`` tokens. Returns documents, tokens, bytes and
    whether every document was used (``exhausted``)."""
    tokenizer = load_tokenizer(tokenizer_path)
    writer = LlmcWriter(directory, prefix, tokenizer.vocab_size)
    facts = {"documents": 0, "tokens": 0, "bytes": 0, "exhausted": True, "files": []}
    index, in_shard, is_open = first_index, 0, False
    batch: list[str] = []

    def flush() -> None:
        nonlocal index, in_shard, is_open
        flat, lengths = flatten(tokenizer.encode_batch(batch), dtype=np.uint32)
        lengths = lengths + 1
        tokens = np.empty(int(lengths.sum()), dtype=np.uint32)
        starts = np.cumsum(lengths) - lengths
        body = np.ones(len(tokens), dtype=bool)
        body[starts] = False
        tokens[starts], tokens[body] = separator_id, flat
        if is_open and in_shard + len(tokens) > SHARD_TOKENS:
            writer.close_shard()
            index, in_shard, is_open = index + 1, 0, False
        if not is_open:
            writer.open_shard(split, index)
            is_open = True
        writer.write(tokens, lengths)
        in_shard += len(tokens)
        facts["documents"] += len(batch)
        facts["tokens"] += len(tokens)
        facts["bytes"] += sum(len(t.encode("utf-8", "surrogatepass")) for t in batch)
        batch.clear()

    for _, text in docs:
        if limit is not None and facts["tokens"] >= limit:
            facts["exhausted"] = False
            break
        batch.append(text)
        if len(batch) == ENCODE_BATCH:
            flush()
    if batch and (limit is None or facts["tokens"] < limit):
        flush()
    if is_open:
        writer.close_shard()
    facts["files"] = [Path(p).name for p in writer.paths]
    return facts


def copy_shard(source: Path, target_dir: Path, prefix: str, split: str, index: int) -> None:
    target_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target_dir / f"{shard_name(prefix, split, index)}.bin")
