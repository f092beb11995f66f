"""Run folders on object storage (``s3://``, ``gs://``, any fsspec URL): check them, mirror them.

Object stores have no rename and no directories, and every part of the pipeline writes its
files with "temporary name, then rename" and commits a marker last (docs/architecture.md). So a
run whose output is a URL works in a local *staging* folder (the same layout, written by the same
code) and :class:`RemoteRun` publishes it to the URL in commit order:

1. delete the remote markers (``*.done``) and ``stats.json`` that changed or vanished locally,
   so that no remote marker ever vouches for a payload that is about to change;
2. put ``run.json`` (the folder's owner) if it changed; delete payloads that vanished;
3. put every new or changed payload file (shards, dedup work, tokenizer, token shards, logs);
4. put the new markers; last, ``stats.json`` (the run is complete).

With an output URL the file tasks of per-batch steps do not write into the staging folder at all:
a worker on any machine commits its shards and marker to the bucket itself
(``remote_tasks.run_remote_file_task``), and :meth:`RemoteRun.fetch_task` brings them into
staging, so that the global steps (which run on the driver's machine) and the next mirror see
them; the mirror never deletes what it did not see. One driver per URL: :meth:`RemoteRun.lease`.

Each put is one whole object, so a reader sees an object whole or not at all; at any moment the
bucket holds a state that a killed local run could have left, and the pipeline's own rules
(trust only committed markers, clear what an attempt left) resume from it. A run starts by
pulling the bucket into a fresh staging folder, so losing the machine (and its staging folder)
loses nothing that was published. Markers are listed before payloads on every sync: a marker
seen locally was committed after its payloads were renamed into place, so they are seen too.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import time
import uuid
from collections import Counter
from pathlib import Path

from webcorpus.cache import cache_dir
from webcorpus.ledger import LEASE_SUFFIX, MARKER_SUFFIX

log = logging.getLogger("webcorpus")

LOCAL_PROTOCOLS = ("file", "local")
FINAL = "stats.json"  # written last: the run is complete
OWNER = "run.json"  # the config the folder was made with
# The staged files' sizes and modification times, put after each sync: a pull restores the times, so
# that input identities (name, size, mtime: ledger.input_identity) of the run's own shards survive.
TIMES = ".webcorpus-times.json"
# fsspec's own hints name the package to install; these say how to get it with webcorpus.
EXTRAS = {"s3": "pip install 'webcorpus[s3]' (s3fs)", "s3a": "pip install 'webcorpus[s3]' (s3fs)"}


def protocol_of(output: str) -> str:
    """``s3`` for ``s3://bucket/x``; ``file`` for a plain path or ``file://``."""
    if "://" not in output:
        return "file"
    return output.split("://", 1)[0].lower()


def is_remote(output: str | os.PathLike) -> bool:
    """True when ``output`` is a URL of a file system other than the local disk."""
    return protocol_of(str(output)) not in LOCAL_PROTOCOLS


def local_path(output: str) -> str:
    """The local path of a plain path or ``file://`` URL."""
    return output[len("file://"):] if output.startswith("file://") else output


def check_backend(output: str) -> None:
    """Refuse an unknown scheme (ValueError) or one whose fsspec backend is not installed
    (:class:`MissingDependency`, which says which package to install). Makes no network call."""
    import fsspec
    from fsspec.registry import known_implementations, registry

    protocol = protocol_of(output)
    if protocol in LOCAL_PROTOCOLS:
        return
    if protocol not in known_implementations and protocol not in registry:
        raise ValueError(f"output {output!r}: unknown scheme '{protocol}://' (use a path, file://, s3://, gs://, az://, … any fsspec protocol)")
    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as exc:
        from webcorpus.stages.requirements import MissingDependency

        hint = EXTRAS.get(protocol) or known_implementations.get(protocol, {}).get("err") or str(exc)
        raise MissingDependency(f"output {output!r}: the '{protocol}://' backend is not installed "
                                f"(an installation matter; the pipeline file is fine): {hint}") from None


def check_writable(output: str) -> None:
    """One cheap round trip before any work: put a small probe object under the URL ``output`` and
    delete it. Bad credentials, a missing bucket, or a read-only prefix raise ValueError with the
    cause. (A local folder is judged by ``plan_checks.output_problems``.)"""
    probe_name = f".webcorpus-write-probe-{uuid.uuid4().hex[:12]}"
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(output)
        probe = f"{root.rstrip('/')}/{probe_name}"
        fs.pipe_file(probe, b"probe")
        fs.rm_file(probe)
    except Exception as exc:  # noqa: BLE001 - every backend has its own errors (botocore, google.auth, …)
        raise ValueError(f"output {output!r} is not writable: {type(exc).__name__}: {exc}") from None


def staging_folder(url: str) -> Path:
    """Where a run on ``url`` is staged on this machine, one folder per URL (a re-run replaces its
    own): ``$WEBCORPUS_STAGING``, else ``staging/`` in the cache folder (``$WEBCORPUS_CACHE_DIR``,
    ``$XDG_CACHE_HOME/webcorpus`` or ``~/.cache/webcorpus``)."""
    base = os.environ.get("WEBCORPUS_STAGING") or cache_dir() / "staging"
    return Path(base) / hashlib.sha1(url.encode()).hexdigest()[:16]


def _is_temporary(relative: str) -> bool:
    """Files still being written (``.name.tmp-PID``, ``.tokens.building/``, ``*.tmp``) are never published,
    nor a lease: the bucket's ``run.lease`` is the bucket's own lock, the staging folder's is this machine's."""
    return (any(part.startswith(".") for part in relative.split("/")) or relative.endswith(".tmp")
            or relative.endswith(LEASE_SUFFIX) or relative.endswith(LEASE_SUFFIX + ".takeover"))


def _is_commit(relative: str) -> bool:
    return relative.endswith(MARKER_SUFFIX) or relative == FINAL


class RemoteRun:
    """A run folder at ``url``, mirrored from a local staging folder in commit order.

    ``pull()`` replaces the staging folder with what the URL holds; ``sync()`` publishes what
    changed since the last sync; ``requests`` counts object-store calls by kind (the workers' puts of
    their tasks' objects as ``worker put``; the lease's calls are not counted).
    """

    def __init__(self, url: str, staging: str | os.PathLike | None = None, interval: float | None = None):
        import fsspec

        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url)
        self.root = self.root.rstrip("/")
        self.staging = Path(staging) if staging else staging_folder(self.url)
        # the least seconds between two syncs asked for with ``soon=True`` (after each task)
        self.interval = float(os.environ.get("WEBCORPUS_PUBLISH_SECONDS", 5)) if interval is None else interval
        self.published: dict[str, tuple[int, int]] = {}  # relative path -> local (size, mtime_ns) it was put from
        self.requests: Counter = Counter()
        self.put_names: set[str] = set()  # the relative paths this process published
        self._last_sync = 0.0
        self._fetched = False  # files fetched from the bucket since the last sync: the times file is due

    # -- the run's one driver ------------------------------------------------------------------
    def lease(self, name: str):
        """The lease ``URL/<name>.lease`` (:class:`~webcorpus.ledger.ObjectLease`): one driver per URL."""
        from webcorpus.ledger import ObjectLease

        return ObjectLease(self.fs, f"{self.root}/{name}{LEASE_SUFFIX}", f"{self.url}/{name}{LEASE_SUFFIX}")

    # -- file tasks that workers commit to the bucket ------------------------------------------
    def url_of(self, path: str | os.PathLike) -> str:
        """The URL of a path inside the staging folder; any other path or URL unchanged."""
        try:
            relative = Path(path).relative_to(self.staging).as_posix()
        except ValueError:
            return str(path)
        return f"{self.url}/{relative}" if relative != "." else self.url

    def remote_task(self, task):
        """``task`` (a FileTask on staging paths) as a worker anywhere runs it: every folder a URL, and
        the input's identity as this machine sees it (so the marker matches the driver's read_marker)."""
        from dataclasses import replace

        from webcorpus.ledger import input_identity

        return replace(task, source=self.url_of(task.source), output_dir=self.url_of(task.output_dir),
                       marker_dir=self.url_of(task.marker_dir),
                       excluded_dir=self.url_of(task.excluded_dir) if task.excluded_dir else None,
                       identity=input_identity(task.source))

    def clear_tasks(self, tasks: list) -> None:
        """Before ``tasks`` run again: delete what killed attempts left of them (shards without a marker),
        in staging and then, by the mirror, in the bucket (a pull brought the bucket's into staging)."""
        from webcorpus.document_shards import remove_shards

        for task in tasks:
            remove_shards(task.output_dir, task.task_id)
            if task.excluded_dir:
                remove_shards(task.excluded_dir, task.task_id)
        self.sync()

    def fetch_task(self, task, result) -> None:
        """Bring a task a worker committed to the bucket into staging: its shards, excluded shards and
        marker (last, as committed), each recorded as published so the mirror neither puts nor deletes it."""
        names = [f"{task.output_dir}/{name}" for name in result.shards]
        if task.excluded_dir:
            self.requests["list"] += 1
            names += [f"{task.excluded_dir}/{key.rsplit('/', 1)[1]}"
                      for key in self.fs.glob(f"{self._key(task.excluded_dir)}/{task.task_id}.[0-9][0-9][0-9][0-9][0-9].parquet")]
        names.append(f"{task.marker_dir}/{task.task_id}{MARKER_SUFFIX}")
        self.requests["worker put"] += len(names)  # each object was put once by the worker that ran the task
        for url in names:
            relative = url[len(self.url):].lstrip("/")
            target = self.staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            self.requests["get"] += 1
            self.fs.get_file(self._key(url), str(target))
            self.published[relative] = self._signature(target)
        self._fetched = True

    def _key(self, url: str) -> str:
        """The store's key of a URL under this run."""
        return f"{self.root}/{url[len(self.url):].lstrip('/')}".rstrip("/")

    def pull(self) -> Path:
        """Start from what the URL holds: a fresh staging folder with every object under the URL."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.staging.mkdir(parents=True, exist_ok=True)
        self.requests["list"] += 1
        try:
            found = self.fs.find(self.root, withdirs=False)
        except FileNotFoundError:
            found = []
        times = {}
        if f"{self.root}/{TIMES}" in found:
            self.requests["get"] += 1
            times = json.loads(self.fs.cat_file(f"{self.root}/{TIMES}"))
        for key in found:
            relative = key[len(self.root):].lstrip("/")
            if not relative or _is_temporary(relative):
                continue
            target = self.staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            self.requests["get"] += 1
            self.fs.get_file(key, str(target))
            size, mtime_ns = times.get(relative, (None, None))
            if size == target.stat().st_size:
                os.utime(target, ns=(mtime_ns, mtime_ns))
            self.published[relative] = self._signature(target)
        return self.staging

    def sync(self, soon: bool = False) -> None:
        """Publish what changed locally, in commit order (see the module's docstring).

        ``soon=True`` (after each task) skips the sync when the last one was under ``interval``
        seconds ago: markers reach the URL a little later, and a kill then costs only a redo.
        """
        if soon and time.monotonic() - self._last_sync < self.interval:
            return
        before = sum(self.requests.values())
        commits = self._scan(commit=True)  # markers first: their payloads are in place before them
        payloads = self._scan(commit=False)
        current = {**payloads, **commits}
        stale_commits = [r for r in self.published if _is_commit(r) and current.get(r) != self.published[r]]
        self._delete(sorted(stale_commits, key=lambda r: r != FINAL))  # stats.json first: the run is no longer complete
        if OWNER in payloads and payloads[OWNER] != self.published.get(OWNER):
            self._put(OWNER, payloads[OWNER])
        self._delete([r for r in self.published if not _is_commit(r) and r not in current])
        for relative, signature in sorted(payloads.items()):
            if self.published.get(relative) != signature:
                self._put(relative, signature)
        for relative, signature in sorted(commits.items(), key=lambda item: item[0] == FINAL):
            if self.published.get(relative) != signature:
                self._put(relative, signature)
        if sum(self.requests.values()) > before or self._fetched:  # something was put, deleted or fetched
            self.requests["put"] += 1
            self.fs.pipe_file(f"{self.root}/{TIMES}", json.dumps(self.published, sort_keys=True).encode())
            self._fetched = False
        self._last_sync = time.monotonic()

    def _scan(self, commit: bool) -> dict[str, tuple[int, int]]:
        found = {}
        for directory, _subdirs, files in os.walk(self.staging):
            for name in files:
                path = Path(directory) / name
                relative = path.relative_to(self.staging).as_posix()
                if _is_temporary(relative) or _is_commit(relative) != commit:
                    continue
                try:
                    found[relative] = self._signature(path)
                except FileNotFoundError:  # removed while we looked: the next sync sees it gone
                    continue
        return found

    @staticmethod
    def _signature(path: Path) -> tuple[int, int]:
        stat = path.stat()
        return (stat.st_size, stat.st_mtime_ns)

    def _put(self, relative: str, signature: tuple[int, int]) -> None:
        try:
            self.requests["put"] += 1
            self.fs.put_file(str(self.staging / relative), f"{self.root}/{relative}")
        except FileNotFoundError:  # replaced or removed locally since the scan: the next sync has it
            return
        self.published[relative] = signature
        self.put_names.add(relative)

    def _delete(self, relatives: list[str]) -> None:
        for relative in relatives:
            self.requests["delete"] += 1
            try:
                self.fs.rm_file(f"{self.root}/{relative}")
            except FileNotFoundError:
                pass
            self.published.pop(relative, None)

    def __repr__(self) -> str:
        return f"RemoteRun({self.url!r}, staging={str(self.staging)!r})"
