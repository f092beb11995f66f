"""The cheap screen: find the few places in a document where a recognizer could match.

presidio's recognizers cost milliseconds per call (the phone recognizer parses
every digit string once per region), so running them over whole web pages is
what makes plain presidio slow. Here a handful of regular expressions and
character checks find *candidates*: an ``@`` with an address around it, a
dotted quad, a hex string with colons, a run of digits and separators with at
least 7 digits, an uppercase country code with check digits, a wallet-shaped
token. Digit runs are then checked with the same rules that post-validate
presidio's results (:mod:`webcorpus.stages.pii.validate`): a date, an ISBN, a decimal,
a card number that fails the Luhn checksum never reaches presidio.

Each surviving candidate becomes a window (the candidate plus some text on
each side), windows close together are merged, and presidio runs only on
those windows, only with the recognizers the window's candidates call for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from webcorpus.stages.pii import validate

#: Characters of context on each side of a candidate (enough for the recognizer's own boundaries).
PAD = 24
#: Windows are merged up to this length; longer stretches are split.
MAX_WINDOW = 2000
#: Candidates longer than this are not PII (a digit table, a hex dump) and are skipped, and counted.
MAX_CANDIDATE = 256

_SEP_CHARS = " \t\u00a0\u2009\u202f.\\-\u2010-\u2015\u2212\uff0d/()\uff08\uff09"
# One pass finds every cluster of digits and separators; it starts only at a digit that follows no
# digit, so the engine tries few positions. Everything numeric is decided per cluster in Python.
_CLUSTER = re.compile(r"\d(?<!\d\d)(?:[" + _SEP_CHARS + r":]{0,3}\d)*")
_TIME_SPLIT = re.compile(r":")
_EXTENSION = re.compile(r"\s?(?:x|ext\.?)\s?\d{1,6}(?!\d)", re.IGNORECASE)
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?:/\d{1,2})?")
_IPV6 = re.compile(r":[0-9A-Fa-f:]*(?:%\w+)?(?:/\d{1,3})?")
_IBAN = re.compile(r"[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?(?![A-Z0-9])", re.IGNORECASE)
_CRYPTO = re.compile(r"(?:bc1|[13])[a-zA-HJ-NP-Z0-9]{25,59}(?![A-Za-z0-9])")
_EMAIL_DOMAIN = re.compile(r"[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}")
_EMAIL_LOCAL = frozenset("!#$%&'*+-/=?^_`{|}~.")
_PIECE = re.compile(r"\S+")
_HEX = frozenset("0123456789abcdefABCDEF")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass
class Candidate:
    start: int
    end: int
    entities: frozenset


@dataclass
class Window:
    doc: int
    start: int
    end: int
    entities: set = field(default_factory=set)
    candidates: list = field(default_factory=list)


@dataclass
class ScreenResult:
    candidates: list
    oversized: int = 0  # candidates skipped for their length
    over_limit: int = 0  # candidates past max_candidates


def find_candidates(
    text: str, entities: frozenset, public_ips_only: bool = True, max_candidates: int = 10_000
) -> ScreenResult:
    """Candidates in ``text`` for the given entities, in no particular order."""
    out = ScreenResult([])
    found = out.candidates

    def add(start: int, end: int, kinds) -> None:
        kinds = frozenset(kinds) & entities
        if not kinds:
            return
        if end - start > MAX_CANDIDATE:
            out.oversized += 1
        elif len(found) >= max_candidates:
            out.over_limit += 1
        else:
            found.append(Candidate(start, end, kinds))

    if "EMAIL_ADDRESS" in entities and "@" in text:
        for start, end in _emails(text):
            if validate.email_reason(text, start, end) is None:
                add(start, end, ("EMAIL_ADDRESS",))
    if "IP_ADDRESS" in entities and ("::" in text or text.count(":") >= 7):
        for start, end in _ipv6(text, public_ips_only):
            add(start, end, ("IP_ADDRESS",))
    if "CRYPTO" in entities and "bc1" in text:
        at = text.find("bc1")
        while at != -1:
            _crypto_at(text, at, add)
            at = text.find("bc1", at + 1)
    digit_kinds = entities & {"PHONE_NUMBER", "CREDIT_CARD", "US_SSN"}
    for m in _CLUSTER.finditer(text):
        start, end = m.span()
        first = text[start]
        if (first == "1" or first == "3") and "CRYPTO" in entities and end < len(text) and text[end].isalpha():
            _crypto_at(text, start, add)
        if start >= 2 and "IBAN_CODE" in entities and text[start - 1] in _LETTERS and text[start - 2] in _LETTERS:
            _iban_at(text, start - 2, add)
        if end - start < 7:
            continue
        if "IP_ADDRESS" in entities and "." in m.group():
            for ip in _IPV4.finditer(text, start, end):
                if validate.ip_reason(text, ip.start(), ip.end(), public_ips_only) is None:
                    add(ip.start(), ip.end(), ("IP_ADDRESS",))
        if not digit_kinds:
            continue
        for run_start, run_end in _runs(text, start, end):
            if run_end - run_start > MAX_CANDIDATE:
                out.oversized += 1
                continue
            kinds = _digit_run_kinds(text, run_start, run_end, digit_kinds)
            if kinds:
                add(run_start, run_end, kinds)
    return out


def _runs(text: str, start: int, end: int):
    """The digit runs of a cluster: split at times' colons, with a leading '+' or '(' and an extension."""
    pos = start
    for part in _TIME_SPLIT.split(text[start:end]):
        run_start, run_end = pos, pos + len(part)
        pos = run_end + 1
        if sum(c.isdigit() for c in part) < 7:
            continue
        if run_start > 0 and text[run_start - 1] in "+(\uff08":
            run_start -= 1
            if run_start > 0 and text[run_start - 1] == "+":
                run_start -= 1
        ext = _EXTENSION.match(text, run_end)
        if ext:
            run_end = ext.end()
        yield run_start, run_end


def _crypto_at(text: str, start: int, add) -> None:
    if start > 0 and text[start - 1].isalnum():
        return
    m = _CRYPTO.match(text, start)
    if m:
        value = m.group()
        if (value.lower() == value) if value.startswith("bc1") else len(value) <= 35:
            add(m.start(), m.end(), ("CRYPTO",))


def _iban_at(text: str, start: int, add) -> None:
    if start > 0 and text[start - 1].isalnum():
        return
    m = _IBAN.match(text, start)
    if m and _iban_checksum_somewhere(m.group()):
        add(m.start(), m.end(), ("IBAN_CODE",))


def _ipv6(text: str, public_only: bool):
    for m in _IPV6.finditer(text):
        start = m.start()
        while start > 0 and m.start() - start < 4 and text[start - 1] in _HEX:
            start -= 1
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in ":_"):
            continue
        value = text[start : m.end()]
        value = value if value.endswith("::") else value.rstrip(":")
        if "::" not in value and value.count(":") != 7:
            continue
        if sum(1 for part in value.split(":") if part) < 2:
            continue  # "::", "a::" and C++ scope operators
        end = start + len(value)
        if validate.ip_reason(text, start, end, public_only) is None:
            yield start, end


def _emails(text: str):
    """(start, end) of each address-shaped string around an ``@``."""
    at = text.find("@")
    while at != -1:
        start = at
        while start > 0 and at - start < 64 and (text[start - 1].isalnum() or text[start - 1] in _EMAIL_LOCAL):
            start -= 1
        m = _EMAIL_DOMAIN.match(text, at + 1)
        if start < at and m:
            yield start, m.end()
        at = text.find("@", at + 1)


def _digit_run_kinds(text: str, start: int, end: int, kinds: frozenset) -> set:
    """Which of phone / card / SSN some span of this digit run could still be after validation.

    A recognizer's match inside a run is a whole run of whitespace-separated pieces
    (anything else cuts a token and is rejected), so only those spans are tried.
    """
    pieces = [(m.start(), m.end()) for m in _PIECE.finditer(text, start, end)]
    if len(pieces) > 8:
        return set(kinds)  # a long row of numbers: leave it to the recognizers
    possible = set()
    for i in range(len(pieces)):
        for j in range(i, min(len(pieces), i + 7)):
            s, e = _trim(text, pieces[i][0], pieces[j][1])
            if e - s < 7:
                continue
            n = sum(c.isdigit() for c in text[s:e])
            if "PHONE_NUMBER" in kinds and "PHONE_NUMBER" not in possible and 7 <= n <= 21:
                if validate.phone_reason(text, s, e) is None:
                    possible.add("PHONE_NUMBER")
            if "CREDIT_CARD" in kinds and "CREDIT_CARD" not in possible and 12 <= n <= 19:
                if validate.card_reason(text, s, e) is None:
                    possible.add("CREDIT_CARD")
            if "US_SSN" in kinds and "US_SSN" not in possible and n == 9:
                if validate.ssn_reason(text, s, e) is None:
                    possible.add("US_SSN")
        if possible == kinds:
            break
    return possible


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop separators a match would not include: a leading '-' or '/', a trailing '.' or '('."""
    while start < end and not (text[start].isdigit() or text[start] in "+(\uff08"):
        start += 1
    while end > start and not (text[end - 1].isdigit() or text[end - 1] in ")\uff09"):
        end -= 1
    return start, end


def _iban_checksum_somewhere(value: str) -> bool:
    compact = value.replace(" ", "").replace("-", "").upper()
    # mod 97 of the first `length` characters moved behind the rest, letters as 10..35 (ISO 13616):
    # the remainders of the prefixes of compact[4:] once, then the four leading characters behind each.
    prefix = [0]
    for c in compact[4:34]:
        prefix.append(_mod97(prefix[-1], c))
    for length in range(min(len(compact), 34), 14, -1):
        remainder = prefix[length - 4]
        for c in compact[:4]:
            remainder = _mod97(remainder, c)
        if remainder == 1:
            return True
    return False


def _mod97(remainder: int, char: str) -> int:
    value = int(char, 36)
    return (remainder * (100 if value > 9 else 10) + value) % 97


def windows_for(doc: int, text: str, candidates: list) -> list[Window]:
    """Group candidates into windows of context, merged when close, each at most ``MAX_WINDOW`` long."""
    out: list[Window] = []
    for cand in sorted(candidates, key=lambda c: c.start):
        start = max(0, cand.start - PAD)
        end = min(len(text), cand.end + PAD)
        last = out[-1] if out else None
        if last is not None and start <= last.end and max(end, last.end) - last.start <= MAX_WINDOW:
            last.end = max(last.end, end)
        else:
            last = Window(doc, start, end)
            out.append(last)
        last.entities |= cand.entities
        last.candidates.append(cand)
    return out
