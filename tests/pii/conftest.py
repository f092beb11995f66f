"""Real texts for the PII tests, read from ../shared/data (never copied into the repository)."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
EXTRACT = DATA / "extract"

#: Real texts that hold real contact data (reviewed by hand): not clean controls.
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
    """Article texts of the extraction data sets, keyed by data set and file."""
    if not EXTRACT.is_dir():
        pytest.skip(f"real data not found at {EXTRACT}")
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


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    return real_texts()


@pytest.fixture(scope="session")
def clean_texts(texts) -> dict[str, str]:
    return {k: v for k, v in texts.items() if k not in KNOWN_PII}


@pytest.fixture(scope="session")
def scrub():
    """A tag-mode stage, set up once for the session (presidio's setup takes a few seconds)."""
    from webcorpus.pii.stage import PiiScrub

    stage = PiiScrub(spans_column=True)
    stage._ensure_setup()
    return stage
