"""Post-validation: why a span a recognizer found is, or is not, PII.

presidio's recognizers are tuned for recall on short, PII-dense texts. On web
pages their weak patterns fire on dates, version numbers, ISBNs, bug numbers,
decimals in tables and prices. Every span is checked here against the whole
document before it is replaced; :func:`reject_reason` returns ``None`` to keep
it or a short reason (counted in the stats).

The same checks run in the screen, before presidio, on the spans a candidate
could produce (see :mod:`webcorpus.stages.pii.screen`), so that most non-PII numbers
never reach the expensive recognizers at all.
"""
from __future__ import annotations

import ipaddress
import re

# Words that make a digit string a phone number (looked up in the few words around it).
PHONE_WORDS = frozenset(
    "phone phones telephone tel tél tlf call called calling mobile mob cell cellphone fax desk office "
    "contact whatsapp sms hotline helpline dial ph telefon telefone teléfono téléphone handy mobil "
    "celular cel 電話".split()
)
PHONE_SYMBOLS = ("☎", "📞", "✆", "📱")
SSN_WORDS = frozenset("ssn ssns social security".split())
CARD_WORDS = frozenset("card credit debit visa mastercard amex discover jcb diners maestro".split())

# A number right after one of these words is an identifier of some other kind, whatever its shape.
STRONG_LABELS = frozenset(
    "isbn issn doi pmid pmc arxiv oclc lccn version versions ver v build release releases revision rev "
    "patent sku bug bugs firmware kb cve".split()
)
# ... unless a word of the entity's own context is near (``phone no. 555 0134``).
WEAK_LABELS = frozenset(
    "order invoice ref reference serial model part item id no nr nº case ticket issue lot batch "
    "page pp vol volume zip postcode tracking".split()
)
CURRENCY_BEFORE = ("$", "€", "£", "¥", "₩", "₹", "₽", "₺", "₪", "usd", "eur", "gbp", "rs.", "rs")
CURRENCY_AFTER = ("$", "€", "£", "¥", "₩", "₹", "₽", "usd", "eur", "gbp", "dollar", "euro", "yen", "won", "kr")

# Stand-ins this stage writes itself (see replace.py): never PII, so a second run changes nothing.
KNOWN_FAKES = frozenset(
    {
        "4111111111111111",
        "987654320",
        "DE89370400440532013000",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    }
)
RESERVED_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_EMAIL_TLDS = (".example", ".invalid", ".test", ".localhost")

_DOCUMENTATION_NETS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)
_WORD = re.compile(r"[^\W_]+|[☎📞✆📱#]")
_GROUPS = re.compile(r"\d+")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension)\s*\d{1,6}$", re.IGNORECASE)
_DATE_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_DATE_DMY = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})$")
_FICTIONAL_PHONE = re.compile(r"555\D?01\d\d$")
_DASHES = "\u2012\u2013\u2014\u2015"


def words_before(text: str, start: int, span: int = 40, n: int = 5) -> list[str]:
    """The last ``n`` words (lowercased) in the ``span`` characters before ``start``."""
    return [w.lower() for w in _WORD.findall(text[max(0, start - span) : start])][-n:]


def words_after(text: str, end: int, span: int = 16, n: int = 2) -> list[str]:
    return [w.lower() for w in _WORD.findall(text[end : end + span])][:n]


def has_context(text: str, start: int, end: int, words: frozenset) -> bool:
    around = words_before(text, start) + words_after(text, end)
    if words is PHONE_WORDS and any(s in text[max(0, start - 40) : start] for s in PHONE_SYMBOLS):
        return True
    return any(w in words for w in around)


def cuts_token(text: str, start: int, end: int) -> bool:
    """True when the span is a piece of a longer token: ``3.14159265``, ``pnas.0801507105``, ``17:57``."""
    if start > 0:
        before = text[start - 1]
        if before.isalnum():
            return True
        if start > 1 and text[start - 2].isalnum():
            if before in "./_=-" or (before in ":," and text[start - 2].isdigit()):
                return True
    if end < len(text):
        after = text[end]
        if after.isalnum():
            return True
        if end + 1 < len(text) and after in ".,-/:_" and text[end + 1].isdigit():
            return True
    return False


def label_before(text: str, start: int) -> tuple[bool, bool]:
    """(strong, weak): whether one of the two words before the span names another kind of number."""
    last = words_before(text, start, span=24, n=2)
    strong = any(w in STRONG_LABELS for w in last)
    weak = bool(last) and (last[-1] in WEAK_LABELS or last[-1] == "#")
    return strong, weak


def is_money(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 4) : start].lower().rstrip()
    after = text[end : end + 8].lower().lstrip()
    return before.endswith(CURRENCY_BEFORE) or after.startswith(CURRENCY_AFTER)


def _valid_date(day: int, month: int) -> bool:
    return 1 <= day <= 31 and 1 <= month <= 12


def starts_with_date(value: str) -> bool:
    """``2020-08-01 17``, ``12.10.2019``, ``03/04/21``: a date, maybe followed by a time."""
    m = _DATE_YMD.match(value)
    if m and 1000 <= int(m.group(1)) <= 2199 and _valid_date(int(m.group(4)), int(m.group(3))):
        rest = value[m.end() :]
        return rest == "" or rest[0].isspace()
    m = _DATE_DMY.match(value)
    if m:
        a, b = int(m.group(1)), int(m.group(3))
        return _valid_date(a, b) or _valid_date(b, a)
    return False


def phone_reason(text: str, start: int, end: int) -> str | None:
    value = _EXTENSION.sub("", text[start:end])
    digits = sum(c.isdigit() for c in value)
    if not 7 <= digits <= 15:
        return "digits"
    if cuts_token(text, start, end):
        return "part_of_token"
    if starts_with_date(value):
        return "date"
    if "\u2014" in value:
        return "dash"
    if value.count("(") != value.count(")"):
        return "parenthesis"
    groups = _GROUPS.findall(value)
    if len(groups) == 2 and all(len(g) == 4 and 1000 <= int(g) <= 2199 for g in groups):
        return "years"
    if len(groups) == 2 and set(value) - set("0123456789") == {"."}:
        return "decimal"
    if is_money(text, start, end):
        return "money"
    strong, weak = label_before(text, start)
    if strong:
        return "label"
    if _FICTIONAL_PHONE.search(value):
        return "fictional"
    if value.startswith("+") or has_context(text, start, end, PHONE_WORDS):
        return None
    if weak:
        return "label"
    seps = set(value) - set("0123456789")
    if len(groups) == 1:
        return "no_separator"
    if len(groups) > 6:
        return "too_many_groups"
    if sum(len(g) == 1 for g in groups) > 1:
        return "single_digit_groups"
    if len(groups) == 2 and seps & set(_DASHES):
        return "range"
    if seps <= set(". \u00a0\u202f,") and len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
        return "thousands"
    if "." in seps and (any(len(g) > 4 for g in groups) or seps & {" ", "-", "\u00a0"}):
        return "decimal"
    if re.search(r"\s[-\u2212]\d", value):
        return "signed_numbers"
    if all(len(g) <= 2 for g in groups) and not (
        all(len(g) == 2 for g in groups) and (groups[0][0] == "0" or not seps <= {" ", "\u00a0"})
    ):
        return "small_numbers"
    return None


def span_digits(text: str, start: int, end: int, lengths: range) -> tuple[str, str | None]:
    """The digits of ``text[start:end]``, and the first reason the span is no such number: ``digits``
    when their count is not in ``lengths``, ``part_of_token`` when the span is a piece of a longer token."""
    digits = "".join(c for c in text[start:end] if c.isdigit())
    if len(digits) not in lengths:
        return digits, "digits"
    if cuts_token(text, start, end):
        return digits, "part_of_token"
    return digits, None


def card_reason(text: str, start: int, end: int) -> str | None:
    value = text[start:end]
    digits, reason = span_digits(text, start, end, range(12, 20))
    if reason is not None:
        return reason
    separators = set(value) - set("0123456789")
    if len(separators) > 1 or not separators <= {" ", "-"}:
        return "separators"
    if not luhn_ok(digits):
        return "checksum"
    if digits in KNOWN_FAKES:
        return "fictional"
    strong, weak = label_before(text, start)
    if strong:
        return "label"
    if (weak or len(digits) not in (15, 16)) and not has_context(text, start, end, CARD_WORDS):
        return "no_context"  # 12-14 and 17-19 digit cards (Maestro, long Visa) only next to a card word
    return None


def ssn_reason(text: str, start: int, end: int) -> str | None:
    value = text[start:end]
    digits, reason = span_digits(text, start, end, range(9, 10))
    if reason is not None:
        return reason
    if digits in KNOWN_FAKES:
        return "fictional"
    strong, weak = label_before(text, start)
    if strong:
        return "label"
    dashed = re.fullmatch(r"\d{3}-\d{2}-\d{4}", value) is not None
    if has_context(text, start, end, SSN_WORDS):
        return None
    if not dashed:
        return "no_context"
    if weak or is_money(text, start, end):
        return "label"
    return None


def ip_reason(text: str, start: int, end: int, public_only: bool) -> str | None:
    value = text[start:end]
    if cuts_token(text, start, end) and not _ends_sentence(text, end):
        return "part_of_token"
    address = value.split("/")[0].split("%")[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "invalid"
    if ip.is_unspecified:
        return "unspecified"
    if any(ip in net for net in _DOCUMENTATION_NETS if net.version == ip.version):
        return "documentation"
    if public_only and not ip.is_global:
        return "not_public"
    if label_before(text, start)[0]:
        return "label"
    return None


def _ends_sentence(text: str, end: int) -> bool:
    # "... from 203.0.113.9." ends a sentence; "1.2.3.4.5" does not.
    return end < len(text) and text[end] == "." and (end + 1 == len(text) or not text[end + 1].isalnum())


def email_reason(text: str, start: int, end: int) -> str | None:
    domain = text[start:end].rpartition("@")[2].lower()
    if domain in RESERVED_EMAIL_DOMAINS or domain.endswith(RESERVED_EMAIL_TLDS):
        return "reserved_domain"
    return None


def token_reason(text: str, start: int, end: int) -> str | None:
    """IBANs and wallet addresses: whole tokens only (not the middle of a hash or a base64 blob)."""
    if start > 0 and text[start - 1].isalnum() or end < len(text) and text[end].isalnum():
        return "part_of_token"
    if text[start:end].replace(" ", "").replace("-", "") in KNOWN_FAKES:
        return "fictional"
    return None


def reject_reason(entity: str, text: str, start: int, end: int, public_ips_only: bool = True) -> str | None:
    """``None`` when ``text[start:end]`` should be scrubbed as ``entity``, else why not."""
    if entity == "PHONE_NUMBER":
        return phone_reason(text, start, end)
    if entity == "CREDIT_CARD":
        return card_reason(text, start, end)
    if entity == "US_SSN":
        return ssn_reason(text, start, end)
    if entity == "IP_ADDRESS":
        return ip_reason(text, start, end, public_ips_only)
    if entity == "EMAIL_ADDRESS":
        return email_reason(text, start, end)
    if entity in ("IBAN_CODE", "CRYPTO"):
        return token_reason(text, start, end)
    return None


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
