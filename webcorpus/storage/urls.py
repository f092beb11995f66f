"""Output URLs: local disk (a path, ``file://``) or an object store (``s3://``, ``gs://``: fsspec), and
the checks an output URL gets before any work starts."""
from __future__ import annotations

import os
import uuid

LOCAL_PROTOCOLS = ("file", "local")
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
