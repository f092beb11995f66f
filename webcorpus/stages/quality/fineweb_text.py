"""How FineWeb's filters (datatrove 0.10.1) cut text into words, sentences and punctuation.

datatrove splits English text with spaCy's blank English tokenizer (``spacy.blank("en")``
plus its rule-based ``sentencizer``) and then drops whitespace tokens. Its Gopher, C4 and
FineWeb filters count those tokens, so their ratios include punctuation tokens: in
"Hello, world." there are four words (``Hello`` ``,`` ``world`` ``.``), two of them without a
letter. This module re-states those rules without spaCy, fast enough that the FineWeb
flavour of the filters keeps a 10x lead over datatrove:

* :func:`words`: whitespace chunks, then spaCy's English affix rules (prefixes and
  suffixes peeled off one at a time, then infixes), its URL rule, and the common
  English special cases (contractions such as ``don't`` -> ``do`` ``n't``, and
  abbreviations such as ``Mr.`` or ``e.g.`` kept whole). The rules are spaCy's
  (``spacy/lang/punctuation.py``, ``spacy/lang/tokenizer_exceptions.py``, read as facts);
  the special-case list here is shorter than spaCy's, and
  tests/stages/test_fineweb_flavor.py measures the agreement with spaCy on real text.
* :func:`sentence_count`: the sentencizer's rule: a new sentence starts at the first
  non-punctuation token after a sentence-final character.
* :data:`TERMINAL_PUNCTUATION` and :data:`PUNCTUATION_SET`: datatrove's character sets
  (its ``utils/text.py``): the first ends a "punctuated" line in the FineWeb filter, the
  second decides which Gopher words are symbols only.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import chain

import numpy as np

# datatrove's TERMINAL_PUNCTUATION: Unicode sentence terminals (as of its release).
TERMINAL_PUNCTUATION = frozenset(
    "!.?։׃؝؞؟۔܀܁܂߹࠷࠹࠽࠾।॥၊။።፧፨᙮᜵᜶᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟\u1b7d\u1b7e᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼\u2e53\u2e54"
    "。꓿꘎꘏꛳꛷꡶꡷꣎꣏꤯꧈꧉꩝꩞꩟꫰꫱꯫﹒﹖﹗！．？｡៕៖។៙៚"
    "\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59\U00010f86\U00010f87\U00010f88"
    "\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0\U000110c1\U00011141\U00011142\U00011143"
    "\U000111c5\U000111c6\U000111cd\U000111de\U000111df\U00011238\U00011239\U0001123b\U0001123c\U000112a9"
    "\U0001144b\U0001144c\U000115c2\U000115c3\U000115c9\U000115ca\U000115cb\U000115cc\U000115cd\U000115ce"
    "\U000115cf\U000115d0\U000115d1\U000115d2\U000115d3\U000115d4\U000115d5\U000115d6\U000115d7\U00011641"
    "\U00011642\U0001173c\U0001173d\U0001173e\U00011944\U00011946\U00011a42\U00011a43\U00011a9b\U00011a9c"
    "\U00011c41\U00011c42\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5\U00016b37"
    "\U00016b38\U00016b44\U00016e98\U0001bc9f\U0001da88"
)
# datatrove's PUNCTUATION string plus control characters, and its terminal punctuation.
PUNCTUATION_SET = frozenset(
    "!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»"
    + "".join(chr(c) for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for c in range(a, b))
) | TERMINAL_PUNCTUATION

# spaCy's sentencizer: these characters end a sentence (its default punct_chars).
SENTENCE_ENDS = (TERMINAL_PUNCTUATION - frozenset("׃؝\u1b7d\u1b7e\u2e53\u2e54៕៖។៙៚")) - frozenset(
    "\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59\U00010f86\U00010f87\U00010f88\U00010f89"
    "\U00011944\U00011946\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016e98"
)

# --- spaCy's English affix rules, restated ----------------------------------------------------
_PUNCT = ["…", "……", ",", ":", ";", r"\!", r"\?", "¿", "؟", "¡", r"\(", r"\)", r"\[", r"\]", r"\{", r"\}", "<", ">",
          "_", "#", r"\*", "&", "。", "？", "！", "，", "、", "；", "：", "～", "·", "।", "،", "۔", "؛", "٪"]
_ELLIPSES = [r"\.\.+", "…"]
_QUOTES = ["'", '"', "”", "“", "`", "‘", "´", "’", "‚", ",", "„", "»", "«", "「", "」", "『", "』", "（", "）", "〔", "〕",
           "【", "】", "《", "》", "〈", "〉", "〈", "〉", "⟦", "⟧"]
_CURRENCY = [r"\$", "£", "€", "¥", "฿", r"US\$", r"C\$", r"A\$", "₽", "﷼", "₴", "₠", "₡", "₢", "₣", "₤", "₥", "₦", "₧",
             "₨", "₩", "₪", "₫", "₭", "₮", "₯", "₰", "₱", "₲", "₳", "₵", "₶", "₷", "₸", "₹", "₺", "₻", "₼", "₾", "₿"]
_UNITS = ("km km² km³ m m² m³ dm dm² dm³ cm cm² cm³ mm mm² mm³ ha µm nm yd in ft kg g mg µg t lb oz m/s km/h kmh mph "
          "hPa Pa mbar mb MB kb KB gb GB tb TB T G M K %").split()
_HYPHENS = ["-", "–", "—", "--", "---", "——", "~"]


_LIMIT = 0x30000  # code points considered for the letter and symbol classes


def _char_class(mask: np.ndarray) -> str:
    """A regex character class body of the code points where ``mask`` is true."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    out = []
    for start, stop in zip(edges[::2].tolist(), (edges[1::2] - 1).tolist()):
        out.append(re.escape(chr(start)) + ("-" + re.escape(chr(stop)) if stop > start else ""))
    return "".join(out)


# spaCy's letter classes cover Latin, Cyrillic and Greek letters (cased) and whole blocks of these
# scripts (uncased: Ethiopic, Bengali, Hebrew, Arabic/Persian, Sinhala, Devanagari, Kannada, Tamil,
# Telugu, Hangul, kana, CJK); other scripts (Thai, Georgian, ...) are not letters to its affix rules.
_UNCASED_BLOCKS = ((0x1200, 0x137F), (0x0980, 0x09FF), (0x0591, 0x05F4), (0xFB1D, 0xFB4F), (0x0620, 0x064A),
                   (0x066E, 0x06D5), (0x06E5, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08BD), (0xFB50, 0xFBB1),
                   (0xFBD3, 0xFD3D), (0xFD50, 0xFDC7), (0xFDF0, 0xFDFB), (0xFE70, 0xFEFC), (0x1EE00, 0x1EEBB),
                   (0x0D80, 0x0DFF), (0x0900, 0x097F), (0x0C80, 0x0CFF), (0x0B80, 0x0BFF), (0x0C00, 0x0C7F),
                   (0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0x3400, 0x4DBF),
                   (0x20000, 0x2FA1F), (0x2E80, 0x2FDF), (0x2FF0, 0x303F), (0x31C0, 0x31EF), (0x3200, 0x33FF),
                   (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0x1F200, 0x1F2FF))
# The blocks where Latin, Greek and Cyrillic letters live (their names say which script they are).
_CASED_BLOCKS = ((0x0041, 0x052F), (0x1C80, 0x1C8F), (0x1D00, 0x1FFF), (0x2C60, 0x2C7F), (0x2DE0, 0x2DFF),
                 (0xA640, 0xA69F), (0xA720, 0xA7FF), (0xAB30, 0xAB6F), (0xFF21, 0xFF5A))


@lru_cache(maxsize=1)
def _letter_masks() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(letter, lower-case, upper-case, symbol) masks over code points, as spaCy's classes draw them."""
    uncased = np.zeros(_LIMIT, dtype=bool)
    for a, b in _UNCASED_BLOCKS:
        uncased[a:b + 1] = True
    uncased[ord("ー")] = True
    lower = np.zeros(_LIMIT, dtype=bool)
    upper = np.zeros(_LIMIT, dtype=bool)
    for a, b in _CASED_BLOCKS:
        for code in range(a, b + 1):
            c = chr(code)
            if c.isalpha() and unicodedata.name(c, "").startswith(("LATIN", "CYRILLIC", "GREEK", "FULLWIDTH LATIN")):
                lower[code] = c.islower()
                upper[code] = c.isupper()
                if not (c.islower() or c.isupper()):
                    lower[code] = upper[code] = True  # a cased-script letter without case (rare): both
    alpha = lower | upper | uncased
    symbols = np.fromiter((unicodedata.category(chr(code)) == "So" for code in range(_LIMIT)), bool, _LIMIT)
    return alpha, lower | uncased, upper | uncased, symbols


@lru_cache(maxsize=1)
def _rules():
    """(prefix match, suffix search, infix finditer, URL match), built once per process."""
    alpha, lower, upper, symbols = map(_char_class, _letter_masks())
    icons = "[" + symbols + "]"
    quotes = "".join(re.escape(q) for q in _QUOTES)
    punct = "|".join(_PUNCT)
    prefixes = ["§", "%", "=", "—", "–", r"\+(?![0-9])"] + _PUNCT + _ELLIPSES + _QUOTES + _CURRENCY + [icons]
    suffixes = _PUNCT + _ELLIPSES + _QUOTES + [icons, "'s", "'S", "’s", "’S", "—", "–",
                                               r"(?<=[0-9])\+", r"(?<=°[FfCcKk])\.",
                                               r"(?<=[0-9])(?:" + "|".join(_CURRENCY) + ")",
                                               r"(?<=[0-9])(?:" + "|".join(map(re.escape, _UNITS)) + ")",
                                               # spaCy writes this class as digits, lower-case letters, "%²-+",
                                               # its punctuation joined by "|" and "(?:" quotes ")": all of them count
                                               r"(?<=[0-9" + lower + r"%²\-\+" + punct + "(?:" + quotes + ")])\\.",
                                               r"(?<=[" + upper + "][" + upper + r"])\."]
    infixes = _ELLIPSES + [icons, r"(?<=[0-9])[+\-\*^](?=[0-9-])",
                           r"(?<=[" + lower + quotes + r"])\.(?=[" + upper + quotes + "])",
                           r"(?<=[" + alpha + "]),(?=[" + alpha + "])",
                           r"(?<=[" + alpha + "0-9])(?:" + "|".join(_HYPHENS) + ")(?=[" + alpha + "])",
                           r"(?<=[" + alpha + r"0-9])[:<>=/](?=[" + alpha + "])"]
    url = (r"^(?:[\w+\-.]{2,}://)?(?:\S+(?::\S*)?@)?"
           r"(?:(?:[1-9]\d?|1\d\d|2[01]\d|22[0-3])(?:\.(?:1?\d{1,2}|2[0-4]\d|25[0-5])){2}(?:\.(?:[1-9]\d?|1\d\d|2[0-4]\d|25[0-4]))"
           r"|(?:(?:[A-Za-z0-9\u00a1-\uffff][A-Za-z0-9\u00a1-\uffff_-]{0,62})?[A-Za-z0-9\u00a1-\uffff]\.)+"
           r"(?:[" + lower + r"]{2,63}))(?::\d{2,5})?(?:[/?#]\S*)?$")
    return (re.compile("|".join("^" + p for p in prefixes)).match,
            re.compile("|".join(s + "$" for s in suffixes)).search,
            re.compile("|".join(infixes)).finditer,
            re.compile(url).match)


# English special cases: abbreviations kept whole, contractions split (spaCy's English rules).
_ABBREVIATIONS = (
    "a.m. p.m. Adm. Bros. co. Co. Corp. D.C. Dr. e.g. E.g. E.G. Gen. Gov. i.e. I.e. I.E. Inc. Jr. Ltd. Md. Messrs. "
    "Mo. Mont. Mr. Mrs. Ms. Ph.D. Prof. Rep. Rev. Sen. St. vs. v.s. Jan. Feb. Mar. Apr. Jun. Jul. Aug. Sep. Sept. Oct. "
    "Nov. Dec. Ala. Ariz. Ark. Calif. Colo. Conn. Del. Fla. Ga. Ill. Ind. Kan. Kans. Ky. La. Mass. Mich. Minn. Miss. "
    "N.C. N.D. N.H. N.J. N.M. N.Y. Neb. Nebr. Nev. Okla. Ore. Pa. Tenn. Va. Wash. Wis. Mt. Sr. "
    "and/or '' ’’ 's 'S ’s ’S C++ doin' goin' nothin' nuthin' ol' somethin' Ol' Lovin' lovin' 'cause ’cause w/o "
).split()
# Emoticons are kept whole, also when the affix rules first cut them apart ("word):" -> "word" "):").
EMOTICONS = frozenset(
    ":) :( :-) :-( ;) ;-) :D :-D :P :-P :p :-p :/ :-/ :| :] :o :O :') :'( ): (: )-: (-: 8) =) =( =] <3 </3 "
    ":)) :))) :(( xD XD ^_^ ^^ -_- o_O O_o o.O O.o o.0 0.0 O.O ;D :3 =D =P".split()
)
_PRONOUN_FORMS = {"i": ("m", "ll", "d", "ve"), "you": ("ll", "d", "ve", "re"), "he": ("ll", "d", "s"),
                  "she": ("ll", "d", "s"), "it": ("ll", "d", "s"), "we": ("ll", "d", "ve", "re"),
                  "they": ("ll", "d", "ve", "re")}
_W_WORDS = ("who", "what", "when", "where", "why", "how", "there", "that", "this", "these", "those")
_NOT_VERBS = ("ca", "do", "does", "did", "had", "may", "might", "must", "need", "ought", "sha", "should", "wo",
              "would", "could", "is", "are", "was", "were", "have", "has", "ai", "dare")
_HAVE_VERBS = ("could", "might", "must", "should", "would")
# Words that look like a contraction without its apostrophe but are words ("ill", "its", "were", ...).
_NOT_CONTRACTIONS = frozenset("Ill ill Its its Hell hell Shell shell Shed shed were Were Well well Whore whore".split())
_LETTERS = "abcdefghijklmnopqrstuvwxyzäöü"


def _contractions() -> dict[str, tuple[str, ...]]:
    table: dict[str, tuple[str, ...]] = {}

    def add(stem: str, ending: str) -> None:
        for base in (stem, stem.title()):
            for apostrophe in ("'", "’", ""):
                form = base + apostrophe + ending
                if form not in _NOT_CONTRACTIONS:
                    table[form] = (base, apostrophe + ending)

    for pronoun, endings in _PRONOUN_FORMS.items():
        for ending in endings:
            add(pronoun, ending)
    for word in _W_WORDS:
        for ending in ("ll", "d", "ve", "re") + (("s",) if word not in ("these", "those") else ()):
            add(word, ending)
    for verb in _NOT_VERBS:
        for base in (verb, verb.title()):
            for ending in ("n't", "n’t", "nt"):
                if base + ending not in _NOT_CONTRACTIONS:
                    table[base + ending] = (base, ending)
    for verb in _HAVE_VERBS:
        add(verb, "ve")
    return table


@lru_cache(maxsize=1)
def _specials() -> dict[str, tuple[str, ...]]:
    table = _contractions()
    table.update({a: (a,) for a in _ABBREVIATIONS})
    table.update({e: (e,) for e in EMOTICONS})
    table.update({c + ".": (c + ".",) for c in _LETTERS})
    for hour in range(1, 13):  # "6am" -> "6" "am", as spaCy's time special cases
        for period in ("am", "pm", "a.m.", "p.m."):
            table[f"{hour}{period}"] = (str(hour), period)
    table.update({"cannot": ("can", "not"), "Cannot": ("Can", "not"), "gonna": ("gon", "na"), "Gonna": ("Gon", "na"),
                  "gotta": ("got", "ta"), "Gotta": ("Got", "ta")})
    return table


def _special(s: str):
    return _specials().get(s)


def _merge_specials(tokens: list[str]) -> list[str]:
    """Join neighbouring tokens that spell a one-token special case (an emoticon, ``Ky.``, ``''``): spaCy
    matches its special cases again after the affix and infix rules cut a chunk."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for width in (3, 2):
            joined = "".join(tokens[i:i + width]) if i + width <= len(tokens) else ""
            if joined and _specials().get(joined) == (joined,):
                out.append("".join(tokens[i:i + width]))
                i += width
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def _split_chunk(chunk: str) -> tuple[str, ...]:
    """One whitespace-free chunk split as spaCy's tokenizer splits it."""
    prefix_match, suffix_search, infix_finditer, url_match = _rules()
    prefixes: list[str] = []
    suffixes: list[str] = []
    s = chunk
    last = -1
    special = None
    while s and len(s) != last:
        special = _special(s)
        if special is not None:
            break
        last = len(s)
        m = prefix_match(s)
        pre = m.end() if m else 0
        if pre:
            rest = s[pre:]
            if rest and _special(rest) is not None:
                prefixes.append(s[:pre])
                s = rest
                special = _special(s)
                break
        rest = s[pre:]
        # Every suffix rule but a run of dots is at most 8 characters long: search only the tail (the
        # look-behinds still see the characters before it), unless a run of dots may reach further back.
        start = len(rest) - 8
        if start <= 0 or rest[start - 1] == ".":
            start = 0
        m = suffix_search(rest, start)
        suf = (len(rest) - m.start()) if m else 0
        if suf:
            rest = s[:-suf]
            if rest and _special(rest) is not None:
                suffixes.append(s[-suf:])
                s = rest
                special = _special(s)
                break
        if pre and suf and pre + suf <= len(s):
            prefixes.append(s[:pre])
            suffixes.append(s[-suf:])
            s = s[pre:-suf]
        elif pre:
            prefixes.append(s[:pre])
            s = s[pre:]
        elif suf:
            suffixes.append(s[-suf:])
            s = s[:-suf]
        special = _special(s) if s else None
        if special is not None:
            break
    tokens = prefixes
    if s:
        if special is not None:
            tokens.extend(special)
        elif url_match(s):
            tokens.append(s)
        else:
            start = 0
            for m in infix_finditer(s):
                a, b = m.span()
                if a == 0:
                    continue
                if a != start:
                    tokens.append(s[start:a])
                if a != b:
                    tokens.append(s[a:b])
                start = b
            if start < len(s):
                tokens.append(s[start:])
    tokens.extend(reversed(suffixes))
    if len(tokens) > 1 and _MERGE_CHARS.intersection(chunk):
        tokens = _merge_specials(tokens)
    return tuple(tokens)


# One of these after letters is always cut off as a suffix, and leaves nothing for other rules.
_PLAIN_SUFFIXES = frozenset(',;:!?"”“)\'')
_ASCII_HYPHENATED = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")
_PLAIN_PREFIXES = frozenset('("“[')
_MERGE_CHARS = frozenset(":;=()'’.")
_CACHE: dict[str, tuple[str, ...]] = {}
_CACHE_LIMIT = 200_000


def _interleave(parts: list[str], separator: str):
    for i, part in enumerate(parts):
        if i:
            yield separator
        yield part


def chunk_tokens(chunk: str) -> tuple[str, ...]:
    """The tokens of one whitespace-free chunk (cached: most chunks repeat)."""
    tokens = _CACHE.get(chunk)
    if tokens is None:
        if (chunk.isalpha() or (chunk.isascii() and chunk.isdigit())) and _special(chunk) is None:
            tokens = (chunk,)  # letters only, or ASCII digits only: no rule applies
        elif chunk[-1] in _PLAIN_SUFFIXES and chunk[:-1].isalpha() and _special(chunk) is None and _special(chunk[:-1]) is None:
            tokens = (chunk[:-1], chunk[-1])  # "word," "word!": the suffix rule alone, nothing else can apply
        elif (chunk[-1] == "." and len(chunk) > 2 and "a" <= chunk[-2] <= "z" and chunk[:-1].isalpha()
              and _special(chunk) is None and _special(chunk[:-1]) is None):
            tokens = (chunk[:-1], ".")  # "word.": the period after a lower-case letter is a suffix
        elif chunk.endswith("...") and chunk[:-3].isalpha() and _special(chunk) is None and _special(chunk[:-3]) is None:
            tokens = (chunk[:-3], "...")  # "word...": the ellipsis suffix
        elif _ASCII_HYPHENATED.fullmatch(chunk) and _special(chunk) is None and all(
                _special(part) is None for part in chunk.split("-")):
            tokens = tuple(_interleave(chunk.split("-"), "-"))  # "well-known": hyphens between letters are infixes
        elif chunk[0] in _PLAIN_PREFIXES and chunk[1:].isalpha() and _special(chunk) is None and _special(chunk[1:]) is None:
            tokens = (chunk[0], chunk[1:])  # "(word", "“word": the prefix rule alone
        else:
            tokens = _split_chunk(chunk)
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.clear()
        _CACHE[chunk] = tokens
    return tokens


def words(text: str) -> list[str]:
    """datatrove's ``split_into_words(text, "en")``: spaCy English tokens, whitespace tokens left out."""
    chunks = text.split()
    try:  # the common case: every chunk seen before, the whole walk in C
        return list(chain.from_iterable(map(_CACHE.__getitem__, chunks)))
    except KeyError:
        missing = set(chunks).difference(_CACHE)
        if len(_CACHE) + len(missing) > _CACHE_LIMIT:
            _CACHE.clear()
            missing = set(chunks)
        for chunk in missing:
            chunk_tokens(chunk)
        return list(chain.from_iterable(map(_CACHE.__getitem__, chunks)))


def _is_punct(token: str) -> bool:
    """spaCy's ``is_punct``: every character is Unicode punctuation (category P*)."""
    return all(unicodedata.category(c)[0] == "P" for c in token)


def sentence_count(text: str) -> int:
    """Sentences spaCy's sentencizer finds in ``text`` (the length of datatrove's ``split_into_sentences``).

    The first token starts a sentence; after a sentence-final character, the next token that is
    neither punctuation nor sentence-final starts the next one."""
    tokens = words(text)
    if not tokens:
        return 1  # datatrove's span arithmetic gives one (empty) piece
    count = 1
    seen_end = False
    ends = SENTENCE_ENDS
    for token in tokens:
        if token in ends:
            seen_end = True
        elif seen_end and not _is_punct(token):
            count += 1
            seen_end = False
    return count
