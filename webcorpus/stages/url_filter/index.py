"""Blocklists compiled once into a memory-mapped index, so a worker opens millions of entries in milliseconds.

Reading a 4.6 M-entry blocklist into Python sets takes seconds and over half a GiB in every worker process.
Instead the entries are compiled once into an Arrow IPC file in a cache folder, keyed by the list files'
paths, sizes and modification times:

* ``hash``: 64-bit BLAKE2b of ``kind + "\\t" + entry``, sorted (kind ``d`` for a domain, ``u`` for a URL);
* ``list``: twice the index of the list (UT1 category or plain file) the entry came from first, plus 1
  for a URL entry (the low bit is the kind);
* ``entry``: the normalised entry itself, so a hash hit is confirmed by comparing strings (no false
  positives, whatever the number of lookups).

Workers memory-map the file (the operating system shares its pages between them) and look up a whole
batch of candidate keys with one ``numpy.searchsorted``. When the cache folder cannot be written, the index
is compiled into a temporary file for this process only.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pyarrow as pa

from webcorpus import numbers
from webcorpus.cache import cache_dir

log = logging.getLogger(__name__)

FORMAT = 1  # bump when the layout or the normalisation of entries changes
DOMAIN, URL = "d", "u"


def key_digest(key: str) -> bytes:
    """8 bytes of BLAKE2b of ``kind + "\\t" + entry``: the index's sort key (little-endian uint64)."""
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()


def key_hash(key: str) -> int:
    return int.from_bytes(key_digest(key), "little")


def normalize_entry(line: str) -> tuple[str, str] | None:
    """(kind, entry) for one list line, or None for a blank or comment line.

    Lower case, ``#`` comments cut, any ``scheme://`` dropped; an entry with a ``/`` is a URL (trailing
    ``/`` and a leading ``www.`` removed), otherwise a domain (dots at either end removed).
    """
    entry = line.split("#", 1)[0].strip().lower()
    if not entry:
        return None
    if "://" in entry:
        entry = entry.split("://", 1)[1]
    if "/" in entry:
        entry = entry.rstrip("/")
        return URL, entry[4:] if entry.startswith("www.") else entry
    return DOMAIN, entry.strip(".")


class BlocklistIndex:
    """Look up domains and URLs among the entries of several lists; first list wins for a repeated entry."""

    def __init__(self, path: Path):
        self.path = path
        source = pa.memory_map(str(path), "r")
        table = pa.ipc.open_file(source).read_all()
        self.lists: list[str] = json.loads(table.schema.metadata[b"lists"])
        self._hashes = _single_chunk(table.column("hash")).to_numpy(zero_copy_only=True)
        self._list_ids = _single_chunk(table.column("list")).to_numpy(zero_copy_only=True)
        self._entries = _single_chunk(table.column("entry"))
        self.has_domains = bool(table.schema.metadata.get(b"domains") == b"1")
        self.has_urls = bool(table.schema.metadata.get(b"urls") == b"1")

    def __len__(self) -> int:
        return len(self._hashes)

    @classmethod
    def open(cls, lists: Sequence[tuple[str, Path]], cache: Path | None = None) -> "BlocklistIndex":
        """The index of ``lists`` ((list name, file) pairs, in priority order), compiling it if needed."""
        cache = cache_dir() if cache is None else cache
        stamp = [FORMAT] + [[name, str(Path(file).resolve()), os.stat(file).st_size, os.stat(file).st_mtime_ns]
                            for name, file in lists]
        key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:32]
        folder = cache / "blocklists"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            log.warning("blocklist cache %s is not writable (%s); compiling for this process only", folder, error)
            return cls._compile_private(lists)
        target = folder / f"{key}.arrow"
        if not target.exists():
            # One process compiles; the others wait on the lock and then open its file.
            with open(folder / f"{key}.lock", "w") as lock:
                _lock(lock)
                if not target.exists():
                    size = sum(os.stat(file).st_size for _, file in lists)
                    log.info("url_filter: compiling %d list file(s) (%s) into %s, once for these lists",
                             len(lists), numbers.size(size), target)
                    compile_index(lists, target)
        return cls(target)

    @classmethod
    def _compile_private(cls, lists: Sequence[tuple[str, Path]]) -> "BlocklistIndex":
        handle, name = tempfile.mkstemp(suffix=".arrow", prefix="webcorpus-blocklist-")
        os.close(handle)
        compile_index(lists, Path(name))
        index = cls(Path(name))
        os.unlink(name)  # the mapping stays valid; the file goes when the process does
        return index

    def lookup(self, keys: Sequence[str]) -> list[int]:
        """For each ``kind + "\\t" + entry`` key, the index of its list in :attr:`lists`, or -1."""
        if not keys or not len(self._hashes):
            return [-1] * len(keys)
        wanted = np.fromiter((key_hash(k) for k in keys), dtype=np.uint64, count=len(keys))
        at = np.searchsorted(self._hashes, wanted)
        found: list[int] = []
        size = len(self._hashes)
        for key, value, i in zip(keys, wanted.tolist(), at.tolist()):
            hit = -1
            kind, entry = key[0], key[2:]
            # Equal hashes sit side by side; confirm the string (two entries could share a hash).
            while i < size and int(self._hashes[i]) == value:
                if self._entries[i].as_py() == entry and self._kind(i) == kind:
                    hit = int(self._list_ids[i]) >> 1
                    break
                i += 1
            found.append(hit)
        return found

    def _kind(self, i: int) -> str:
        return DOMAIN if int(self._list_ids[i]) & 1 == 0 else URL


def compile_index(lists: Sequence[tuple[str, Path]], target: Path) -> None:
    """Write the sorted index of ``lists`` to ``target`` (atomically: a temporary file, then a rename)."""
    digests = bytearray()
    list_ids = bytearray()  # uint32 little-endian per entry
    entries: list[str] = []
    names: list[str] = []
    seen_kinds = set()
    for name, file in lists:
        if name not in names:
            names.append(name)
        # The low bit of the list id carries the kind, so a confirmed hit knows it without a column.
        domain_id = (names.index(name) * 2).to_bytes(4, "little")
        url_id = (names.index(name) * 2 + 1).to_bytes(4, "little")
        with open(file, encoding="utf-8", errors="replace") as lines:
            for kind, entry in _entries(lines):
                seen_kinds.add(kind)
                digests += key_digest(f"{kind}\t{entry}")
                list_ids += domain_id if kind == DOMAIN else url_id
                entries.append(entry)
    hash_array = np.frombuffer(bytes(digests), dtype="<u8").astype(np.uint64)
    del digests
    order = np.argsort(hash_array, kind="stable")  # stable: of equal keys, the first listed comes first
    hash_array = hash_array[order]
    id_array = np.frombuffer(bytes(list_ids), dtype="<u4").astype(np.uint32)[order]
    entry_array = pa.array(entries, pa.large_string()).take(pa.array(order))
    del entries
    keep = _first_of_each_key(hash_array, id_array, entry_array)
    if not keep.all():
        hash_array, id_array, entry_array = hash_array[keep], id_array[keep], entry_array.filter(pa.array(keep))
    table = pa.table({"hash": pa.array(hash_array), "list": pa.array(id_array), "entry": entry_array})
    table = table.replace_schema_metadata({"lists": json.dumps(names), "domains": "1" if DOMAIN in seen_kinds else "0",
                                           "urls": "1" if URL in seen_kinds else "0"})
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".partial")
    os.close(handle)
    try:
        with pa.OSFile(partial, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max(1, table.num_rows))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(partial, 0o666 & ~umask)  # readable like any other file the user writes (mkstemp makes 0600)
        os.replace(partial, target)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _entries(lines: Iterable[str]):
    for line in lines:
        normalized = normalize_entry(line)
        if normalized is not None:
            yield normalized


def _first_of_each_key(hashes: np.ndarray, ids: np.ndarray, entries: pa.Array) -> np.ndarray:
    """Mask keeping the first row of each (kind, entry): rows with equal keys are adjacent after the sort."""
    keep = np.ones(len(hashes), dtype=bool)
    if len(hashes) < 2:
        return keep
    same_hash = np.flatnonzero(hashes[1:] == hashes[:-1]) + 1
    for i in same_hash.tolist():
        # Walk back over the run of equal hashes to the first row with the same kind and entry.
        j = i - 1
        while j >= 0 and hashes[j] == hashes[i]:
            if keep[j] and entries[j].as_py() == entries[i].as_py() and (ids[j] & 1) == (ids[i] & 1):
                keep[i] = False
                break
            j -= 1
    return keep


def _single_chunk(column: pa.ChunkedArray) -> pa.Array:
    if column.num_chunks == 0:
        return pa.array([], column.type)
    return column.chunk(0) if column.num_chunks == 1 else pa.concat_arrays(column.chunks)


def _lock(handle) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory lock; two processes may compile the same file, harmlessly
        return
    fcntl.flock(handle, fcntl.LOCK_EX)
