"""The ledger: the one place that records finished work, so that a re-run skips it.

Every resumable piece of work — a file task, a global step, a dedup phase task, a tokenizer
encoding job — ends by *committing* a marker: a small JSON record under a ledger's folder,
written last, after every file the work produced is in place. A reader trusts only committed
markers; whatever has no marker is redone from its start (and first clears what a killed attempt
left, by its own rule). Two questions recur and have one answer each here:

* "is this input the same?" — :func:`input_identity` (name, size, modification time);
* "do I hold a finished result for these inputs and options?" — :func:`digest` of them, kept in
  the marker, compared on read (:meth:`Ledger.read` with ``expect``).

On object storage (fsspec; no rename there) every task writes a local folder with the run's layout and
puts its payloads before its marker, and the driver's ledger folder is published the same way
(webcorpus/storage/): the ledger's rules hold unchanged. The lock on a run folder is a lease with an
owner and a heartbeat, taken before the first commit: a file created with ``O_EXCL``
(:class:`Lease`), or on object storage an object created with a conditional put
(:class:`ObjectLease`). See docs/architecture.md.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

MARKER_SUFFIX = ".done"
LEASE_SUFFIX = ".lease"
LEASE_TIMEOUT = float(os.environ.get("WEBCORPUS_LEASE_TIMEOUT", "120"))  # seconds without a heartbeat: stale


def input_identity(source: str, portable: bool = False) -> list:
    """What tells one version of an input from another: ``[name, size, mtime_ns]``.

    ``portable`` drops the time (``[name, size]``): the identity of a run's own shards, which
    must not change when the run folder is copied or read by another machine. A remote input
    (``https://``, ``s3://``) is known by its name alone: it is not stat-ed.
    """
    name = os.path.basename(source.rstrip("/"))
    path = source[len("file://"):] if source.startswith("file://") else source
    if "://" in path:
        return [name]
    try:
        stat = os.stat(path)
    except OSError:
        return [name]
    return [name, stat.st_size] if portable else [name, stat.st_size, stat.st_mtime_ns]


def digest(*parts: Any) -> str:
    """A short, stable key of JSON-able parts (options, identities): equal parts, equal key."""
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def file_digest(path: str | os.PathLike) -> str:
    """SHA-1 of a file's bytes, read in 1 MiB blocks: the identity of a model or tokenizer file."""
    sha = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def contents_digest(path: str | os.PathLike) -> str:
    """SHA-1 of a file's bytes, or of a folder's files (relative names and bytes, in sorted order)."""
    path = Path(path)
    if not path.is_dir():
        return file_digest(path)
    sha = hashlib.sha1()
    for child in sorted(p for p in path.rglob("*") if p.is_file()):
        sha.update(child.relative_to(path).as_posix().encode() + b"\0" + file_digest(child).encode())
    return sha.hexdigest()


def commit_json(path: str | os.PathLike, data: Any, indent: int | None = 1) -> None:
    """Write ``data`` as JSON so that a reader sees the whole file or none of it (temp name, rename).

    The one primitive behind every marker and every run-level JSON file; on object storage it is a
    single put of the whole object.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=indent, sort_keys=False, default=str), encoding="utf-8")
    os.replace(tmp, path)


class Ledger:
    """Markers of finished work under one folder; picklable (a path), so workers commit their own.

    ``name`` may hold slashes (``"step-0/crawl.warc.gz-1a2b"``, ``"near.00003"``); the marker is
    ``ROOT/<name>.done``.
    """

    def __init__(self, root: str | os.PathLike):
        self.root = str(root)

    def marker(self, name: str) -> Path:
        return Path(self.root) / f"{name}{MARKER_SUFFIX}"

    def read(self, name: str, expect: dict | None = None) -> dict | None:
        """The committed record of ``name``; None when absent, unreadable, or when a field named
        in ``expect`` differs (the work was done for other inputs or options)."""
        try:
            record = json.loads(self.marker(name).read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        if expect and any(record.get(key) != value for key, value in expect.items()):
            return None
        return record

    def commit(self, name: str, record: dict) -> dict:
        """Record ``name`` as finished. Call it last, when every output of the work is in place."""
        commit_json(self.marker(name), record)
        return record

    def forget(self, prefix: str = "") -> None:
        """Drop the markers whose names start with ``prefix`` (all of them by default): that work
        will be redone. Only marker files are removed; outputs belong to whoever wrote them."""
        root = Path(self.root)
        if not root.is_dir():
            return
        for path in root.rglob(f"*{MARKER_SUFFIX}"):
            if path.relative_to(root).as_posix().startswith(prefix):
                path.unlink(missing_ok=True)

    def lease(self, name: str, timeout: float | None = None) -> "Lease":
        """The lease (an exclusive lock with an owner and a heartbeat) ``ROOT/<name>.lease``;
        :meth:`Lease.acquire` takes it or raises :class:`LeaseHeld` naming its holder."""
        return Lease(Path(self.root) / f"{name}{LEASE_SUFFIX}", LEASE_TIMEOUT if timeout is None else timeout)

    def child(self, name: str) -> "Ledger":
        """The ledger of a part of this work (its markers under ``ROOT/name/``)."""
        return Ledger(Path(self.root) / name)

    def __repr__(self) -> str:
        return f"Ledger({self.root!r})"


class LeaseHeld(RuntimeError):
    """Another live owner holds the lease; ``holder`` is its record (host, pid, start, heartbeat)."""

    def __init__(self, path: Path | str, holder: dict):
        self.path, self.holder = path, holder
        age = time.time() - float(holder.get("heartbeat", 0))
        folder = str(path).rstrip("/").rsplit("/", 1)[0]  # a folder, or a URL's prefix (no Path: it eats '//')
        super().__init__(
            f"{folder} is in use by another run: pid {holder.get('pid')} on host {holder.get('host')}, "
            f"started {holder.get('started_at', '?')}, last heartbeat {age:.0f} s ago (lock file {path}); "
            "wait for it to finish, or stop it; a lock of a dead run is taken over automatically"
        )


class Lease:
    """An exclusive lease on a folder: a small JSON record (owner host, pid, start, token, heartbeat).

    Taken by creating the file exclusively (``O_EXCL``: of two runs, exactly one creates it),
    renewed by a heartbeat thread every ``timeout / 4`` seconds, removed on :meth:`release`.
    A lease is *stale* when its owner is a dead process on this host, or when its heartbeat is
    older than ``timeout`` (an owner on another host, or a frozen one); a stale lease is taken
    over under a short-lived guard file (itself created with ``O_EXCL``), so that two runs finding
    the same stale lease cannot both take it. On object storage the same record becomes one
    object written with a conditional put (if-none-match): :class:`ObjectLease`.
    """

    def __init__(self, path: Path, timeout: float = LEASE_TIMEOUT):
        self.path = Path(path)
        self.timeout = timeout
        self.token = uuid.uuid4().hex
        self.lost = False  # set by the heartbeat if another owner replaced the record
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.owner = {"host": socket.gethostname(), "pid": os.getpid(), "token": self.token,
                      "started": time.time(), "started_at": time.strftime("%Y-%m-%d %H:%M:%S %Z")}

    # -- taking ------------------------------------------------------------------
    def acquire(self) -> "Lease":
        """Take the lease (taking over a stale one) and start the heartbeat; :class:`LeaseHeld` if held."""
        for _ in range(3):
            if self._create():
                self._start_heartbeat()
                return self
            holder = self._read()
            if holder is None:  # being written (or removed) this instant: look again
                time.sleep(0.05)
                continue
            if not self.is_stale(holder):
                raise LeaseHeld(self.path, holder)
            self._take_over(holder)
        holder = self._read() or {}
        raise LeaseHeld(self.path, holder)

    def is_stale(self, holder: dict) -> bool:
        """True when the holder is a dead process of this host, or its heartbeat is too old."""
        if time.time() - float(holder.get("heartbeat", 0)) > self.timeout:
            return True
        if holder.get("host") == self.owner["host"]:
            return not _pid_alive(int(holder.get("pid", -1)))
        return False

    def _create(self) -> bool:
        record = self._record()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(record))
            handle.flush()
            os.fsync(handle.fileno())
        return True

    def _take_over(self, stale: dict) -> None:
        """Remove the stale record, if it is still the one judged stale, under an exclusive guard."""
        guard = self.path.with_name(self.path.name + ".takeover")
        try:
            fd = os.open(guard, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            # another run is taking over right now; a guard left by a killed taker expires like a lease
            try:
                if time.time() - guard.stat().st_mtime > min(self.timeout, 30):
                    guard.unlink(missing_ok=True)
            except FileNotFoundError:
                pass
            time.sleep(0.1)
            return
        os.close(fd)
        try:
            if self._read() == stale:
                self.path.unlink(missing_ok=True)
        finally:
            guard.unlink(missing_ok=True)

    def _read(self) -> dict | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def _record(self) -> dict:
        return {**self.owner, "heartbeat": time.time(), "timeout": self.timeout}

    # -- holding -----------------------------------------------------------------
    def _start_heartbeat(self) -> None:
        self._thread = threading.Thread(target=self._beat, name="webcorpus-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(max(self.timeout / 4, 0.05)):
            try:
                self.renew()
            except OSError:  # a full disk for a moment: the next beat tries again, well within the timeout
                pass

    def renew(self) -> bool:
        """Refresh the heartbeat; False (and :attr:`lost`) if the record is no longer ours."""
        current, tag = self._read_tagged()
        if current is None or current.get("token") != self.token:
            self.lost = True
            return False
        return self._rewrite(tag)

    def release(self) -> None:
        """Stop the heartbeat and remove the record, if it is still ours."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        current = self._read()
        if current is not None and current.get("token") == self.token:
            self._remove()

    # -- where the record lives: a file here, an object in ObjectLease ------------
    def _read_tagged(self) -> tuple[dict | None, str | None]:
        """The record and the version tag a conditional rewrite needs (none for a file)."""
        return self._read(), None

    def _rewrite(self, tag: str | None) -> bool:
        commit_json(self.path, self._record(), indent=None)
        return True

    def _remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> "Lease":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


class ObjectLease(Lease):
    """The same lease as one object on object storage (an fsspec file system; S3's API), which has no
    ``O_EXCL`` and no rename: the record is created with a conditional put (``If-None-Match: *``: of
    two drivers, exactly one creates it), and a stale one is taken over, and renewed, with a put
    conditional on the ETag read (``If-Match``: of two takers, exactly one replaces it). Drivers on
    different machines judge staleness by the heartbeat alone; on one host also by the pid. A backend
    whose ``pipe_file`` takes neither (not s3fs) gets check-then-put: two drivers starting in the
    same instant could then both pass.
    """

    def __init__(self, fs, key: str, url: str, timeout: float = LEASE_TIMEOUT):
        super().__init__(Path(key), timeout)
        self.fs, self.key, self.url = fs, key, url

    def acquire(self) -> "ObjectLease":
        for _ in range(3):
            if self._create():
                self._start_heartbeat()
                return self
            holder, etag = self._read_tagged()
            if holder is None:  # removed this instant: try again
                time.sleep(0.05)
                continue
            if not self.is_stale(holder):
                raise LeaseHeld(self.url, holder)
            if self._put(if_match=etag):  # a stale lease: replace exactly the record judged stale
                self._start_heartbeat()
                return self
        raise LeaseHeld(self.url, self._read() or {})

    def _create(self) -> bool:
        try:
            try:
                self.fs.pipe_file(self.key, json.dumps(self._record()).encode(), mode="create")
            except TypeError:  # no conditional create in this backend
                if self.fs.exists(self.key):
                    return False
                self.fs.pipe_file(self.key, json.dumps(self._record()).encode())
        except (FileExistsError, OSError) as exc:
            if _precondition_failed(exc):
                return False
            raise
        return True

    def _put(self, if_match: str) -> bool:
        try:
            try:
                self.fs.pipe_file(self.key, json.dumps(self._record()).encode(), IfMatch=if_match)
            except TypeError:  # no conditional put in this backend
                self.fs.pipe_file(self.key, json.dumps(self._record()).encode())
        except (FileNotFoundError, OSError) as exc:  # replaced (or removed) by another driver meanwhile
            if isinstance(exc, FileNotFoundError) or _precondition_failed(exc):
                return False
            raise
        return True

    def _read_tagged(self) -> tuple[dict | None, str | None]:
        try:
            info = self.fs.info(self.key, refresh=True)
            record = json.loads(self.fs.cat_file(self.key))
        except (FileNotFoundError, json.JSONDecodeError):
            return None, None
        return record, info.get("ETag")

    def _read(self) -> dict | None:
        return self._read_tagged()[0]

    def _rewrite(self, tag: str | None) -> bool:
        return self._put(if_match=tag)

    def _remove(self) -> None:
        try:
            self.fs.rm_file(self.key)
        except FileNotFoundError:
            pass


def _precondition_failed(exc: BaseException) -> bool:
    """True for the store's "412 Precondition Failed" (the object exists, or its ETag changed)."""
    text = f"{type(exc).__name__} {exc}"
    return isinstance(exc, FileExistsError) or "PreconditionFailed" in text or "412" in text


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True
