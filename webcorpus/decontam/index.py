"""The n-gram index of the eval sets: built once per run, memory-mapped by every worker.

Layout of the index folder (all little-endian, written whole or not at all: built in a temporary
folder, then renamed):

* ``hashes.u64``: the distinct n-gram hashes (:mod:`webcorpus.decontam.ngrams`), sorted;
* ``refs.u32``: for each, the first item (in set, file, row order) that holds it;
* ``items.arrow``: per item, by ref, its ``set`` (index into ``meta.json``'s sets) and ``id``;
* ``meta.json``: the options it was built with, the sets, the window lengths of the short items
  (an item with fewer words than ``ngram`` is one window of its own length: it matches whole), counts.

Memory while building is bounded: the (hash, ref) pairs are spilled into 64 partitions by the hash's
top bits, then each partition is sorted alone and appended, so the output is sorted as a whole. A
lookup is one ``numpy.searchsorted`` per batch of windows into the mapped array; the operating system
shares its pages between the workers.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa

from webcorpus.decontam import eval_sets as eval_files
from webcorpus.decontam.ngrams import WordHasher, batch_windows, batch_words, window_hashes

PARTITION_BITS = 6  # 64 spill partitions: building holds about 1/64 of the pairs at once
FORMAT = 1


def build(folder: Path, sets: list[eval_files.EvalSet], fields: list[str] | None, id_field: str, ngram: int,
          min_item_words: int) -> dict:
    """Build the index of ``sets`` into ``folder`` (replacing what is there); its counts."""
    folder = Path(folder)
    scratch = folder.with_name(folder.name + ".building")
    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "spill").mkdir(parents=True)
    spills = [(open(scratch / "spill" / f"{p:03d}.u64", "wb"), open(scratch / "spill" / f"{p:03d}.u32", "wb"))
              for p in range(1 << PARTITION_BITS)]
    counts = {"items": 0, "items_matched_whole": 0, "items_without_text": 0, "items_too_short": 0, "item_ngrams": 0}
    per_set = [0] * len(sets)
    short_lengths: set[int] = set()
    hasher = WordHasher()
    schema = pa.schema([("set", pa.int32()), ("id", pa.string())])
    try:
        with pa.OSFile(str(scratch / "items.arrow"), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
            for batch in eval_files.items(sets, fields, id_field):
                first_ref = counts["items"]
                writer.write_batch(pa.record_batch([pa.array([i.set_index for i in batch], pa.int32()),
                                                    pa.array([i.item_id for i in batch], pa.string())], schema=schema))
                for item in batch:
                    per_set[item.set_index] += 1
                hashes, refs = _item_windows(batch, first_ref, ngram, min_item_words, hasher, counts, short_lengths)
                counts["items"] += len(batch)
                counts["item_ngrams"] += len(hashes)
                part = (hashes >> np.uint64(64 - PARTITION_BITS)).astype(np.int64)
                order = np.argsort(part, kind="stable")
                bounds = np.searchsorted(part[order], np.arange((1 << PARTITION_BITS) + 1))
                for p in range(1 << PARTITION_BITS):
                    chosen = order[bounds[p]:bounds[p + 1]]
                    if len(chosen):
                        hashes[chosen].astype("<u8").tofile(spills[p][0])
                        refs[chosen].astype("<u4").tofile(spills[p][1])
    finally:
        for hash_file, ref_file in spills:
            hash_file.close()
            ref_file.close()
    distinct = _merge_partitions(scratch)
    shutil.rmtree(scratch / "spill")
    bitmap_bits = _write_bitmap(scratch, distinct)
    meta = {"format": FORMAT, "ngram": ngram, "sets": [s.name for s in sets], "items_per_set": per_set,
            "short_lengths": sorted(short_lengths), "ngrams": distinct, "bitmap_bits": bitmap_bits, **counts}
    (scratch / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(scratch, folder)
    return meta


def _item_windows(batch, first_ref: int, ngram: int, min_item_words: int, hasher: WordHasher, counts: dict,
                  short_lengths: set) -> tuple[np.ndarray, np.ndarray]:
    """(hash, ref) of every n-gram of the batch's items, and of each short item as one whole window."""
    flat, offsets = batch_words(pa.array([i.text for i in batch], pa.string()))
    word_hashes = hasher.hashes(flat)
    lengths = np.diff(offsets)
    hashes, starts = next(batch_windows(word_hashes, offsets, [ngram]), (ngram, np.zeros(0, np.uint64), np.zeros(0, np.int64)))[1:]
    refs = first_ref + np.searchsorted(offsets, starts, side="right") - 1
    whole_hashes, whole_refs = [], []
    for row in np.flatnonzero(lengths < ngram).tolist():
        length = int(lengths[row])
        if length == 0:
            counts["items_without_text"] += 1
        elif length < min_item_words:
            counts["items_too_short"] += 1
        else:
            counts["items_matched_whole"] += 1
            short_lengths.add(length)
            whole_hashes.append(window_hashes(word_hashes[offsets[row]:offsets[row + 1]], length)[0])
            whole_refs.append(first_ref + row)
    if whole_hashes:
        hashes = np.concatenate([hashes, np.array(whole_hashes, np.uint64)])
        refs = np.concatenate([refs, np.array(whole_refs, np.int64)])
    return hashes, refs.astype(np.uint32)


def _merge_partitions(scratch: Path) -> int:
    """Sort each spilled partition, keep the first ref of each hash, append to the index files."""
    distinct = 0
    with open(scratch / "hashes.u64", "wb") as hashes_out, open(scratch / "refs.u32", "wb") as refs_out:
        for p in range(1 << PARTITION_BITS):
            hashes = np.fromfile(scratch / "spill" / f"{p:03d}.u64", dtype="<u8")
            refs = np.fromfile(scratch / "spill" / f"{p:03d}.u32", dtype="<u4")
            if not len(hashes):
                continue
            order = np.lexsort((refs, hashes))  # by hash, then ref: the first item holding it comes first
            hashes, refs = hashes[order], refs[order]
            first = np.ones(len(hashes), bool)
            first[1:] = hashes[1:] != hashes[:-1]
            hashes[first].tofile(hashes_out)
            refs[first].tofile(refs_out)
            distinct += int(first.sum())
    return distinct


def _write_bitmap(scratch: Path, distinct: int) -> int:
    """``bits.u8``: one bit per value of the hashes' top ``B`` bits, set where some hash has it, with
    about 8 bits per hash (B at least 16): 7 of 8 windows that are in no item are turned away by one
    byte read, and only the rest are searched. Returns B."""
    top_bits = max(16, int(np.ceil(np.log2(max(distinct, 1) * 8))))
    bits = np.zeros(1 << (top_bits - 3), np.uint8)
    hashes = _map(scratch / "hashes.u64", "<u8")
    for start in range(0, len(hashes), 1 << 20):  # bounded memory: 1 M hashes at a time
        top = hashes[start:start + (1 << 20)] >> np.uint64(64 - top_bits)  # sorted, as the hashes are
        byte = (top >> np.uint64(3)).astype(np.int64)
        bit = np.left_shift(np.uint8(1), (top & np.uint64(7)).astype(np.uint8))
        firsts = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]])
        bits[byte[firsts]] |= np.bitwise_or.reduceat(bit, firsts)
    bits.tofile(scratch / "bits.u8")
    del hashes
    return top_bits


class NgramIndex:
    """The built index, memory-mapped: which item (if any) holds each window hash."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.meta = json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))
        self.hashes = _map(self.folder / "hashes.u64", "<u8")
        self.refs = _map(self.folder / "refs.u32", "<u4")
        self.bits = _map(self.folder / "bits.u8", "u1")
        self._shift = np.uint64(64 - self.meta["bitmap_bits"])
        source = pa.memory_map(str(self.folder / "items.arrow"), "r")
        items = pa.ipc.open_file(source).read_all()
        self._item_sets = items.column("set")
        self._item_ids = items.column("id")
        self.sets: list[str] = self.meta["sets"]
        #: the window lengths to look up: the n-gram, and those of the items matched whole
        self.lengths: list[int] = [self.meta["ngram"]] + [k for k in self.meta["short_lengths"] if k != self.meta["ngram"]]

    @property
    def bytes(self) -> int:
        """Bytes of the index files (what the workers map, shared between them)."""
        return sum(f.stat().st_size for f in self.folder.iterdir() if f.is_file())

    def lookup(self, windows: np.ndarray) -> np.ndarray:
        """The ref of the item holding each window hash, or -1."""
        found = np.full(len(windows), -1, np.int64)
        if not len(windows) or not len(self.hashes):
            return found
        top = windows >> self._shift
        maybe = np.flatnonzero((self.bits[top >> np.uint64(3)] >> (top & np.uint64(7)).astype(np.uint8)) & 1)
        if not len(maybe):
            return found
        maybe = maybe[np.argsort(windows[maybe], kind="stable")]  # in order, the search walks the map forward
        candidates = windows[maybe]
        at = np.minimum(np.searchsorted(self.hashes, candidates), len(self.hashes) - 1)
        equal = self.hashes[at] == candidates
        found[maybe[equal]] = self.refs[at[equal]]
        return found

    def item(self, ref: int) -> tuple[str, str]:
        """(eval set name, item id) of an item."""
        return self.sets[self._item_sets[ref].as_py()], self._item_ids[ref].as_py()

    def windows_of(self, word_hashes: np.ndarray, offsets: np.ndarray):
        """Per window length: the hashes of the batch's windows and their first word positions."""
        return batch_windows(word_hashes, offsets, sorted(self.lengths))


def _map(path: Path, dtype: str) -> np.ndarray:
    if path.stat().st_size == 0:
        return np.zeros(0, dtype)
    return np.memmap(path, dtype=dtype, mode="r").view(np.ndarray)  # a plain array: no subclass cost per index
