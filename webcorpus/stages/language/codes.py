"""Language codes: one spelling for every model's labels.

The stage writes ISO 639-1 codes where one exists (``en``, ``zh``, ``nb``) and
the model's own code otherwise (lid.176's Wikipedia codes such as ``als``,
``ceb``, ``war``; ISO 639-3 codes from GlotLID-style models such as ``lug``).

* fastText's ``__label__`` prefix is removed.
* GlotLID / OpenLID labels (``eng_Latn``) lose the script and their ISO 639-3
  code becomes ISO 639-1 through :data:`ISO3_TO_ISO1`, which also folds
  individual languages into the macrolanguage users name (``cmn`` -> ``zh``,
  ``arb`` -> ``ar``, ``zsm`` -> ``ms``, ``pes`` -> ``fa``).
* Norwegian: lid.176 labels Bokmal ``no`` (trained on no.wikipedia, which is
  Bokmal; Nynorsk is its own ``nn``), so ``no`` becomes ``nb``, the same code
  GlotLID's ``nob`` gets. In ``keep``, ``no`` means both ``nb`` and ``nn``.
"""
from __future__ import annotations

# ISO 639-3 (and 639-2/B, and common individual languages of a macrolanguage) -> ISO 639-1.
_PAIRS = """
afr af amh am ara ar arb ar asm as aze az azj az azb az bak ba bel be ben bn bod bo tib bo bos bs bre br bul bg
cat ca ces cs cze cs che ce chv cv cos co cym cy wel cy dan da deu de ger de div dv dzo dz ell el gre el eng en
epo eo est et ekk et eus eu baq eu fao fo fas fa per fa pes fa prs fa fin fi fil tl tgl tl fra fr fre fr fry fy
gla gd gle ga glg gl grn gn gug gn guj gu hat ht hau ha heb he hin hi hrv hr hun hu hye hy arm hy ibo ig ido io
ile ie ina ia ind id isl is ice is ita it jav jv jpn ja kal kl kan kn kas ks kat ka geo ka kaz kk khm km kin rw
kir ky kor ko kur ku kmr ku lao lo lat la lav lv lvs lv lim li lin ln lit lt ltz lb lug lg mal ml mar mr mkd mk
mac mk mlg mg plt mg mlt mt mon mn khk mn mri mi mao mi msa ms may ms zsm ms mya my bur my nep ne npi ne nld nl
dut nl nno nn nob nb nor nb nya ny oci oc ori or ory or orm om gaz om oss os pan pa pol pl por pt pus ps pbt ps
que qu quy qu roh rm ron ro rum ro rus ru san sa sin si slk sk slo sk slv sl sme se sna sn snd sd som so sot st
spa es sqi sq alb sq srd sc srp sr ssw ss sun su swa sw swh sw swe sv tam ta tat tt tel te tgk tg tha th
tir ti ton to tsn tn tso ts tuk tk tur tr uig ug ukr uk urd ur uzb uz uzn uz ven ve vie vi vol vo wln wa wol wo
xho xh yid yi ydd yi yor yo zha za zho zh chi zh cmn zh zul zu abk ab ava av aym ay bis bi bam bm cha ch
cre cr ewe ee fij fj ful ff glv gv hmo ho her hz iku iu ipk ik kik ki kom kv kon kg kua kj kwa kw lub lu
nau na nav nv nbl nr nde nd ndo ng iii ii oji oj pli pi run rn sag sg smo sm twi tw tah ty aka ak
"""
ISO3_TO_ISO1: dict[str, str] = dict(zip(*[iter(_PAIRS.split())] * 2))

#: Model labels respelled so every model agrees (lid.176 writes Bokmal as ``no``).
RELABEL = {"no": "nb"}

#: Codes that stand for several output codes when they appear in ``keep``.
KEEP_ALIASES = {"no": ("nb", "nn"), "nor": ("nb", "nn")}


def normalize_label(label: str) -> str:
    """A model label (``__label__en``, ``__label__eng_Latn``, ``no``) -> the code the stage writes."""
    if label.startswith("__label__"):
        label = label[9:]
    code, _, script = label.partition("_")
    code = code.lower()
    if script or len(code) == 3:
        code = ISO3_TO_ISO1.get(code, code) if script else code
    return RELABEL.get(code, code)


def label_script(label: str) -> str | None:
    """The ISO 15924 script of a GlotLID-style label (``srp_Cyrl`` -> ``Cyrl``), else None."""
    if label.startswith("__label__"):
        label = label[9:]
    _, _, script = label.partition("_")
    return script or None


def expand_keep(codes) -> frozenset[str]:
    """The output codes a ``keep`` list admits: normalised, with aliases such as ``no`` expanded."""
    out: set[str] = set()
    for code in codes:
        code = code.strip().lower()
        if code in KEEP_ALIASES:
            out.update(KEEP_ALIASES[code])
        else:
            out.add(RELABEL.get(code, code))
    return frozenset(out)
