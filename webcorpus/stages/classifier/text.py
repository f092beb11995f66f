"""How a document's text becomes the one line a fastText classifier reads.

DCLM's rule (its ``classify_fasttext_hq_prob``): strip the text, cut it into lines with Python's
``str.splitlines`` (so ``\\r``, ``\\x0b``, ``\\x0c``, ``\\x1c``-``\\x1e``, ``\\x85``, U+2028 and U+2029
end a line too) and join the lines with single spaces. Nothing else: no lower-casing, no
punctuation splitting, no truncation; fastText itself cuts the line into words at whitespace. The
same rule prepares the training examples of ``train_quality_classifier`` and every text
``quality_classifier`` scores, so a model trained here and DCLM's released model see text alike.
(datatrove's ``FastTextClassifierFilter`` instead replaces ``\\n`` with its ``newline_replacement``,
by default nothing; for fastText, which splits on whitespace, the difference is only where two
words would be glued together.)
"""
from __future__ import annotations


def prepare(text: str) -> str:
    """The single line the classifier reads for ``text`` (DCLM's rule, see the module's docstring)."""
    return " ".join(text.strip().splitlines())


def example_line(label: str, text: str) -> str:
    """A fastText training line: the label, a space, the prepared text (an empty text gives the label alone)."""
    return f"{label} {prepare(text)}\n"
