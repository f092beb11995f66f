"""The fast paths of the quality filters agree with the plain definitions they replace."""
import numpy as np

from webcorpus.stages.quality.gopher_quality import count_alpha_tokens
from webcorpus.stages.quality.gopher_repetition import GopherRepetition, _NgramHashes, ngram_hashes

TRICKY = ["", "   ", "a", "12 34", "½ ² x1 ...", "\u00a0é\u2003ß\tд 3 —", "a\x1cb\x1dc \u2028 d", "日本語 テスト １２",
          "\U0001d400\U0001d401 \U0001f600 x", "\U0001f600\U0001f600 \U00020000 1", "\U0001f600"]  # above the BMP: letters, emoji


def test_count_alpha_tokens_matches_definition():
    for text in TRICKY:
        assert count_alpha_tokens(text) == sum(any(c.isalpha() for c in t) for t in text.split())


def test_incremental_ngram_hashes_equal_direct():
    ids = np.array([0, 1, 2, 0, 1, 2, 3, 0, 1], dtype=np.uint64)
    hashes = _NgramHashes(ids)
    for n in (2, 3, 4, 5, 6, 7, 8, 9):
        assert np.array_equal(hashes.get(n), ngram_hashes(ids, n))


def test_repetition_reasons_pinned():
    f = GopherRepetition()
    f.setup()
    assert f.check("one two three four five six seven eight nine ten eleven twelve") is None
    assert f.check("same line here\nsame line here\nsame line here\nother") == "dup_line_ratio"
    assert f.check("a b " * 40) == "top_2gram_ratio"
