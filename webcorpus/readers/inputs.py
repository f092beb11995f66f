"""``expand_inputs``: paths, globs and URLs to the sorted list of files to read."""
from __future__ import annotations

import glob
import os

_MAGIC = ("*", "?", "[")


def expand_inputs(spec: str | list[str] | tuple[str, ...], warnings: list[str] | None = None) -> list[str]:
    """Expand a path, glob or URL (or a list of them) into a sorted list without duplicates.

    Local paths and globs are expanded with :mod:`glob` (``**`` recurses) and returned as
    given (relative stays relative). ``http(s)://`` URLs are taken as they are: HTTP has
    no listing. Other fsspec URLs (``s3://``, ``gs://``, ``file://``...) are globbed through
    fsspec and keep their protocol. A pattern or path that matches nothing raises
    :class:`FileNotFoundError` naming it. What a glob matches but cannot be read as a file
    (a directory, a dangling symlink) is skipped with a line in ``warnings``, and so is a note
    for each zero-byte local file (read, but it holds nothing).
    """
    specs = [spec] if isinstance(spec, str) else list(spec)
    if not specs:
        raise FileNotFoundError("no input given")
    found: set[str] = set()
    for item in specs:
        if not isinstance(item, str) or not item:
            raise FileNotFoundError(f"input {item!r} is not a path or URL")
        matches = _expand_one(item, warnings if warnings is not None else [])
        if not matches:
            raise FileNotFoundError(f"input {item!r} matches no file")
        found.update(matches)
    if warnings is not None:
        warnings += [f"input {p} is empty (0 bytes): it gives no documents" for p in sorted(found)
                     if "://" not in p and os.path.getsize(p) == 0]
    return sorted(found)


def _expand_one(item: str, warnings: list[str]) -> list[str]:
    if item.startswith(("http://", "https://")):
        return [item]
    if "://" in item:
        return _expand_fsspec(item)
    if any(c in item for c in _MAGIC):
        matches = glob.glob(item, recursive=True)
        for path in matches:
            if os.path.isdir(path):
                warnings.append(f"input {item!r}: {path} is a directory; skipped")
            elif os.path.islink(path) and not os.path.exists(path):
                warnings.append(f"input {item!r}: {path} is a dangling symbolic link; skipped")
            elif not os.path.isfile(path):
                warnings.append(f"input {item!r}: {path} is not a regular file; skipped")
        return [p for p in matches if os.path.isfile(p)]
    return [item] if os.path.isfile(item) else []


def _expand_fsspec(url: str) -> list[str]:
    import fsspec

    fs, _, paths = fsspec.get_fs_token_paths(url)
    protocol = url.split("://", 1)[0]
    if any(c in url for c in _MAGIC):
        matches = paths  # get_fs_token_paths already globbed
    else:
        matches = [p for p in paths if fs.isfile(p)]
    return [p if "://" in p else f"{protocol}://{p}" for p in matches]
