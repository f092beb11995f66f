"""Before the driver joins Ray: which cluster, whether it wants a token and has ours, whether versions match.

What Ray does with its auth token (read in Ray 2.60's source: ``ray/_private/authentication/``,
``ray.init`` in ``_private/worker.py``, ``ray start`` in ``scripts/scripts.py``):

- A process finds a token in ``RAY_AUTH_TOKEN``, else in the file ``RAY_AUTH_TOKEN_PATH`` names, else
  in a Kubernetes service-account path, else in ``~/.ray/auth_token``.
- ``RAY_AUTH_MODE`` (``token`` or ``disabled``) says whether a process sends its token and whether the
  servers it starts require one. When it is unset, Ray decides by itself:

  - ``ray.init()`` that starts a local instance turns tokens on and, when it finds no token, writes a
    new one to ``~/.ray/auth_token``;
  - ``ray start --head`` turns tokens on when it finds a token: after one local run, every head
    started from that home folder requires tokens;
  - ``ray start --address`` (another node) and ``ray.init(address=HOST:PORT)`` (a driver) never do:
    they send no token, and a cluster that requires one refuses them with ``InvalidAuthToken``;
  - a cluster without tokens ignores a token that is sent.

So the executor, when ``RAY_AUTH_MODE`` is unset, asks the cluster once without a token; if it is
refused and Ray finds a token here, it turns token mode on for this process (as ``ray start --head``
does) and asks again. A local instance gets a token for this process only (``RAY_AUTH_TOKEN``), so
Ray does not write one into the user's home folder. What it changes in ``os.environ`` is put back by
:meth:`EnvChanges.restore` when the executor closes. Every refusal is one line: the likely cause, the fix.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import sys
from pathlib import Path

AUTH_MODE, TOKEN, TOKEN_PATH = "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"
# The record every Ray head keeps of its versions (Ray's usage_lib: key CLUSTER_METADATA, namespace cluster).
METADATA_KEY, METADATA_NAMESPACE = b"CLUSTER_METADATA", b"cluster"
HEAD_TOKEN = "`ray get-auth-token` on the head prints it"
#: How long the head may take to answer the driver's first question (a running head answers in milliseconds).
ANSWER_SECONDS = 5


class ClusterRefused(ConnectionError):
    """The driver cannot join the cluster; the message is one line with the likely cause and the fix."""


class EnvChanges:
    """Ray's variables this process set in ``os.environ``, to put back as they were."""

    def __init__(self):
        self.saved: dict[str, str | None] = {}

    def set(self, name: str, value: str) -> None:
        self.saved.setdefault(name, os.environ.get(name))
        os.environ[name] = value
        _reload_ray_config()

    def keep_ray_mode(self) -> None:
        """Remember RAY_AUTH_MODE as it is now: ``ray.init`` of a local instance sets it itself."""
        self.saved.setdefault(AUTH_MODE, os.environ.get(AUTH_MODE))

    def restore(self) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self.saved:
            _reload_ray_config()
        self.saved = {}


def _reload_ray_config() -> None:
    """Make this process's Ray read RAY_AUTH_MODE and its token again (what Ray's own token setup does)."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
    except ImportError:  # a Ray without token authentication
        return
    Config.initialize("")
    AuthenticationTokenLoader.instance().reset_cache()


def _has_token() -> bool:
    """Whether Ray finds a token in this process (any of its sources), whatever the mode."""
    try:
        from ray._raylet import AuthenticationTokenLoader
    except ImportError:
        return False
    loader = AuthenticationTokenLoader.instance()
    loader.reset_cache()
    return loader.has_token(ignore_auth_mode=True)


def token_source() -> str | None:
    """Where Ray takes this process's token from, in words, or None when it finds none."""
    if not _has_token():
        return None
    if os.environ.get(TOKEN):
        return "the RAY_AUTH_TOKEN variable"
    if os.environ.get(TOKEN_PATH):
        return f"RAY_AUTH_TOKEN_PATH ({os.environ[TOKEN_PATH]})"
    default = Path.home() / ".ray" / "auth_token"
    return str(default) if default.is_file() else "Ray's Kubernetes service-account token"


def _mode() -> str:
    return os.environ.get(AUTH_MODE, "").strip().lower()


def _refused_by_token(exc: BaseException) -> bool:
    return type(exc).__name__ == "AuthenticationError" or "InvalidAuthToken" in str(exc)


@contextlib.contextmanager
def _without_stderr():
    """Ray's C++ client logs a refused call to file descriptor 2; the refusal is said once, in our words."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _head_client(address: str):
    """A client of the head's GCS that waits at most ANSWER_SECONDS for it (Ray's own default waits about 40 s)."""
    try:
        from ray._raylet import InnerGcsClient
    except ImportError:  # an older Ray
        from ray._raylet import GcsClient

        return GcsClient(address=address)
    return InnerGcsClient.standalone(address, None, ANSWER_SECONDS * 1000)


def _ask(address: str) -> tuple[dict | None, bool]:
    """The cluster's version record, and whether it refused this process's (missing) token;
    :class:`ClusterRefused` when nothing at ``address`` answers as a Ray head. Any other failure is
    left to ``ray.init``, whose error :func:`explain` words."""
    try:
        with _without_stderr():
            raw = _head_client(address).internal_kv_get(METADATA_KEY, METADATA_NAMESPACE, timeout=ANSWER_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any answer but a refusal or silence is ray.init's to report
        if "Timed out while waiting for GCS" in str(exc):
            raise ClusterRefused(
                f"{address} accepts connections but does not answer as a Ray head: give the "
                "head's address and port as `ray start --head` printed them (6379 by default; not the dashboard's 8265; "
                "Ray Client's 10001 is reached as ray://HOST:10001)") from None
        return None, _refused_by_token(exc)
    try:
        return (json.loads(raw) if raw else None), False
    except ValueError:
        return None, False


def _refusal(address: str) -> str:
    if _mode() == "disabled":
        return (f"the Ray cluster at {address} requires a token and RAY_AUTH_MODE=disabled here: unset RAY_AUTH_MODE "
                f"and give this machine the cluster's token ({HEAD_TOKEN}) in ~/.ray/auth_token or RAY_AUTH_TOKEN_PATH")
    source = token_source()
    if source is None:
        return (f"the Ray cluster at {address} requires a token and this machine has none: put the cluster's token "
                f"({HEAD_TOKEN}) in ~/.ray/auth_token, or in a file named by RAY_AUTH_TOKEN_PATH")
    return (f"the Ray cluster at {address} refused the token from {source}: it is not this cluster's (a token "
            f"left by an earlier local Ray run?); point RAY_AUTH_TOKEN_PATH at the cluster's token ({HEAD_TOKEN})")


def version_mismatch(address: str, metadata: dict) -> str | None:
    """One line when Ray's own rule says this driver's Ray or Python differs from the cluster's, else None."""
    import ray
    from ray._private.utils import check_version_info

    try:
        check_version_info(metadata, "this driver")
    except TypeError:  # an older Ray: check_version_info(cluster_metadata)
        try:
            check_version_info(metadata)
        except RuntimeError:
            pass
        else:
            return None
    except RuntimeError:
        pass
    else:
        return None
    theirs = f"Ray {metadata.get('ray_version')} on Python {metadata.get('python_version')}"
    ours = f"Ray {ray.__version__} on Python {platform.python_version()}"
    return (f"the Ray cluster at {address} runs {theirs} and this driver {ours}: run webcorpus from an environment "
            f"with the cluster's versions (pip install 'ray=={metadata.get('ray_version')}' on that Python)")


def prepare_join(address: str) -> EnvChanges:
    """Check that this process can join the cluster at ``address`` (host:port of its head), turning token
    mode on when the cluster requires a token and Ray finds one here; :class:`ClusterRefused` otherwise."""
    changes = EnvChanges()
    if _mode() == "token" and not _has_token():  # Ray would stop this process on a failed check
        raise ClusterRefused(_refusal(address))
    metadata, refused = _ask(address)
    if refused and _mode() not in ("token", "disabled") and _has_token():
        changes.set(AUTH_MODE, "token")  # as `ray start --head` does when it finds a token
        metadata, refused = _ask(address)
    problem = _refusal(address) if refused else version_mismatch(address, metadata) if metadata else None
    if problem:
        changes.restore()
        raise ClusterRefused(problem)
    return changes


def prepare_local() -> EnvChanges:
    """Before ``ray.init`` starts a local instance: when Ray would write a new token into the home folder
    (tokens not disabled, none found), give this process one in RAY_AUTH_TOKEN instead; nothing is written."""
    changes = EnvChanges()
    changes.keep_ray_mode()
    import ray._raylet

    with_tokens = hasattr(ray._raylet, "AuthenticationTokenLoader")  # only a Ray with token authentication needs one
    if with_tokens and _mode() != "disabled" and not _has_token():
        changes.set(TOKEN, secrets.token_hex(32))
    return changes


def explain(exc: BaseException, address: str | None) -> str:
    """One line from a failed ``ray.init``: the likely cause (token, version, address) and the fix."""
    chain, seen = [], exc
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = " ".join(str(e) for e in chain)
    where = f"the Ray cluster at {address}" if address else "a local Ray instance"
    if "InvalidAuthToken" in text or any(type(e).__name__ == "AuthenticationError" for e in chain):
        return _refusal(address or "this machine")
    if "Version mismatch" in text:
        return (f"{where} runs other Ray or Python versions than this driver: run webcorpus from an environment "
                f"with the cluster's versions ({' '.join(text.split('Version mismatch:', 1)[1].split())[:200]})")
    root = " ".join(str(chain[-1]).split())[:300] or type(chain[-1]).__name__
    if address:
        return (f"could not join {where} ({root}); check --ray-address: the head's address and port, as "
                f"`ray start --head` printed them")
    return f"could not start {where} ({root})"
