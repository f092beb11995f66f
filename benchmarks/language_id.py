"""Language-ID accuracy by source and language group, and speed, for every engine of the ``language`` stage.

Sources (nothing is copied into the repository; each is read where it lies):

* ``lingua-par``: paragraphs of 5 consecutive sentences from
  ../shared/data/lid/lingua-testdata (75 languages), **held-out half** only:
  the second half of each ``sentences.txt``. The first half is the dev split,
  the only data the ensemble's thresholds and heliport's score calibration saw.
* ``lingua-sent``: every 10th held-out sentence of the same files.
* ``django``, ``sphinx``: paragraphs (>= 250 characters) built from the
  translated messages (``msgstr``) of the ``.po`` files shipped in the Django
  (BSD-3-Clause, 95 languages, many small ones: ast, dsb, hsb, io, kab, os, udm)
  and Sphinx (BSD-2-Clause, 45 languages) wheels; placeholders and markup
  removed; at most 10 per language. Label = the locale folder (``pt_BR`` ->
  ``pt``; ``zh_Hant`` -> ``zh``). Skipped when the package is not installed
  (``pip install django sphinx``).
* ``wagtail`` (held out): the same from the Wagtail wheel (BSD-3-Clause, 51
  languages; ``pip install --no-deps wagtail``: only its ``.po`` files are read).
* ``plone`` (held out; added 2026-11-28 after the ensemble's last change, scored
  once): the same from the ``plone.app.locales`` wheel (GPL-2.0; only its
  ``.po`` files are read; ``pip install --no-deps plone.app.locales``), ~55
  languages, Serbian in Latin script. Its Friulian (``fu``) is left out, as no
  engine names it; ``no`` is read as Bokmål.
* ``spacy`` (held out; added 2026-11-28 after the ensemble's last change and
  scored once): the example sentences spaCy (MIT; installed with the stage's
  PII dependencies) ships for each language it supports, joined into one
  paragraph per language (>= 150 characters): short news-like prose in ~60
  languages. Languages no engine names (Ancient Greek, Ligurian) are left out,
  so are the Sorbian pair, whose example files are mislabelled (see the code).
* ``gfonts`` (held out from the thresholds and the marker words; eight of its
  items were looked at for the ensemble's rules, docs/benchmarks.md): the sample texts of
  the ``gflanguages`` wheel (Google Fonts' language data, Apache-2.0), one
  paragraph per language and script (its ``specimen_36/32/21/16`` texts
  joined, >= 250 characters), mostly articles of the Universal Declaration of
  Human Rights: formal prose in ~400 languages, the nearest to declaration
  texts we have. Scripts marked historical or with no population are left out
  (Sanskrit in Brahmi, English in Shavian), so are texts shared by two
  languages, and languages no engine of the stage can name (the report
  says how many). Label = the file's ``language``. Skipped when the package
  is not installed (``pip install gflanguages``).
* ``pages``: the text of Readability's expected output for the 130 real pages
  of ../shared/data/extract/readability-testpages, labelled by the page's
  declared ``lang`` (mostly English).

Accuracy is exact match of the stage's code with the label (both ISO 639-1
where one exists, else ISO 639-3). Language groups: "close" = the standard
languages written almost alike (Malay/Indonesian, Bosnian/Croatian/Serbian,
Bokmål/Nynorsk); "lid176" = the other languages lid.176 names; "beyond" = the
languages lid.176 cannot name (Xhosa, Zulu, Shona, Kabyle, Udmurt, ...).
Speed: documents per CPU-second (``time.process_time``) through the stage (Arrow
batches of 1,000 held-out lingua paragraphs in, labelled batches out), one
process, after the model is loaded.

    python benchmarks/language_id.py [--engines fasttext,heliport,cld2,ensemble] [--limit N] [--languages co,os,...]
    python benchmarks/language_id.py --calibrate # heliport's score curve, on the dev split only
    python benchmarks/language_id.py --tune      # the ensemble's thresholds on the dev split only
    python benchmarks/language_id.py --leave-one-out   # thresholds tuned on each source, scored on the others
    python benchmarks/language_id.py --codes-table   # the code table of docs/stages.md
    python benchmarks/language_id.py --skip-check    # decisions changed by skipping lid.176 when the others agree
    python benchmarks/language_id.py --bs-hr-check   # a Bosnian/Croatian naive Bayes from lingua dev: does it help?
"""
from __future__ import annotations

import argparse
import collections
import functools
import html
import importlib.util
import itertools
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webcorpus.stages.language import LanguageId  # noqa: E402
from webcorpus.stages.language.codes import normalize_label  # noqa: E402
from webcorpus.stages.language.engines import make_engine  # noqa: E402
from webcorpus.stages.language.engines.ensemble import FAMILIES  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"
PARAGRAPH_SENTENCES = 5
Item = tuple[str, str]  # (label, text)
CLOSE = frozenset({"ms", "id", "bs", "hr", "sr", "nb", "nn"})


def lingua(split: str, kind: str, data: Path = DATA) -> list[Item]:
    """lingua-testdata sentences of one half (``dev``: first, ``test``: second): ``paragraphs`` of 5, every
    10th sentence (``sentences``) or every sentence (``sentences_all``)."""
    out: list[Item] = []
    root = data / "lid" / "lingua-testdata"
    for folder in sorted(p for p in root.iterdir() if (p / "testdata").is_dir()):
        lines = [s.strip() for s in (folder / "testdata" / "sentences.txt").read_text("utf-8").splitlines() if s.strip()]
        half = lines[: len(lines) // 2] if split == "dev" else lines[len(lines) // 2 :]
        if kind == "paragraphs":
            for i in range(0, len(half) - PARAGRAPH_SENTENCES + 1, PARAGRAPH_SENTENCES):
                out.append((folder.name, " ".join(half[i : i + PARAGRAPH_SENTENCES])))
        elif kind == "sentences_all":
            out.extend((folder.name, s) for s in half)
        else:
            out.extend((folder.name, s) for s in half[::10])
    return out


_MARKUP = re.compile(r"%\([^)]*\)[sdr]|%[sdr]|\{[^}]*\}|<[^>]+>|&[a-z]+;|%%")


def po_messages(path: Path) -> list[str]:
    """The translated, non-fuzzy messages of a .po file with placeholders and markup removed."""
    out = []
    for block in path.read_text("utf-8", errors="replace").split("\n\n"):
        if "#, fuzzy" in block or "msgstr" not in block:
            continue
        head, _, tail = block.partition("msgstr")
        source = "".join(re.findall(r'^(?:msgid|msgid_plural)?\s*"(.*)"\s*$', head, re.M))
        first = re.match(r'(?:\[0\])?\s+((?:".*"\s*)+)', tail)
        if not first:
            continue
        text = "".join(re.findall(r'"(.*)"', first.group(1)))
        text = text.replace("\\n", " ").replace('\\"', '"').replace("\\t", " ").replace("\\\\", "\\")
        text = " ".join(_MARKUP.sub(" ", text).split())
        if not source or len(text) < 15 or text == " ".join(_MARKUP.sub(" ", source).split()) or "Project-Id" in text:
            continue
        out.append(text)
    return out


def po_paragraphs(package: str, per_language: int = 10, min_chars: int = 250, relabel: dict[str, str] | None = None) -> list[Item]:
    """Paragraphs of one installed package's translations, labelled by locale folder (``relabel``: folder
    names that are not language codes, and what they stand for)."""
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:  # a dotted name whose parent package is not installed
        return []
    if spec is None or spec.origin is None:
        return []
    by_locale: dict[str, list[str]] = collections.defaultdict(list)
    for path in sorted(Path(spec.origin).parent.rglob("*.po")):
        by_locale[path.parent.parent.name].extend(po_messages(path))
    bases = {loc for loc in by_locale if "_" not in loc and "@" not in loc}
    out: list[Item] = []
    for locale, messages in sorted(by_locale.items()):
        # one folder per language: regional variants only where no base folder exists, scripts kept
        if "@" in locale or ("_" in locale and locale.split("_")[0] in bases and locale not in ("zh_Hant", "zh_TW", "sr_Latn")):
            continue
        messages = list(dict.fromkeys(messages))
        paragraphs, current = [], []
        for message in messages:
            current.append(message if message[-1] in ".!?。" else message + ".")
            if sum(map(len, current)) >= min_chars:
                paragraphs.append(" ".join(current))
                current = []
        step = max(1, len(paragraphs) / per_language)
        picked = [paragraphs[int(i * step)] for i in range(min(per_language, len(paragraphs)))]
        out.extend(((relabel or {}).get(locale, locale.split("_")[0]), p) for p in picked)
    return out


#: textproto string escapes (\n, \", \\); the files hold UTF-8 text, no octal escapes.
_TEXTPROTO_ESCAPE = re.compile(r"\\(.)")
_SPECIMENS = ("specimen_36", "specimen_32", "specimen_21", "specimen_16")


def gfonts_paragraphs(min_chars: int = 250) -> list[Item]:
    """One paragraph per living language and script from the sample texts of the gflanguages wheel."""
    spec = importlib.util.find_spec("gflanguages")
    if spec is None or spec.origin is None:
        return []
    rows, languages_of = [], collections.defaultdict(set)
    for path in sorted((Path(spec.origin).parent / "data" / "languages").glob("*.textproto")):
        proto = path.read_text("utf-8")
        field = lambda name: re.search(rf'^{name}: "?([^"\n]*)"?$', proto, re.M)  # noqa: E731
        population = field("population")
        if field("historical") or not population or int(population.group(1)) == 0:
            continue  # transliterations into historical scripts: no engine is meant to read those
        parts = []
        for key in _SPECIMENS:
            found = re.search(rf'^\s+{key}: "((?:[^"\\]|\\.)*)"\s*$', proto, re.M)
            if found:
                parts.append(_TEXTPROTO_ESCAPE.sub(lambda m: " " if m.group(1) in "nt" else m.group(1), found.group(1)))
        text = " ".join(" ".join(parts).split())
        if len(text) >= min_chars:
            language = field("language").group(1)
            rows.append((language, text))
            languages_of[text].add(language)
    return [(language, text) for language, text in rows if len(languages_of[text]) == 1]


def spacy_examples(min_chars: int = 150) -> list[Item]:
    """One paragraph per language: the example sentences spaCy ships for it (``spacy/lang/<code>/examples.py``)."""
    try:
        import spacy
    except ImportError:
        return []
    out: list[Item] = []
    for folder in sorted((Path(spacy.__file__).parent / "lang").iterdir()):
        if folder.name == "xx" or not (folder / "examples.py").exists():
            continue  # xx: spaCy's multi-language examples, one sentence of each
        if folder.name in ("dsb", "hsb"):
            # spaCy 3.8's hsb examples are Lower Sorbian (pśiwzeło, jo se, wót) and its dsb examples
            # mix Upper (so, přez, dźěłanje) with Lower (jo, lěśe) Sorbian: no true label for either
            continue
        sentences = importlib.import_module(f"spacy.lang.{folder.name}.examples").sentences
        text = " ".join(" ".join(sentences).split())
        if len(text) >= min_chars:
            out.append((folder.name, text))
    return out


def pages(data: Path = DATA) -> list[Item]:
    """Readability's expected text of each test page, labelled by the page's declared language."""
    out: list[Item] = []
    root = data / "extract" / "readability-testpages" / "test-pages"
    for case in sorted(p for p in root.iterdir() if p.is_dir()):
        meta = json.loads((case / "expected-metadata.json").read_text("utf-8"))
        lang = (meta.get("lang") or "").split("-")[0].lower()
        text = html.unescape(re.sub(r"<[^>]+>", " ", (case / "expected.html").read_text("utf-8")))
        if lang and text.strip():
            out.append((lang, " ".join(text.split())))
    return out


def sources(limit: int | None) -> dict[str, list[Item]]:
    found = {
        "lingua-par": lingua("test", "paragraphs"),
        "lingua-sent": lingua("test", "sentences"),
        "django": po_paragraphs("django"),
        "sphinx": po_paragraphs("sphinx"),
        "wagtail": po_paragraphs("wagtail"),
        # Plone's folder "fu" is Friulian (its header: Language-Name: Furlan), "no" Norwegian Bokmål
        "plone": [(lab, text) for lab, text in po_paragraphs("plone.app.locales", relabel={"fu": "fur", "no": "nb"})
                  if truth(lab) in nameable()],
        "spacy": [(lab, text) for lab, text in spacy_examples() if truth(lab) in nameable()],
        "pages": pages(),
        "gfonts": [(lab, text) for lab, text in gfonts_paragraphs() if truth(lab) in nameable()],
    }
    return {name: items[:: max(1, len(items) // limit)] if limit else items for name, items in found.items() if items}


#: the languages heliport writes under one label, which the ensemble splits (hbs -> hr/sr/bs, ms -> ms/id).
#: Lower Sorbian, which heliport also reads as hsb, is counted as a language heliport lacks, as before.
SPLIT_MEMBERS = frozenset(FAMILIES["hbs"] + FAMILIES["ms"])


@functools.cache
def nameable() -> frozenset[str]:
    """Every code some engine of the stage can write (the ensemble's, with the members of heliport's families)."""
    return make_engine("ensemble").codes() | SPLIT_MEMBERS


def truth(label: str) -> str:
    return normalize_label(label, "iso") or label


def accuracy(stage: LanguageId, items: list[Item]) -> tuple[float, list[str | None]]:
    codes, _ = stage.identify([text for _, text in items])
    return sum(truth(lab) == c for (lab, _), c in zip(items, codes)) / max(1, len(items)), codes


def speed(stage: LanguageId, texts: list[str]) -> float:
    """Documents per CPU-second through the stage itself: Arrow batches of 1,000 in, labelled batches out."""
    from webcorpus.documents import from_rows

    batches = [from_rows([{"id": str(i + j), "text": t} for j, t in enumerate(texts[i : i + 1000])]) for i in range(0, len(texts), 1000)]
    start = time.process_time()
    for batch in batches:
        stage(batch)
    return len(texts) / (time.process_time() - start)


def report(engines: list[str], limit: int | None, languages: list[str] = ()) -> None:
    sets = sources(limit)
    lid176 = make_engine("fasttext").codes()
    heliport = make_engine("heliport").codes() | SPLIT_MEMBERS  # the ensemble splits its families
    known = lambda code: ("lid.176+heliport" if code in lid176 and code in heliport else  # noqa: E731
                          "lid.176 only" if code in lid176 else "heliport only" if code in heliport else "CLD2 only")
    group = lambda code: "close" if code in CLOSE else ("lid176" if code in lid176 else "beyond")  # noqa: E731
    every = gfonts_paragraphs()
    if every:
        print(f"gfonts: {len(sets.get('gfonts', []))} of {len(every)} paragraphs are in languages some engine can name")
    print("sources:", ", ".join(f"{n} {len(v)} items / {len({truth(lab) for lab, _ in v})} languages" for n, v in sets.items()))
    header = f"{'engine':<10}" + "".join(f"{n:>13}" for n in sets) + f"{'mean':>8}" + "".join(f"{g:>9}" for g in ("close", "lid176", "beyond")) + f"{'docs/cpu-s':>12}"
    print(header)
    for name in engines:
        stage = LanguageId(engine=name)
        stage.setup()
        row, hits, by_language = [], collections.defaultdict(list), collections.defaultdict(list)
        gfonts_known = collections.defaultdict(list)
        for source, items in sets.items():
            acc, codes = accuracy(stage, items)
            row.append(acc)
            for (label, _), code in zip(items, codes):
                hits[group(truth(label))].append(truth(label) == code)
                by_language[truth(label)].append(code)
                if source == "gfonts":
                    gfonts_known[known(truth(label))].append(truth(label) == code)
        texts = [t for _, t in sets["lingua-par"]]
        rate = speed(stage, texts)
        groups = "".join(f"{sum(h) / len(h):>9.4f}" if h else f"{'-':>9}" for h in (hits["close"], hits["lid176"], hits["beyond"]))
        print(f"{name:<10}" + "".join(f"{a:>13.4f}" for a in row) + f"{sum(row) / len(row):>8.4f}" + groups + f"{rate:>12,.0f}")
        errors = collections.Counter()
        for items in sets.values():
            _, codes = accuracy(stage, items)
            errors.update((truth(lab), c) for (lab, _), c in zip(items, codes) if truth(lab) != c)
        print(f"{'':<10}most frequent errors (label -> code): " + ", ".join(f"{a}->{b} {n}" for (a, b), n in errors.most_common(12)))
        if gfonts_known:
            print(f"{'':<10}gfonts by the engines that name the language: "
                  + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in sorted(gfonts_known.items())))
        for lang in languages:
            said = by_language.get(lang, [])
            wrong = collections.Counter(c for c in said if c != lang)
            print(f"{'':<10}{lang}: {said.count(lang)} of {len(said)} right" + ("; read as " + ", ".join(f"{c} {n}" for c, n in wrong.most_common(4)) if wrong else ""))
    print("group sizes (items):", {g: n for g, n in collections.Counter(group(truth(lab)) for v in sets.values() for lab, _ in v).items()})


GRID = list(itertools.product((0.3, 0.5, 0.7, 0.9), (0.3, 0.5, 0.7, 0.9), (0.5, 0.7, 0.9, 0.97, 0.99)))


def ensemble_said(engine, items: list[Item]) -> tuple[list, list[str]]:
    """Each engine's ranking of every item (run once), and the items' labels."""
    return [engine.rankings(" ".join(text[:2000].split()), 1) for _, text in items], [truth(lab) for lab, _ in items]


def grid_accuracy(engine, said, labels) -> list[tuple[float, float, float, float]]:
    """(accuracy, fasttext_alone, cld2_alone, heliport_unsure) for every setting of the grid."""
    results = []
    for ft, cl, unsure in GRID:
        engine.fasttext_alone, engine.cld2_alone, engine.heliport_unsure = ft, cl, unsure
        acc = sum(engine.decide(*r)[0] == lab for r, lab in zip(said, labels)) / max(1, len(labels))
        results.append((acc, ft, cl, unsure))
    return results


def best_setting(results):
    return max(results, key=lambda r: (r[0], -r[1], -r[2], -r[3]))  # ties: the lowest thresholds


def tune() -> None:
    """Grid over the ensemble's thresholds on the dev half of lingua (paragraphs and sentences) only."""
    from webcorpus.stages.language.engines.ensemble import EnsembleEngine

    dev = lingua("dev", "paragraphs") + lingua("dev", "sentences")
    engine = EnsembleEngine()
    engine.load()
    results = grid_accuracy(engine, *ensemble_said(engine, dev))
    for acc, ft, cl, unsure in results:
        print(f"fasttext_alone={ft} cld2_alone={cl} heliport_unsure={unsure}: dev accuracy {acc:.4f}")
    best = best_setting(results)
    print(f"best: fasttext_alone={best[1]} cld2_alone={best[2]} heliport_unsure={best[3]} ({best[0]:.4f} on {len(dev)} dev items)")


def leave_one_out(limit: int | None) -> None:
    """Tune the ensemble's thresholds on one source at a time; report them on every other source."""
    from webcorpus.stages.language.engines.ensemble import EnsembleEngine

    engine = EnsembleEngine()
    engine.load()
    held_out = sources(limit)
    tuning = {"lingua-dev": lingua("dev", "paragraphs") + lingua("dev", "sentences"), **held_out}
    said = {name: ensemble_said(engine, items) for name, items in tuning.items()}
    print(f"{'tuned on':<12}{'setting (ft, cld2, unsure)':>28}" + "".join(f"{n:>13}" for n in held_out))
    for name in tuning:
        best = best_setting(grid_accuracy(engine, *said[name]))
        row = []
        for other in held_out:
            if other == name:
                row.append(f"{'(tuned)':>13}")
                continue
            engine.fasttext_alone, engine.cld2_alone, engine.heliport_unsure = best[1:]
            labels = said[other][1]
            acc = sum(engine.decide(*r)[0] == lab for r, lab in zip(said[other][0], labels)) / len(labels)
            row.append(f"{acc:>13.4f}")
        print(f"{name:<12}{str(best[1:]):>28}" + "".join(row))


def calibrate() -> None:
    """Fit heliport's score curve P(right) = 1 / (1 + exp(-(A * gap + B))) on the dev half of lingua only."""
    import numpy as np

    from webcorpus.stages.language.engines.ensemble import FAMILIES
    from webcorpus.stages.language.engines.heliport import HeliportEngine

    engine = HeliportEngine()
    engine.load()
    heliport_codes = engine.codes()
    gaps, right = [], []
    for label, text in lingua("dev", "paragraphs") + lingua("dev", "sentences"):
        label = truth(label)
        if label not in heliport_codes and not any(label in m for m in FAMILIES.values()):
            continue  # a language heliport has no model for says nothing about its scores
        costs = engine.costs(" ".join(text[:2000].split()), 1)
        if len(costs) < 2:
            continue
        code = costs[0][0]
        gaps.append(costs[1][1] - costs[0][1])
        right.append(code == label or label in FAMILIES.get(code, ()))
    x, y = np.array(gaps), np.array(right, dtype=float)
    a, b = 1.0, 0.0
    for _ in range(100):  # Newton's method on the logistic log-likelihood
        p = 1 / (1 + np.exp(-(a * x + b)))
        w = p * (1 - p) + 1e-12
        design = np.stack([x, np.ones_like(x)], 1)
        step = np.linalg.solve(design.T @ (design * w[:, None]), design.T @ (y - p))
        a, b = a + step[0], b + step[1]
    p = 1 / (1 + np.exp(-(a * x + b)))
    print(f"A = {a:.2f}, B = {b:.2f} on {len(y)} dev items (heliport right on {y.mean():.4f})")
    print_bins("heliport", p, y)
    # lid.176's probability, for comparison, on the dev items of the languages it can name
    stage = LanguageId(engine="fasttext")
    codes = make_engine("fasttext").codes()
    items = [(truth(lab), text) for lab, text in lingua("dev", "paragraphs") + lingua("dev", "sentences") if truth(lab) in codes]
    found, scores = stage.identify([text for _, text in items])
    print_bins("lid.176", np.array(scores), np.array([c == lab for c, (lab, _) in zip(found, items)], dtype=float))


def print_bins(name: str, scores, right) -> None:
    for lo, hi in ((0, 0.5), (0.5, 0.7), (0.7, 0.9), (0.9, 0.97), (0.97, 1.01)):
        inside = (scores >= lo) & (scores < hi)
        share = right[inside].mean() if inside.any() else float("nan")
        print(f"  {name} score {lo:.2f}-{min(hi, 1):.2f}: {inside.sum():6d} items, right {share:.3f}")


def skip_check(limit: int | None) -> None:
    """How many ensemble decisions change when lid.176 is always run (no skip when heliport and CLD2 agree)."""
    from webcorpus.stages.language.engines import ensemble

    engine = ensemble.EnsembleEngine()
    engine.load()
    for name, items in sources(limit).items():
        lines = [" ".join(text[:2000].split()) for _, text in items]
        skipping = [engine.rank(line, 1)[0][0] if line else None for line in lines]
        agreed, ensemble.AGREED = ensemble.AGREED, 2.0  # never skip
        try:
            always = [engine.rank(line, 1)[0][0] if line else None for line in lines]
        finally:
            ensemble.AGREED = agreed
        changed = sum(a != b for a, b in zip(skipping, always))
        print(f"{name}: {changed} of {len(lines)} decisions change when lid.176 always runs")


def bosnian_croatian_check(limit: int | None) -> None:
    """Would a word-level naive Bayes for Bosnian against Croatian, trained on lingua's dev half, help?

    Not shipped: this checks the idea on every source. The model (add-0.5 smoothing, lowercased words,
    equal priors; chosen before looking at any result) relabels the ensemble's ``bs``/``hr`` answers
    on Latin-script texts.
    """
    import math

    words = lambda text: re.findall(r"[^\W\d_]+", text.lower())  # noqa: E731
    counts = {}
    for lang in ("bs", "hr"):
        counts[lang] = collections.Counter(w for lab, s in lingua("dev", "sentences_all") if lab == lang for w in words(s))
    vocab = set(counts["bs"]) | set(counts["hr"])
    log_p = {}
    for lang, c in counts.items():
        total = sum(c.values()) + 0.5 * len(vocab)
        log_p[lang] = {w: math.log((c[w] + 0.5) / total) for w in vocab}
    bayes = lambda text: max(("bs", "hr"), key=lambda lang: sum(log_p[lang].get(w, 0.0) for w in words(text)))  # noqa: E731
    stage = LanguageId(engine="ensemble")
    stage.setup()
    for name, items in sources(limit).items():
        codes, _ = stage.identify([text for _, text in items])
        relabelled = [bayes(text) if code in ("bs", "hr") and not re.search("[\u0400-\u04ff]", text) else code
                      for code, (_, text) in zip(codes, items)]
        before = sum(truth(lab) == c for (lab, _), c in zip(items, codes)) / len(items)
        after = sum(truth(lab) == c for (lab, _), c in zip(items, relabelled)) / len(items)
        print(f"{name}: ensemble {before:.4f}, with the bs/hr naive Bayes {after:.4f}")


def codes_table() -> None:
    """The Markdown table of every code some engine writes (English names from Babel's CLDR data)."""
    try:
        from babel import Locale

        names = Locale("en").languages
    except ImportError:
        names = {}
    sets = {name: make_engine(name).codes() for name in ("fasttext", "heliport", "cld2")}
    sets["heliport"] |= SPLIT_MEMBERS  # written by the ensemble from heliport's families
    print("| code | language | fasttext (lid.176) | heliport | cld2 |")
    print("|---|---|:-:|:-:|:-:|")
    for code in sorted(set().union(*sets.values())):
        marks = " | ".join("x" if code in sets[n] else "" for n in ("fasttext", "heliport", "cld2"))
        print(f"| `{code}` | {names.get(code, '')} | {marks} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="fasttext,heliport,cld2,ensemble")
    parser.add_argument("--limit", type=int, default=None, help="about this many items per source (default: all)")
    parser.add_argument("--languages", default="", help="also print each engine's hits for these codes (comma-separated)")
    parser.add_argument("--tune", action="store_true", help="choose the ensemble's thresholds on the dev split")
    parser.add_argument("--codes-table", action="store_true", help="print the Markdown table of codes per engine")
    parser.add_argument("--calibrate", action="store_true", help="fit heliport's score curve on the dev split")
    parser.add_argument("--skip-check", action="store_true", help="decisions the ensemble's lid.176 skip changes")
    parser.add_argument("--leave-one-out", action="store_true", help="tune on each source, report on the others")
    parser.add_argument("--bs-hr-check", action="store_true", help="a bs/hr naive Bayes from lingua dev, on every source")
    args = parser.parse_args()
    if args.codes_table:
        codes_table()
    elif args.leave_one_out:
        leave_one_out(args.limit)
    elif args.bs_hr_check:
        bosnian_croatian_check(args.limit)
    elif args.skip_check:
        skip_check(args.limit)
    elif args.calibrate:
        calibrate()
    elif args.tune:
        tune()
    else:
        report(args.engines.split(","), args.limit, [c for c in args.languages.split(",") if c])


if __name__ == "__main__":
    main()
