"""What a reader saw in one input file: record counts by kind, and every error with its offset."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReadReport:
    """Counts for one source file.

    ``records`` counts every record by kind (``html``, ``non_html``, ``revisit``,
    ``request``, ``metadata``, ``warcinfo``, ``dns``, ``non_200``, ...): only
    ``html`` records become documents. ``errors`` lists each broken record or
    file as ``{"source", "offset", "error"}``; reading goes on after it.
    """

    source: str
    records: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)
    charset_replaced: int = 0
    error_count: int = 0  # errors seen; a merged report lists only the first of them
    seam: Any = None  # a byte range's task: where its reading began and stopped (readers.ranges.Seam)

    def error(self, offset: int | None, error: str, kind: str = "error") -> None:
        """List a problem with its offset; the record is counted as ``kind`` (``error``, ``too_large``)."""
        self.records[kind] += 1
        self.error_count += 1
        self.errors.append({"source": self.source, "offset": offset, "error": error})

    def merge(self, other: "ReadReport", max_listed: int) -> None:
        """Add ``other``'s counts; its errors are listed while fewer than ``max_listed`` are."""
        self.records.update(other.records)
        self.error_count += other.error_count
        self.errors.extend(other.errors[: max(0, max_listed - len(self.errors))])
        self.charset_replaced += other.charset_replaced

    def to_dict(self) -> dict:
        return {
            "records": dict(sorted(self.records.items())),
            "errors": list(self.errors),
            "charset_replaced": self.charset_replaced,
        }

    @classmethod
    def from_dict(cls, source: str, data: dict) -> "ReadReport":
        errors = list(data.get("errors", []))
        return cls(source, Counter(data.get("records", {})), errors, data.get("charset_replaced", 0), len(errors))
