"""Language codes: one spelling for every engine's labels.

The stage writes **ISO 639-1** where the language has such a code (``en``,
``zh``, ``nb``) and **ISO 639-3** otherwise (``gsw``, ``ceb``, ``udm``), whatever
the engine. Each engine's labels pass through :func:`normalize_label`:

* fastText's ``__label__`` prefix is removed; GlotLID / OpenLID labels
  (``eng_Latn``) lose their script.
* ISO 639-3 (and 639-2/B) codes become ISO 639-1 through :data:`ISO3_TO_ISO1`,
  which also folds the individual languages of a macrolanguage into the code
  users name (``cmn`` -> ``zh``, ``arb`` -> ``ar``, ``zsm`` -> ``ms``,
  ``pes``/``prs`` -> ``fa``, ``ekk`` -> ``et``, ``kmr`` -> ``ku``). Central
  Kurdish stays ``ckb``; Indonesian ``id`` is never folded into ``ms``.
* Engine-specific spellings (:data:`ENGINE_RELABEL`): lid.176 uses Wikipedia
  codes (``no`` for Bokmål, ``als`` for Alemannic, ``sh`` Serbo-Croatian, ``bh``
  Bihari) which become ``nb``, ``gsw``, ``hbs``, ``bih``; heliport writes
  variants such as ``hbshrv`` or ``msaind`` and Finnish dialects (``finx``) which
  become ``hr``, ``id``, ``fi``.

In ``keep``, ``no`` means both ``nb`` and ``nn``, and any ISO 639-3 code is read
as its ISO 639-1 twin (``deu`` keeps ``de``).
"""
from __future__ import annotations

# ISO 639-3 (also 639-2/B) -> ISO 639-1 for every language that has a 639-1 code, then
# individual languages folded into their macrolanguage's 639-1 code.
_PAIRS = """
aar aa abk ab ave ae afr af aka ak amh am arg an ara ar asm as ava av aym ay aze az bak ba bel be bul bg bis bi
bam bm ben bn bod bo tib bo bre br bos bs cat ca che ce cha ch cos co cre cr ces cs cze cs chu cu chv cv cym cy
wel cy dan da deu de ger de div dv dzo dz ewe ee ell el gre el eng en epo eo spa es est et eus eu baq eu fas fa
per fa ful ff fin fi fij fj fao fo fra fr fre fr fry fy gle ga gla gd glg gl grn gn guj gu glv gv hau ha heb he
hin hi hmo ho hrv hr hat ht hun hu hye hy arm hy her hz ina ia ind id ile ie ibo ig iii ii ipk ik ido io isl is
ice is ita it iku iu jpn ja jav jv kat ka geo ka kon kg kik ki kua kj kaz kk kal kl khm km kan kn kor ko kau kr
kas ks kur ku kom kv cor kw kir ky lat la ltz lb lug lg lim li lin ln lao lo lit lt lub lu lav lv mlg mg mah mh
mri mi mao mi mkd mk mac mk mal ml mon mn mar mr msa ms may ms mlt mt mya my bur my nau na nob nb nde nd nep ne
ndo ng nld nl dut nl nno nn nor no nbl nr nav nv nya ny oci oc oji oj orm om ori or oss os pan pa pli pi pol pl
pus ps por pt que qu roh rm run rn ron ro rum ro rus ru kin rw san sa srd sc snd sd sme se sag sg sin si slk sk
slo sk slv sl smo sm sna sn som so sqi sq alb sq srp sr ssw ss sot st sun su swe sv swa sw tam ta tel te tgk tg
tha th tir ti tuk tk tgl tl tsn tn ton to tur tr tso ts tat tt twi tw tah ty uig ug ukr uk urd ur uzb uz ven ve
vie vi vol vo wln wa wol wo xho xh yid yi yor yo zha za zho zh chi zh zul zu
arb ar azj az azb az cmn zh ekk et lvs lv khk mn npi ne ory or pbt ps pes fa prs fa swh sw zsm ms quy qu gug gn
ydd yi plt mg gaz om kmr ku ayr ay knc kr kpv kv uzn uz fil tl als sq
"""
ISO3_TO_ISO1: dict[str, str] = dict(zip(*[iter(_PAIRS.split())] * 2))
#: Every ISO 639-1 code, for telling a 639-1 code from a 639-3 one.
ISO1_CODES = frozenset(ISO3_TO_ISO1.values())

#: Spellings one engine uses for a language that another engine spells otherwise.
ENGINE_RELABEL: dict[str, dict[str, str | None]] = {
    # lid.176 was trained on Wikipedia, whose codes are not all ISO 639.
    "lid176": {"no": "nb", "als": "gsw", "sh": "hbs", "bh": "bih"},
    # heliport (HeLI-OTS 2) names variants of a language and non-language classes.
    "heliport": {
        "hbsbos": "bs", "hbshrv": "hr", "hbssrp": "sr", "msaind": "id", "msazsm": "ms", "msamalay": "ms",
        "msamin": "min", "estvro": "vro", "sagb": "sg", "und": None, "undhtml": None, "zxx": None,
        **{f"fin{v}": "fi" for v in "iklmoprstx"},
    },
}

#: Codes that stand for several output codes when they appear in ``keep``.
KEEP_ALIASES = {"no": ("nb", "nn"), "nor": ("nb", "nn")}


def normalize_label(label: str, engine: str = "lid176") -> str | None:
    """An engine's label (``__label__en``, ``__label__eng_Latn``, ``hbshrv``) -> the code the stage writes.

    ``engine`` picks the engine-specific spellings of :data:`ENGINE_RELABEL`
    (``lid176`` for lid.176-style Wikipedia codes, ``heliport``, ``iso`` for
    none). ``None`` means the engine's "no language" classes.
    """
    if label.startswith("__label__"):
        label = label[9:]
    code, _, script = label.partition("_")
    code = code.lower()
    relabel = ENGINE_RELABEL.get(engine, {})
    if not script and code in relabel:
        return relabel[code]
    if script and engine == "lid176":
        engine = "iso"  # a GlotLID-style label: its codes are ISO 639-3 (als_Latn is Tosk Albanian)
    return ISO3_TO_ISO1.get(code, code) if len(code) == 3 else code


def label_script(label: str) -> str | None:
    """The ISO 15924 script of a GlotLID-style label (``srp_Cyrl`` -> ``Cyrl``), else None."""
    if label.startswith("__label__"):
        label = label[9:]
    _, _, script = label.partition("_")
    return script or None


def keep_codes(codes) -> frozenset[str]:
    """The output codes a ``keep`` list admits: ISO 639-3 read as 639-1, aliases such as ``no`` expanded.

    Script-qualified codes (``sr_Latn``) keep their script, so ``keep: [sr_Latn]``
    keeps only Latin-script Serbian when the stage writes scripts.
    """
    out: set[str] = set()
    for raw in codes:
        code, _, script = raw.strip().partition("_")
        code = code.lower()
        if code in KEEP_ALIASES and not script:
            out.update(KEEP_ALIASES[code])
            continue
        code = ISO3_TO_ISO1.get(code, code) if len(code) == 3 else ENGINE_RELABEL["lid176"].get(code, code)
        out.add(f"{code}_{script.title()}" if script else code)
    return frozenset(out)

