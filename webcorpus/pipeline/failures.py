"""What a failure means for the user: can a plain re-run fix it (exit 1), or must they act first (exit 2)?

A re-run fixes what came from outside and may not happen again: a worker killed or out of memory,
a network error, an input that could not be opened. It cannot fix what will happen again the same
way: a full disk, a read-only or forbidden path, a missing file, a bug met on the same input. Those
exit 2 with one line that says what to do; the traceback goes to ``OUTPUT/logs/run.log``.
"""
from __future__ import annotations

import errno
import re

EXIT_RERUN = 1  # a re-run of the same command retries what failed
EXIT_ACT_FIRST = 2  # nothing was or will be fixed by re-running: the message says what to change

_NEEDS_ACTION = {
    errno.ENOSPC: "the disk is full: free space, then re-run the same command to resume",
    errno.EDQUOT: "the disk quota is exceeded: free space, then re-run the same command to resume",
    errno.EFBIG: "a file grew past the size limit of this system or user (ulimit -f)",
    errno.EROFS: "the file system is read-only: choose another --output",
    errno.EACCES: "permission denied: fix the permissions or choose another --output",
    errno.EPERM: "operation not permitted: fix the permissions or choose another --output",
}
_TRANSIENT = (ConnectionError, TimeoutError, MemoryError)
_ERRNO_TEXT = re.compile(r"\[Errno (\d+)\]")


def exit_code_of(exc: BaseException) -> int:
    """1 for a failure a re-run may not meet again, 2 for one it will."""
    if isinstance(exc, _TRANSIENT) or type(exc).__name__ in ("BrokenProcessPool", "InputUnavailable"):
        return EXIT_RERUN
    return EXIT_ACT_FIRST


def explain(exc: BaseException) -> str:
    """The failure in one line: what happened, where, and what to do."""
    hint = _NEEDS_ACTION.get(getattr(exc, "errno", None))
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    text = f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or exc}{where}"
    return f"{text}; {hint}" if hint else text


def task_error_needs_action(error: str) -> bool:
    """True when a failed task's one-line error (``Type: message``) is one a re-run would meet again."""
    match = _ERRNO_TEXT.search(error or "")
    return match is not None and int(match.group(1)) in _NEEDS_ACTION
