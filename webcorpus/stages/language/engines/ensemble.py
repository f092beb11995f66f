"""heliport first; lid.176 and CLD2 where heliport cannot tell.

No single identifier here is best everywhere (docs/benchmarks.md): heliport
knows the most languages and is the most accurate on paragraphs, but it names
Malay and Indonesian together and Bosnian, Croatian and Serbian together, and
it has no model for some languages the others know (Xhosa, Tswana, Hausa,
Asturian, Lower Sorbian, Javanese...). The rules, in order:

1. CLD2's first label is a language heliport cannot name (or names in
   another script only: ``HELIPORT_SCRIPT``, Uzbek in Latin) and its score is
   at least ``CLD2_ALONE``: CLD2's label.
2. The same for lid.176 with ``FASTTEXT_ALONE``, a weaker sign than CLD2's
   (lid.176 reads Hawaiian as Uzbek at 0.79 where CLD2 is sure of Hawaiian).
   These two come before the family split: heliport reads Javanese and
   Sundanese as its Malay family (``ms``), and CLD2 is sure of them (gfonts
   source, docs/benchmarks.md).
3. heliport's label is a family (``ms``, ``hbs``; ``hsb``, which it also says
   for Lower Sorbian): in Latin script, the member the text's markers point
   to (``variants.py``: the spellings and words the standards of
   Malay/Indonesian and Bosnian/Croatian/Serbian differ in, the letters of
   Upper and Lower Sorbian); else the member
   CLD2 names, if it names one; else the member lid.176 ranks highest.
   heliport's Chinese (``zh``) is also what it says for written Cantonese (it
   has no Cantonese model): Cantonese where the text has enough of Cantonese's
   own characters (``variants.py``).
4. heliport is unsure (score below ``HELIPORT_UNSURE``) and lid.176 and CLD2
   agree on another label: theirs.
5. Otherwise heliport's label.

The thresholds were chosen on the dev half of lingua's sentences and
paragraphs only (``benchmarks/language_id.py --tune``) and are reported on
held-out data (docs/benchmarks.md).
The score is that of the engine whose label won (heliport's for rule 3).
"""
from __future__ import annotations

from typing import NamedTuple

from webcorpus.stages.language.engines.base import Engine, Ranking
from webcorpus.stages.language.engines.cld2 import Cld2Engine
from webcorpus.stages.language.engines.fasttext import FastTextEngine
from webcorpus.stages.language.engines.heliport import HeliportEngine, scores_of
from webcorpus.stages.language.scripts import dominant_script
from webcorpus.stages.language.variants import telling

#: heliport labels that stand for several languages, and the languages they stand for: its Malay
#: (``msa``) and Serbo-Croatian (``hbs``) labels, and its Upper Sorbian, which is also what it says for
#: Lower Sorbian (it has no model of it; lid.176 has, but is rarely sure: docs/benchmarks.md).
FAMILIES = {"ms": ("ms", "id"), "hbs": ("hr", "sr", "bs"), "hsb": ("hsb", "dsb")}
# Chosen by `benchmarks/language_id.py --tune` on lingua's dev half (best accuracy, ties broken
# toward the lowest thresholds): 0.9753 on 11,124 dev items.
FASTTEXT_ALONE = 0.3
CLD2_ALONE = 0.7
HELIPORT_UNSURE = 0.7
#: Languages written in more than one script that heliport 1.x has a model of in one script only. Its
#: Uzbek is Cyrillic: Latin-script Uzbek, the official script of Uzbekistan, comes out as Azerbaijani or
#: worse (the django and gfonts sources of docs/benchmarks.md), while CLD2 and lid.176 know it. Likewise
#: Kazakh and Kyrgyz in Arabic script come out as Uyghur, and Uyghur in Cyrillic as Bashkir, where CLD2
#: names them (gfonts). On sentences written for tests/stages/test_language.py heliport likewise names
#: none of Tatar, Bashkir, Tajik, Mongolian or Kazakh in Latin script, nor Azerbaijani or Turkmen in
#: Cyrillic (CLD2 is sure of the Latin Tatar and the Cyrillic Turkmen). In another script such a language
#: counts as one heliport cannot name (rules 1 and 2). Kurdish is not listed: CLD2's ``ku`` in Arabic
#: script is Sorani, which heliport names (``ckb``).
HELIPORT_SCRIPT = {"uz": "Cyrl", "kk": "Cyrl", "ky": "Cyrl", "tt": "Cyrl", "ba": "Cyrl", "tg": "Cyrl",
                   "mn": "Cyrl", "ug": "Arab", "az": "Latn", "tk": "Latn"}
#: heliport labels that ``variants.telling`` can split by markers, with the script the markers are for
#: and the languages they tell apart: its Malay, Serbo-Croatian and Sorbian families, and its Chinese,
#: which is also what it says for written Cantonese (it has no Cantonese model).
TOLD_APART = {"ms": ("Latn", FAMILIES["ms"]), "hbs": ("Latn", FAMILIES["hbs"]), "hsb": ("Latn", FAMILIES["hsb"]),
              "zh": ("Hani", ("zh", "yue"))}
#: heliport's score above which lid.176 is not asked when CLD2 agrees (a speed-up; see ``rankings``).
AGREED = 0.99


class Said(NamedTuple):
    """What the ensemble's rules read for one text (``EnsembleEngine.rankings``)."""

    heliport: Ranking
    fasttext: Ranking
    cld2: Ranking
    script: str | None = None  # the text's script, where a rule needs it
    variant: str | None = None  # the language the text's markers point to (rule 3)


class EnsembleEngine(Engine):
    """heliport, lid.176 and CLD2 combined by the rules of the module docstring."""

    name = "ensemble"

    def __init__(self, fasttext_alone: float = FASTTEXT_ALONE, cld2_alone: float = CLD2_ALONE,
                 heliport_unsure: float = HELIPORT_UNSURE):
        self.heliport = HeliportEngine()
        self.fasttext = FastTextEngine()
        self.cld2 = Cld2Engine()
        self.fasttext_alone, self.cld2_alone, self.heliport_unsure = fasttext_alone, cld2_alone, heliport_unsure

    def codes(self) -> frozenset[str]:
        return self.heliport.codes() | self.fasttext.codes() | self.cld2.codes()

    def load(self) -> None:
        for engine in (self.heliport, self.fasttext, self.cld2):
            engine.load()
        self.heliport_codes = self.heliport.codes() | {m for members in FAMILIES.values() for m in members}

    def rankings(self, line: str, k: int) -> Said:
        """What each engine says: heliport's best ``k + 1``, lid.176's best 5, CLD2's best; the
        text's script where heliport's label is one of ``TOLD_APART`` or lid.176 or CLD2 names a
        language of ``HELIPORT_SCRIPT`` (else None); and, where heliport's label is one of
        ``TOLD_APART`` and the text is in that label's script, the language its markers point to
        (else None).

        lid.176 is skipped (an empty ranking) when heliport is sure (score >= ``AGREED``) and CLD2
        names the same language: then only rule 2 could still use it, for a language neither of
        the two has, which both would have to miss with confidence. It saves about a third of the time.
        """
        heliport = scores_of(self.heliport.costs(line, k))  # k + 1 labels: one spare for a split family
        cld2 = self.cld2.rank(line, 1)
        top = heliport[0][0] if heliport else None
        script = variant = None
        if top in TOLD_APART:
            script = dominant_script(line)[0]
            if script == TOLD_APART[top][0]:
                variant = telling(top, line)
        if top is not None and cld2 and top == cld2[0][0] and heliport[0][1] >= AGREED:
            return Said(heliport, [], cld2, script, variant)
        fasttext = self.fasttext.rank_unchecked(line, 5)
        if script is None and any(ranking and ranking[0][0] in HELIPORT_SCRIPT for ranking in (fasttext, cld2)):
            script = dominant_script(line)[0]
        return Said(heliport, fasttext, cld2, script, variant)

    def rank(self, line: str, k: int) -> Ranking:
        said = self.rankings(line, k)
        code, score = self.decide(*said)
        heliport = said.heliport
        # a family label that is no language (hbs) does not follow the member (hr) it was split into;
        # one that is also a member (ms, hsb) stays as the next guess
        skip = {code} | {c for c, _ in heliport[:1] if code in FAMILIES.get(c, ()) and c not in FAMILIES[c]}
        return [(code, score)] + [(c, s) for c, s in heliport if c not in skip][: k - 1]

    def decide(self, heliport: Ranking, fasttext: Ranking, cld2: Ranking,
               script: str | None = None, variant: str | None = None) -> tuple[str | None, float]:
        """The ensemble's label and score from the three engines' rankings of one text, its script
        (which only matters for the languages of ``HELIPORT_SCRIPT``) and the family member its marker
        words point to (``variant``, rule 3)."""
        top, score = heliport[0] if heliport else (None, 0.0)

        def heliport_lacks(code: str) -> bool:
            return code not in self.heliport_codes or (script is not None and HELIPORT_SCRIPT.get(code, script) != script)

        if cld2 and heliport_lacks(cld2[0][0]) and cld2[0][1] >= self.cld2_alone:
            return cld2[0]
        if fasttext and heliport_lacks(fasttext[0][0]) and fasttext[0][1] >= self.fasttext_alone:
            return fasttext[0]
        if top in TOLD_APART and variant in TOLD_APART[top][1]:
            return variant, score
        if top in FAMILIES:
            members = FAMILIES[top]
            if cld2 and cld2[0][0] in members:
                return cld2[0][0], score
            return next((c for c, _ in fasttext if c in members), top), score
        if score < self.heliport_unsure and fasttext and cld2 and fasttext[0][0] == cld2[0][0] != top:
            return fasttext[0]
        return top, score
