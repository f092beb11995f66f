"""`webcorpus inspect`: a document shard or a token shard, readable in the terminal.

A Parquet shard (or a folder of them) shows its first documents, one block
each. A token file (llm.c, nanoGPT, Megatron) shows its header, its token
count and a window of tokens, decoded with the run's sentencepiece model
(OUTPUT/tokenizer/*.model above the file) when there is one, else as ids.
"""
from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq

from webcorpus.numbers import count, decimal, size
from webcorpus.pipeline.summary import summary_lines
from webcorpus.report.token_files import TokenShard, find_tokenizer_model, open_token_shard

DEFAULT_COLUMNS = ("url", "title", "language", "language_score", "date", "dup_count", "source", "offset", "text")
TEXT_CHARS = 600
WIDTH = 100
NOT_QUANTITIES = {"magic", "version"}  # header fields that are identifiers: no thousands separators


def inspect_lines(path: str | Path, n: int = 5, columns: list[str] | None = None, start: int = 0,
                  tokens: int = 256, chars: int = TEXT_CHARS) -> Iterator[str]:
    """Lines describing ``path``: documents of Parquet shards, or the header and a window of a token file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir() and (path / "stats.json").is_file():  # a run folder: where the documents went, then them
        yield from _run_folder(path, n, columns, chars)
    elif path.name == "stats.json":
        yield from summary_lines(json.loads(path.read_text(encoding="utf-8")))
    elif path.is_dir():
        parquet = sorted(path.glob("*.parquet"))
        token_files = sorted(p for p in path.iterdir() if p.suffix == ".bin")
        by_format = sorted(path.glob("*/*.bin"))
        if not token_files and by_format:  # OUTPUT/tokens/: one folder per format (provenance.parquet beside them)
            yield from _token_formats(path, by_format, start, tokens)
        elif parquet:
            yield from _documents(parquet, n, columns, chars)
        elif token_files:
            for file in token_files:
                shard = open_token_shard(file)
                yield f"{file.name}: {shard.layout}, {count(shard.token_count)} tokens, {size(file.stat().st_size)}, {_header_text(shard)}"
            yield ""
            yield from _tokens(open_token_shard(token_files[0]), start, tokens)
        else:
            raise ValueError(f"{path}: no Parquet shards and no .bin token files in this folder")
    elif path.suffix == ".parquet":
        yield from _documents([path], n, columns, chars)
    else:
        yield from _tokens(open_token_shard(path), start, tokens)


def _run_folder(path: Path, n: int, columns: list[str] | None, chars: int) -> Iterator[str]:
    """A run's OUTPUT folder: the funnel of its stats.json, then its first documents (if any came out)."""
    yield from summary_lines(json.loads((path / "stats.json").read_text(encoding="utf-8")))
    shards = sorted((path / "documents").glob("*.parquet"))
    if shards:
        yield ""
        yield from _documents(shards, n, columns, chars)


def _token_formats(path: Path, files: list[Path], start: int, tokens: int) -> Iterator[str]:
    """A token output folder: every shard of every format, then a window of the first one."""
    for folder in sorted({f.parent for f in files}):
        shards = [open_token_shard(f) for f in files if f.parent == folder]
        in_folder = [f for f in files if f.parent == folder]
        yield (f"{folder.name}/: {count(len(shards))} shard(s), {count(sum(s.token_count for s in shards))} tokens, "
               f"{size(sum(f.stat().st_size for f in in_folder))}")
        for file, shard in zip(in_folder, shards):
            yield f"  {file.name}: {shard.layout}, {count(shard.token_count)} tokens, {size(file.stat().st_size)}"
    if (path / "provenance.parquet").exists():
        yield "provenance.parquet: which document each token range came from (inspect it by its path)"
    yield ""
    yield from _tokens(open_token_shard(files[0]), start, tokens)


def _documents(paths: list[Path], n: int, columns: list[str] | None, chars: int) -> Iterator[str]:
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in paths)
    # Shards of one folder may differ by columns that appeared in later batches (see document_shards.py).
    names = list(dict.fromkeys(name for p in paths for name in pq.ParquetFile(p).schema_arrow.names))
    where = paths[0] if len(paths) == 1 else f"{paths[0].parent} ({len(paths)} shards)"
    yield f"{where}: {count(rows)} document(s), {size(sum(p.stat().st_size for p in paths))}; columns: {', '.join(names)}"
    if columns:
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise ValueError(f"no column(s) {', '.join(unknown)} in {paths[0]}; columns: {', '.join(names)}")
    shown = list(columns) if columns else [c for c in DEFAULT_COLUMNS if c in names]
    wanted = ["id"] + [c for c in shown if c != "id"] if "id" in names else shown
    shown_count = 0
    for path in paths:
        if shown_count >= n:
            break
        present = set(pq.ParquetFile(path).schema_arrow.names)
        table = pq.read_table(path, columns=[c for c in wanted if c in present]).slice(0, n - shown_count)
        for row in table.to_pylist():
            shown_count += 1
            yield ""
            yield f"── document {shown_count} of {count(rows)} " + (f"── {row.get('id')} " if "id" in row else "") + "─" * 8
            for name in shown:
                yield from _field(name, row.get(name), chars)


def _field(name: str, value, chars: int) -> Iterator[str]:
    if isinstance(value, str) and ("\n" in value or len(value) > WIDTH - 16):
        text = value if len(value) <= chars else value[:chars] + f" … [{count(len(value) - chars)} more characters]"
        yield f"  {name} ({count(len(value))} characters):"
        for line in text.splitlines() or [""]:
            for part in textwrap.wrap(line, WIDTH - 4) or [""]:
                yield f"    {part}"
        return
    if isinstance(value, float):
        value = decimal(value)
    elif isinstance(value, int) and not isinstance(value, bool) and name not in ("offset",):
        value = count(value)
    elif isinstance(value, (dict, list)):
        value = json.dumps(value, default=str, ensure_ascii=False)
    yield f"  {name}: {value}"


def _header_text(shard: TokenShard) -> str:
    return ", ".join(f"{k} {v}" for k, v in shard.header.items() if k != "meta.pkl")


def _tokens(shard: TokenShard, start: int, window: int) -> Iterator[str]:
    yield f"{shard.path}: {shard.layout} token shard"
    for key, value in shard.header.items():
        quantity = isinstance(value, int) and key not in NOT_QUANTITIES
        yield f"  {key}: {count(value)}" if quantity else f"  {key}: {value}"
    yield f"  tokens: {count(shard.token_count)}"
    if shard.document_lengths is not None and len(shard.document_lengths):
        lengths = shard.document_lengths
        yield (f"  documents: {count(len(lengths))} (tokens each: min {count(lengths.min())}, mean {decimal(lengths.mean(), 1)}, "
               f"max {count(lengths.max())})")
    ids = [int(t) for t in shard.tokens[start:start + window]] if shard.tokens is not None else []
    yield ""
    if not ids:
        yield f"no tokens at positions {count(start)} to {count(start + window)}"
        return
    model = find_tokenizer_model(shard.path)
    separator = _separator_id(model)
    yield f"tokens {count(start)} to {count(start + len(ids) - 1)}" + (f", decoded with {model}" if model else " (no OUTPUT/tokenizer/*.model found: ids only)")
    if model is None:
        for line in textwrap.wrap(" ".join(map(str, ids)), WIDTH):
            yield f"  {line}"
        return
    from webcorpus.tokenizer.loaded import SentencePieceTokenizer

    tokenizer = SentencePieceTokenizer(model)
    # Split the window at the separator so each document's text reads on its own.
    piece: list[int] = []
    for token in ids + [None]:
        if token is None or token == separator:
            if piece:
                for line in tokenizer.decode(piece).splitlines() or [""]:
                    for part in textwrap.wrap(line, WIDTH - 4) or [""]:
                        yield f"    {part}"
            piece = []
            if token is not None:
                yield f"  ── separator (id {separator}): a document starts ──"
        else:
            piece.append(token)
    if start + len(ids) < shard.token_count:
        yield f"  … window ends at token {count(start + len(ids))} of {count(shard.token_count)} (--start and --tokens move it)"


def _separator_id(model: Path | None) -> int | None:
    if model is None:
        return None
    card = model.parent / "card.json"
    return json.loads(card.read_text()).get("eot_token") if card.is_file() else None
