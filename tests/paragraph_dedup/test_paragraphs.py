"""Paragraphs of a batch (keys, line numbers, short lines) and a text without some of its lines."""
from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest

from webcorpus.paragraph_dedup.paragraphs import normalize, paragraphs, without_lines

from tests.dedup.helpers import DATA, context, read_all, write_shards
from tests.paragraph_dedup.helpers import reference_normalize
from webcorpus.paragraph_dedup.stage import DedupParagraphs

LINE_FIXTURES = DATA / "dedup" / "cs336-fixtures" / "fixtures"


def test_case_whitespace_and_punctuation_do_not_count_letters_and_digits_do():
    lines = ["Sign up for our NEWSLETTER!", "  sign up, for our newsletter ", "« Sign\u00a0up for our newsletter »",
             "Sign up for our newsletters", "Page 1 of 3", "Page 2 of 3", "ﬁnal results", "final results"]
    assert normalize(pa.array(lines)).to_pylist() == [reference_normalize(line) for line in lines]
    keys = paragraphs(pa.array(["\n".join(lines)]), min_words=1).key.tolist()
    assert keys[0] == keys[1] == keys[2] and len(set(keys[2:6])) == 4 and keys[6] == keys[7]


def test_line_numbers_count_every_line_and_short_lines_are_counted_apart():
    texts = pa.array(["Title\n\nA first paragraph of words.\r\nAnother paragraph, also long enough.", None, "", "one two three four"])
    found = paragraphs(texts, min_words=4)
    assert list(zip(found.doc.tolist(), found.line.tolist())) == [(0, 2), (0, 3), (3, 0)]
    assert found.short == 1  # "Title"; the blank lines, the null and the empty text are not paragraphs


@pytest.mark.parametrize("text, removed, expected", [
    ("A\n\nB\n\nC", [2], "A\n\nC"),  # a middle paragraph and one of its blank separators
    ("A\n\nB\n\nC", [0], "B\n\nC"),  # the first: the blank after it goes
    ("A\n\nB\n\nC", [4], "A\n\nB"),  # the last: the blank before it goes
    ("A\n\nB\n\nC\n\nD", [2, 4], "A\n\nD"),  # two removed with a blank between: one block
    ("A\n\nB", [0, 2], ""),
    ("A\nB\n\nC", [1], "A\n\nC"),  # the longer separation stays
    ("A\n\n\nB\n\nC", [3], "A\n\n\nC"),
    ("A\nB\nC", [1], "A\nC"),  # lines without blank separators
    ("\n\nA\n\nB\n", [2], "\n\nB\n"),  # the blank lines the text began and ended with stay
    ("A\n\nB\n", [2], "A\n"),
])
def test_a_removed_line_takes_one_separator_along(text, removed, expected):
    assert without_lines(text, removed) == (expected, sum(len(text.split("\n")[i]) for i in removed))


def test_cs336_line_fixtures_every_repeated_line_stays_once(tmp_path):
    """CS336's exact line dedup removes every copy of a repeated line; the stage keeps one copy, in the
    document of smallest id hash: the kept lines are CS336's plus exactly one copy of each repeated line."""
    given = {p.stem: p.read_text(encoding="utf-8") for p in sorted((LINE_FIXTURES / "documents_with_line_duplicates").glob("*.txt"))}
    expected = {p.stem: p.read_text(encoding="utf-8") for p in sorted((LINE_FIXTURES / "documents_line_deduplicated").glob("*.txt"))}
    inputs = write_shards(tmp_path / "in", [{"id": name, "text": text} for name, text in given.items()], 2)
    outputs = DedupParagraphs(min_words=1, min_document_words=0).execute(context(tmp_path, inputs))
    kept = {row["id"]: row["text"] for row in read_all(outputs)}
    assert set(kept) == set(given) and len(given) == 5
    every = Counter(line for text in given.values() for line in set(text.splitlines()) if line.strip())
    repeated = {line for line, n in every.items() if n > 1}
    unique_kept = Counter(line for text in kept.values() for line in text.splitlines() if line in repeated)
    assert repeated and unique_kept == Counter({line: 1 for line in repeated})
    for name, text in kept.items():
        assert [line for line in text.splitlines() if line not in repeated] == expected[name].splitlines()
