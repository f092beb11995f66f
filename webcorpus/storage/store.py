"""A run folder on object storage as a store of objects named by their path in the run folder.

Every call is counted by kind (``list``, ``get``, ``put``, ``delete``) with the bytes it moved, so a
run can say what it cost: the driver's store counts the ledger's traffic, each task's store its own,
and the runner adds them up into stats.json (``storage``).
"""
from __future__ import annotations

import os
from collections import Counter


class ObjectStore:
    """The objects under ``url`` (fsspec), addressed by relative names (``markers/step-0/x.done``)."""

    def __init__(self, url: str):
        import fsspec

        self.url = url.rstrip("/")
        self.fs, root = fsspec.core.url_to_fs(self.url)
        self.root = root.rstrip("/")
        self.requests: Counter = Counter()
        self.bytes: Counter = Counter()  # "up" and "down"

    def key(self, relative: str) -> str:
        return f"{self.root}/{relative.lstrip('/')}".rstrip("/")

    def url_of(self, relative: str) -> str:
        return f"{self.url}/{relative.lstrip('/')}".rstrip("/")

    def relative(self, key_or_url: str) -> str:
        """The relative name of a store key or URL under this run."""
        for prefix in (self.url, self.root):
            if key_or_url.startswith(prefix):
                return key_or_url[len(prefix):].lstrip("/")
        raise ValueError(f"{key_or_url} is not under {self.url}")

    def listing(self, prefix: str = "") -> dict[str, int]:
        """``{relative name: size}`` of every object under ``prefix`` (one list call per 1,000 objects)."""
        self.requests["list"] += 1
        try:
            found = self.fs.find(self.key(prefix), withdirs=False, detail=True)
        except FileNotFoundError:
            return {}
        self.requests["list"] += max(0, (len(found) - 1) // 1000)
        return {self.relative(key): int(info.get("size") or 0) for key, info in found.items() if key != self.root}

    def get_file(self, relative: str, path: str | os.PathLike) -> None:
        self.requests["get"] += 1
        self.fs.get_file(self.key(relative), str(path))
        self.bytes["down"] += os.path.getsize(path)

    def cat(self, relative: str) -> bytes:
        self.requests["get"] += 1
        data = self.fs.cat_file(self.key(relative))
        self.bytes["down"] += len(data)
        return data

    def put_file(self, path: str | os.PathLike, relative: str) -> None:
        self.requests["put"] += 1
        self.fs.put_file(str(path), self.key(relative))
        self.bytes["up"] += os.path.getsize(path)

    def pipe(self, relative: str, data: bytes) -> None:
        self.requests["put"] += 1
        self.fs.pipe_file(self.key(relative), data)
        self.bytes["up"] += len(data)

    def delete(self, relatives: list[str]) -> None:
        """Remove objects (missing ones are fine): one call per 1,000, as S3's batch delete takes them."""
        relatives = list(relatives)
        if not relatives:
            return
        self.requests["delete"] += -(-len(relatives) // 1000)
        try:
            self.fs.rm([self.key(r) for r in relatives])
        except FileNotFoundError:
            pass

    def counts(self) -> dict:
        """``{"requests": {kind: n}, "bytes": {"up": n, "down": n}}``, for stats.json."""
        return {"requests": dict(sorted(self.requests.items())), "bytes": dict(sorted(self.bytes.items()))}

    def lease(self, name: str):
        """The lease ``URL/<name>.lease`` (:class:`~webcorpus.ledger.ObjectLease`): one driver per URL."""
        from webcorpus.ledger import LEASE_SUFFIX, ObjectLease

        return ObjectLease(self.fs, self.key(f"{name}{LEASE_SUFFIX}"), self.url_of(f"{name}{LEASE_SUFFIX}"))

    def __getstate__(self):  # travels to workers as its URL: each process opens its own connection
        return {"url": self.url}

    def __setstate__(self, state):
        self.__init__(state["url"])

    def __repr__(self) -> str:
        return f"ObjectStore({self.url!r})"
