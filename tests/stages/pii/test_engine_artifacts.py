"""The window analyzer skips spaCy and presidio's context enhancer: it must find exactly what they find.

The reference is presidio's engine as people build it (the blank spaCy pipeline tokenizes every text,
the lemma context enhancer runs), with the stage's recognizers, on the windows the stage's screen cuts
from real texts with planted values of every entity.
"""
from __future__ import annotations

import pytest

from benchmarks.pii_corpus import ENTITIES, planted_documents


@pytest.fixture(scope="module")
def windows(texts):
    from webcorpus.stages.pii.screen import find_candidates, windows_for

    docs = planted_documents(dict(sorted(texts.items())[:160]), per_document=4, seed=5)
    out = []
    for i, doc in enumerate(docs):
        found = find_candidates(doc["text"], frozenset(ENTITIES))
        out += [(doc["text"][w.start : w.end], sorted(w.entities)) for w in windows_for(i, doc["text"], found.candidates)]
    return out


def test_window_analyzer_finds_what_presidio_with_spacy_and_context_finds(windows):
    from webcorpus.stages.pii.engine import WindowAnalyzer, _analyzer, _blank_nlp_engine, _recognizers, _with_aliases

    fast = WindowAnalyzer(ENTITIES, ["US", "GB", "DE", "FR", "IL", "IN", "CA", "BR"])
    reference = _analyzer(_recognizers(ENTITIES, ["US", "GB", "DE", "FR", "IL", "IN", "CA", "BR"]), _blank_nlp_engine())
    assert len(windows) > 400 and {e for _, entities in windows for e in entities} == set(ENTITIES)
    hits = 0
    for text, entities in windows:
        expected = sorted(
            (r.entity_type, r.start, r.end, r.score)
            for r in reference.analyze(text, language="en", entities=_with_aliases(entities))
        )
        got = sorted(
            (r.entity_type, r.start, r.end, r.score)
            for r in fast.engine.analyze(text, language="en", entities=_with_aliases(entities), nlp_artifacts=fast.no_tokens)
        )
        assert got == expected, text
        hits += len(expected)
    assert hits > 400


#: Numbers with a "+" that are not valid read whole, or run on into more digits: the one-region reading
#: must fall back to every region for their windows.
ODD_PLUS = [
    "Call +49 30 901820 / 030 901820 today.",
    "Tel +1 (212) 736-0100 x123 or +1 212 736 01001.",
    "Fax: +33 1 42 68 53 00 00 12",
    "Dial +999 123 4567 890 now; +44 20 7946 0958 020 7946 0958.",
    "Mobile +91 98765 43210, office (11) 3071-1234.",
]


def presidio_on_each_window(texts: list[str]) -> list[list[tuple]]:
    """The stage's plan done plainly: presidio's full engine (spaCy, context words, all eight regions)
    on each window alone with every entity of its candidates, then the same overlap rule and checks."""
    from webcorpus.stages.pii import validate
    from webcorpus.stages.pii.engine import IBAN_TOKEN, _analyzer, _blank_nlp_engine, _recognizers, _with_aliases
    from webcorpus.stages.pii.scrub import DEFAULT_PHONE_REGIONS, _non_overlapping
    from webcorpus.stages.pii.screen import find_candidates, windows_for

    engine = _analyzer(_recognizers(ENTITIES, DEFAULT_PHONE_REGIONS), _blank_nlp_engine())
    out = []
    for text in texts:
        found = []
        for window in windows_for(0, text, find_candidates(text, frozenset(ENTITIES)).candidates):
            piece = text[window.start : window.end]
            for r in engine.analyze(piece, language="en", entities=_with_aliases(sorted(window.entities))):
                entity = "IBAN_CODE" if r.entity_type == IBAN_TOKEN else r.entity_type
                start, end = r.start + window.start, r.end + window.start
                if any(c.start < end and start < c.end and entity in c.entities for c in window.candidates):
                    if not validate.reject_reason(entity, text, start, end, True):
                        found.append((entity, start, end, r.score))
        out.append(_non_overlapping(found))
    return out


def test_stage_finds_what_presidio_finds_on_each_window_with_every_region(texts):
    """Windows joined per call, no spaCy tokens, phones with one region where they start with '+', and
    no phone recognizer under a card, IBAN, SSN or IP: the same spans as the plain plan."""
    from webcorpus.stages.pii.scrub import PiiScrub

    docs = [d["text"] for d in planted_documents(dict(sorted(texts.items())[:200]), per_document=5, seed=11)]
    docs += [odd + " " + doc for odd, doc in zip(ODD_PLUS * 8, docs)]
    stage = PiiScrub()
    stage._ensure_setup()
    expected = presidio_on_each_window(docs)
    assert stage.find(docs) == expected
    kinds = {s[0] for spans in expected for s in spans}
    assert kinds == set(ENTITIES)
    assert sum(1 for spans in expected for s in spans if s[0] == "PHONE_NUMBER") > 150
