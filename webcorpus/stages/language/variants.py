"""Standard languages written almost alike, told apart by the words their standards spell or choose differently.

n-gram identifiers confuse Bosnian, Croatian and Serbian (Latin script), and Malay
and Indonesian: the letters are the same and most words too (docs/benchmarks.md).
What separates the standards is a short list of well-known differences, written
here from the languages' grammars and usage guides, not fitted to any data set, and
pruned of words the other standard also uses often (a linguistic review, docs/benchmarks.md):

* **Serbian vs Croatian and Bosnian**: the reflex of old *yat*. Serbian's standard
  is ekavian (``vreme``, ``gde``, ``deca``, ``posle``), Croatian's and Bosnian's
  ijekavian (``vrijeme``, ``gdje``, ``djeca``, ``poslije``).
* **Croatian vs Bosnian and Serbian**: Croatian's own words where Bosnian and
  Serbian share an eastern or international one (``tko``/``ko``, ``tisuća``/
  ``hiljada``, ``povijest``/``historija``, ``sveučilište``/``univerzitet``, the
  Slavic month names, ``Europa``/``Evropa``, ``tijekom``/``tokom``,
  ``suradnja``/``saradnja``, ``obveza``/``obaveza``, ``točno``/``tačno``).
* **Bosnian vs Serbian**: Bosnian keeps ``h`` where the others dropped it
  (``historija``, ``lahko``, ``kahva``, ``hljeb``) and writes ``vjerovatno``
  and ``obavještenje``.
* **Cantonese vs Standard Chinese**: written Cantonese has characters of its
  own that Standard Written Chinese does not use (the possessive ``嘅``, the
  perfective ``咗``, ``喺`` "at", ``嚟`` "come", the plural ``哋``, ``佢``
  "he/she", ``冇`` "not have", ``嘢`` "thing", ``啲``, ``嗰``). None of the
  identifiers here has a Cantonese model that reads it apart from Mandarin.
* **Upper vs Lower Sorbian**: letters (``ř``, ``dź`` against ``ś``, ``ŕ``, ``ź``).
* **Malay vs Indonesian**: spelling (``kerana``/``karena``, ``bahawa``/
  ``bahwa``, ``-iti``/``-itas``, English month names spelt
  ``Disember``, ``Ogos``) and vocabulary (``kakitangan``/``karyawan``,
  ``maklumat``/``informasi``, ``perkhidmatan``/``layanan``).

``telling(family, text)`` counts the markers and answers with the language more
of them point to; on a tie (none at all, mostly) it returns None and the caller
keeps its identifiers' word. A word may count in two lists when both its form
and its choice are marked (``primjerice``: ijekavian, and Croatian's word).
"""
from __future__ import annotations

import functools
import re
import unicodedata

_WORD = re.compile(r"[^\W\d_]+")


class _Markers:
    """Words (exact) and word starts (prefixes, given with a trailing ``*``)."""

    def __init__(self, spec: str):
        items = spec.split()
        self.words = frozenset(w for w in items if not w.endswith("*"))
        self.prefixes = tuple(w[:-1] for w in items if w.endswith("*"))

    def __contains__(self, word: str) -> bool:
        return word in self.words or word.startswith(self.prefixes)


class _Counter:
    """Counts, for a text's words, how many each of several marker lists holds. Which lists hold a
    word is remembered (up to 65,536 words): most words of a text are common words seen many times
    before, so a text costs little more than its tokenization."""

    def __init__(self, *lists: _Markers):
        self.lists = lists
        self.holding = functools.lru_cache(maxsize=1 << 16)(self._holding)

    def _holding(self, word: str) -> tuple[int, ...]:
        """The indexes of the lists that hold ``word``."""
        return tuple(i for i, markers in enumerate(self.lists) if word in markers)

    def __call__(self, words: list[str]) -> list[int]:
        counts = [0] * len(self.lists)
        for word in words:
            for i in self.holding(word):
                counts[i] += 1
        return counts


# --- Bosnian, Croatian, Serbian (Latin script) ---------------------------------------------
#: ijekavian forms (Croatian and Bosnian standards).
IJEKAVIAN = _Markers("""
vrijem* riječ* rječnik* djeca djece djeci djecom djecu dijete djeteta djetetu mjesto mjesta mjestu mjestima
lijep* svijet* primjer* pjesm* pjev* cijel* bijel* rijeka rijeke rijeci rijeku uvijek gdje ovdje ondje negdje
svugdje poslije prije vidjeti vidjeli vidjela htio htjela htjeli htjeti sjedn* ljeto ljeta ljetu mlijek* djelo
djela djelu djelovanj* dio dijela dijelu dijelov* dijeli* mjesec* mjeseč* vjera vjere vjeri vjeru vjersk*
razumijev* posljedn* posljedic* nedjelj* tijelo tijela tijelu pobjed* cijena cijene cijenu cijeni snijeg*
vjetar vjetra zvijezd* mjera mjere mjeru mjerama smjer* zahtjev* namjer* sjever* svjetl* svjetsk* savjet*
posjet* uvjer* provjer* obavijest* vijest* vijek vijeka vijeku stoljeć* ponedjeljak* sjećanj* bjež* odjel*
 lijek* lijev* nijem* pjesnik* rješenj* rješava* riješi* sjediti sjedio sjedila sjedili sjedišt*
""")
#: ekavian forms (the Serbian standard).
EKAVIAN = _Markers("""
vreme reč reči rečju rečima rečnik* deca dece deci decom decu dete deteta detetu mesto mesta mestu mestima lep
lepo lepa lepe lepi lepog lepu svetsk* primer primera primeru primere primerima pesm* pevač* pevanj* ceo cela
celo celi cele celog celu celokup* beo bela belo beli bele reka reke reku uvek gde ovde pre onde negde svugde
posle hteo hteli htela hteti sedi sedim mleko mleka deo delu delova delimično podel* raspodel* mesec* meseč*
vera vere veri veru versk* verovat* razumevanj* posledn* posledic* nedelj* telo tela telu pobed* cena cene
cenu cenom cenama sneg* vetar vetra zvezd* smer* zahtev* namer* sever* svetl* savet* poset* uver* prover*
obavest* obavešt* vest vesti vek veka veku vekova ponedeljak* sećanj* beža* odeljen* odeljk* rešenj* rešava*
reši* sedišt*
""")
#: Croatian's own words, where Bosnian and Serbian share another one.
CROATIAN = _Markers("""
tko netko nitko itko svatko tisuća tisuće tisuću tisućama tjedan tjedna tjednu tjedana tjedno tjedni kruh vlak
vlaka vlakom obitelj obitelji obiteljsk* unatoč dapače primjerice glede sveučilišt* znanost* znanstven*
povijest* povijesn* glazb* kazališt* zrakoplov* nogomet* točn* suradnj* surađ* sudjelova* sudionik* obvez*
utjeca*  računal* zapork* izbornik* poslužitelj* pogrešk* europ* veljač* ožuj* travanj travnja svibanj
svibnja lipanj lipnja srpanj srpnja rujan rujna listopad* prosinac prosinca studenoga tvrtk* poduzeć*
pozornost* iznimk* iznimn* čimbenik* mirovin* zemljopis* vjerojatn* kava kave svezak ravnatelj* priopćen*
izvješć* sukladno tijekom siječanj siječnja siječnju
""")
#: eastern or international words Bosnian and Serbian share (Croatian has its own, above).
EASTERN = _Markers("""
hiljad* šta ko univerzitet* nauka nauke nauci naukom naučn* evrop* tokom saradnj* sarađ* učestvova* učesnik*
obavez*  utica* uprkos tačk* tačn* januar* februar* mart marta april* jun juna jul jula avgust*
septemb* oktob* novemb* decemb* fudbal* hleb* vazduh* voz voza vozom sedmic* opšt*  fajl* vanredn*
penzij* preduzeć* kancelarij* istorij* verovatn* bezbedn* takođe računar računara računaru računari računare
računarima
""")
#: words of the Bosnian standard alone.
BOSNIAN = _Markers("historij* lahk* mehk* kahv* sahat* hljeb* vjerovatn* obavještenj*")


_HBS = _Counter(EKAVIAN, IJEKAVIAN, CROATIAN, EASTERN, BOSNIAN)


def _hbs(words: list[str]) -> str | None:
    """ekavian: Serbian. Otherwise Croatian's own words against the eastern and Bosnian ones: more
    Croatian, Croatian; more eastern, Bosnian if the text is ijekavian or has a Bosnian word (an
    eastern word alone fits Serbian as well)."""
    ekavian, ijekavian, croatian, eastern, bosnian = _HBS(words)
    if ekavian > ijekavian:
        return "sr"
    if croatian > eastern + bosnian:
        return "hr"
    if eastern + bosnian > croatian and (ijekavian > ekavian or bosnian):
        return "bs"
    return None


# --- Malay, Indonesian -----------------------------------------------------------------------
MALAY = _Markers("""
kerana bahawa  sahaja hendaklah iaitu tandas pelbagai antarabangsa disember ogos julai baharu  kualiti
universiti aktiviti komuniti kapasiti identiti televisyen mesyuarat syarikat kakitangan sebarang mahu
memandangkan  tetapan laluan jadual carian senarai tarikh nombor maklumat perkhidmatan amaran ralat
samarata persendirian peribadi manakala ugama diperolehi
""")
INDONESIAN = _Markers("""
karena bahwa  uang mobil kantor yaitu hendaknya  internasional desember agustus juli juni
coba kualitas universitas aktivitas komunitas kapasitas identitas televisi karyawan mau silakan perbarui unduh
berkas sandi surel hapus pencarian tanggal nomor layanan pengadilan pribadi dikaruniai nggak enggak gimana
banget  aja jadwal
""")


_MALAY = _Counter(MALAY, INDONESIAN)


def _malay(words: list[str]) -> str | None:
    malay, indonesian = _MALAY(words)
    return "ms" if malay > indonesian else "id" if indonesian > malay else None


# --- Cantonese, Standard Chinese ---------------------------------------------------------------
CANTONESE = frozenset("嘅咗喺嚟哋佢冇嘢啲嗰噉嘥瞓嬲揾搵攞畀咩啱冚")
#: Cantonese characters a text needs (count, and share of its Han characters) to be called Cantonese: a
#: Mandarin text that quotes a Cantonese phrase has one or two.
CANTONESE_MIN, CANTONESE_SHARE = 3, 0.01


def _cantonese(text: str) -> str | None:
    found = sum(1 for ch in text if ch in CANTONESE)
    if found < CANTONESE_MIN:
        return None
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return "yue" if found >= CANTONESE_SHARE * han else None


# --- Sorbian: Upper, Lower -------------------------------------------------------------------
def _sorbian(text: str) -> str | None:
    """Upper Sorbian writes ``ř`` and ``dź`` (``přez``, ``dźěło``), Lower Sorbian ``ś``, ``ŕ`` and ``ź``
    alone (``pśez``, ``źěło``); neither writes the other's letters."""
    upper = text.count("ř") + text.count("dź")
    lower = text.count("ś") + text.count("ŕ") + text.count("ź") - text.count("dź")
    return "hsb" if upper > lower else "dsb" if lower > upper else None


def _on_words(teller):
    """A teller of a text made from a teller of its words."""
    return lambda text: teller(_WORD.findall(text))


#: heliport's label -> the teller of the languages it stands for (each takes the text lowercased, NFC)
_TELLERS = {"hbs": _on_words(_hbs), "ms": _on_words(_malay), "hsb": _sorbian, "zh": _cantonese}


def telling(family: str, text: str) -> str | None:
    """Which language the text's markers point to, among those heliport's label ``family`` stands for
    (``hbs``: bs/hr/sr; ``ms``: ms/id; ``hsb``: hsb/dsb; ``zh``: yue only), or None."""
    teller = _TELLERS.get(family)
    # NFC: a decomposed č or ř would split a word in two and hide a letter
    return teller(unicodedata.normalize("NFC", text).lower()) if teller else None
