"""A page as a sequence of text blocks, each with the features a content classifier looks at.

A *block* is the text between two block-level tag boundaries (``<p>``, ``<div>``, ``<td>``, ``<li>``,
headings, …), in document order, as a reader sees the page: inline markup (``<a>``, ``<b>``, ``<span>``)
joins into its block, ``<br>`` becomes a line break inside it. Script, style, forms' controls and other
invisible parts are skipped. Each block records what boilerpipe, Dragnet and Web2Text found to separate
content from boilerplate: its length in tokens, how much of it is link text, its tag and the tags and
class/id names of the elements around it. :func:`feature_matrix` turns the blocks of a page into one
numeric row per block, adding position and neighbour features, in the fixed order :data:`FEATURES`.

Parsing is lxml's HTML parser (libxml2), walked once with ``iterwalk``; about 2 ms for a 150 KB page.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from webcorpus.stages.extract.text import count_tokens

# Elements that start and end a block (a browser lays them out on their own lines).
BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset figcaption figure "
    "footer form frameset h1 h2 h3 h4 h5 h6 header hgroup hr html legend li main menu nav noframes ol p pre "
    "section summary table tbody thead tfoot tr td th caption ul".split()
)
# Elements whose content a reader never sees as text.
SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed head select option button textarea "
    "input canvas video audio map".split()
)
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# class/id words that mark boilerplate or content containers on most sites (lower-cased substrings).
_NEGATIVE = re.compile(
    r"nav|menu|footer|foot|sidebar|side-bar|widget|breadcrumb|share|social|related|recommend|promo|sponsor|"
    r"advert|banner|\bads?\b|subscribe|newsletter|signup|login|masthead|toolbar|pagination|pager|tags?\b|"
    r"copyright|disclaimer|popup|modal|most-?popular|trending|outbrain|taboola"
)
_COMMENT = re.compile(r"comment|disqus|respond|reply|discussion")
_COOKIE = re.compile(r"cookie|consent|gdpr|privacy")
_POSITIVE = re.compile(r"article|content|post|story|entry|body|text|main|blog|news|detail|hentry")
_DIGITS = tuple("0123456789")
_COOKIE_TEXT = re.compile(r"\bcookies?\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…。！？\"”’»)]\s*$")

# Ancestor tags counted as context features.
CONTEXT_TAGS = ("nav", "footer", "header", "aside", "form", "article", "main", "td", "li", "blockquote")


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")


# Pages that hide their body until a script shows it are still read.
_NEVER_HIDDEN = frozenset(("html", "body"))


def _hidden(attributes) -> bool:
    """Whether an element is invisible to a reader (the ``hidden`` attribute or an inline style)."""
    if "hidden" in attributes:
        return True
    style = attributes.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


_LINE_BREAK = "\x00"  # stands for <br> while a block is built (the parser never leaves a NUL in text)
_CONTEXT_INDEX = {tag: i for i, tag in enumerate(CONTEXT_TAGS)}
_FRAMES: dict[tuple[str, str], tuple] = {}


def _frame(tag: str, names: str) -> tuple:
    """(tag, is_block, context index or -1, negative, positive, comment, cookie) for an element.

    Cached by tag and class/id text, which sites repeat on every page.
    """
    frame = _FRAMES.get((tag, names))
    if frame is None:
        lower = names.lower()
        frame = (tag, tag in BLOCK_TAGS, _CONTEXT_INDEX.get(tag, -1),
                 int(bool(_NEGATIVE.search(lower))), int(bool(_POSITIVE.search(lower))),
                 int(bool(_COMMENT.search(lower))), int(bool(_COOKIE.search(lower))))
        if len(_FRAMES) < 200_000:
            _FRAMES[(tag, names)] = frame
    return frame


@dataclass
class Block:
    """One block of text and its context (counts of ancestors of each kind, the block's own tag)."""

    text: str
    tag: str
    tokens: int
    link_tokens: int
    depth: int
    context: tuple  # counts per CONTEXT_TAGS
    negative: int  # ancestors whose class/id looks like boilerplate
    positive: int  # ancestors whose class/id looks like a content container
    comment: int  # ancestors whose class/id looks like a comment section
    cookie: int  # ancestors whose class/id looks like a cookie or consent banner


def _parse(html: str):
    import lxml.etree

    data = html.encode("utf-8", "replace")
    if not data.strip():
        return None
    # lxml.etree's parser, not lxml.html's: the same tree without the per-element class lookup.
    parser = lxml.etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        return lxml.etree.fromstring(data, parser)
    except (lxml.etree.ParserError, ValueError):
        return None


def blocks_of(html: str) -> list[Block]:
    """The page's text blocks in document order (empty when the page has no parsable text)."""
    import lxml.etree

    root = _parse(html)
    if root is None:
        return []
    builder = _Builder()
    walker = lxml.etree.iterwalk(root, events=("start", "end"))
    skipped = False  # whether the element whose end comes next was skipped (never pushed)
    pieces, link_pieces, stack, counts, flags = builder.pieces, builder.link_pieces, builder.stack, builder.counts, builder.flags
    for event, element in walker:
        tag = element.tag
        if tag.__class__ is not str:  # comments and processing instructions left by the parser
            if event == "end" and element.tail:
                builder.add(element.tail)
            continue
        if event == "start":
            attributes = element.attrib
            if tag in SKIP_TAGS or (attributes and tag not in _NEVER_HIDDEN and _hidden(attributes)):
                walker.skip_subtree()
                skipped = True  # the next event is this element's end
                continue
            names = (attributes.get("class") or "") + " " + (attributes.get("id") or "") if attributes else " "
            frame = _FRAMES.get((tag, names)) or _frame(tag, names)
            if frame[1]:
                builder.flush()
            stack.append(frame)
            if frame[2] >= 0:
                counts[frame[2]] += 1
            if names != " ":
                flags[0] += frame[3]; flags[1] += frame[4]; flags[2] += frame[5]; flags[3] += frame[6]
            if tag == "a":
                builder.in_link += 1
            elif tag == "br":
                pieces.append(_LINE_BREAK)
            elif tag == "pre":
                builder.in_pre += 1
            if element.text:
                builder.add(element.text)
        else:
            if skipped:
                skipped = False
                if element.tail:
                    builder.add(element.tail)
                continue
            frame = stack[-1]
            if frame[1]:
                builder.flush()
            stack.pop()
            if frame[2] >= 0:
                counts[frame[2]] -= 1
            flags[0] -= frame[3]; flags[1] -= frame[4]; flags[2] -= frame[5]; flags[3] -= frame[6]
            if tag == "a":
                builder.in_link -= 1
            elif tag == "pre":
                builder.in_pre -= 1
            if element.tail:
                builder.add(element.tail)
    builder.flush()
    return builder.blocks


class _Builder:
    """The block being built while the tree is walked, and the context of the open elements."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.pieces: list[str] = []  # text of the block being built
        self.link_pieces: list[str] = []  # the part of it inside <a>
        self.stack: list[tuple] = []  # one frame (see _frame) per open element
        self.counts = [0] * len(CONTEXT_TAGS)  # open elements of each context tag
        self.flags = [0, 0, 0, 0]  # open elements with negative, positive, comment, cookie class/id
        self.in_link = 0
        self.in_pre = 0

    def add(self, text: str) -> None:
        if self.in_pre:  # preformatted: the source's line breaks are the text's
            text = text.replace("\n", _LINE_BREAK)
        self.pieces.append(text)
        if self.in_link:
            self.link_pieces.append(text)

    def flush(self) -> None:
        if not self.pieces:
            return
        text = "".join(self.pieces)
        self.pieces.clear()
        links = "".join(self.link_pieces)
        self.link_pieces.clear()
        if text.isspace():  # most boundaries: indentation between tags
            return
        # Elsewhere a line break in the source is a space; only <br> (and <pre>) break lines.
        lines = (" ".join(line.split()) for line in text.split(_LINE_BREAK))
        text = "\n".join(line for line in lines if line)
        n = count_tokens(text)
        if n == 0:
            return
        tag = next((frame[0] for frame in reversed(self.stack) if frame[1]), "body")
        flags = self.flags
        self.blocks.append(Block(
            text, tag, n, min(n, count_tokens(links)) if links else 0, len(self.stack), tuple(self.counts),
            flags[0], flags[1], flags[2], flags[3],
        ))


# --- features ----------------------------------------------------------------------------------------

_TAG_GROUPS = {
    "p": "p", "div": "div", "td": "td", "th": "td", "li": "li", "dd": "li", "dt": "li",
    "h1": "h1", "h2": "h", "h3": "h", "h4": "h", "h5": "h", "h6": "h",
    "blockquote": "quote", "pre": "pre", "figcaption": "caption", "caption": "caption",
}
_TAG_NAMES = ("p", "div", "td", "li", "h1", "h", "quote", "pre", "caption")


_TAG_INDEX = {tag: _TAG_NAMES.index(group) for tag, group in _TAG_GROUPS.items()}


def _own_features(blocks: list[Block]) -> np.ndarray:
    """The columns :data:`OWN` for every block (column-wise: one pass of C-level calls per feature)."""
    texts = [b.text for b in blocks]
    n = np.array([b.tokens for b in blocks], dtype=np.float64)
    density = np.array([b.link_tokens for b in blocks], dtype=np.float64) / n
    lengths = np.array([len(t) for t in texts], dtype=np.float64)
    initials = [[word[0] for word in t.split()] for t in texts]
    tags = np.zeros((len(blocks), len(_TAG_NAMES)))
    for i, b in enumerate(blocks):
        column = _TAG_INDEX.get(b.tag)
        if column is not None:
            tags[i, column] = 1.0
    names = np.array([(b.negative, b.positive, b.comment, b.cookie) for b in blocks], dtype=np.float64) > 0
    return np.column_stack([
        [sum(map(str.isupper, i)) / len(i) for i in initials],  # menus and titles capitalise every word
        np.array([sum(map(t.count, _DIGITS)) for t in texts]) / lengths,  # dates, prices, counters
        [_COOKIE_TEXT.search(t) is not None for t in texts],
        np.log1p(n), n >= 10, n >= 30, density, density > 0.5,
        [_SENTENCE_END.search(t) is not None for t in texts],
        np.minimum(1.0, np.array([t.count(".") + t.count(",") + t.count("。") + t.count("，") for t in texts]) / n),
        [("|" in t) or ("•" in t) or ("·" in t) for t in texts],
        np.minimum(np.array([b.depth for b in blocks]), 40) / 40,
        tags,
        np.array([b.context for b in blocks]) > 0,
        names,
    ]).astype(np.float64)


OWN = (
    "capitalised_share", "digit_share", "mentions_cookies", "log_tokens", "tokens>=10", "tokens>=30", "link_density", "link_density>0.5", "sentence_end", "punct_per_token",
    "has_separator", "depth",
    *[f"tag={name}" for name in _TAG_NAMES],
    *[f"in_{t}" for t in CONTEXT_TAGS],
    "class_negative", "class_positive", "class_comment", "class_cookie",
)
# Neighbour features: a few of a block's own, for the blocks at these offsets (zeros past the page's ends).
_NEIGHBOUR_OWN = ("log_tokens", "link_density", "sentence_end", "tag=p")
_OFFSETS = (-2, -1, 1, 2)
PAGE = ("position", "tokens_before_share", "share_of_page", "same_container_tokens", "tokens/longest",
        "log_tokens/median", "link_density-page", "vote")
FEATURES = (
    *OWN,
    *[f"{name}@{o:+d}" for o in _OFFSETS for name in _NEIGHBOUR_OWN],
    *PAGE,
)


def feature_matrix(blocks: list[Block], votes: list[bool] | None = None) -> np.ndarray:
    """One row per block, columns :data:`FEATURES` (float64). ``votes``: another engine's keep/drop per block."""
    if not blocks:
        return np.zeros((0, len(FEATURES)))
    own = _own_features(blocks)
    count = len(blocks)
    pick = [OWN.index(name) for name in _NEIGHBOUR_OWN]
    neighbours = []
    for offset in _OFFSETS:
        shifted = np.zeros((count, len(pick)))
        if offset < 0:
            shifted[-offset:] = own[:offset, pick]
        else:
            shifted[:-offset] = own[offset:, pick]
        neighbours.append(shifted)
    tokens = np.array([b.tokens for b in blocks], dtype=np.float64)
    total = tokens.sum()
    before = np.cumsum(tokens) - tokens
    # Tokens in the run of neighbouring blocks with the same tag and depth: paragraphs of one article
    # sit side by side under one parent, while menus and teasers come as short runs.
    run = np.zeros(count)
    start = 0
    for i in range(1, count + 1):
        if i == count or (blocks[i].tag, blocks[i].depth) != (blocks[start].tag, blocks[start].depth):
            run[start:i] = tokens[start:i].sum()
            start = i
    links = np.array([b.link_tokens for b in blocks], dtype=np.float64)
    page = np.column_stack([
        np.arange(count) / max(1, count - 1), before / total, tokens / total, run / total,
        tokens / tokens.max(), np.log(tokens / np.median(tokens)), links / tokens - links.sum() / total,
        np.array(votes, dtype=np.float64) if votes is not None else np.zeros(count),
    ])
    return np.hstack([own, *neighbours, page])


def resiliparse_votes(blocks, main_content: str) -> list[bool]:
    """Per block: is its text (spaces ignored) part of resiliparse's main-content text?"""
    kept = "".join(main_content.split())
    return ["".join(block.text.split()) in kept for block in blocks]
