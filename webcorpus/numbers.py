"""One style for the numbers people read: counts, sizes, shares, rates and durations.

The CLI summary, progress lines, ``inspect``, the HTML report and the dataset card all print through
these functions, so a number reads the same wherever it appears:

* counts with thousands separators: ``1,234,567``;
* sizes in bytes with decimal units (as ``ls -h --si`` and tqdm do): ``812 B``, ``1.5 KB``, ``23.4 MB``, ``1.2 GB``;
* shares as a percentage with one decimal: ``12.3%`` (``n/a`` of nothing);
* rates as a count per second: ``1,234 docs/s``, ``23.4 MB/s``;
* durations: ``0.4 s``, ``12.3 s``, ``2 min 05 s``, ``1 h 02 min``;
* ``compact`` for axis labels where room is short: ``950``, ``1.2K``, ``35K``, ``2M``.

This module imports nothing of the package.
"""
from __future__ import annotations

SIZE_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def count(n: int | float) -> str:
    """``1,234,567``; a float is rounded to a whole number (counts are whole)."""
    return f"{round(n):,}"


def size(n_bytes: int | float) -> str:
    """Bytes with a decimal unit: ``812 B``, ``1.5 KB``, ``23.4 MB``, ``1.2 GB`` (1 KB = 1,000 bytes)."""
    value = float(n_bytes)
    for unit in SIZE_UNITS:
        # below what would print as 1,000 in this unit (999.96 KB prints 1.0 MB)
        if abs(value) < (999.5 if unit == "B" else 999.95) or unit == SIZE_UNITS[-1]:
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def share(part: float, whole: float) -> str:
    """``part`` of ``whole`` as a percentage with one decimal (``12.3%``); ``n/a`` when ``whole`` is 0."""
    return percent(part / whole) if whole else "n/a"


def percent(fraction: float) -> str:
    """A fraction (0.123) as a percentage with one decimal: ``12.3%``."""
    return f"{100 * fraction:.1f}%"


def rate(amount: float, seconds: float, unit: str = "docs") -> str:
    """``amount`` per second: ``1,234 docs/s``; with ``unit="B"``, a size per second (``23.4 MB/s``)."""
    per_second = amount / seconds if seconds > 0 else 0.0
    if unit == "B":
        return f"{size(per_second)}/s"
    return f"{count(per_second)} {unit}/s" if per_second >= 10 else f"{per_second:,.1f} {unit}/s"


def duration(seconds: float) -> str:
    """``0.4 s``, ``12.3 s``, ``2 min 05 s``, ``1 h 02 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(round(seconds))
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def decimal(value: float, digits: int = 4) -> str:
    """A measured quantity that is not a count (a loss, bytes per token): ``digits`` decimals."""
    return f"{value:,.{digits}f}"


def compact(value: float) -> str:
    """A short label: ``950``, ``0.25``, ``1.2K``, ``35K``, ``2M`` (for chart axes)."""
    magnitude = abs(value)
    for suffix, unit in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if magnitude >= unit:
            scaled = value / unit
            return f"{scaled:.1f}".rstrip("0").rstrip(".") + suffix if scaled < 10 else f"{scaled:.0f}{suffix}"
    if value == int(value):
        return str(int(value))
    return f"{value:.3f}".rstrip("0").rstrip(".")
