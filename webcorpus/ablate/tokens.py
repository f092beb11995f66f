"""The shared tokenizer and the token files of every split, as llm.c shards.

The tokenizer is trained by the pipeline's own ``train_tokenizer`` stage on an equal-sized
sample of every corpus (``tokenizer_sample_bytes / N`` bytes of each corpus's training stream, or
less when the smallest corpus has less: documents are taken in the stream's order, one too large
for what is left of the share is skipped, and the shares are then made equal to less than one
document: :func:`webcorpus.ablate.corpora.equal_parts`), so no corpus's
vocabulary is favoured; or it is the one the user names. Every document is encoded with it, preceded by the separator token, as
the ``tokenize`` stage does.
"""
from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from webcorpus.ablate.config import InputError
from webcorpus.ablate.corpora import equal_parts
from webcorpus.stages.base import OptionError
from webcorpus.tokenizer.formats import shard_name
from webcorpus.tokenizer.formats.llmc import LlmcWriter
from webcorpus.tokenizer.loaded import find_separator, flatten, load_tokenizer

ENCODE_BATCH = 256
SHARD_TOKENS = 100_000_000  # llm.c's fineweb.py shard size


#: consecutive documents too large for what is left of a corpus's share before its filling stops
MAX_SKIPS = 10_000
#: a corpus's share counts as filled when less than this part of it is left
FILLED = 1 / 1000
_TOO_HIGH = re.compile(r"Vocabulary size too high \((\d+)\)\. Please set it to a value <= (\d+)")


def tokenizer_sample(docs: Iterable[tuple[str, str]], share_bytes: int, stage_salt: str) -> list[tuple[str, str, int]]:
    """(id, text, UTF-8 bytes) of the documents of one corpus's stream that fill ``share_bytes``: a
    document too large for what is left is skipped, not the end; documents that the tokenizer stage
    would hold out for itself (by its own id hash) are skipped too, so it trains on all of the sample."""
    from webcorpus.tokenizer.training_sample import HELDOUT_SHARE, id_hash

    limit = int(HELDOUT_SHARE * 2**64)
    taken, total, skips = [], 0, 0
    for doc_id, text in docs:
        if id_hash(doc_id, stage_salt) < limit:
            continue
        size = len(text.encode("utf-8", "surrogatepass"))
        if total + size > share_bytes:
            skips += 1
            if skips >= MAX_SKIPS:
                break
            continue
        taken.append((doc_id, text, size))
        total += size
        skips = 0
        if share_bytes - total < share_bytes * FILLED:
            break
    return taken


def train_shared_tokenizer(out: Path, samples: dict[str, Iterable[tuple[str, str]]], share_bytes: int,
                           vocab_size: int, fit_vocabulary: bool, log=lambda m: None) -> dict:
    """Write an equal-sized sample of every corpus to ``out/tokenizer-sample/`` and train the
    ``train_tokenizer`` stage on all of it into ``out/tokenizer/``; return each corpus's part
    (documents, bytes; the tokens are counted once the tokenizer exists: :func:`count_sample_tokens`).

    A vocabulary larger than the sample supports is lowered to what it supports when
    ``fit_vocabulary`` (the size was chosen by the ablation), else an :class:`InputError` says the
    size that fits. The stage recognises an unchanged sample (its card's key) and does not train again."""
    from webcorpus.tokenizer.train import TrainTokenizer

    folder = out / "tokenizer-sample"
    folder.mkdir(parents=True, exist_ok=True)
    stage_seed = 0
    pools = {name: tokenizer_sample(docs, share_bytes, f"sample{stage_seed}") for name, docs in samples.items()}
    parts = equal_parts([[size for _, _, size in pool] for pool in pools.values()], share_bytes)
    facts, paths = {}, []
    for (name, pool), part in zip(pools.items(), parts):
        chosen = [pool[i] for i in part]
        path = folder / f"{name}.parquet"
        pq.write_table(pa.table({"id": pa.array([d[0] for d in chosen], pa.string()),
                                 "text": pa.array([d[1] for d in chosen], pa.string())}), path)
        paths.append(str(path))
        facts[name] = {"documents": len(chosen), "bytes": sum(d[2] for d in chosen)}
    total = sum(f["bytes"] for f in facts.values())
    while True:
        stage = TrainTokenizer(vocab_size=vocab_size, sample_bytes=total + 1, heldout_bytes=0, threads=1, seed=stage_seed)
        try:
            _run_stage(stage, out, paths)
            return facts
        except OptionError as error:  # the alphabet needs more pieces than the vocabulary has
            raise InputError(f"--vocab-size: {error}") from None
        except RuntimeError as error:
            fits = _TOO_HIGH.search(str(error))
            if not fits:
                raise
            most = int(fits.group(2))
            if not fit_vocabulary or most >= vocab_size:
                raise InputError(f"--vocab-size {vocab_size:,} is too high for the tokenizer sample ({total:,} bytes): "
                                 f"at most {most:,} pieces fit; give --vocab-size {most} or less, or more text") from None
            log(f"ablate: the tokenizer sample ({total:,} bytes) supports at most {most:,} pieces: the vocabulary "
                f"is lowered from {vocab_size:,} to {most:,}")
            vocab_size = most


def _run_stage(stage, out: Path, paths: list[str]) -> None:
    from webcorpus.stages.global_stage import GlobalContext

    work = out / "work"
    context = GlobalContext(inputs=paths, output_dir=work, work_dir=work, run_dir=out, workers=1,
                            map=lambda fn, items: [fn(item) for item in items])
    stage.execute(context)


def count_sample_tokens(out: Path, tokenizer_path: str, names: list[str]) -> dict[str, int]:
    """Tokens of each corpus's tokenizer sample (separators not counted), as the shared tokenizer encodes it."""
    counts = {}
    for name in names:
        texts = pq.read_table(out / "tokenizer-sample" / f"{name}.parquet", columns=["text"]).column("text").to_pylist()
        counts[name] = sum(document_tokens(texts, tokenizer_path)) - len(texts)
    return counts


def document_tokens(texts: list[str], tokenizer_path: str) -> list[int]:
    """Tokens of each text as a token file holds it: the separator and the encoded text."""
    tokenizer = load_tokenizer(tokenizer_path)
    counts = []
    for i in range(0, len(texts), ENCODE_BATCH):
        counts += [len(ids) + 1 for ids in tokenizer.encode_batch(texts[i:i + ENCODE_BATCH])]
    return counts


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
    stop after the first batch that reaches ``limit`` tokens. Returns documents, tokens, bytes,
    whether every document was used (``exhausted``) and, with a limit, the documents and bytes that
    begin within the first ``limit`` tokens (``within_limit``)."""
    tokenizer = load_tokenizer(tokenizer_path)
    writer = LlmcWriter(directory, prefix, tokenizer.vocab_size)
    facts = {"documents": 0, "tokens": 0, "bytes": 0, "exhausted": True, "files": []}
    if limit is not None:
        facts["within_limit"] = {"documents": 0, "bytes": 0}
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
        sizes = [len(t.encode("utf-8", "surrogatepass")) for t in batch]
        if limit is not None:  # the documents that begin within the first ``limit`` tokens: what is trained on
            begun = int(np.searchsorted(facts["tokens"] + starts, limit, side="left"))
            facts["within_limit"]["documents"] += begun
            facts["within_limit"]["bytes"] += sum(sizes[:begun])
        facts["documents"] += len(batch)
        facts["tokens"] += len(tokens)
        facts["bytes"] += sum(sizes)
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
