"""``expand_inputs``: paths, globs and URLs to the sorted list of files to read."""
from __future__ import annotations

import glob
import os

_MAGIC = ("*", "?", "[")


def expand_inputs(spec: str | list[str] | tuple[str, ...]) -> list[str]:
    """Expand a path, glob or URL (or a list of them) into a sorted list without duplicates.

    Local paths and globs are expanded with :mod:`glob` (``**`` recurses) and returned as
    given (relative stays relative). ``http(s)://`` URLs are taken as they are: HTTP has
    no listing. Other fsspec URLs (``s3://``, ``gs://``, ``file://``...) are globbed through
    fsspec and keep their protocol. A pattern or path that matches nothing raises
    :class:`FileNotFoundError` naming it.
    """
    specs = [spec] if isinstance(spec, str) else list(spec)
    if not specs:
        raise FileNotFoundError("no input given")
    found: set[str] = set()
    for item in specs:
        if not isinstance(item, str) or not item:
            raise FileNotFoundError(f"input {item!r} is not a path or URL")
        matches = _expand_one(item)
        if not matches:
            raise FileNotFoundError(f"input {item!r} matches no file")
        found.update(matches)
    return sorted(found)


def _expand_one(item: str) -> list[str]:
    if item.startswith(("http://", "https://")):
        return [item]
    if "://" in item:
        return _expand_fsspec(item)
    if any(c in item for c in _MAGIC):
        return [p for p in glob.glob(item, recursive=True) if os.path.isfile(p)]
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
