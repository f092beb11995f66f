"""C4 cleaning (Raffel et al. 2020, section 2.2): rewrite each page line by line, then judge the page.

Lines are removed when they do not end in terminal punctuation (``.``, ``!``,
``?``, ``"``; a trailing ellipsis does not count), have fewer than 5 words,
mention "javascript", carry a policy notice ("terms of use", "privacy policy",
"cookie policy", "uses cookies", "use of cookies", "use cookies"), or hold a
word longer than 1,000 characters (from the C4 reference code). Wikipedia
citation markers (``[1]``, ``[citation needed]``) are removed from lines.
A page is dropped when it contains "lorem ipsum" or a curly brace, or keeps
fewer than 3 sentences after cleaning.

The paper's 3 sentences / 5 words differ from datatrove's C4 filter (5 sentences
/ 3 words, used for FineWeb); pipelines/fineweb-en.yaml sets FineWeb's values.
The "bad words" list rule is not applied.

``flavor: fineweb`` applies datatrove's C4QualityFilter (FineWeb): lines are ``str.splitlines()``;
the long-word rule comes first and the word count is taken before citation markers (only ``[1]``,
``[]``, ``[edit]``, ``[citation needed]``) are removed; terminal punctuation is ``. ? ! " '``;
"lorem ipsum" and ``{`` are looked for in kept lines only, in rule order; sentences are counted per
kept line as spaCy's sentencizer splits them (:mod:`.fineweb_text`); the kept lines are joined and
stripped. Its defaults are 3 words per line and 5 sentences.
"""
from __future__ import annotations

import re
from typing import Annotated

import pyarrow as pa

from webcorpus.documents import TEXT, text_column
from webcorpus.stages.base import Filter, OptionError, Verdict
from webcorpus.stages.quality import FLAVOR_HELP, Flavor, Note, ignore
from webcorpus.stages.quality.fineweb_text import sentence_count
from webcorpus.stages.quality.languages.aware import LANGUAGE_HELP, LanguageAware, check_language_option, sentence_end
from webcorpus.stages.quality.languages.table import Profile
from webcorpus.stages.signals import COUNT_BINS, Signal, Threshold

POLICY_PHRASES = ("terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies", "use cookies")
END_MARKS = (".", "!", "?", '"', "”")
ELLIPSES = ("...", "…")
_CITATION = re.compile(r"\[(?:\d+|citation needed|edit|clarification needed)\]", re.IGNORECASE)
_FINEWEB_CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
_FINEWEB_END_MARKS = (".", "?", "!", '"', "'")
#: (paper, fineweb) defaults of the options whose value depends on the flavour.
FLAVOR_DEFAULTS = {"min_words_per_line": (5, 3), "min_sentences": (3, 5)}
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")


class C4Quality(LanguageAware, Filter):
    """C4's line cleaning and page rules; rewrites ``text`` and drops pages that fail."""

    name = "c4"
    SCALED = ("min_words_per_line", "max_word_length", "min_sentences")
    _end_marks = END_MARKS
    _sentence_end = _SENTENCE_END

    def __init__(
        self,
        terminal_punctuation: Annotated[bool, "keep only lines ending in . ! ? or a closing quote (C4: on; FineWeb: off)"] = True,
        min_words_per_line: Annotated[int | None, "lines with fewer words are removed (null: C4 paper 5; fineweb 3)"] = None,
        max_word_length: Annotated[int, "lines with a longer word are removed (C4 code: 1000)"] = 1000,
        min_sentences: Annotated[int | None, "pages with fewer sentences after cleaning are dropped (null: C4 paper 3; fineweb 5)"] = None,
        remove_javascript_lines: Annotated[bool, "remove lines that mention javascript (C4)"] = True,
        remove_policy_lines: Annotated[bool, "remove lines with terms-of-use / privacy / cookie notices (C4)"] = True,
        remove_citations: Annotated[bool, "strip Wikipedia citation markers like [1] (C4)"] = True,
        drop_lorem_ipsum: Annotated[bool, "drop pages containing 'lorem ipsum' (C4)"] = True,
        drop_curly_braces: Annotated[bool, "drop pages containing '{' (C4)"] = True,
        flavor: Annotated[Flavor, FLAVOR_HELP] = "paper",
        language: Annotated[str | None, LANGUAGE_HELP] = None,
    ):
        check_language_option(language, flavor)
        which = 0 if flavor == "paper" else 1
        if min_words_per_line is None:
            min_words_per_line = FLAVOR_DEFAULTS["min_words_per_line"][which]
        if min_sentences is None:
            min_sentences = FLAVOR_DEFAULTS["min_sentences"][which]
        for option, value in (("min_words_per_line", min_words_per_line), ("max_word_length", max_word_length), ("min_sentences", min_sentences)):
            if value < 0:
                raise OptionError(option, f"{option} must not be negative, got {value}")
        self.terminal_punctuation = terminal_punctuation
        self.min_words_per_line = min_words_per_line
        self.max_word_length = max_word_length
        self.min_sentences = min_sentences
        self.remove_javascript_lines = remove_javascript_lines
        self.remove_policy_lines = remove_policy_lines
        self.remove_citations = remove_citations
        self.drop_lorem_ipsum = drop_lorem_ipsum
        self.drop_curly_braces = drop_curly_braces
        self.flavor = flavor
        self.language = language

    def adapt(self, profile: Profile) -> None:
        """The language's words and its script's sentence marks; no terminal-punctuation rule where the
        language's reference text does not end sentences with a mark (Thai, Lao)."""
        super().adapt(profile)
        if profile.sentence_marks is not None:  # None: English, the filter's own
            self._end_marks = profile.sentence_marks
            self._sentence_end = sentence_end(profile.sentence_marks)
        self.terminal_punctuation = self.terminal_punctuation and profile.terminal_punctuation

    def setup(self) -> None:
        if self.flavor == "fineweb":
            sentence_count("Build the tokenizer's rules once per process.")

    def signals(self) -> list[Signal]:
        """Sentences left after cleaning. ``flavor: fineweb`` stops counting at ``min_sentences`` (later lines
        cannot change the verdict), so its last bin holds every page with that many or more."""
        threshold = Threshold("min_sentences", self.min_sentences, "<")
        if self.flavor == "fineweb":
            bins = [b for b in COUNT_BINS if b < self.min_sentences]
            return [Signal.of("sentences", f"sentences in the kept lines (counted up to {self.min_sentences})", bins, threshold)]
        return [Signal.of("sentences", "sentences in the cleaned text", COUNT_BINS, threshold)]

    def clean(self, text: str, note: Note = ignore) -> tuple[str | None, str | None, dict[str, int]]:
        """(cleaned text, drop rule or None, removed lines per rule) for one page."""
        if self.flavor == "fineweb":
            return self.clean_fineweb(text, note)
        removed: dict[str, int] = {}
        lowered = text.lower()
        if self.drop_lorem_ipsum and "lorem ipsum" in lowered:
            return None, "lorem_ipsum", removed
        if self.drop_curly_braces and "{" in text:
            return None, "curly_brace", removed
        kept = []
        for raw in text.split("\n"):
            line = raw.strip()
            if not line:
                continue
            if self.remove_citations:
                line = _CITATION.sub("", line)
            rule = self._line_rule(line)
            if rule is None:
                kept.append(line)
            else:
                removed[rule] = removed.get(rule, 0) + 1
        cleaned = "\n".join(kept)
        sentences = len(self._sentence_end.findall(cleaned))
        note("sentences", sentences)
        if sentences < self.min_sentences:
            return cleaned, "too_few_sentences", removed
        return cleaned, None, removed

    def clean_fineweb(self, text: str, note: Note = ignore) -> tuple[str | None, str | None, dict[str, int]]:
        """datatrove 0.10.1's C4QualityFilter, line by line."""
        removed: dict[str, int] = {}
        kept = []
        sentences = 0
        for raw in text.splitlines():
            line = raw.strip()
            words = line.split()
            rule = None
            if len(line) > self.max_word_length and any(len(w) > self.max_word_length for w in words):
                rule = "long_word"
            else:
                if self.remove_citations:
                    line = _FINEWEB_CITATION.sub("", line)
                if self.terminal_punctuation and (not line.endswith(_FINEWEB_END_MARKS) or line.endswith("...")):
                    rule = "no_terminal_punctuation"
                elif len(words) < self.min_words_per_line:
                    rule = "too_few_words"
                else:
                    low = line.lower()
                    if self.drop_lorem_ipsum and "lorem ipsum" in low:
                        return None, "lorem_ipsum", removed
                    if self.remove_javascript_lines and "javascript" in low:
                        rule = "javascript"
                    elif self.drop_curly_braces and "{" in line:
                        return None, "curly_brace", removed
                    elif self.remove_policy_lines and any(p in low for p in POLICY_PHRASES):
                        rule = "policy"
            if rule is not None:
                removed[rule] = removed.get(rule, 0) + 1
                continue
            if sentences < self.min_sentences:  # enough is enough: later lines cannot change the verdict
                sentences += sentence_count(line)
            kept.append(line)
        cleaned = "\n".join(kept).strip()
        note("sentences", min(sentences, self.min_sentences))
        if sentences < self.min_sentences:
            return cleaned, "too_few_sentences", removed
        return cleaned, None, removed

    def _line_rule(self, line: str) -> str | None:
        words = self._words.split(line)
        # No word is longer than its line: most lines need no per-word look.
        if len(line) > self.max_word_length and any(len(w) > self.max_word_length for w in words):
            return "long_word"
        if self.terminal_punctuation and (not line.endswith(self._end_marks) or line.endswith(ELLIPSES)):
            return "no_terminal_punctuation"
        if len(words) < self.min_words_per_line:
            return "too_few_words"
        low = line.lower()
        if self.remove_javascript_lines and "javascript" in low:
            return "javascript"
        if self.remove_policy_lines and any(p in low for p in POLICY_PHRASES):
            return "policy"
        return None

    def verdict(self, batch: pa.Table) -> Verdict:
        texts = batch.column(text_column(batch)).to_pylist()
        cleaned_texts, out = [], []
        sentences: list[int] = []
        note = lambda signal, value: sentences.append(value)  # noqa: E731 (the one signal: sentences)
        variants = self.row_variants(batch)
        for row, text in enumerate(texts):
            if not text or not text.strip():
                cleaned_texts.append(text)
                out.append("c4:no_text")
                continue
            cleaned, rule, removed = (self if variants is None else variants[row]).clean(text, note)
            for line_rule, n in removed.items():
                self.count(f"lines_removed:{line_rule}", n)
            cleaned_texts.append(text if cleaned is None else cleaned)
            out.append(None if rule is None else f"c4:{rule}")
        if variants is not None:
            self.count_languages(out)
        return Verdict(out, {TEXT: pa.array(cleaned_texts, pa.string())}, signals={"sentences": sentences})
