"""presidio, set up once per worker: a blank spaCy pipeline and only the recognizers asked for.

Nothing here touches the network. spaCy models are not on PyPI, so the default
is ``spacy.blank("en")`` (a tokenizer: no tagger, no lemmas, no NER); a model
is loaded only when the user names an installed one. presidio's email
recognizer checks the domain with ``tldextract``, whose default extractor
downloads the public suffix list on first use; :class:`OfflineEmailRecognizer`
uses an extractor bound to the suffix list bundled with tldextract instead.
"""
from __future__ import annotations

import importlib.util
import logging
import re
from bisect import bisect_right
from pathlib import Path
from typing import Iterable, Sequence

from webcorpus.stages.pii.entities import NER_ENTITIES

#: Put between windows analysed in one call: no recognizer pattern crosses a line break and a pilcrow.
SEPARATOR = "\n\u00b6\n"
#: Characters of windows analysed per presidio call (phonenumbers gives up after 65,535 tries a call).
CHUNK_CHARS = 20_000

#: A text that makes every recognizer load what it loads lazily.
WARM_UP = (
    "Call +1 212 736 0100, 020 7946 0958, 030 901820, 01 42 68 53 00, 03-1234567, 98765 43210, "
    "(11) 3071-1234; mail a.b@gmail.com from 84.17.46.2 or 2a02:26f0:fe::5a; card 4539 1488 0343 6467; "
    "IBAN GB29 NWBK 6016 1331 9268 19; SSN 536-22-8761; BTC 1BoatSLRHtKNngkdXEeobR76b53LETtpyT."
)

#: Entity name of the whole-token IBAN recognizer, reported as IBAN_CODE.
IBAN_TOKEN = "IBAN_CODE_WHOLE_TOKEN"

_OFFLINE_EXTRACTOR = None


def offline_extractor():
    """A tldextract extractor that never fetches: bundled suffix list, no cache directory."""
    global _OFFLINE_EXTRACTOR
    if _OFFLINE_EXTRACTOR is None:
        import tldextract

        _OFFLINE_EXTRACTOR = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
    return _OFFLINE_EXTRACTOR


def model_is_installed(name: str) -> bool:
    """True for an importable spaCy model package or a model directory (checked without importing spaCy)."""
    return importlib.util.find_spec(name) is not None if name.isidentifier() else Path(name).is_dir()


def _recognizers(entities: Iterable[str], phone_regions: Sequence[str]) -> list:
    from presidio_analyzer import Pattern
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        CryptoRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    class OfflineEmailRecognizer(EmailRecognizer):
        """presidio's email recognizer, validating domains against the bundled suffix list."""

        def validate_result(self, pattern_text: str) -> bool:
            return offline_extractor()(pattern_text).fqdn != ""

    # presidio's card pattern stops at the 2016 card ranges: no Mastercard 2-series, no 19-digit
    # Visa, no 12-19 digit Maestro, no 15-digit JCB 2131. Same recognizer (Luhn check), more patterns.
    card_patterns = CreditCardRecognizer.PATTERNS + [
        Pattern("Mastercard 2-series", r"\b2(?:2[2-9]\d|[3-6]\d\d|7[01]\d|720)(?:[- ]?\d{4}){3}\b", 0.3),
        Pattern("Visa 19 digits", r"\b4\d{18}\b", 0.3),
        Pattern("Maestro", r"\b(?:5[06-8]|6\d)\d{10,17}\b", 0.3),
        Pattern("JCB 2131", r"\b2131\d{11}\b", 0.3),
    ]

    factories = {
        "EMAIL_ADDRESS": OfflineEmailRecognizer,
        "PHONE_NUMBER": lambda: PhoneRecognizer(supported_regions=tuple(phone_regions)),
        "IP_ADDRESS": IpRecognizer,
        "CREDIT_CARD": lambda: CreditCardRecognizer(patterns=card_patterns),
        "IBAN_CODE": IbanRecognizer,
        "US_SSN": UsSsnRecognizer,
        "CRYPTO": CryptoRecognizer,
    }
    recognizers = [factories[e]() for e in entities if e in factories]
    for recognizer in recognizers:
        if hasattr(recognizer, "global_regex_flags"):
            # What presidio's default registry configures (IBANs are written in lower case too).
            recognizer.global_regex_flags = re.DOTALL | re.MULTILINE | re.IGNORECASE
    if "IBAN_CODE" in entities:
        # presidio's IBAN pattern lets its optional last groups swallow the start of the next word
        # ("... 1016 Parts", and any word when case is ignored), and the checksum then fails. A twin
        # with one group that must end the token finds those; hits are the union. It reports under its
        # own name, or presidio would drop its hit as contained in the other's longer (refused) one.
        whole_token = Pattern(
            "IBAN whole token",
            r"(?<![A-Z0-9])([A-Z]{2}[0-9]{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?)(?![A-Za-z0-9])",
            0.5,
        )
        recognizers.append(
            IbanRecognizer(patterns=[whole_token], name="IbanRecognizerWholeToken", supported_entity=IBAN_TOKEN)
        )
    return recognizers


def _blank_nlp_engine(model: str | None = None):
    import spacy
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model or "blank"}])
    # Set the pipeline directly: SpacyNlpEngine.load() would try to download a missing model.
    engine.nlp = {"en": spacy.load(model) if model else spacy.blank("en")}
    return engine


def _analyzer(recognizers: list, nlp_engine, context_words: bool = True):
    """presidio's engine with these recognizers; ``context_words=False`` leaves scores as recognizers give them."""
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry

    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in recognizers:
        registry.add_recognizer(recognizer)
    enhancer = None if context_words else _scores_as_found()
    return AnalyzerEngine(
        registry=registry, nlp_engine=nlp_engine, supported_languages=["en"], context_aware_enhancer=enhancer
    )


def _scores_as_found():
    """A context enhancer that changes no score (what presidio's does where there are no lemmas)."""
    from presidio_analyzer.context_aware_enhancers import ContextAwareEnhancer

    class ScoresAsFound(ContextAwareEnhancer):
        def __init__(self):
            super().__init__(context_similarity_factor=0, min_score_with_context_similarity=0,
                             context_prefix_count=0, context_suffix_count=0)

        def enhance_using_context(self, text, raw_results, nlp_artifacts, recognizers, context=None):
            return raw_results

    return ScoresAsFound()


class WindowAnalyzer:
    """Runs presidio's pattern recognizers over many short windows, several windows per call."""

    def __init__(self, entities: Sequence[str], phone_regions: Sequence[str]):
        logging.getLogger("presidio-analyzer").setLevel(logging.ERROR)
        # No lemmas, so presidio's context enhancer could change no score: skip it (see untokenized_artifacts).
        self.engine = _analyzer(_recognizers(entities, phone_regions), _blank_nlp_engine(), context_words=False)
        self.no_tokens = untokenized_artifacts()
        self.one_region = None
        from presidio_analyzer.predefined_recognizers import PhoneRecognizer

        #: The score of every phone hit (fixed by the recognizer; no context words raise it here).
        self.phone_score = PhoneRecognizer.SCORE
        if "PHONE_NUMBER" in entities and len(phone_regions) > 1:
            one = _recognizers(["PHONE_NUMBER"], phone_regions[:1])
            self.one_region = _analyzer(one, _blank_nlp_engine(), context_words=False)
        # phonenumbers loads each region's metadata and compiles its patterns on first use: do it
        # here, once per worker, instead of inside the first batch.
        self.engine.analyze(WARM_UP, language="en", entities=_with_aliases(entities), nlp_artifacts=self.no_tokens)

    def analyze(
        self, texts: Sequence[str], entities: Sequence[str], plus_phones: Sequence[list] | None = None
    ) -> list[list[tuple[str, int, int, float]]]:
        """For each text, the (entity, start, end, score) presidio finds in it, in presidio's order.

        ``plus_phones``: for each text, the (start, end) of its phone candidates, given only when every
        one of them starts with ``+``. Such a number, read whole, is read by its country code whatever
        the region, so every region's matcher finds the same span there and nothing else overlapping
        it: the phone recognizer then runs with one region, and again with all of them for any text
        where that one region did not read every candidate whole (see ``_read_whole``). Matches that
        overlap no candidate are thrown away by the caller either way.
        """
        phone = "PHONE_NUMBER"
        if plus_phones is None or self.one_region is None or phone not in entities:
            return [_reported(hits) for hits in self._run(self.engine, texts, entities)]
        others = [e for e in entities if e != phone]
        results = self._run(self.engine, texts, others) if others else [[] for _ in texts]
        phones = self._run(self.one_region, texts, [phone])
        again = [i for i, hits in enumerate(phones) if not _read_whole(plus_phones[i], hits)]
        for i, hits in zip(again, self._run(self.engine, [texts[i] for i in again], [phone])):
            phones[i] = hits
        # presidio's results per entity do not depend on the other entities' (it resolves overlaps
        # within an entity), and one call returns them sorted by entity, start, longest, best score.
        return [_reported(sorted(a + b, key=_presidio_order)) for a, b in zip(results, phones)]

    def _run(self, engine, texts: Sequence[str], entities: Sequence[str]) -> list[list[tuple]]:
        results: list[list] = [[] for _ in texts]
        for chunk in _chunks([len(t) for t in texts]):
            offsets, parts, pos = [], [], 0
            for i in chunk:
                offsets.append(pos)
                parts.append(texts[i])
                pos += len(texts[i]) + len(SEPARATOR)
            joined = SEPARATOR.join(parts)
            found = engine.analyze(joined, language="en", entities=_with_aliases(entities), nlp_artifacts=self.no_tokens)
            for r in found:
                k = bisect_right(offsets, r.start) - 1
                start, end = r.start - offsets[k], r.end - offsets[k]
                if end <= len(texts[chunk[k]]):  # nothing spans a separator, but be sure
                    results[chunk[k]].append((r.entity_type, start, end, r.score))
        return results


def _read_whole(candidates: Sequence[tuple[int, int]], hits: Sequence[tuple]) -> bool:
    """Every candidate was matched from its ``+`` to its end or beyond (so not cut into inner matches)."""
    return all(any(h[1] == start and h[2] >= end for h in hits) for start, end in candidates)


def _presidio_order(hit: tuple) -> tuple:
    entity, start, end, score = hit
    return (entity, start, -(end - start), -score)


def _reported(hits: list[tuple]) -> list[tuple]:
    """The whole-token IBAN recognizer's hits under their entity's name."""
    return [("IBAN_CODE" if h[0] == IBAN_TOKEN else h[0], *h[1:]) for h in hits]


def untokenized_artifacts():
    """NLP artifacts of no tokens, for presidio's pattern recognizers on windows.

    The pattern recognizers never read the artifacts; presidio's context enhancer reads only their
    lemmas, and a blank spaCy pipeline has no lemmatizer (every lemma is ``""``), so it can never find
    a context word there. Handing presidio no tokens gives the same results without tokenizing every
    window and scanning its tokens once per hit (half of the stage's time on long pages with values).
    ``tests/stages/pii/test_engine_artifacts.py`` checks the two give the same results.
    """
    from presidio_analyzer.nlp_engine import NlpArtifacts

    return NlpArtifacts(entities=[], tokens=[], tokens_indices=[], lemmas=[], nlp_engine=None, language="en")


def _with_aliases(entities: Sequence[str]) -> list[str]:
    return list(entities) + ([IBAN_TOKEN] if "IBAN_CODE" in entities else [])


def _chunks(lengths: Sequence[int]) -> list[list[int]]:
    chunks, current, size = [], [], 0
    for i, n in enumerate(lengths):
        if current and size + n > CHUNK_CHARS:
            chunks.append(current)
            current, size = [], 0
        current.append(i)
        size += n + len(SEPARATOR)
    if current:
        chunks.append(current)
    return chunks


class NerAnalyzer:
    """PERSON and LOCATION with a trained spaCy model, over the whole document (no screen can find names)."""

    #: spaCy refuses texts over ``nlp.max_length``; long documents go in pieces cut at whitespace.
    PIECE = 100_000

    def __init__(self, model: str, entities: Sequence[str]):
        from presidio_analyzer.predefined_recognizers import SpacyRecognizer

        self.entities = [e for e in entities if e in NER_ENTITIES]
        recognizer = SpacyRecognizer(supported_entities=list(self.entities))
        self.engine = _analyzer([recognizer], _blank_nlp_engine(model))

    def analyze(self, text: str) -> list[tuple[str, int, int, float]]:
        out = []
        for offset, piece in _pieces(text, self.PIECE):
            for r in self.engine.analyze(piece, language="en", entities=self.entities):
                out.append((r.entity_type, r.start + offset, r.end + offset, r.score))
        return out


def _pieces(text: str, size: int):
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > start else end
        yield start, text[start:end]
        start = end
