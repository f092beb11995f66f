"""The ``blocks`` engine: a page read as a reader's blocks, a learned block classifier, its training.

Quality is checked the honest way: a model trained on two of the sets in ../shared/data/extract extracts the
pages of the third, which it never saw."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from webcorpus.documents import from_rows
from webcorpus.readers.charset import decode_html
from webcorpus.stages.extract import Extract
from webcorpus.stages.extract.blocks import CONTEXT_TAGS, FEATURES, blocks_of, feature_matrix
from webcorpus.stages.extract.engines import _blocks, make_engine
from webcorpus.stages.extract.model import MODEL_PATH, fit_pages, label_blocks, load, training_rows

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
from extract_quality import decode, load_pages, score  # noqa: E402  (one loader and one metric for tests and benchmarks)
from train_extract_model import train  # noqa: E402

READABILITY = ROOT / ".." / "shared" / "data" / "extract" / "readability-testpages" / "test-pages"


@pytest.fixture(scope="module")
def pages():
    return list(load_pages())


@pytest.fixture(scope="module")
def rows(pages):
    return {(p.dataset, p.name): training_rows(decode(p.html), p.truth, p.dataset) for p in pages}


def test_blocks_follow_the_layout_a_reader_sees():
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<nav class='site-menu'><ul><li><a href='/'>Home</a></li><li><a href='/news'>News</a></li></ul></nav>"
        "<div class='article-body'><h1>A <em>real</em> headline</h1>"
        "<p>First line\n of a paragraph,<br>second line with <a href='x'>a link</a>.</p>"
        "<script>var hidden = 1;</script><pre>code  line 1\ncode line 2</pre></div></body></html>"
    )
    blocks = blocks_of(html)
    assert [b.text for b in blocks] == [
        "Home", "News", "A real headline",
        "First line of a paragraph,\nsecond line with a link.", "code line 1\ncode line 2",
    ]
    home, _, heading, paragraph, _ = blocks
    assert home.tag == "li" and home.link_tokens == home.tokens == 1 and home.negative == 1
    assert home.context[CONTEXT_TAGS.index("nav")] == 1 and paragraph.context[CONTEXT_TAGS.index("nav")] == 0
    assert heading.tag == "h1" and heading.positive == 1 and heading.negative == 0
    assert paragraph.tokens == 10 and paragraph.link_tokens == 2
    x = feature_matrix(blocks, [False, False, True, True, True])
    assert x.shape == (5, len(FEATURES)) and np.isfinite(x).all()
    assert blocks_of("") == [] and blocks_of("   ") == []


def test_labels_come_from_aligning_blocks_with_the_gold_text():
    blocks = blocks_of("<div><p>Home page</p><p>The mayor opened the new bridge on Monday morning!</p>"
                       "<p>Share this story on every network</p><p>Traffic was</p></div>")
    gold = "The mayor opened the new bridge on Monday morning. Traffic was heavy on page one, near home."
    # "home" and "page" are in the gold text, but not side by side
    assert label_blocks(blocks, gold).tolist() == [0.0, 1.0, 0.0, 1.0]


def test_the_shipped_model_is_reproduced_byte_for_byte_by_its_training_script():
    assert train() == MODEL_PATH.read_text(encoding="utf-8")
    assert MODEL_PATH.stat().st_size < 100_000
    assert load().first.weights.shape == (len(FEATURES),)


def test_on_a_dataset_it_never_saw_the_engine_keeps_the_article(pages, rows):
    """Trained on scrapinghub-aeb and readability-testpages only, scored on newspaper-fulltext."""
    model = fit_pages([rows[(p.dataset, p.name)] for p in pages if p.dataset != "newspaper-fulltext"])
    engine = _blocks(False, model=model)
    unseen = [p for p in pages if p.dataset == "newspaper-fulltext"]
    texts = [engine(decode(p.html), None) for p in unseen]
    assert all(t and t.strip() for t in texts)  # never empty for a page with an article
    f1 = np.mean([score(t, p.truth)[2] for t, p in zip(texts, unseen)])
    assert f1 >= 0.88, f1


def test_output_is_a_readers_text_without_navigation():
    html = decode_html((READABILITY / "001" / "source.html").read_bytes())[0]
    text = make_engine("blocks")(html, None)
    lines = text.split("\n")
    assert lines[0] == "Get your Frontend JavaScript Code Covered"  # the headline, on its own line
    assert ("The idea behind code coverage is to record which parts of your code (functions, statements, "
            "conditionals and so on) have been executed by your test suite,") in lines[2]  # one paragraph, one line
    assert "(1) Think of a noun" in lines  # list items kept, one per line
    assert "Nicolas Perriault's homepage" not in text


def test_same_text_in_process_and_in_the_child_process(pages):
    batch = from_rows([{"id": str(i), "url": None, "html": decode(p.html)} for i, p in enumerate(pages[::40])])
    sandboxed = Extract(engine="blocks")(batch)
    in_process = Extract(engine="blocks", timeout=None)(batch)
    assert sandboxed.column("text").to_pylist() == in_process.column("text").to_pylist()
    assert sandboxed.num_rows == batch.num_rows
