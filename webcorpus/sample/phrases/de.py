"""German phrase material. Frames use the perfect tense with ``hat`` and a verb-final participle."""
from . import Phrasebook, Site, Topic

STADT = Topic(
    name="city",
    subjects=("der Stadtrat", "die Bürgermeisterin", "der Verkehrsverbund", "eine Bürgerinitiative",
              "das Bauamt", "der Heimatverein", "die Feuerwehr", "der Elternbeirat", "der Mieterverein",
              "die Stadtbibliothek", "der Sportverein", "das Umweltamt"),
    verbs=("beschlossen", "vorgestellt", "abgelehnt", "verschoben", "diskutiert", "begrüßt", "kritisiert",
           "angekündigt", "überarbeitet", "finanziert", "geprüft", "unterstützt"),
    objects=("einen neuen Radweg", "den Haushaltsentwurf", "längere Öffnungszeiten", "eine neue Buslinie",
             "den Hafenplan", "ein Baumprojekt", "günstigere Parkausweise", "den Hochwasserschutz",
             "einen Nachtmarkt", "die Brückensanierung", "einen Jugendfonds", "den Abfallvertrag"),
    places=("im Rathaus", "in der alten Markthalle", "bei einer vollen Sitzung", "in einem offenen Brief",
            "im Gemeindezentrum", "im Lokalradio", "in der Abendsitzung", "vor der Presse", "am Bahnhof",
            "im Ratssaal"),
    times=("am Dienstag", "letzte Woche", "Anfang des Monats", "nach langer Verzögerung", "in diesem Frühjahr",
           "am Donnerstagabend", "vor der Sommerpause", "am späten Freitag", "Anfang März", "am Wochenende"),
)

KUECHE = Topic(
    name="food",
    subjects=("die Bäckerei am Markt", "ein junger Koch", "die Hofgenossenschaft", "unsere Testküche",
              "ein Familienrestaurant", "die Dorfkäserei", "eine Foodbloggerin", "die Schulkantine",
              "ein Imbissbetreiber", "der Kochclub", "eine Gärtnerin", "das neue Café"),
    verbs=("gebacken", "serviert", "getestet", "verfeinert", "vorgestellt", "vereinfacht", "neu erfunden",
           "empfohlen", "zubereitet", "kombiniert", "wiederentdeckt", "verkauft"),
    objects=("ein Roggenbrot", "einen Linseneintopf", "eine Birnentarte", "frische Kräuterknödel",
             "eine Tomatensuppe", "einen Apfelkuchen", "geröstetes Wurzelgemüse", "einen Gerstensalat",
             "Buttermilchpfannkuchen", "einen Pilzeintopf", "ein Zwiebelfladenbrot", "hausgemachtes Pflaumenmus"),
    places=("für das Erntefest", "im Holzofen", "auf dem Wochenmarkt", "für ein Benefizessen",
            "in einer kleinen Küche", "beim Stadtfest", "für das Schulfest", "in gusseisernen Pfannen",
            "auf einem Campingkocher", "für die Wintersaison"),
    times=("in diesem Herbst", "jeden Sonntag", "zum ersten Mal", "letztes Wochenende", "in knapp einer Stunde",
           "nach langem Probieren", "zweimal pro Woche", "seit Januar", "in dieser Saison", "an einem Regentag"),
)

BOOK = Phrasebook(
    code="de",
    frames=(
        "{S} hat {T} {P} {O} {V}.",
        "{T} hat {S} {P} {O} {V}.",
        "{C} hat {S} {T} {O} {V}.",
        "{S} hat {T} {O} {V}, und {S2} hat {P} {O2} {V2}.",
        "{P} hat {S} {T} {O} {V}.",
    ),
    title_frame="{S} hat {O} {V}",
    connectors=("Außerdem", "Gleichzeitig", "Inzwischen", "Danach", "Zudem", "Trotzdem", "Schließlich"),
    remarks=(
        "Viele Leserinnen und Leser haben uns geschrieben, dass sie lange darauf gewartet haben.",
        "Nicht alle waren überzeugt, deshalb ist ein zweites Treffen geplant.",
        "Die Einzelheiten werden nächste Woche am Schwarzen Brett veröffentlicht.",
        "Niemand hatte mit einer so schnellen Entscheidung gerechnet.",
        "Fotos von dem Tag finden Sie in der Galerie unten.",
        "Ein ausführlicher Bericht erscheint in der Wochenendausgabe.",
        "Kritiker bemängeln, dass die Kosten noch immer unklar sind.",
        "Wer mitmachen möchte, kann sich am Empfang eintragen.",
    ),
    topics=(STADT, KUECHE),
    sites=(
        Site("Stadtbote am Fluss", "www.stadtbote-am-fluss.example", "Nachrichten aus der Region"),
        Site("Hafenblatt", "hafenblatt.example", "Unabhängig seit 1950"),
        Site("Küchenzettel", "kuechenzettel.example", "Rezepte und Geschichten vom Essen"),
        Site("Kreisanzeiger Nord", "www.kreisanzeiger-nord.example", "Was im Kreis passiert"),
    ),
    authors=("Jana Köhler", "Matthias Brandt", "Leonie Vogt", "Emre Yilmaz", "Sabine Hartmann", "Felix Neumann"),
    chrome={
        "home": "Startseite", "skip": "Zum Inhalt springen", "search": "Suche",
        "nav": ("Nachrichten", "Lokales", "Essen", "Kultur", "Sport", "Meinung"),
        "cookie": "Wir verwenden Cookies, um Ihnen ein besseres Nutzungserlebnis zu bieten. Mit der weiteren Nutzung stimmen Sie dem zu.",
        "accept": "Alle akzeptieren", "settings": "Einstellungen",
        "newsletter": "Die wichtigsten Meldungen jeden Freitag in Ihrem Postfach.", "subscribe": "Abonnieren",
        "most_read": "Meistgelesen", "related": "Das könnte Sie auch interessieren", "share": "Artikel teilen",
        "by": "Von", "rights": "Alle Rechte vorbehalten.", "privacy": "Datenschutz", "terms": "Nutzungsbedingungen",
        "contact": "Kontakt", "about": "Impressum", "syndication": "Dieser Artikel erschien zuerst bei {site}.",
    },
    pii_frames=(
        "Fragen beantwortet das Team unter {email} oder telefonisch unter {phone}.",
        "Anmeldungen nimmt das Büro per E-Mail an {email} entgegen.",
    ),
)
