"""Which writing system a text is in, and which languages each script admits.

fastText language models score character n-grams, so on short or mixed text
they sometimes name a language that cannot be written in the text's script (a
Cyrillic word labelled ``en``, a Thai phrase labelled ``zh``). The stage counts
the letters of each script (one vectorised pass over code points) and only
accepts a label whose script matches the dominant one.
"""
from __future__ import annotations

import numpy as np

# (first code point, last code point, ISO 15924 script). Digits, punctuation, symbols and
# combining marks fall outside every range and are not counted.
_RANGES = [
    (0x0041, 0x005A, "Latn"), (0x0061, 0x007A, "Latn"), (0x00C0, 0x024F, "Latn"),
    (0x0370, 0x03FF, "Grek"), (0x0400, 0x052F, "Cyrl"), (0x0530, 0x058F, "Armn"),
    (0x0590, 0x05FF, "Hebr"), (0x0600, 0x06FF, "Arab"), (0x0700, 0x074F, "Syrc"),
    (0x0750, 0x077F, "Arab"), (0x0780, 0x07BF, "Thaa"), (0x08A0, 0x08FF, "Arab"),
    (0x0900, 0x097F, "Deva"), (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"), (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"),
    (0x0D80, 0x0DFF, "Sinh"), (0x0E00, 0x0E7F, "Thai"), (0x0E80, 0x0EFF, "Laoo"),
    (0x0F00, 0x0FFF, "Tibt"), (0x1000, 0x109F, "Mymr"), (0x10A0, 0x10FF, "Geor"),
    (0x1100, 0x11FF, "Hang"), (0x1200, 0x139F, "Ethi"), (0x1780, 0x17FF, "Khmr"),
    (0x1800, 0x18AF, "Mong"), (0x1C80, 0x1C8F, "Cyrl"), (0x1C90, 0x1CBF, "Geor"),
    (0x1E00, 0x1EFF, "Latn"), (0x1F00, 0x1FFF, "Grek"), (0x2C60, 0x2C7F, "Latn"),
    (0x2DE0, 0x2DFF, "Cyrl"), (0x3040, 0x30FF, "Kana"), (0x3130, 0x318F, "Hang"),
    (0x31F0, 0x31FF, "Kana"), (0x3400, 0x4DBF, "Hani"), (0x4E00, 0x9FFF, "Hani"),
    (0xA640, 0xA69F, "Cyrl"), (0xA720, 0xA7FF, "Latn"), (0xAC00, 0xD7AF, "Hang"),
    (0xF900, 0xFAFF, "Hani"), (0xFB1D, 0xFB4F, "Hebr"), (0xFB50, 0xFDFF, "Arab"),
    (0xFE70, 0xFEFF, "Arab"), (0xFF66, 0xFF9F, "Kana"), (0x20000, 0x2FFFF, "Hani"),
]
SCRIPTS = sorted({name for _, _, name in _RANGES})
_STARTS = np.array([r[0] for r in _RANGES], dtype=np.int64)
_ENDS = np.array([r[1] for r in _RANGES], dtype=np.int64)
_INDEX = np.array([SCRIPTS.index(r[2]) for r in _RANGES], dtype=np.int64)
_ORDER = np.argsort(_STARTS)
_STARTS, _ENDS, _INDEX = _STARTS[_ORDER], _ENDS[_ORDER], _INDEX[_ORDER]

#: Languages (lid.176 codes) written in each non-Latin script. A code absent from every
#: set is taken to be written in Latin; codes listed in DUAL are written in Latin as well.
_SCRIPT_CODES = {
    "Cyrl": "ru uk be bg mk sr kk ky mn tg tt ba cv ce os sah av kv myv mhr mrj krc lez xal bxr tyv rue udm ab uz az",
    "Arab": "ar arz fa ur ps sd ug ckb azb mzn lrc pnb ku ks glk",
    "Hebr": "he yi", "Grek": "el", "Armn": "hy", "Geor": "ka xmf",
    "Deva": "hi mr ne sa mai bh new gom dty", "Beng": "bn as bpy", "Guru": "pa", "Gujr": "gu",
    "Orya": "or", "Taml": "ta", "Telu": "te", "Knda": "kn", "Mlym": "ml", "Sinh": "si",
    "Thai": "th", "Laoo": "lo", "Tibt": "bo dz", "Mymr": "my", "Ethi": "am ti", "Khmr": "km",
    "Thaa": "dv", "Hang": "ko", "Kana": "ja", "Hani": "zh ja wuu yue gan", "Mong": "mn", "Syrc": "syr",
}
SCRIPT_LANGUAGES: dict[str, frozenset[str]] = {name: frozenset(codes.split()) for name, codes in _SCRIPT_CODES.items()}
#: Each script's languages, the most written first (the answer when the model backs none of them).
SCRIPT_PRIMARY: dict[str, tuple[str, ...]] = {name: tuple(codes.split()) for name, codes in _SCRIPT_CODES.items()}
DUAL = frozenset("sr uz az kk tt ku tk ky mn".split())
NON_LATIN = frozenset().union(*SCRIPT_LANGUAGES.values()) - DUAL

#: GlotLID-style label scripts that count as another detected script.
SCRIPT_ALIASES = {"Hans": "Hani", "Hant": "Hani", "Jpan": "Kana", "Kore": "Hang", "Hira": "Kana", "Kata": "Kana"}


def scripts_of(code: str) -> frozenset[str]:
    """Scripts a lid.176-style code may be written in."""
    found = {name for name, codes in SCRIPT_LANGUAGES.items() if code in codes}
    if code not in NON_LATIN:
        found.add("Latn")
    return frozenset(found)


def dominant_script(text: str, limit: int = 4000) -> tuple[str | None, float]:
    """The script most letters of ``text[:limit]`` are in, and its share of those letters.

    Japanese is reported as ``Kana`` when kana appear next to Han characters (a
    Japanese sentence is mostly kanji yet always has kana); Korean likewise as
    ``Hang``. ``(None, 0.0)`` when the text has no letters of a known script.
    """
    if not text:
        return None, 0.0
    points = np.frombuffer(text[:limit].encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64)
    points = points[points >= 0x41]
    if points.size == 0:
        return None, 0.0
    slot = np.searchsorted(_STARTS, points, side="right") - 1
    inside = (slot >= 0) & (points <= _ENDS[np.maximum(slot, 0)])
    if not inside.any():
        return None, 0.0
    counts = np.bincount(_INDEX[slot[inside]], minlength=len(SCRIPTS))
    total = counts.sum()
    han, kana, hangul = (counts[SCRIPTS.index(s)] for s in ("Hani", "Kana", "Hang"))
    if kana and kana + han > total / 2:
        return "Kana", float((kana + han) / total)
    if hangul and hangul + han > total / 2:
        return "Hang", float((hangul + han) / total)
    best = int(counts.argmax())
    return SCRIPTS[best], float(counts[best] / total)


def han_variant(text: str, limit: int = 2000) -> str:
    """``Hans`` or ``Hant``: whether a Chinese text has more simplified-only or traditional-only characters.

    A character GB 2312 can encode and Big5 cannot is simplified-only (``们``,
    ``权``), one Big5 can encode and GB 2312 cannot is traditional-only (``們``,
    ``權``); both codecs ship with Python. Ties (also texts without such
    characters) count as simplified, the more common form on the web.
    """
    simplified = traditional = 0
    for ch in text[:limit]:
        if ch < "\u3400":
            continue
        in_gb = _encodes(ch, "gb2312")
        in_big5 = _encodes(ch, "big5")
        simplified += in_gb and not in_big5
        traditional += in_big5 and not in_gb
    return "Hant" if traditional > simplified else "Hans"


def _encodes(ch: str, codec: str) -> bool:
    try:
        ch.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


#: The script the stage writes in a script-qualified code, by the script ``dominant_script`` found.
QUALIFIER = {"Kana": "Jpan", "Hang": "Kore"}


def qualify(code: str, text: str) -> str:
    """``code`` with the script of ``text`` (``sr`` -> ``sr_Latn``; Han text ``_Hans``/``_Hant``, kana ``_Jpan``)."""
    script, _ = dominant_script(text)
    if script is None:
        return code
    if script == "Hani":
        script = han_variant(text)
    return f"{code}_{QUALIFIER.get(script, script)}"
