"""Inputs of the PII benchmarks: real texts, the labelled synthetic set, planted values, plain presidio.

Everything is read from ../shared/data; nothing is copied into the repository. Planted values are
generated here with a fixed seed, in the formats people write them in, with valid checksums.
"""
from __future__ import annotations

import hashlib
import html
import ipaddress
import json
import random
import re
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
EXTRACT = DATA / "extract"
SYNTH = DATA / "pii" / "presidio-research-synth" / "data" / "synth_dataset_v2.json"

ENTITIES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "CRYPTO"]

#: Real texts holding real contact data, reviewed by hand (tests/stages/pii uses this list too).
KNOWN_PII = frozenset(
    {
        "newspaper-fulltext/bloomberg.com1.txt",
        "newspaper-fulltext/cntraveler.com1.txt",
        "newspaper-fulltext/gulflive.com1.txt",
        "newspaper-fulltext/mlive.com1.txt",
        "newspaper-fulltext/nj.com1.txt",
        "newspaper-fulltext/nydailynews.com1.txt",
        "newspaper-fulltext/usnews.com1.txt",
        "newspaper-fulltext/wnet.org1.txt",
        "scrapinghub-aeb/0ec95c7261d122f304728e90c983450ef1ce1e0b423546835c397d50aaf0d0f2",
        "scrapinghub-aeb/30b771a40a4e96156d398716c877deef54b05d091770d2717c98e4c6b670010c",
        "scrapinghub-aeb/5211188428849a31e309ef2475746563ff788b1591c89818c08d5abedec4ef5e",
        "scrapinghub-aeb/8cad00dc22de45ba42e9540421b5f78333f7ac57b385d69acb27a53b9fd69f0c",
        "scrapinghub-aeb/9da36ae4714bfccc72374c6c146e9d1cd3cca39e2110bd67ccdbcc806f4cf139",
        "scrapinghub-aeb/ac3c035520461017a7c5b248d8e39ef063cad4c0c7d7b7ecd68aff8f15099485",
        "scrapinghub-aeb/d48aeb9cf2f2ff15769a57513249b4a6a669159f3e50b335e741d4206a824e88",
        "readability-testpages/breitbart",
        "readability-testpages/iab-1",
        "readability-testpages/ietf-1",
        "readability-testpages/medium-1",
        "readability-testpages/pixnet",
    }
)


def real_texts() -> dict[str, str]:
    """Article texts of the three extraction data sets, keyed by data set and file."""
    texts = {}
    for path in sorted((EXTRACT / "newspaper-fulltext" / "text").glob("*.txt")):
        texts[f"newspaper-fulltext/{path.name}"] = path.read_text(encoding="utf-8")
    truth = json.loads((EXTRACT / "scrapinghub-aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    for key, item in sorted(truth.items()):
        texts[f"scrapinghub-aeb/{key}"] = item["articleBody"]
    for path in sorted((EXTRACT / "readability-testpages" / "test-pages").glob("*/expected.html")):
        markup = path.read_text(encoding="utf-8")
        texts[f"readability-testpages/{path.parent.name}"] = html.unescape(re.sub(r"<[^>]+>", " ", markup))
    return {k: v for k, v in texts.items() if v.strip()}


def clean_texts() -> dict[str, str]:
    return {k: v for k, v in real_texts().items() if k not in KNOWN_PII}


def synth_samples() -> list[dict]:
    """presidio-research's synthetic sentences: {"text", "spans": [(entity, start, end)]}."""
    samples = []
    for item in json.loads(SYNTH.read_text(encoding="utf-8")):
        spans = [(s["entity_type"], s["start_position"], s["end_position"]) for s in item["spans"]]
        samples.append({"text": item["full_text"], "spans": spans})
    return samples


def plain_presidio(all_recognizers: bool = False):
    """presidio as people call it: ``AnalyzerEngine`` on a blank spaCy pipeline, default recognizers.

    tldextract's default extractor downloads the public suffix list; this process has no network,
    so the benchmark points presidio's module-level extractor at the bundled list (same results).
    """
    import logging

    import spacy
    import tldextract
    import tldextract.tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=())
    logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "blank"}])
    engine.nlp = {"en": spacy.blank("en")}
    analyzer = AnalyzerEngine(nlp_engine=engine)
    entities = None if all_recognizers else ENTITIES

    def analyze(text: str) -> list[tuple[str, int, int]]:
        return [
            (r.entity_type, r.start, r.end)
            for r in analyzer.analyze(text, language="en", entities=entities)
            if r.entity_type in ENTITIES
        ]

    return analyze


# --- planted values ----------------------------------------------------------------------------

PHONE_REGIONS = ["US", "GB", "DE", "FR", "IN", "BR", "CA", "IL", "ES", "IT", "NL", "AU", "JP", "MX", "CH", "SE", "PL", "ZA"]
PRESIDIO_REGIONS = {"US", "GB", "DE", "FR", "IL", "IN", "CA", "BR"}
EMAIL_DOMAINS = ["gmail.com", "yahoo.co.uk", "web.de", "orange.fr", "outlook.com", "uni-heidelberg.de", "empresa.com.br", "mail.ru", "proton.me", "kantoor.nl"]
FIRST = ["maria", "john", "wei", "fatima", "lukas", "aiko", "carlos", "olga", "priya", "tom"]
LAST = ["gonzalez", "smith", "zhang", "haddad", "mueller", "tanaka", "silva", "ivanova", "sharma", "obrien"]
IBAN_FORMATS = {  # country: BBAN as (kind, length) parts; n digits, a capitals, c alphanumerics
    "DE": [("n", 18)], "GB": [("a", 4), ("n", 14)], "FR": [("n", 10), ("c", 11), ("n", 2)], "ES": [("n", 20)],
    "IT": [("a", 1), ("n", 10), ("c", 12)], "NL": [("a", 4), ("n", 10)], "BE": [("n", 12)],
    "CH": [("n", 5), ("c", 12)], "PL": [("n", 24)], "AT": [("n", 16)], "SE": [("n", 20)], "PT": [("n", 21)],
}
TEMPLATES = {
    "EMAIL_ADDRESS": ["Contact {} for more information.", "Questions? Email {}.", "The author can be reached at {}", "({})"],
    "PHONE_NUMBER": ["Call {} for tickets.", "Tel: {}", "For reservations, phone {}.", "Info line {}", "or reach us on {} any day", "{} (mobile)"],
    "IP_ADDRESS": ["The attack came from {}.", "Server address: {}", "logged in from {} at noon", "blocked {} again"],
    "CREDIT_CARD": ["Card number: {}", "it was charged to card {} twice", "paid with {}."],
    "IBAN_CODE": ["IBAN: {}", "Transfer the deposit to {} this week.", "bank account {}"],
    "US_SSN": ["SSN: {}", "his social security number is {}", "SSN {} on file"],
    "CRYPTO": ["Bitcoin: {}", "send BTC to {} to support us", "wallet {}"],
}


def _luhn_complete(body: str) -> str:
    for check in "0123456789":
        digits = body + check
        total = sum((d * 2 - 9 if d > 4 else d * 2) if i % 2 else d for i, d in enumerate(int(c) for c in reversed(digits)))
        if total % 10 == 0:
            return digits
    raise AssertionError


def _group(value: str, sizes: list[int], sep: str) -> str:
    out, pos = [], 0
    for size in sizes:
        out.append(value[pos : pos + size])
        pos += size
    return sep.join(p for p in out if p)


def card(rng: random.Random) -> str:
    kind = rng.choice(["visa", "mc", "mc2", "amex", "discover", "jcb"])
    prefix = {"visa": "4", "mc": str(rng.randint(51, 55)), "mc2": str(rng.randint(2221, 2720)), "amex": rng.choice(["34", "37"]),
              "discover": "6011", "jcb": str(rng.randint(3528, 3589))}[kind]
    length = 15 if kind == "amex" else 16
    number = _luhn_complete(prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix) - 1)))
    sep = rng.choice([" ", "-", ""])
    return _group(number, [4, 6, 5] if kind == "amex" else [4, 4, 4, 4], sep)


def iban(rng: random.Random) -> str:
    country = rng.choice(sorted(IBAN_FORMATS))
    alphabet = {"n": "0123456789", "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    bban = "".join("".join(rng.choice(alphabet[k]) for _ in range(n)) for k, n in IBAN_FORMATS[country])
    number = int("".join(str(int(c, 36)) for c in bban + country + "00"))
    value = f"{country}{98 - number % 97:02d}{bban}"
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rng.random() < 0.6 else value


def phone(rng: random.Random) -> str:
    import phonenumbers
    from phonenumbers import PhoneNumberFormat as F
    from phonenumbers import PhoneNumberType as T

    while True:
        region = rng.choice(PHONE_REGIONS)
        example = phonenumbers.example_number_for_type(region, rng.choice([T.MOBILE, T.FIXED_LINE]))
        national = str(example.national_number)
        national = national[:-4] + "".join(rng.choice("0123456789") for _ in range(4))
        number = phonenumbers.parse("+" + str(example.country_code) + national)
        if not phonenumbers.is_valid_number(number):
            continue
        formats = [F.INTERNATIONAL, F.E164] + ([F.NATIONAL] if region in PRESIDIO_REGIONS else [])
        text = phonenumbers.format_number(number, rng.choice(formats))
        if region == "US" and rng.random() < 0.5:
            d = national
            text = rng.choice([f"{d[:3]}.{d[3:6]}.{d[6:]}", f"{d[:3]}-{d[3:6]}-{d[6:]}", f"+1 {d[:3]} {d[3:6]} {d[6:]}"])
        if "555" not in text:  # the fictional range is deliberately kept
            return text


def ipv4(rng: random.Random) -> str:
    while True:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if ip.is_global:
            return str(ip)


def ipv6(rng: random.Random) -> str:
    while True:
        prefix = rng.choice([0x2A00, 0x2A02, 0x2400, 0x2600, 0x2804, 0x2C0F])
        # Half of them with a run of zero groups, written with "::" when compressed.
        low = rng.getrandbits(64) << 48 if rng.random() < 0.5 else rng.getrandbits(112)
        ip = ipaddress.IPv6Address((prefix << 112) | low)
        if ip.is_global:
            return ip.compressed if rng.random() < 0.8 else ip.exploded


def email(rng: random.Random) -> str:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice([f"{first}.{last}", f"{first[0]}{last}", f"{first}_{last}{rng.randint(1, 99)}", f"{first}+news"])
    return f"{local}@{rng.choice(EMAIL_DOMAINS)}"


def ssn(rng: random.Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _base58check(payload: bytes) -> str:
    data = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = _B58[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _bech32_checksum(hrp: str, data: list[int]) -> list[int]:
    # BIP-173: a BCH code over GF(32), written from the specification.
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    values = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + data + [0] * 6
    chk = 1
    for v in values:
        top, chk = chk >> 25, (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= generator[i] if (top >> i) & 1 else 0
    polymod = chk ^ 1
    return [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]


def crypto(rng: random.Random) -> str:
    kind = rng.choice(["p2pkh", "p2sh", "bech32"])
    program = bytes(rng.getrandbits(8) for _ in range(20))
    if kind != "bech32":
        return _base58check((b"\x00" if kind == "p2pkh" else b"\x05") + program)
    bits = "".join(f"{b:08b}" for b in program)
    data = [0] + [int(bits[i : i + 5].ljust(5, "0"), 2) for i in range(0, len(bits), 5)]
    return "bc1" + "".join(_BECH32[d] for d in data + _bech32_checksum("bc", data))


GENERATORS = {
    "EMAIL_ADDRESS": email,
    "PHONE_NUMBER": phone,
    "IP_ADDRESS": lambda rng: ipv4(rng) if rng.random() < 0.5 else ipv6(rng),
    "CREDIT_CARD": card,
    "IBAN_CODE": iban,
    "US_SSN": ssn,
    "CRYPTO": crypto,
}


def planted_documents(texts: dict[str, str], per_document: int = 3, seed: int = 13) -> list[dict]:
    """Real texts with values planted at paragraph or sentence breaks: {"key", "text", "planted": [(entity, start, end)]}."""
    rng = random.Random(seed)
    docs = []
    for key, text in sorted(texts.items()):
        breaks = [m.end() for m in re.finditer(r"\n|\. ", text)] or [len(text)]
        points = sorted(rng.sample(breaks, min(per_document, len(breaks))))
        parts, planted, pos, length = [], [], 0, 0
        for point in points:
            entity = rng.choice(ENTITIES)
            value = GENERATORS[entity](rng)
            template = rng.choice(TEMPLATES[entity])
            sentence = " " + template.format(value) + " "
            parts.append(text[pos:point])
            length += point - pos
            start = length + sentence.index(value)
            planted.append((entity, start, start + len(value)))
            parts.append(sentence)
            length += len(sentence)
            pos = point
        parts.append(text[pos:])
        docs.append({"key": key, "text": "".join(parts), "planted": planted})
    return docs
