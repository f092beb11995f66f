"""The words of a text and a page's main-content text, as every engine and the block classifier count them."""
from __future__ import annotations

import re
from typing import Callable

# Scripts written without spaces count one token per character (so thresholds work for CJK and Thai).
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W_{_UNSPACED}]+")


def count_tokens(line: str) -> int:
    """How many tokens ``line`` has (a word, or one character of a script written without spaces)."""
    return len(_TOKEN.findall(line))


def lower_tokens(text: str) -> list[str]:
    """The tokens of ``text``, lower-cased (as the extraction benchmark's token bags count them)."""
    return _TOKEN.findall(text.lower())


def resiliparse_main_content(include_comments: bool) -> Callable[[str], str]:
    """resiliparse's main-content text, block elements on their own lines (no trimming)."""
    from resiliparse.extract.html2text import extract_plain_text

    def extract(html: str) -> str:
        return extract_plain_text(html, main_content=True, comments=include_comments, preserve_formatting=True)

    return extract
