"""The ``pii`` stage: scrub personal data from ``text`` with presidio, screened for speed."""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Annotated, Literal

import pyarrow as pa

from webcorpus.documents import TEXT
from webcorpus.stages.pii import validate
from webcorpus.stages.pii.entities import ALL_ENTITIES, BLANK_PIPELINE_NOTE, NER_ENTITIES, PATTERN_ENTITIES
from webcorpus.stages.pii.replace import Replacer
from webcorpus.stages.pii.screen import find_candidates, windows_for
from webcorpus.stages.base import Stage
from webcorpus.stages.base import OptionError

logger = logging.getLogger(__name__)

SPANS = "pii_spans"
SPAN_TYPE = pa.list_(pa.struct([("entity", pa.string()), ("start", pa.int64()), ("end", pa.int64())]))
PHONE = "PHONE_NUMBER"
DEFAULT_PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR")  # presidio's own default

_noted_blank_pipeline = False


class PiiScrub(Stage):
    """Replace emails, phone numbers, IPs, card and bank numbers, SSNs and crypto wallets in ``text``.
    PERSON and LOCATION need ``spacy_model``, an installed spaCy model: without one, PERSON and
    LOCATION are not detected (a blank spaCy pipeline has no named-entity recognizer).

    presidio-analyzer's recognizers run only where a cheap screen finds a candidate, and every hit is
    checked against its document (dates, versions, ISBNs, prices and decimals are not phone numbers).
    Counters: ``pii:<ENTITY>`` values replaced, ``pii:rejected:<ENTITY>`` recognizer hits refused,
    ``pii:documents_changed``, and ``pii:oversized_candidates`` / ``pii:candidates_over_limit`` for what
    the screen skipped in absurd documents.
    """

    name = "pii"
    requires = {
        "presidio_analyzer": "presidio-analyzer",
        "spacy": "spacy",
        "phonenumbers": "phonenumbers",
        "tldextract": "tldextract",
    }

    def __init__(
        self,
        entities: Annotated[
            list[str] | None,
            "entities to scrub (default: EMAIL_ADDRESS PHONE_NUMBER IP_ADDRESS CREDIT_CARD IBAN_CODE US_SSN "
            "CRYPTO, plus PERSON LOCATION when spacy_model is set)",
        ] = None,
        spacy_model: Annotated[
            str | None,
            "installed spaCy model (package name or directory) for PERSON and LOCATION; without it those "
            "two are not found (blank pipeline, no NER)",
        ] = None,
        replace: Annotated[Literal["tag", "fake"], "'tag' writes <EMAIL_ADDRESS>; 'fake' a stand-in such as email@example.com"] = "tag",
        replace_per_entity: Annotated[
            dict[str, str] | None, "per-entity override: 'tag', 'fake' or a literal replacement text"
        ] = None,
        spans_column: Annotated[bool, "add a 'pii_spans' column: list of {entity, start, end} in the new text"] = False,
        public_ips_only: Annotated[bool, "scrub only globally routable IPs (keep 127.0.0.1, 192.168.x.x, ...)"] = True,
        phone_regions: Annotated[
            list[str] | None, "regions whose national formats count as phone numbers (default: US GB DE FR IL IN CA BR)"
        ] = None,
        max_candidates: Annotated[int, "candidates examined per document; the rest are counted and left"] = 10_000,
    ):
        if spacy_model is not None:
            from webcorpus.stages.pii.engine import model_is_installed

            if not model_is_installed(spacy_model):
                raise OptionError(
                    "spacy_model",
                    f"spacy_model {spacy_model!r} is not an installed spaCy package or model directory "
                    "(spaCy models are not on PyPI: install the model's wheel, or leave spacy_model out)",
                )
        if entities is None:
            entities = list(PATTERN_ENTITIES) + (list(NER_ENTITIES) if spacy_model else [])
        unknown = [e for e in entities if e not in ALL_ENTITIES]
        if unknown:
            raise OptionError(
                "entities", f"entities: unknown entity {unknown[0]!r}", sorted(ALL_ENTITIES)
            )
        needs_model = [e for e in entities if e in NER_ENTITIES]
        if needs_model and spacy_model is None:
            raise OptionError(
                "entities", f"entities: {', '.join(needs_model)} need spacy_model (a blank pipeline has no NER)"
            )
        overrides = dict(replace_per_entity or {})
        unknown = [e for e in overrides if e not in ALL_ENTITIES]
        if unknown:
            raise OptionError("replace_per_entity", f"replace_per_entity: unknown entity {unknown[0]!r}")
        regions = list(phone_regions) if phone_regions is not None else list(DEFAULT_PHONE_REGIONS)
        import phonenumbers

        bad = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
        if bad or not regions:
            raise OptionError("phone_regions", f"phone_regions: {bad[0] if bad else 'empty'} is not a region code")
        if max_candidates < 1:
            raise OptionError("max_candidates", "max_candidates must be at least 1")
        self.entities = list(dict.fromkeys(entities))
        self.spacy_model = spacy_model
        self.replace = replace
        self.replace_per_entity = overrides
        self.spans_column = spans_column
        self.public_ips_only = public_ips_only
        self.phone_regions = regions
        self.max_candidates = max_candidates
        _note_blank_pipeline(spacy_model)

    def setup(self) -> None:
        from webcorpus.stages.pii.engine import NerAnalyzer, WindowAnalyzer

        pattern = [e for e in self.entities if e in PATTERN_ENTITIES]
        self._pattern = frozenset(pattern)
        self._windows = WindowAnalyzer(pattern, self.phone_regions) if pattern else None
        ner = [e for e in self.entities if e in NER_ENTITIES]
        self._ner = NerAnalyzer(self.spacy_model, ner) if ner else None
        self._replacer = Replacer(self.replace, self.replace_per_entity)

    def process(self, batch: pa.Table) -> pa.Table:
        if TEXT not in batch.column_names:
            raise KeyError("the pii stage needs a 'text' column (run extraction first)")
        texts = batch.column(TEXT).to_pylist()
        found = self.find(texts)
        new_texts, spans, changed = [], [], 0
        for i, text in enumerate(texts):
            if text is None or not found[i]:
                new_texts.append(text)
                spans.append([])
                continue
            new_text, doc_spans = self._rewrite(text, found[i])
            changed += 1
            new_texts.append(new_text)
            spans.append(doc_spans)
        if changed:
            self.count("pii:documents_changed", changed)
        column = batch.schema.get_field_index(TEXT)
        batch = batch.set_column(column, batch.schema.field(column), pa.array(new_texts, batch.schema.field(column).type))
        if self.spans_column:
            array = pa.array(spans, SPAN_TYPE)
            if SPANS in batch.column_names:
                batch = batch.set_column(batch.schema.get_field_index(SPANS), SPANS, array)
            else:
                batch = batch.append_column(SPANS, array)
        return batch

    def find(self, texts: list[str | None]) -> list[list[tuple[str, int, int, float]]]:
        """Per document, the accepted (entity, start, end, score) spans, non-overlapping, in order."""
        found: list[list] = [[] for _ in texts]
        windows = []
        for i, text in enumerate(texts):
            if not text or self._windows is None:
                continue
            screened = find_candidates(text, self._pattern, self.public_ips_only, self.max_candidates)
            if screened.oversized:
                self.count("pii:oversized_candidates", screened.oversized)
            if screened.over_limit:
                self.count("pii:candidates_over_limit", screened.over_limit)
                self.count("pii:documents_over_limit")
            windows.extend(windows_for(i, text, screened.candidates))
        # Everything but phone numbers first: a phone hit (always presidio's PhoneRecognizer.SCORE) that
        # overlaps a kept span of a higher score can never be kept, so a phone candidate wholly under
        # such spans (the digits of a card, an IBAN, an SSN, an IP) needs no phone recognizer at all.
        groups = defaultdict(list)
        for window in windows:
            others = frozenset(window.entities - {PHONE})
            if others:
                groups[others, False].append(window)
        self._analyze(texts, groups, found)
        phone_score = self._windows.phone_score
        groups = defaultdict(list)
        above: dict[int, list] = {}  # per document, the kept spans that beat any phone hit
        for window in windows:
            if PHONE not in window.entities:
                continue
            if window.doc not in above:
                above[window.doc] = [s for s in _non_overlapping(found[window.doc]) if s[3] > phone_score]
            phones = [c for c in window.candidates if PHONE in c.entities and not _covered(c, above[window.doc])]
            if phones:
                plus_only = all(texts[window.doc][c.start] == "+" for c in phones)
                groups[frozenset([PHONE]), plus_only].append(window)
        self._analyze(texts, groups, found)
        if self._ner is not None:
            for i, text in enumerate(texts):
                if text:
                    found[i].extend(self._ner.analyze(text))
        return [_non_overlapping(spans) for spans in found]

    def _analyze(self, texts: list[str | None], groups: dict, found: list[list]) -> None:
        """presidio on each group of windows (keyed by entities and whether its phones all start with
        ``+``); hits that overlap a candidate of their entity and pass the checks go into ``found``."""
        for (entities, plus_only), group in groups.items():
            plus_phones = [_phone_spans(w) for w in group] if plus_only else None
            hits = self._windows.analyze([texts[w.doc][w.start : w.end] for w in group], sorted(entities), plus_phones)
            for window, window_hits in zip(group, hits):
                text = texts[window.doc]
                for entity, start, end, score in window_hits:
                    start, end = start + window.start, end + window.start
                    if not any(c.start < end and start < c.end and entity in c.entities for c in window.candidates):
                        continue  # a match on context text belongs to another window, or to none
                    if validate.reject_reason(entity, text, start, end, self.public_ips_only):
                        self.count(f"pii:rejected:{entity}")
                        continue
                    found[window.doc].append((entity, start, end, score))

    def _rewrite(self, text: str, spans: list) -> tuple[str, list[dict]]:
        parts, out_spans, pos, length = [], [], 0, 0
        for entity, start, end, _ in spans:
            parts.append(text[pos:start])
            length += start - pos
            replacement = self._replacer(entity, text[start:end])
            parts.append(replacement)
            out_spans.append({"entity": entity, "start": length, "end": length + len(replacement)})
            length += len(replacement)
            pos = end
            self.count(f"pii:{entity}")
        parts.append(text[pos:])
        return "".join(parts), out_spans


def _phone_spans(window) -> list[tuple[int, int]]:
    """The window's phone candidates, as offsets in the window's text."""
    return [(c.start - window.start, c.end - window.start) for c in window.candidates if PHONE in c.entities]


def _covered(candidate, spans: list) -> bool:
    """Every character of the candidate lies in one of these non-overlapping spans."""
    pos = candidate.start
    for _, start, end, _ in sorted(spans, key=lambda s: s[1]):
        if start <= pos < end:
            pos = end
        if pos >= candidate.end:
            return True
    return False


def _non_overlapping(spans: list) -> list:
    """Keep the best of overlapping spans (highest score, then longest), in text order."""
    kept: list = []
    for span in sorted(spans, key=lambda s: (-s[3], s[1] - s[2], s[1])):
        if all(span[2] <= k[1] or k[2] <= span[1] for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s[1])


def _note_blank_pipeline(spacy_model: str | None) -> None:
    global _noted_blank_pipeline
    if spacy_model is None and not _noted_blank_pipeline:
        _noted_blank_pipeline = True
        logger.info("pii: %s", BLANK_PIPELINE_NOTE)  # also in `webcorpus stages pii` and docs/pii.md
