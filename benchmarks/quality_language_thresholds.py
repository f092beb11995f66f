"""Derive the table of the language-aware quality filters: webcorpus/stages/quality/languages/thresholds.json.

Source: ../shared/data/lid/lingua-testdata, ``<code>/testdata/sentences.txt`` (lingua-rs's test data, Apache-2.0
repository; the sentences are sampled from the Leipzig Corpora Collection's web and news corpora, per its
README). 75 languages, 1,000 sentences each (ja 412, zh 729). The sentences of each file are put in a fixed random order (seeded by the
language code) and only the **first half** is read here; the second half is held out for
benchmarks/quality_languages.py.

Per language:

* script: the script most of its letters are in; words: ``units`` for the scripts without spaces, else ``space``
  (webcorpus/stages/quality/languages/words.py);
* stop words: the 8 most frequent words with a letter (as many as Gopher's English list, whose eight are among
  English's most frequent words), lower-cased and stripped of punctuation as Gopher's rule reads them; ties by
  the word. English keeps Gopher's own list;
* n-gram span (repetition rules): 1 for words separated by spaces; for script units, the median number of units
  per sentence over English's median number of words per sentence, rounded (at least 1), so that an n-gram of
  the repetition rules covers about as much text as n English words (the rules' n-gram sizes stay 2-4 and 5-10);
* reference documents: windows of 10 consecutive sentences (stride 2), two sentences per line, joined with a
  space (nothing between sentences in Chinese and Japanese);
* for every threshold option of the four filters, a scale. Method (a robust form of FineWeb-2's quantile
  matching): the option's signal is measured on the reference documents of the language and of English with
  the filters' own code; the language's threshold is the English one times ``Q_lang(p) / Q_en(p)``, with p = 0.1
  for a minimum rule and p = 0.9 for a maximum rule. So the threshold sits as far into the language's tail as
  the English one sits into English's. (Plain quantile matching takes the quantile at the share the English
  threshold removes from English reference text; on clean reference text that share is 0 for nearly every rule,
  which would put each threshold at the sample's extreme.) For a maximum rule whose English 90th percentile is 0
  (a top 4-gram that repeats: most clean English documents have none) the ratio of the two means is used
  instead; where English's reference documents never show the signal (repeated 5- to 10-grams, repeated lines,
  bullets), English's threshold removes none of them, and plain quantile matching applies: the language's
  threshold is the largest value on its own reference documents, never below English's (scale 1 when the
  language never shows it either); where the language's quantile is 0 for a minimum rule (no sentence marks)
  the rule is off (scale 0), and a maximum rule the language never shows keeps scale 1. A share's threshold is
  capped at 1. Scales are rounded to 4 significant digits.
  Two options are lengths of a line rather than a document: c4's ``min_words_per_line`` scales with the 10th
  percentile of words per reference sentence, fineweb_quality's ``short_line_length`` with that of characters
  per sentence. c4's ``max_word_length`` (characters) keeps scale 1;
* sentence marks: the Unicode sentence terminals and closing quotes (webcorpus/stages/quality/languages/aware.py)
  that end at least 1% of the language's sentences; c4's terminal-punctuation rule applies where at least half of
  the language's sentences end in one of them. Thai and Lao are the exception (a fact of their orthography, not
  read from the data): they end sentences with a space, and lingua's Thai "sentences" end in ``.`` (97.7%) only
  because the Leipzig splitter cut them at abbreviation points (``ม.ค.``, ``อ.``); for these scripts the rules
  that need sentence marks are off (C4's line-end rule and sentence count, FineWeb's punctuated lines). English
  keeps the filters' own marks (null in the table), so that ``language: per_document`` judges English documents
  exactly as the default English rules do.

A language with fewer than 200 sentences in its half would fall back to its script's default (none does).
Script defaults: the median scale of the script's languages; word-kind defaults (for a script without a covered
language): the median over the languages with that kind of words; for script units (Khmer, Lao, Burmese,
Tibetan) with the rules that need sentence marks off (C4's line-end rule and sentence count, FineWeb's
punctuated lines): such scripts may not mark sentences at all (Lao, like Thai, ends them with a space). Defaults have no stop words (the rule is off) and accept every
candidate sentence mark, since the language is not known.

    .venv/bin/python benchmarks/quality_language_thresholds.py           # rewrite the table
    .venv/bin/python benchmarks/quality_language_thresholds.py --check   # exit 1 unless the table is rebuilt byte for byte
    .venv/bin/python benchmarks/quality_language_thresholds.py --markdown  # the table of docs/stages.md, from the stored table
"""
from __future__ import annotations

import argparse
import json
import random
import string
import sys
from collections import Counter
from pathlib import Path
from statistics import median

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webcorpus.stages.language.scripts import dominant_script  # noqa: E402
from webcorpus.stages.quality.c4 import C4Quality  # noqa: E402
from webcorpus.stages.quality.fineweb import FineWebQuality  # noqa: E402
from webcorpus.stages.quality.gopher_quality import GOPHER_STOP_WORDS, GopherQuality  # noqa: E402
from webcorpus.stages.quality.gopher_repetition import GopherRepetition  # noqa: E402
from webcorpus.stages.quality.languages.aware import END_MARKS  # noqa: E402
from webcorpus.stages.quality.languages.table import TABLE_FILE, Profile  # noqa: E402
from webcorpus.stages.quality.languages.words import UNSEGMENTED_SCRIPTS, words_for  # noqa: E402

DATA = ROOT / ".." / "shared" / "data" / "lid" / "lingua-testdata"
TABLE = ROOT / "webcorpus" / "stages" / "quality" / "languages" / TABLE_FILE
STOP_WORDS = 8
MIN_SENTENCES = 200
#: Scripts whose orthography ends sentences with a space, not a mark
SPACE_ENDED_SCRIPTS = frozenset({"Thai", "Laoo"})
WINDOW, STRIDE, PER_LINE = 10, 2, 2
_PUNCT = string.punctuation + "“”‘’«»„…–—·•"
NOT_MEASURED = 0.0  # a rule that found nothing to measure (no n-gram repeats): its signal is 0

#: option -> (signal, "min" | "max") for the options measured on reference documents
MEASURED = {
    "gopher_quality": {
        "min_words": ("words", "min"), "max_words": ("words", "max"),
        "min_mean_word_length": ("mean_word_length", "min"), "max_mean_word_length": ("mean_word_length", "max"),
        "max_symbol_word_ratio": ("symbol_word_ratio", "max"), "max_bullet_lines_ratio": ("bullet_lines_ratio", "max"),
        "max_ellipsis_lines_ratio": ("ellipsis_lines_ratio", "max"), "min_alpha_words_ratio": ("alpha_words_ratio", "min"),
        "min_stop_words": ("stop_words", "min"),
    },
    "gopher_repetition": {
        "max_dup_line_ratio": ("dup_line_ratio", "max"), "max_dup_para_ratio": ("dup_para_ratio", "max"),
        "max_dup_line_char_ratio": ("dup_line_char_ratio", "max"), "max_dup_para_char_ratio": ("dup_para_char_ratio", "max"),
        **{f"top_ngram_ratios.{n}": (f"top_{n}gram_ratio", "max") for n in (2, 3, 4)},
        **{f"dup_ngram_ratios.{n}": (f"dup_{n}gram_ratio", "max") for n in range(5, 11)},
    },
    "c4": {"min_sentences": ("sentences", "min"), "min_words_per_line": ("sentence_words", "min"),
           "max_word_length": (None, "max")},
    "fineweb_quality": {
        "min_line_punct_ratio": ("line_punct_ratio", "min"), "max_short_line_ratio": ("short_line_ratio", "max"),
        "max_dup_line_char_ratio": ("dup_line_char_ratio", "max"), "max_newline_word_ratio": ("newline_word_ratio", "max"),
        "short_line_length": ("sentence_chars", "min"),
    },
}


def read_sentences(folder: Path) -> list[str]:
    lines = (folder / "testdata" / "sentences.txt").read_text(encoding="utf-8").splitlines()
    return [s.strip() for s in lines if s.strip()]


def halves(sentences: list[str], code: str) -> tuple[list[str], list[str]]:
    """(derivation half, held-out half) of the sentences in a fixed random order (the files are sorted
    alphabetically, so neighbours would share templates such as "Municipality code - ...")."""
    shuffled = list(sentences)
    random.Random(f"lingua:{code}").shuffle(shuffled)
    return shuffled[: len(shuffled) // 2], shuffled[len(shuffled) // 2:]


def joiner(script: str | None) -> str:
    return "" if script in ("Hani", "Kana") else " "


def documents(sentences: list[str], script: str | None, stride: int = STRIDE) -> list[str]:
    """Windows of ``WINDOW`` sentences, ``PER_LINE`` to a line."""
    join = joiner(script)
    out = []
    for start in range(0, len(sentences) - WINDOW + 1, stride):
        window = sentences[start:start + WINDOW]
        out.append("\n".join(join.join(window[i:i + PER_LINE]) for i in range(0, WINDOW, PER_LINE)))
    return out


def language_script(sentences: list[str]) -> str:
    return dominant_script(" ".join(sentences)[:20000], limit=20000)[0] or "Latn"


def stop_words(sentences: list[str], kind: str) -> list[str]:
    split = words_for(kind).split
    counts = Counter(w for s in sentences for w in (t.strip(_PUNCT).lower() for t in split(s))
                     if w and any(c.isalpha() for c in w))
    return [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:STOP_WORDS]]


def measuring_filters(profile: Profile) -> list:
    """The four filters adapted to ``profile`` with every threshold set so that no rule fires: each check
    notes every signal."""
    filters = [GopherQuality(), GopherRepetition(), C4Quality(terminal_punctuation=False), FineWebQuality()]
    for f in filters:
        f.setup()
    filters = [f.adapted(profile) for f in filters]
    quality, repetition, c4, fineweb = filters
    quality.__dict__.update(min_words=0, max_words=float("inf"), min_mean_word_length=0.0, max_mean_word_length=float("inf"),
                            max_symbol_word_ratio=float("inf"), max_bullet_lines_ratio=1.0, max_ellipsis_lines_ratio=1.0,
                            min_alpha_words_ratio=0.0, min_stop_words=0)
    repetition.__dict__.update(max_dup_line_ratio=1.0, max_dup_para_ratio=1.0, max_dup_line_char_ratio=1.0,
                               max_dup_para_char_ratio=1.0, top_ngram_ratios={n: 1.0 for n in (2, 3, 4)},
                               dup_ngram_ratios={n: 1.0 for n in range(5, 11)})
    c4.__dict__.update(min_words_per_line=0, min_sentences=0, terminal_punctuation=False, drop_curly_braces=False,
                       drop_lorem_ipsum=False, remove_javascript_lines=False, remove_policy_lines=False)
    fineweb.__dict__.update(min_line_punct_ratio=-1.0, max_short_line_ratio=2.0, max_dup_line_char_ratio=2.0,
                            max_newline_word_ratio=float("inf"))
    return filters


def measure(docs: list[str], sentences: list[str], profile: Profile) -> dict[str, dict[str, list[float]]]:
    """Signal values per filter on the reference documents (plus words and characters per sentence)."""
    quality, repetition, c4, fineweb = measuring_filters(profile)
    out: dict[str, dict[str, list[float]]] = {}
    for name, f in (("gopher_quality", quality), ("gopher_repetition", repetition), ("fineweb_quality", fineweb)):
        values: dict[str, list[float]] = {}
        for doc in docs:
            seen: dict[str, float] = {}
            rule = f.check(doc, seen.__setitem__)
            assert rule is None, (name, rule)
            for signal, _ in MEASURED[name].values():
                values.setdefault(signal, []).append(seen.get(signal, NOT_MEASURED))
        out[name] = values
    sentences_counted: list[float] = []
    for doc in docs:
        c4.clean(doc, lambda signal, value: sentences_counted.append(value))
    split = words_for(profile.words).split
    out["c4"] = {"sentences": sentences_counted, "sentence_words": [float(len(split(s))) for s in sentences]}
    out["fineweb_quality"]["sentence_chars"] = [float(len(s)) for s in sentences]
    return out


def quantiles(measured: dict) -> dict[str, tuple[float, float, float]]:
    """(the tail quantile, the mean, the largest value) of each measured option's signal."""
    found = {}
    for name, options in MEASURED.items():
        for option, (signal, side) in options.items():
            if signal is not None:
                values = measured[name][signal]
                found[f"{name}.{option}"] = (float(np.quantile(values, 0.1 if side == "min" else 0.9)), float(np.mean(values)),
                                             float(np.max(values)))
    return found


def scale(language: tuple[float, float, float], english: tuple[float, float, float], side: str, threshold: float) -> float:
    """The language's scale of one option (``threshold``: its English default); see the module's docstring."""
    (tail, mean, largest), (english_tail, english_mean, _) = language, english
    if english_mean == 0 and side == "max":
        return float(f"{max(1.0, largest / threshold):.4g}")
    if english_tail == 0 and side == "max":
        tail, english_tail = mean, english_mean
    if english_tail == 0:
        return 1.0
    if tail == 0:
        return 0.0 if side == "min" else 1.0
    return float(f"{tail / english_tail:.4g}")


def sentence_marks(sentences: list[str]) -> list[str]:
    """The marks of END_MARKS that end at least 1% of the sentences."""
    ends = Counter(s[-1] for s in sentences if s.endswith(END_MARKS))
    return sorted(mark for mark, n in ends.items() if n >= len(sentences) / 100)


def defaults_of_options() -> dict[str, float]:
    """Each measured option's English default, as the filters set it."""
    found = {}
    for stage in (GopherQuality(), GopherRepetition(), C4Quality(), FineWebQuality()):
        for option in MEASURED[stage.name]:
            attr, _, n = option.partition(".")
            value = getattr(stage, attr)
            found[f"{stage.name}.{option}"] = float(value[int(n)] if n else value)
    return found


def sides() -> dict[str, str]:
    return {f"{name}.{option}": side for name, options in MEASURED.items() for option, (_, side) in options.items()}


def derive(data: Path) -> dict:
    rows, too_little = {}, {}
    english_q = english_words_per_sentence = None
    side_of = sides()
    english_defaults = defaults_of_options()
    codes = sorted(p.name for p in data.iterdir() if (p / "testdata" / "sentences.txt").is_file())
    for code in ["en"] + [c for c in codes if c != "en"]:
        derivation, _ = halves(read_sentences(data / code), code)
        script = language_script(derivation)
        kind = "units" if script in UNSEGMENTED_SCRIPTS else "space"
        if len(derivation) < MIN_SENTENCES:
            too_little[code] = script
            continue
        stops = None if code == "en" else stop_words(derivation, kind)
        marks = sentence_marks(derivation)
        split = words_for(kind).split
        words_per_sentence = median(len(split(s)) for s in derivation)
        if english_words_per_sentence is None:
            english_words_per_sentence = words_per_sentence
        span = max(1, round(words_per_sentence / english_words_per_sentence)) if kind == "units" else 1
        profile = Profile(key=code, script=script, words=kind, stop_words=stops, scales={}, sentence_marks=tuple(marks),
                          ngram_span=span)
        q = quantiles(measure(documents(derivation, script), derivation, profile))
        if english_q is None:
            english_q = q
        scales = {key: scale(q[key], english_q[key], side_of[key], english_defaults[key]) for key in q}
        scales["c4.max_word_length"] = 1.0
        if script in SPACE_ENDED_SCRIPTS:
            scales["c4.min_sentences"] = scales["fineweb_quality.min_line_punct_ratio"] = 0.0
        ended = sum(s.endswith(tuple(marks)) for s in derivation) / len(derivation) if marks else 0.0
        rows[code] = {"script": script, "words": kind, "stop_words": stops, "reference_sentences": len(derivation),
                      "sentence_marks": None if code == "en" else "".join(marks), "ngram_span": span,
                      "terminal_punctuation": ended >= 0.5 and script not in SPACE_ENDED_SCRIPTS,
                      "scales": dict(sorted(scales.items()))}
    return {"method": "each threshold = the option's value x scale; scale = Q_lang/Q_en of the rule's signal on reference "
                      "documents, Q the 10th (minimum rules) or 90th (maximum rules) percentile (see the script's docstring)",
            "source": "lingua-rs test data (Apache-2.0 repository; Leipzig Corpora Collection sentences): one half of each language's sentences.txt",
            "script": "benchmarks/quality_language_thresholds.py",
            "languages": rows, "too_little_reference_text": too_little,
            "scripts": defaults(rows, lambda row: row["script"]),
            "kinds": defaults(rows, lambda row: row["words"], unmarked=frozenset({"units"}))}


def defaults(rows: dict, group_of, unmarked: frozenset[str] = frozenset()) -> dict:
    """The median row of each group of covered languages, without stop words and with every sentence mark
    (groups in ``unmarked``: and without the rules that need sentence marks)."""
    groups: dict[str, list[dict]] = {}
    for row in rows.values():
        groups.setdefault(group_of(row), []).append(row)
    out = {}
    for group, members in sorted(groups.items()):
        keys = sorted(members[0]["scales"])
        scales = {k: float(f"{median(m['scales'][k] for m in members):.4g}") for k in keys}
        scales["gopher_quality.min_stop_words"] = 0.0  # no stop words without a language
        terminal = sum(m["terminal_punctuation"] for m in members) * 2 >= len(members)
        if group in unmarked:  # scripts no covered language speaks for: whether they mark sentences at all is unknown
            terminal = False
            scales["c4.min_sentences"] = scales["fineweb_quality.min_line_punct_ratio"] = 0.0
        out[group] = {"words": members[0]["words"], "stop_words": [], "languages": sorted(c for c, r in rows.items() if r in members),
                      "sentence_marks": "".join(END_MARKS), "ngram_span": round(median(m["ngram_span"] for m in members)),
                      "terminal_punctuation": terminal, "scales": scales}
    return out


def markdown(table: dict) -> str:
    """The per-language table of docs/stages.md: thresholds at the filters' defaults (``off``: the rule does not apply)."""
    english = defaults_of_options()
    english.update({"c4.min_words_per_line": 5.0, "fineweb_quality.short_line_length": 30.0})

    def threshold(row: dict, key: str, digits: int) -> str:
        scale_of = row["scales"].get(key, 1.0)
        if scale_of == 0:
            return "off"
        value = english[key] * scale_of
        return f"{min(value, 1.0) if 'ratio' in key else value:.{digits}f}"

    def marks(row: dict) -> str:
        found = row["sentence_marks"]
        if found is None:
            return "the filters' own"
        if found == "".join(END_MARKS):
            return "any script's"
        return " ".join("\\|" if c == "|" else c for c in found) or "–"

    lines = ["| language | script | words | n-gram span | stop words | sentence marks | C4 line-end rule | min words | "
             "mean word length | min letter-word share | min stop words | C4 min words/line | C4 min sentences | "
             "FineWeb min punct. line share | short line (chars) | top 2/3/4-gram max |", "|---" * 16 + "|"]
    rows = [(code, row, row["script"]) for code, row in table["languages"].items()]
    rows += [(f"script:{name}", row, name) for name, row in table["scripts"].items()]
    rows += [(f"kind:{name}", row, "other") for name, row in table["kinds"].items()]
    for name, row, script in rows:
        stops = ("Gopher's: " + ", ".join(GOPHER_STOP_WORDS) if row["stop_words"] is None
                 else ", ".join(row["stop_words"]) or "none (rule off)")
        lines.append(
            f"| {name} | {script} | {row['words']} | {row['ngram_span']} | {stops} | {marks(row)} | "
            f"{'on' if row['terminal_punctuation'] else 'off'} | {threshold(row, 'gopher_quality.min_words', 0)} | "
            f"{threshold(row, 'gopher_quality.min_mean_word_length', 1)}–{threshold(row, 'gopher_quality.max_mean_word_length', 1)} | "
            f"{threshold(row, 'gopher_quality.min_alpha_words_ratio', 2)} | {threshold(row, 'gopher_quality.min_stop_words', 1)} | "
            f"{threshold(row, 'c4.min_words_per_line', 1)} | {threshold(row, 'c4.min_sentences', 1)} | "
            f"{threshold(row, 'fineweb_quality.min_line_punct_ratio', 2)} | {threshold(row, 'fineweb_quality.short_line_length', 0)} | "
            + "/".join(threshold(row, f"gopher_repetition.top_ngram_ratios.{n}", 2) for n in (2, 3, 4)) + " |")
    return "\n".join(lines) + "\n"


def render(table: dict) -> str:
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--check", action="store_true", help="exit 1 unless the stored table is rebuilt byte for byte")
    parser.add_argument("--markdown", action="store_true", help="print the stored table as docs/stages.md shows it")
    args = parser.parse_args()
    if args.markdown:
        print(markdown(json.loads(TABLE.read_text(encoding="utf-8"))), end="")
        return 0
    text = render(derive(args.data))
    if args.check:
        same = TABLE.is_file() and TABLE.read_text(encoding="utf-8") == text
        print("thresholds.json rebuilt byte for byte" if same else "thresholds.json differs from a rebuild")
        return 0 if same else 1
    TABLE.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE.relative_to(ROOT)}: {len(json.loads(text)['languages'])} languages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
