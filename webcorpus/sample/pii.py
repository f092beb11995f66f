"""Fictional personal data to plant in sample articles.

Every value lives in a range reserved for documentation or fiction, so the
sample can never leak anything real: e-mail at example.com / example.org
(RFC 2606), North American 555-01xx numbers, UK Ofcom drama numbers
020 7946 0xxx, IPv4 TEST-NET-1 and TEST-NET-2 (RFC 5737) and IPv6 2001:db8::/32
(RFC 3849).
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


def email(rng: random.Random) -> str:
    return f"{rng.choice(_LOCAL_PARTS)}@{rng.choice(('example.com', 'example.org'))}"


def phone(rng: random.Random, style: int) -> str:
    """A phone number in one of several national and international formats (``style`` picks which)."""
    return _PHONE_FORMATS[style % len(_PHONE_FORMATS)](rng.randint(100, 199), rng.randint(0, 999))


def ipv4(rng: random.Random) -> str:
    return f"{rng.choice(('192.0.2', '198.51.100'))}.{rng.randint(1, 254)}"


def ipv6(rng: random.Random) -> str:
    return f"2001:db8:{rng.randint(1, 0xffff):x}::{rng.randint(1, 0xffff):x}"


def pii_sentence(frame: str, rng: random.Random, style: int) -> tuple[str, dict[str, list[str]]]:
    """Fill a phrasebook PII frame; returns the sentence and the values planted, by kind."""
    values = {"email": email(rng), "phone": phone(rng, style), "ipv4": ipv4(rng), "ipv6": ipv6(rng)}
    planted = {kind: [value] for kind, value in values.items() if "{" + kind + "}" in frame}
    return frame.format(**values), planted
