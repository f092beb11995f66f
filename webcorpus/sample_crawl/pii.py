"""Fictional personal data to plant in sample articles.

No value belongs to a real person, yet most are of the kind the ``pii`` stage must
remove, so that the demo shows it at work: e-mail addresses of made-up people at
made-up newsroom domains, UK Ofcom drama numbers 020 7946 0xxx (valid numbers,
reserved for fiction), and IP addresses from public ranges (81.2.69.0/24, used
by GeoIP test suites, and 2a02:c7f::/32). North American 555-01xx numbers are
planted too: they are fictional, and the stage rightly keeps them.
"""
from __future__ import annotations

import random

_LOCAL_PARTS = ("info", "press", "bookings", "alice.marsh", "t.okafor", "hello", "volunteers", "editor",
                "p.desai", "events", "tips", "office")

_PHONE_FORMATS = (
    lambda n, m: f"+1 212 555 {n:04d}",
    lambda n, m: f"(212) 555-{n:04d}",
    lambda n, m: f"646-555-{n:04d}",
    lambda n, m: f"+1-718-555-{n:04d}",
    lambda n, m: f"+44 20 7946 {m:04d}",
    lambda n, m: f"020 7946 {m:04d}",
)


EMAIL_DOMAINS = ("riverside-gazette-mail.com", "northgate-newsroom.net", "fieldnotes-weekly.org")
IPV4_NETWORK = "81.2.69"
IPV6_PREFIX = "2a02:c7f"


def email(rng: random.Random) -> str:
    return f"{rng.choice(_LOCAL_PARTS)}@{rng.choice(EMAIL_DOMAINS)}"


def phone(rng: random.Random, style: int) -> str:
    """A phone number in one of several national and international formats (``style`` picks which)."""
    return _PHONE_FORMATS[style % len(_PHONE_FORMATS)](rng.randint(100, 199), rng.randint(0, 999))


def ipv4(rng: random.Random) -> str:
    return f"{IPV4_NETWORK}.{rng.randint(1, 254)}"


def ipv6(rng: random.Random) -> str:
    return f"{IPV6_PREFIX}:{rng.randint(1, 0xffff):x}::{rng.randint(1, 0xffff):x}"


def pii_sentence(frame: str, rng: random.Random, style: int) -> tuple[str, dict[str, list[str]]]:
    """Fill a phrasebook PII frame; returns the sentence and the values planted, by kind."""
    values = {"email": email(rng), "phone": phone(rng, style), "ipv4": ipv4(rng), "ipv6": ipv6(rng)}
    planted = {kind: [value] for kind, value in values.items() if "{" + kind + "}" in frame}
    return frame.format(**values), planted
