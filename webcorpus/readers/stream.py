"""A forward-only byte stream over a plain or gzipped file that remembers where its bytes came from.

Crawl files are usually a concatenation of gzip members, one record per member, and a
record's address is the byte offset of its member in the *compressed* file. This stream
decompresses member by member (C zlib, no Python per byte), and for any position in the
decompressed bytes :meth:`ByteStream.origin` gives back ``(compressed offset, bytes into
the member)``.

Broken gzip data never raises: a corrupt or truncated member is reported on the
:class:`~webcorpus.readers.report.ReadReport`, reading resumes at the next gzip magic,
and the place where the bytes stop being contiguous is remembered as a *break*, so a
record parser never glues the head of one record to the tail of another.
"""
from __future__ import annotations

import re
import zlib
from bisect import bisect_left, bisect_right
from typing import BinaryIO, Iterator

from .ranges import GZIP_MAGIC, PROBE, RECORD_START, opens_record
from .report import ReadReport

try:  # Intel ISA-L inflates about twice as fast as zlib, with the same API; zlib when it is not installed
    from isal import isal_zlib as _inflate

    _INFLATE_ERRORS: tuple = (zlib.error, _inflate.error)
except ImportError:  # pragma: no cover - depends on the environment
    _inflate = zlib
    _INFLATE_ERRORS = (zlib.error,)

MAX_BLOCK = 64 << 20  # a record block larger than this is skipped (counted ``too_large``), not held in memory
_FEED = 1 << 15  # compressed bytes fed to zlib at once: bounds the copy of ``unused_data`` per member
_PADDING = re.compile(rb"[\x00\s]*")
_BLANK = re.compile(rb"[\r\n\t ]*")


class ByteStream:
    """Decompressed bytes of ``raw``, read forward, addressed by absolute position.

    Parsers keep absolute positions, ask for bytes with :meth:`ensure` / :meth:`get`
    / :meth:`search`, and set :attr:`pos` to what they have consumed, which lets the
    stream drop that prefix on its next refill.
    """

    def __init__(self, raw: BinaryIO, report: ReadReport, gzipped: bool, chunk_size: int = 1 << 20,
                 start: int = 0, stop: int | None = None):
        """``raw`` is read from its current position, which is the file's byte ``start`` (offsets
        stay absolute); with ``stop`` (gzip only) the stream ends before the first gzip member
        starting at or after ``stop`` that opens a record (:mod:`webcorpus.readers.ranges`)."""
        self._raw = raw
        self._report = report
        self.gzipped = gzipped
        self._chunk = chunk_size
        self.buf = b""
        self.base = 0  # absolute position of buf[0]
        self.pos = 0  # absolute position up to which the parser has consumed
        self.eof = False
        self.breaks: list[int] = []  # absolute positions where the bytes stop being contiguous
        self._produced = 0  # decompressed bytes handed out so far: where the next chunk starts
        self._dstarts: list[int] = [0]  # absolute decompressed start of each gzip member seen
        self._cstarts: list[int] = [start]  # its compressed offset
        # gzip state: pending compressed bytes and where they sit in the file
        self._cin = b""
        self._cin_off = 0
        self._cin_pos = start
        self._inflater = None
        self._member = start
        self.stop = stop
        self.stopped_at: int | None = None  # the record member at or after ``stop`` where reading ended
        self._quiet_skip = False  # after a corrupt member, skipping to the next magic is not a second error
        self.max_block = MAX_BLOCK  # a record block (and a decoded page) over this many bytes is skipped

    # -- reading -------------------------------------------------------------
    @property
    def end(self) -> int:
        """Absolute position just past the bytes held now."""
        return self.base + len(self.buf)

    def fill(self) -> bool:
        """Read more bytes; False once the file is exhausted."""
        data = self._read_chunk()
        if data is None:
            return False
        keep = self.pos - self.base
        if keep >= len(self.buf):
            self.buf = data  # nothing left over: no copy
        else:
            self.buf = self.buf[keep:] + data
        self.base = self.pos
        self._prune()
        return True

    def ensure(self, end: int) -> bool:
        """Hold bytes up to absolute position ``end``; False if the file ends first."""
        if self.end >= end:
            return True
        parts = [self.buf[self.pos - self.base :]]
        have = self.end
        complete = True
        while have < end:  # gather, then join once: a 400 MB record must not be copied per chunk
            data = self._read_chunk()
            if data is None:
                complete = False
                break
            parts.append(data)
            have += len(data)
        self.buf = b"".join(parts)
        self.base = self.pos
        self._prune()
        return complete

    def skip_to(self, end: int) -> int:
        """Read on to ``end`` without keeping the bytes; where it stopped (end, a break, or EOF)."""
        while self.end < end:
            cut = self.break_within(self.pos, end)
            if cut is not None:
                return cut
            if not self.next_chunk():
                return self.end
        cut = self.break_within(self.pos, end)
        return cut if cut is not None else end

    def next_chunk(self) -> bool:
        """Drop the buffer and read the next chunk in its place (nothing is kept); False at EOF."""
        self.base, self.buf = self.end, b""
        self.pos = self.base
        data = self._read_chunk()
        if data is None:
            return False
        self.buf = data
        self._prune()
        return True

    def _read_chunk(self) -> bytes | None:
        """The next decompressed chunk (never empty); None at the end of the file."""
        while not self.eof:
            if self.gzipped:
                data = self._more_gzip()
            else:
                data = self._raw.read(self._chunk)
                if not data:
                    self.eof = True
            if data:
                self._produced += len(data)
                return data
        return None

    def get(self, start: int, end: int) -> bytes:
        return self.buf[start - self.base : end - self.base]

    def view(self, start: int, end: int) -> memoryview:
        """The bytes [start, end) without copying them (the buffer is immutable, so the view stays valid)."""
        return memoryview(self.buf)[start - self.base : end - self.base]

    def search(self, pattern: re.Pattern, start: int, limit: int | None = None) -> re.Match | None:
        """First match of ``pattern`` at or after ``start``, reading on as needed.

        Match positions are relative to :attr:`base` at return time. ``limit`` caps how
        many bytes past ``start`` may be read while looking.
        """
        from_ = start
        while True:
            m = pattern.search(self.buf, from_ - self.base)
            if m is not None:
                return m
            if limit is not None and self.end - start > limit:
                return None
            # the pattern may straddle the refill: look again a little before the old end
            from_ = max(start, self.end - 64)
            if not self.fill():
                return None

    def skip_blank(self, position: int) -> int:
        """The first position at or after ``position`` that is not blank (CR, LF, tab, space)."""
        while True:
            m = _BLANK.match(self.buf, position - self.base)
            position = m.end() + self.base
            if position < self.end or not self.fill():
                return position

    def at_eof(self, position: int) -> bool:
        """True if nothing can be read at ``position``."""
        return not self.ensure(position + 1)

    def next_record(self, position: int) -> tuple[int, int, int] | None:
        """Where the next record starts, blank lines skipped: ``(position, compressed offset, bytes into
        the member)``, or None at the end of the file."""
        position = self.skip_blank(position)
        if self.at_eof(position):
            return None
        return (position, *self.origin(position))

    def record_starts(self) -> Iterator[tuple[int, int, int]]:
        """Each place a record starts, from :attr:`pos` on, as :meth:`next_record` gives it. A record
        parser leaves :attr:`pos` where the next record may start (past its block, or at the line
        ``resync`` found) before it asks for the next."""
        while (start := self.next_record(self.pos)) is not None:
            yield start

    def resync(self, pattern: re.Pattern, start: int) -> int | None:
        """Move to the first match of ``pattern`` at or after ``start`` (its group 1: the line a record
        starts with) and return that absolute position; None, with the stream at its end, when none is left."""
        m = self.search(pattern, start)
        if m is None:
            self.pos = max(self.pos, self.end)
            return None
        self.pos = m.start(1) + self.base
        return self.pos

    # -- addressing ------------------------------------------------------------
    def origin(self, position: int) -> tuple[int, int]:
        """``(compressed offset of the gzip member holding position, bytes into that member)``."""
        if not self.gzipped:
            return position, 0
        i = bisect_right(self._dstarts, position) - 1
        return self._cstarts[i], position - self._dstarts[i]

    def next_member_start(self, position: int) -> int | None:
        """Absolute start of the first gzip member beginning after ``position``, if known yet."""
        i = bisect_right(self._dstarts, position)
        return self._dstarts[i] if i < len(self._dstarts) else None

    def break_within(self, start: int, end: int) -> int | None:
        """The first discontinuity strictly inside (start, end), if any."""
        i = bisect_right(self.breaks, start)
        if i < len(self.breaks) and self.breaks[i] < end:
            return self.breaks[i]
        return None

    def _prune(self) -> None:
        i = bisect_right(self._dstarts, self.base) - 1
        if i > 0:
            del self._dstarts[:i], self._cstarts[:i]
        j = bisect_left(self.breaks, self.base)
        if j > 0:
            del self.breaks[:j]

    # -- gzip ------------------------------------------------------------------
    def _more_gzip(self) -> bytes:
        """Decompress about one chunk, member by member; report and skip what is broken."""
        out: list[bytes] = []
        produced = 0
        dpos = self._produced  # not self.end: ensure() gathers several chunks before the buffer holds them
        while produced < self._chunk:
            need = 1 if self._inflater is not None else 2  # a new member needs its 2-byte magic
            if len(self._cin) - self._cin_off < need and not self._read_compressed():
                if self._inflater is not None:
                    self._report.error(
                        self._member, f"truncated gzip member at offset {self._member}: the file ends inside it"
                    )
                    self._mark_break(dpos + produced)
                    self._inflater = None
                elif len(self._cin) - self._cin_off > 0:
                    self._skip_garbage(len(self._cin))
                self.eof = True
                break
            if self._inflater is None:
                if not self._start_member(dpos + produced):
                    if self.eof:  # stopped at the range's end
                        break
                    continue
            start = self._cin_off
            piece = memoryview(self._cin)[start : start + _FEED]
            try:
                data = self._inflater.decompress(piece)
            except _INFLATE_ERRORS as exc:
                self._report.error(self._member, f"corrupt gzip member at offset {self._member}: {exc}")
                self._mark_break(dpos + produced)
                self._inflater = None
                self._quiet_skip = True
                # look for the next member from just after this one's start (or this piece)
                self._cin_off = max(start, self._member + 1 - self._cin_pos)
                continue
            if data:
                out.append(data)
                produced += len(data)
            if self._inflater.eof:
                self._cin_off = start + len(piece) - len(self._inflater.unused_data)
                self._inflater = None
            else:
                self._cin_off = start + len(piece)
        return out[0] if len(out) == 1 else b"".join(out)

    def _read_compressed(self) -> bool:
        data = self._raw.read(self._chunk)
        if not data:
            return False
        rest = self._cin[self._cin_off :]
        self._cin_pos += self._cin_off
        self._cin = rest + data if rest else data
        self._cin_off = 0
        return True

    def _start_member(self, dpos: int) -> bool:
        """Begin the member at the read position, skipping junk before it; False to retry."""
        i = self._cin_off
        if self._cin[i : i + 2] != GZIP_MAGIC:
            j = self._cin.find(GZIP_MAGIC, i)
            if j < 0:
                keep = len(self._cin) - 1  # the magic may straddle the next read
                self._skip_garbage(keep)
                return False
            self._skip_garbage(j)  # reported by the range that reads up to it, even past its end: once
            if self._at_stop(j):
                return False
            if self.gzipped and dpos > 0:
                self._mark_break(dpos)
            i = j
        elif self._at_stop(i):
            return False
        self._cin_off = i
        self._member = self._cin_pos + i
        self._inflater = _inflate.decompressobj(31)
        self._dstarts.append(dpos)
        self._cstarts.append(self._member)
        self._quiet_skip = False
        return True

    def _at_stop(self, i: int) -> bool:
        """True (and the stream ends) if the member at ``_cin[i]`` is at or past ``stop`` and opens a record."""
        if self.stop is None or self._cin_pos + i < self.stop:
            return False
        while len(self._cin) - i < PROBE:  # the test reads PROBE bytes; appended, so indexes into _cin hold
            more = self._raw.read(self._chunk)
            if not more:
                break
            self._cin += more
        if not opens_record(self._cin[i : i + PROBE]):
            return False  # a broken member past the end still belongs to this range: read (and reported) here
        self.stopped_at = self._cin_pos + i
        self.eof = True
        return True

    def _skip_garbage(self, upto: int) -> None:
        i = self._cin_off
        if upto <= i:
            return
        junk = self._cin[i:upto]
        if not self._quiet_skip and _PADDING.fullmatch(junk) is None:
            offset = self._cin_pos + i
            self._report.error(offset, f"{len(junk)} bytes of non-gzip data at offset {offset} skipped")
        self._cin_off = upto

    def _mark_break(self, position: int) -> None:
        if not self.breaks or self.breaks[-1] != position:
            self.breaks.append(position)


def take_block(stream: ByteStream, record: int, start: int, end: int) -> tuple[memoryview | None, int, str | None]:
    """The block ``[start, end)`` of the record starting at ``record``.

    Returns ``(block, where the next record may start, problem)``; the block is a view into
    the stream's buffer, so records nobody looks into (requests, metadata) are never copied. ``problem`` is None,
    ``"too_large"`` (block is None: skipped without holding it; in a gzipped file the skip stops early at
    a later gzip member that starts with a record, as a length that lies would otherwise swallow it), ``"cut"`` (a broken gzip
    member inside: the block holds what came before it) or ``"eof"`` (the file ends
    inside: the block holds what there is).
    """
    if end - start > stream.max_block:
        return None, _skip_block(stream, record, end), "too_large"
    complete = stream.ensure(end)
    cut = stream.break_within(record, end)
    if cut is not None:
        return stream.view(start, max(start, cut)), cut, "cut"
    if not complete:
        return stream.view(start, stream.end), stream.end, "eof"
    return stream.view(start, end), end, None


def take_reported_block(stream: ByteStream, report: ReadReport, kind: str, offset: int, record: int, start: int,
                        size: int, length_name: str = "Content-Length") -> tuple[memoryview | None, str | None]:
    """:func:`take_block` for a record of ``kind`` (``"WARC"``, ``"ARC"``) at compressed ``offset`` whose
    header says ``length_name`` is ``size``: a block over the limit or cut by the end of the file goes
    to ``report``, and the stream moves to where the next record may start. Returns ``(block, problem)``."""
    end = start + size
    block, pos, problem = take_block(stream, record, start, end)
    if problem == "too_large":
        report.error(offset, too_large_message(kind, offset, size, stream.max_block, pos, end, stream), kind="too_large")
    if problem == "eof":
        report.error(offset, f"{kind} record at offset {offset} truncated: {length_name} {size}, "
                             f"but the file ends {end - pos} bytes early")
    stream.pos = pos
    return block, problem


def _skip_block(stream: ByteStream, record: int, end: int) -> int:
    """Read past a block too large to hold, chunk by chunk; where reading resumes.

    That is ``end``, or earlier: a break (broken gzip), the end of the file, or, in a gzipped file, a
    gzip member starting inside the block with a record line: crawl files hold one record per
    member, so a length reaching past its member lies, and the records after it are kept.
    """
    while True:
        cut = stream.break_within(max(stream.pos, record), end)
        if cut is not None:
            return cut
        if stream.gzipped:
            member = stream.next_member_start(record)
            while member is not None and member < min(end, stream.end):
                if member >= stream.base and RECORD_START.match(stream.buf, member - stream.base):
                    return member
                member = stream.next_member_start(member)
        if stream.end >= end:
            return end
        if not stream.next_chunk():
            return stream.end


def too_large_message(kind: str, offset: int, size: int, limit: int, stop: int, end: int, stream: ByteStream) -> str:
    """The error entry of a skipped block: its size, the limit, and where reading resumed."""
    text = f"{kind} record at offset {offset}: Content-Length {size} is over the limit of {limit} bytes; skipped"
    if stop < end and stream.at_eof(stop):
        return text + f" (and it claims {end - stop} bytes past the end of the file)"
    if stop < end:
        return text + f" (its length reaches past its gzip member: reading resumes at the next record, offset {stream.origin(stop)[0]})"
    return text
