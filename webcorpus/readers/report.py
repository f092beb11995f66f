"""What a reader saw in one input file: record counts by kind, and every error with its offset."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


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

    def error(self, offset: int | None, error: str) -> None:
        self.records["error"] += 1
        self.errors.append({"source": self.source, "offset": offset, "error": error})

    def to_dict(self) -> dict:
        return {
            "records": dict(sorted(self.records.items())),
            "errors": list(self.errors),
            "charset_replaced": self.charset_replaced,
        }
