"""What a found value becomes: a tag such as ``<EMAIL_ADDRESS>``, or a realistic stand-in.

Stand-ins follow FineWeb's choice (an address at example.com, an IP from the
ranges reserved for documentation) and extend it to the other entities with
values reserved for examples, so the text still reads naturally and no stand-in
is anyone's real data. The same value gets the same stand-in within a run, and
the stand-ins are themselves never scrubbed (see ``validate.KNOWN_FAKES``), so
scrubbing twice changes nothing more.
"""
from __future__ import annotations

import ipaddress
import zlib

MODES = ("tag", "fake")

# RFC 5737 (IPv4) and RFC 3849 (IPv6) documentation ranges.
_IPV4_NETS = ("192.0.2.", "198.51.100.", "203.0.113.")


def tag(entity: str) -> str:
    return f"<{entity}>"


def _pick(value: str, n: int) -> int:
    return zlib.crc32(value.encode("utf-8", "surrogatepass")) % n


def _fake_ip(value: str) -> str:
    try:
        version = ipaddress.ip_address(value.split("/")[0].split("%")[0]).version
    except ValueError:
        version = 6 if ":" in value else 4
    h = _pick(value, 1 << 30)
    if version == 6:
        return f"2001:db8::{h % 0xFFFF + 1:x}"
    return f"{_IPV4_NETS[h % 3]}{h % 254 + 1}"


def _fake_phone(value: str) -> str:
    # North American fictional range 555-0100..0199; the leading + keeps an international look.
    number = f"202-555-01{_pick(value, 100):02d}"
    return f"+1-{number}" if value.lstrip().startswith("+") else number


def _with_spacing(value: str, compact: str, group: int) -> str:
    """Write ``compact`` grouped like ``value`` was: plain, or in groups of ``group`` separated by its separator."""
    separator = next((c for c in value if c in " -"), "")
    if not separator:
        return compact
    return separator.join(compact[i : i + group] for i in range(0, len(compact), group))


def fake(entity: str, value: str) -> str:
    """A stand-in for ``value``: realistic, reserved for examples, never a real person's."""
    if entity == "EMAIL_ADDRESS":
        return "email@example.com"
    if entity == "IP_ADDRESS":
        return _fake_ip(value)
    if entity == "PHONE_NUMBER":
        return _fake_phone(value)
    if entity == "CREDIT_CARD":
        return _with_spacing(value, "4111111111111111", 4)  # the Visa test number
    if entity == "IBAN_CODE":
        return _with_spacing(value, "DE89370400440532013000", 4)  # the IBAN of the standard's examples
    if entity == "US_SSN":
        return "987-65-4320"  # the SSA's range for advertisements
    if entity == "CRYPTO":
        return "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173 test vector
    if entity == "PERSON":
        return "Jane Doe"
    if entity == "LOCATION":
        return "Springfield"
    return tag(entity)


class Replacer:
    """``mode`` for every entity, ``per_entity`` overriding it: ``"tag"``, ``"fake"`` or a literal text."""

    def __init__(self, mode: str = "tag", per_entity: dict[str, str] | None = None):
        self.mode = mode
        self.per_entity = dict(per_entity or {})

    def __call__(self, entity: str, value: str) -> str:
        how = self.per_entity.get(entity, self.mode)
        if how == "tag":
            return tag(entity)
        if how == "fake":
            return fake(entity, value)
        return how
