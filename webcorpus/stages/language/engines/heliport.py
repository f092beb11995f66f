"""heliport: HeLI-OTS 2 (the identifier of HPLT v2) in Rust, its models inside the PyPI wheel.

heliport ranks languages by a per-feature cost (lower is better) over word and
character n-gram models. Its score here is the probability that its first
label is right, estimated from the gap between the first two costs with a
logistic curve, ``1 / (1 + exp(-(A * gap + B)))``, fitted on the dev half of
lingua's sentences and paragraphs (``benchmarks/language_id.py --calibrate``);
later labels get that probability times ``exp(-A * (cost - best cost))``.
So the score reads as the chance of being right (lid.176's probabilities are more cautious).

heliport names Malay and Indonesian together (``msa`` -> ``ms``) and Bosnian,
Croatian and Serbian together (``hbs``); the ``ensemble`` engine splits them.
The wheel's licence is GPL-3.0 (its metadata); the package is imported, nothing of it is copied.
"""
from __future__ import annotations

import math

from webcorpus.stages.language.codes import normalize_label
from webcorpus.stages.language.engines.base import Engine, Ranking

#: Logistic calibration of the cost gap (see the module docstring).
A, B = 7.00, 0.19

#: Every label of heliport 1.x's model (its ``get_confidence_all()``), so that a pipeline
#: can be validated without loading 130 MB of n-gram tables.
LABELS = """
abk ace adz afr aii ame amh amr ara arl arn asm ayr aze bak bar bcl bel ben boa bod bpy bre bul cat cbu cdo ceb
ces che chk cho chr chv chy ckb cmn cnh cor cos cym dan deu dik diq div ell eng epo est estvro eus ewe ext fao
fij fin fini fink finl finm fino finp finr fins fint finx fon fra fry gaz gla gle glg glv gom grn gsw guj hat hbs
hbsbos hbshrv hbssrp heb hin hmo hsb hun hus huu hye ibo ido iku ilo ina isl ita izh jpn kac kal kan kat kaz kbd
kbp kca khm kir kmr knc koi kor kpv krc ksh lao lat lav lin lit liv lmo ltz lud lug luo lus mal mar mcd mcf mdf
mhr mkd mlg mlt mns mon mri mrj msa msaind msamalay msamin msazsm mwl mya myv nav nep nhn nio nld nno nob nso nus
oci olo ori oss pag pam pan pbt pes pfl pli pms pnb pol pon por que roh ron rus sag sagb sah sat scn sgs shk shn
sin sjd sjk sju slk slv sma sme smj smn sms sna snd som sot spa sqi srd swa swe tam tat tca tel tet tgk tgl tha
tir tso tuk tur twi tzh udm uig ukr und undhtml ura urd uzn vie vls vol vot war wln xmf yid yor yrk zul zxx
""".split()


class HeliportEngine(Engine):
    """HeLI-OTS 2 through the ``heliport`` wheel (no download: the models ship in it)."""

    name = "heliport"

    def codes(self) -> frozenset[str]:
        # The variants of hbs and msa have confidence thresholds but are never ranked: heliport 1.x
        # writes those families as hbs and msa only.
        labels = (label for label in LABELS if label[:3] not in ("hbs", "msa") or len(label) == 3)
        return frozenset(c for c in (normalize_label(label, "heliport") for label in labels) if c)

    def load(self) -> None:
        from heliport import Identifier

        self._identifier = Identifier()
        self._code = {label: normalize_label(label, "heliport") for label in LABELS}

    def costs(self, line: str, k: int) -> list[tuple[str, float]]:
        """heliport's own best ``k + 1`` labels (the gap to the next one makes the score) as (code, cost),
        lowest cost first, "no language" classes left out."""
        out = []
        # heliport 1.0's top-k often answers with fewer than k labels (k = 2 gives one), so ask for
        # two more than needed.
        for label, cost in self._identifier.identify_topk_with_score(line, k + 3):
            code = self._code.get(label, label)
            if code is not None and all(code != seen for seen, _ in out):
                out.append((code, float(cost)))
        return out[: k + 1]

    def rank(self, line: str, k: int) -> Ranking:
        return scores_of(self.costs(line, max(k - 1, 1)))[:k]


def scores_of(costs: list[tuple[str, float]]) -> Ranking:
    """heliport costs -> calibrated scores (module docstring)."""
    if not costs:
        return []
    best = costs[0][1]
    gap = costs[1][1] - best if len(costs) > 1 else 5.0
    top = 1.0 / (1.0 + math.exp(-(A * gap + B)))
    return [(code, top * math.exp(-A * (cost - best))) for code, cost in costs]
