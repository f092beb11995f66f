"""Crawl dates to ISO 8601 UTC (``YYYY-MM-DDTHH:MM:SSZ``), or None when a date cannot be trusted.

WARC dates are ISO 8601 with optional fractions and zone offsets (ClueWeb09 writes
impossible days such as ``2009-03-65``: those give None). ARC dates are 14 digits
``YYYYMMDDhhmmss``; shorter digit strings are read as Wayback timestamps (``2008``,
``200804``, ... padded with the earliest value), longer ones keep their first 14 digits,
and anything with non-digits (hex, text) gives None.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

_ISO = re.compile(
    r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$", re.I
)
_PAD = "00000101000000"  # completes a short Wayback timestamp: month and day 01, time 00:00:00


def _format(year, month, day, hour, minute, second) -> str | None:
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"


def warc_date(value: str | None) -> str | None:
    """Normalise a WARC-Date (any ISO 8601 form WARC writers use)."""
    if not value:
        return None
    if len(value) == 20 and value[19] == "Z" and value[10] == "T":  # the common case, already normal
        return _format(int(value[0:4]), int(value[5:7]), int(value[8:10]),
                       int(value[11:13]), int(value[14:16]), int(value[17:19])) if value[:4].isdigit() else None
    m = _ISO.match(value)
    if m is None:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour, minute, second = (int(m.group(i) or 0) for i in (4, 5, 6))
    zone = m.group(7)
    if not zone or zone.upper() == "Z":
        return _format(year, month, day, hour, minute, second)
    try:
        local = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    try:
        utc = local - sign * offset
    except OverflowError:
        return None
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def arc_date(value: str | None) -> str | None:
    """Normalise an ARC date field (Wayback-style digit timestamp)."""
    if not value or not value.isdigit() or len(value) < 4:
        return None
    digits = value[:14] if len(value) >= 14 else value + _PAD[len(value) :]
    return _format(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]),
                   int(digits[8:10]), int(digits[10:12]), int(digits[12:14]))

