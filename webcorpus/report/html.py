"""One self-contained ``report.html``: headline numbers, then one section per part of the run.

The page has no script and loads nothing: styles are inline, charts are
inline SVG (:mod:`webcorpus.report.charts`), text uses the reader's own
system font. Document URLs appear as plain text, never as links. Every
number a test or a person may want to check carries ``data-value`` with the
exact figure from :func:`webcorpus.report.data.gather`.
"""
from __future__ import annotations

import json
from html import escape

import yaml

from webcorpus import numbers
from webcorpus.report import charts
from webcorpus.report import decontamination
from webcorpus.report.charts import COLORS
from webcorpus.report.style import STYLE

#: (id, title) of every section, in page order; a part that did not run keeps its section with a note.
SECTIONS = [
    ("funnel", "Funnel: what each stage kept and dropped"),
    ("signals", "Filter signals and their thresholds"),
    ("classifier", "Quality classifier: how well it separates, and documents at each score level"),
    ("examples", "Examples of dropped documents, per reason"),
    ("domains", "Top domains kept and dropped"),
    ("languages", "Languages"),
    ("lengths", "Document length before and after"),
    ("dedup", "Duplicates"),
    ("paragraphs", "Repeated paragraphs"),
    ("pii", "Personal information (PII)"),
    ("tokenizer", "Tokenizer and token shards"),
    ("training", "Training"),
    ("ablation", "Ablation: which corpus makes the better model"),
    ("config", "Configuration and time per stage"),
    ("bad-input", "Bad input"),
]


def render(data: dict) -> str:
    """The whole page for the data of :func:`webcorpus.report.data.gather`."""
    run = data["run"]
    parts = {
        "funnel": _funnel, "signals": _signals, "classifier": _classifier, "examples": _examples, "domains": _domains, "languages": _languages, "lengths": _lengths, "dedup": _dedup, "paragraphs": _paragraphs, "pii": _pii,
        "tokenizer": _tokenizer, "training": _training, "ablation": _ablation, "config": _config, "bad-input": _bad_input,
    }
    sections = "".join(_section(key, title, parts[key](data)) + _after(key, data) for key, title in SECTIONS)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>webcorpus report: {escape(data['output'])}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>webcorpus run report</h1><p class=\"sub\">Output <b>{escape(data['output'])}</b> · pipeline "
        f"{escape(_pipeline_source(run))} · started {escape(run['started'])} UTC · "
        f"{numbers.duration(run['seconds'])}</p>"
        f"{_headline(data['headline'])}{sections}</main></body></html>\n"
    )


def _after(key: str, data: dict) -> str:
    """Sections of stages few pipelines run, shown only when they ran: eval-set contamination after dedup."""
    if key == "dedup" and data.get("decontamination"):
        return _section("decontamination", decontamination.TITLE, (decontamination.section_html(data["decontamination"]), None))
    return ""


def _pipeline_source(run: dict) -> str:
    source = run.get("source")
    return "built in Python" if not source or source.startswith("<") else str(source)


def _section(key: str, title: str, body: tuple[str, str | None]) -> str:
    """``body`` is (html, None) for a part that ran, or ("", reason) for one that did not."""
    html, absent = body
    if absent:
        return f'<section id="{key}" class="absent"><h2>{escape(title)}</h2><p class="absent-note">{escape(absent)}</p></section>'
    return f'<section id="{key}"><h2>{escape(title)}</h2>{html}</section>'


def _n(value, digits: int | None = None) -> str:
    """A number as :mod:`webcorpus.numbers` writes it (a count; a float with ``digits`` decimals, else as it is)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return escape(str(value))
    if isinstance(value, int):
        return numbers.count(value)
    return numbers.decimal(value, digits) if digits is not None else f"{value:,}"  # not rounded: an lr of 0.0006


def _cell(field: str, value, digits: int | None = None, shown: str | None = None) -> str:
    """A table cell with the exact figure in ``data-value``; ``shown`` replaces the written number (a size, a time)."""
    return (f'<td class="num" data-field="{field}" data-value="{escape(str(value))}">'
            f'{escape(shown) if shown is not None else _n(value, digits)}</td>')


def _fact_rows(facts: list[tuple]) -> str:
    """Rows of (name, value) or (name, value, shown) facts, each with its exact value in ``data-value``."""
    rows = []
    for name, value, *shown in facts:
        text = escape(shown[0]) if shown else _n(value)
        rows.append(f'<tr data-fact="{escape(name)}"><th>{escape(name)}</th><td data-value="{escape(str(value))}">{text}</td></tr>')
    return "".join(rows)


def _table(table_id: str, headers: list[str], rows: list[str], numeric: tuple[int, ...] = ()) -> str:
    """A ``<table>`` with a header row (the columns at the indexes ``numeric`` right-aligned) and
    ``rows``, each a whole ``<tr>`` element."""
    head = "".join(f'<th class="num">{h}</th>' if i in numeric else f"<th>{h}</th>" for i, h in enumerate(headers))
    return f'<table id="{table_id}"><tr>{head}</tr>' + "".join(rows) + "</table>"


def _caption(text: str) -> str:
    return f'<p class="caption">{text}</p>'


def _headline(items: list[dict]) -> str:
    cards = []
    for item in items:
        value = item["value"]
        shown = numbers.duration(value) if item["key"] == "seconds" else _n(value, 4 if item["key"] in ("bytes_per_token", "val_loss") else None)
        cards.append(f'<div class="card" data-key="{item["key"]}" data-value="{escape(str(value))}"><div class="value">{shown}</div>'
                     f'<div class="label">{escape(item["label"])}</div><div class="note">{escape(item["note"])}</div></div>')
    return f'<div class="cards" id="headline">{"".join(cards)}</div>'


def _reasons(counts: dict, short: str = "") -> str:
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{escape(r[len(short):] if short and r.startswith(short) else r)} {numbers.count(n)}" for r, n in ordered)


def _stage_time(timing: dict) -> str:
    """A stage's time with its set-up: ``8.6 s (8.5 s set-up)``."""
    total = numbers.duration(timing["seconds"] + timing["setup_seconds"])
    return f"{total} ({numbers.duration(timing['setup_seconds'])} set-up)" if timing["setup_seconds"] >= 0.05 else total


def _funnel(data: dict):
    funnel = data["funnel"]
    read = funnel["read"]
    rows = [("HTML pages read", [read, 0], f"{numbers.count(read)}")]
    for stage in funnel["stages"]:
        note = stage["skipped"] or f"{numbers.count(stage['documents_out'])} kept"
        if stage["dropped_total"]:
            note += f", {numbers.count(stage['dropped_total'])} dropped"
        rows.append((stage["name"], [stage["documents_out"], stage["dropped_total"]], note))
    series = [("went on", COLORS["kept"]), ("dropped here", COLORS["dropped"])]
    chart = charts.legend(series) + charts.hbars(rows, series)
    table = []
    for i, stage in enumerate(funnel["stages"]):
        counters = {k: v for k, v in stage["counters"].items() if isinstance(v, (int, float)) and v}
        why = _reasons(stage["dropped"], f"{stage['name']}:") if stage["dropped"] else (
            f'<span style="color:#5b6570">{_reasons(counters)}</span>' if counters else "")
        if stage["skipped"]:
            why = f'<span style="color:#5b6570">{escape(stage["skipped"])}</span>'

        table.append(
            f'<tr data-stage="{escape(stage["name"])}" data-index="{i}"><td>{i + 1}</td><td>{escape(stage["name"])}</td>'
            f'<td>{stage["kind"]}</td>{_cell("documents_in", stage["documents_in"])}{_cell("documents_out", stage["documents_out"])}'
            f'{_cell("dropped", stage["dropped_total"])}<td class="num">{numbers.share(stage["dropped_total"], stage["documents_in"])}</td>'
            f"<td>{why}</td></tr>")
    caption = _caption(
        f"Pages enter at the top ({numbers.count(read)} HTML pages from the input files) and {numbers.count(funnel['written'])} documents come out "
        f"({numbers.share(funnel['written'], read)}). Each bar is what a stage received: the blue part went on to the next "
        "stage, the orange part was dropped there. Grey text in the table: what a stage that drops nothing counted "
        "(lines it removed, PII it replaced, tokens it wrote). Source: stats.json, <code>stages</code>.")
    headers = ["#", "stage", "kind", "in", "out", "dropped", "share dropped", "why dropped (or what it counted)"]
    return caption + chart + _table("funnel-table", headers, table, numeric=(3, 4, 5, 6)), None


def _languages(data: dict):
    languages = data["languages"]
    if languages is None:
        return "", "No language stage ran and the documents have no language column: languages were not identified."
    names = list(dict.fromkeys(list(languages["kept"]) + list(languages["dropped"])))
    rows = []
    for name in names:
        kept, dropped = languages["kept"].get(name, 0), languages["dropped"].get(name, 0)
        label = _language_label(name)
        rows.append((label, [kept, dropped], f"{numbers.count(kept)} kept" + (f", {numbers.count(dropped)} dropped" if dropped else "")))
    series = [("in the final documents", COLORS["kept"]), ("dropped by the language stage", COLORS["dropped"])]
    table = _table("languages-table", ["language", "in final documents", "dropped by language stage"], [
        f'<tr data-language="{escape(name)}"><td>{escape(_language_label(name))}</td>{_cell("kept", languages["kept"].get(name, 0))}'
        f'{_cell("dropped", languages["dropped"].get(name, 0))}</tr>' for name in names], numeric=(1, 2))
    caption = _caption(
        "Language of each page as identified by the language stage. Blue: documents in the final output, by their "
        "<code>language</code> column (documents/*.parquet). Orange: pages the language stage dropped, by reason "
        "(stats.json); “score too low” means no language was identified confidently. Pages removed by other stages "
        "are not counted here.")
    return caption + charts.legend(series) + charts.hbars(rows, series) + table + _quality_languages(data), None


def _quality_languages(data: dict) -> str:
    """Drop rates per language and quality filter (the filters' language-aware mode), or nothing."""
    found = data.get("quality_languages")
    if not found:
        return ""
    filters = list(dict.fromkeys(name for cells in found.values() for name in cells))
    rows = []
    for language, cells in found.items():
        tds = []
        for name in filters:
            cell = cells.get(name, {"in": 0, "dropped": 0})
            rate = cell["dropped"] / cell["in"] if cell["in"] else 0.0
            tds.append(_cell(name, rate, shown=f"{numbers.percent(rate)} of {numbers.count(cell['in'])}" if cell["in"] else "–"))
        rows.append(f'<tr data-language="{escape(language)}"><td>{escape(language)}</td>{"".join(tds)}</tr>')
    caption = _caption(
        "<b>Quality filters by language</b> (their <code>language: per_document</code> mode): the share of the documents "
        "of each language that each filter dropped, of those it judged (stats.json counters <code>language_in</code>, "
        "<code>language_dropped</code>). <code>script:X</code> / <code>kind:X</code>: documents without a language, "
        "or in a language the filters' table does not cover, judged by their script's defaults.")
    return caption + _table("quality-languages-table", ["language", *map(escape, filters)], rows,
                            numeric=tuple(range(1, len(filters) + 1)))


def _signals(data: dict):
    signals, stages = data["signals"], data.get("stage_signals") or []
    if not signals and not stages:
        return "", ("No thresholded filter ran (extract, language, gopher_quality, gopher_repetition, c4, "
                    "fineweb_quality): there is no signal to draw.")
    parts = []
    for signal in signals:
        edges, threshold = signal["edges"], signal["threshold"]
        labels = [f"{edges[i]:.2f}" for i in range(len(edges) - 1)]
        position = (threshold - edges[0]) / (edges[-1] - edges[0]) * (len(edges) - 1)
        series = [("final documents", COLORS["kept"], signal["kept"]),
                  ("dropped below the threshold", COLORS["dropped"], signal["dropped"])]
        chart = charts.legend([(n, c) for n, c, _ in series]) + charts.columns(
            labels, series, y_label="documents", marker=(position, f"{signal['option']} {threshold}"))
        note = "" if signal["excluded_written"] else " Dropped documents need --excluded."
        parts.append(f'<div class="column-signal" data-stage="{escape(signal["stage"])}">'
                     f'<h3 data-stage="{escape(signal["stage"])}">{escape(signal["stage"])}: '
                     f'{escape(signal["signal"])}</h3>{chart}<p class="caption">{escape(note)}</p></div>')
    for stage in stages:
        parts.append(f'<h3 data-stage="{escape(stage["stage"])}" data-index="{stage["index"]}">'
                     f'{escape(stage["stage"])} (stage {stage["index"] + 1}): its signals over the '
                     f'{numbers.count(stage["documents_in"])} documents it saw</h3>')
        parts.append('<div class="signals">' + "".join(_stage_signal(stage["stage"], s) for s in stage["signals"]) + "</div>")
    caption = _caption(
        "What each thresholded filter measured, with its thresholds as dashed lines: how many documents a move of a "
        "threshold would keep or drop. <b>language</b>: its score over the final documents (documents/*.parquet) and "
        "over the documents it dropped for falling short (excluded/*.parquet); bins are left edges. <b>Per stage</b> "
        "(extract's page sizes, language's top score, the quality filters' rules): every value a rule compared with "
        "its threshold, over the documents the stage saw (stats.json, <code>stages[*].signals</code>); orange bins "
        "lie on the dropping side. A rule measures only the documents "
        "that reach it: those an earlier rule of the filter dropped, or without text, are “not measured”. "
        "Each bin runs from its label to the next one (a bin starting at a threshold also holds the documents "
        "equal to it).")
    return caption + "".join(parts), None


def _stage_signal(stage: str, signal: dict) -> str:
    """One signal of a quality filter: a histogram with its threshold lines, and what the numbers are."""
    bins = signal["bins"]
    markers = [(bins.index(t["value"]) if t["value"] in bins else 0.0,
                f"{t['option']} {numbers.compact(t['value'])} (drops {t['drops']})") for t in signal["thresholds"]]
    chart = charts.histogram([numbers.compact(b) for b in bins], signal["counts"], signal["drop_side"], markers,
                             width=460, height=170, name=signal["name"])
    dropped_side = sum(c for c, d in zip(signal["counts"], signal["drop_side"]) if d)
    facts = (f'{numbers.count(signal["measured"])} measured, {numbers.count(signal["not_measured"])} not measured; '
             f'{numbers.count(dropped_side)} ({numbers.share(dropped_side, signal["measured"])}) in orange bins')
    return (f'<div class="signal" data-stage="{escape(stage)}" data-signal="{escape(signal["name"])}" '
            f'data-measured="{signal["measured"]}" data-not-measured="{signal["not_measured"]}">'
            f'<h4>{escape(signal["name"])}: {escape(signal["description"])}</h4>{chart}'
            f'<p class="caption">{escape(facts)}</p></div>')


def _classifier(data: dict):
    found = data.get("classifier")
    if found is None:
        return "", "No train_quality_classifier or quality_classifier stage in this pipeline."
    card, examples, body = found["card"], found["examples"], ""
    if card:
        test, chosen = card["test"], card["chosen"]
        body += '<table id="classifier-card">' + _fact_rows([
            ("positives", f'{numbers.count(card["positives"]["documents"])} texts, {numbers.size(card["positives"]["bytes"])}'),
            ("negatives", f'{numbers.count(card["negatives"]["documents"])} texts, {numbers.size(card["negatives"]["bytes"])} '
                          f'({card["negatives"]["source"]})'),
            ("test split", f'{test["positives"]} positives, {test["negatives"]} negatives'),
            ("ROC AUC (test split)", test["roc_auc"]), ("precision at 0.5", test["precision"]), ("recall at 0.5", test["recall"]),
            ("chosen on validation", f'lr {chosen["lr"]}, {chosen["epoch"]} epochs, dim {chosen["dim"]}, word bigrams'),
        ]) + "</table>"
    if examples:
        rows = [f'<tr data-level="{e["level"][0]}"><td>{e["level"][0]:.1f}–{e["level"][1]:.1f}</td><td class="num">{e["score"]:.3f}</td>'
                f'<td><span class="url">{escape(e["url"] or e["id"])}</span><br>{escape(e["text"])}</td></tr>' for e in examples["examples"]]
        body += _table("classifier-examples", ["score level", "score", "document (start of its text)"], rows, numeric=(1,))
    caption = _caption(
        "How the quality classifier tells its positives from its negatives on texts it was not trained on and its "
        "settings were not chosen on (the test split; OUTPUT/quality_classifier/card.json), and one document per "
        "tenth of the score range, the same whatever the worker count (the lowest id hash of the level; "
        "examples.json). The histogram of every score is with the filter signals above.")
    return caption + body, None


def _examples(data: dict):
    examples = data["examples"]
    if examples is None:
        return "", "No dropped documents were written: run with --excluded (or excluded: true) to see examples per reason."
    parts = []
    for key, rows in examples.items():
        items = "".join(f'<li><span class="url">{escape(r["url"])}</span><br>{escape(r["text"]) or "<i>(no text)</i>"}</li>' for r in rows)
        parts.append(f'<h3 data-reason="{escape(key)}">{escape(key)}</h3><ul>{items}</ul>')
    caption = _caption("The first few documents each stage dropped for each reason (stage number and name · reason), "
                       "with the start of their text: read them before moving a threshold. Source: excluded/*.parquet.")
    return caption + "".join(parts), None


def _domains(data: dict):
    domains = data["domains"]
    if not domains["kept"] and not domains["dropped"]:
        return "", "No document has a URL."
    rows = max(len(domains["kept"]), len(domains["dropped"]))
    cell = lambda pairs, i: (f'<td class="url">{escape(pairs[i][0])}</td><td class="num">{numbers.count(pairs[i][1])}</td>'
                             if i < len(pairs) else "<td></td><td></td>")
    table = _table("domains-table", ["kept: domain", "documents", "dropped: domain", "documents"],
                   [f"<tr>{cell(domains['kept'], i)}{cell(domains['dropped'], i)}</tr>" for i in range(rows)], numeric=(1, 3))
    note = "" if domains["dropped"] else " Dropped domains need the excluded documents (--excluded)."
    caption = _caption("The domains with most documents in the final output (documents/*.parquet, url) and among "
                       f"the dropped documents (excluded/*.parquet).{note}")
    return caption + table, None


def _language_label(code: str) -> str:
    return "score too low" if code == "low_score" else code


def _bucket_label(bucket: str) -> str:
    n = int(bucket.lstrip("<="))
    for unit, size in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= size and n % size == 0:
            return f"≤{n // size}{unit}"
    return f"≤{n}"


def _lengths(data: dict):
    lengths = data["lengths"]
    if lengths is None:
        return "", "No stage measured text lengths (no stage produced a text column)."
    before, after = lengths["before"], lengths["after"]
    # Every power of two between the shortest and the longest bucket, so the axis has no silent gaps.
    bounds = sorted(int(b.lstrip("<=")) for b in set(before["buckets"]) | set(after["buckets"]))
    buckets = [f"<={2 ** k}" for k in range(bounds[0].bit_length() - 1, bounds[-1].bit_length())]
    series = [(f"after {before['stage']} ({numbers.count(sum(before['buckets'].values()))} docs)", COLORS["before"], [before["buckets"].get(b, 0) for b in buckets]),
              (f"final documents ({numbers.count(sum(after['buckets'].values()))} docs)", COLORS["after"], [after["buckets"].get(b, 0) for b in buckets])]
    chart = charts.legend([(s[0], s[1]) for s in series]) + charts.columns([_bucket_label(b) for b in buckets], series, y_label="documents")
    table = _table("lengths-table", ["text length (characters)", f'after {escape(before["stage"])}', "final documents"], [
        f'<tr data-bucket="{escape(b)}"><td>{escape(_bucket_label(b))}</td>{_cell("before", before["buckets"].get(b, 0))}'
        f'{_cell("after", after["buckets"].get(b, 0))}</tr>' for b in buckets], numeric=(1, 2))
    source = ("stats.json, <code>text_lengths</code> of " + escape(after["stage"])) if after["source"] == "stats.json" else escape(after["source"])
    caption = _caption(
        f"How long the text of each document is, in characters, counted in power-of-two buckets (“≤2K” means 1,025 to "
        f"2,048 characters). Grey: right after <b>{escape(before['stage'])}</b>, the first stage that produced text "
        f"(stats.json, <code>text_lengths</code>); blue: the final documents ({source}). Short pages tend to go: "
        "filters remove boilerplate-only and thin pages.")
    return caption + chart + table, None


def _dedup(data: dict):
    dedup = data["dedup"]
    if dedup is None:
        return "", "No dedup stage in this pipeline: duplicates were not removed."
    removed = sum(dedup["dropped"].values())
    summary = (f'<p>{numbers.count(dedup["documents_in"])} documents reached dedup; <b data-field="removed" data-value="{removed}">{numbers.count(removed)}</b> '
               f"were removed as copies ({_reasons(dedup['dropped'])}), leaving {numbers.count(dedup['documents_out'])}. "
               f"{numbers.count(dedup.get('cluster_count') or 0)} cluster(s) held {numbers.count(dedup.get('documents_in_clusters') or 0)} documents.</p>")
    body = summary
    if dedup["clusters"]:
        sizes = list(dedup["clusters"])
        body += charts.columns([f"{s} docs" for s in sizes], [("clusters", COLORS["neutral"], list(dedup["clusters"].values()))],
                               height=180, y_label="clusters")
        body += _table("clusters-table", ["cluster size (documents)", "clusters"], [
            f'<tr data-size="{escape(size)}"><td>{escape(size)}</td>{_cell("clusters", n)}</tr>'
            for size, n in dedup["clusters"].items()], numeric=(1,))
    if dedup["largest"]:
        rows = []
        for c in dedup["largest"]:
            copies = "<br>".join(f'<span class="url">{escape(str(r["url"]))}</span> ({escape(str(r["reason"]))})' for r in c["removed"])
            rows.append(f'<tr><td class="num">{c["size"]}</td><td class="url">{escape(str(c["kept_url"] or c["kept_id"]))}</td><td>{copies}</td></tr>')
        body += "<h3>Largest clusters</h3>" + _table("largest-clusters", ["size", "kept document", "some removed copies"], rows,
                                                      numeric=(0,))
    caption = _caption(
        "A cluster is a group of documents that are copies of each other (identical text, the same URL, or near-duplicates "
        "above the similarity threshold); one document per cluster is kept. Cluster counts by size: stats.json, dedup "
        "<code>counters</code> (<code>cluster_size_*</code>); largest clusters: OUTPUT/dedup/removed (URLs shown as text).")
    return caption + body, None


def _paragraphs(data: dict):
    found = data["paragraphs"]
    if found is None:
        return "", "No dedup_paragraphs stage in this pipeline: paragraphs repeated across documents were kept."
    counters = found["counters"]
    removed, characters = counters.get("paragraphs_removed", 0), counters.get("characters_removed", 0)
    body = (f'<p><b data-field="paragraphs_removed" data-value="{removed}">{numbers.count(removed)}</b> paragraph(s) removed '
            f'({numbers.count(characters)} characters, {numbers.share(characters, counters.get("characters_in", 0))} of the text) from '
            f'{numbers.count(counters.get("documents_changed", 0))} of {numbers.count(found["documents_in"])} documents; '
            f'{numbers.count(counters.get("repeated_paragraphs", 0))} distinct paragraph(s) were in more than one document. '
            f'Left too short and dropped: {numbers.count(sum(found["dropped"].values()))}.</p>')
    if found["most_repeated"]:
        body += "<h3>Most repeated</h3>" + _table("most-repeated", ["documents", "occurrences", "paragraph (as kept)"], [
            f'<tr>{_cell("documents", m["documents"])}{_cell("occurrences", m["occurrences"])}<td>{escape(m["text"])}</td></tr>'
            for m in found["most_repeated"]], numeric=(0, 1))
    caption = _caption(
        "A paragraph is a line of text; lines are compared with case, whitespace and punctuation ignored. One document "
        "keeps each repeated paragraph, the others lose it. From stats.json, <code>dedup_paragraphs</code> "
        "<code>counters</code> and <code>details.most_repeated</code>.")
    return caption + body, None


def _pii(data: dict):
    pii = data["pii"]
    if pii is None:
        return "", "No pii stage in this pipeline: personal information was not scrubbed."
    total = sum(pii["found"].values())
    rows = [(name, [n], f"{numbers.count(n)}") for name, n in pii["found"].items()]
    body = (f'<p><b data-field="total" data-value="{total}">{numbers.count(total)}</b> item(s) replaced in '
            f'{numbers.count(pii["documents_changed"])} of {numbers.count(pii["documents"])} documents.</p>')
    body += charts.hbars(rows, [("replaced", COLORS["kept"])]) if rows else '<p>No PII found.</p>'
    table = _table("pii-table", ["entity", "replaced", "candidates rejected"], [
        f'<tr data-entity="{escape(name)}"><td>{escape(name)}</td>{_cell("found", pii["found"].get(name, 0))}'
        f'{_cell("rejected", pii["rejected"].get(name, 0))}</tr>'
        for name in dict.fromkeys(list(pii["found"]) + list(pii["rejected"]))], numeric=(1, 2))
    caption = _caption(
        "Personal information the pii stage found and replaced in the text, per entity type. “Rejected” are candidates "
        "that matched a pattern but failed validation (a checksum, a number format) and were left alone. "
        "Source: stats.json, pii <code>counters</code> (<code>pii:ENTITY</code>).")
    return caption + body + table, None


def _tokenizer(data: dict):
    tokenizer = data["tokenizer"]
    if tokenizer is None:
        return "", "No train_tokenizer or tokenize stage in this pipeline: no tokenizer, no token shards."
    card, manifest = tokenizer["card"], tokenizer["manifest"]
    body = ""
    if card:
        facts = [("type", card.get("type", "brought" if card.get("brought") else "?")), ("vocabulary size", card["vocab_size"])]
        if card.get("bytes_per_token") is not None:
            facts.append(("bytes per token (held-out text)", card["bytes_per_token"]))
        if card.get("heldout"):
            h = card["heldout"]
            facts.append(("held-out sample", f"{numbers.count(h['documents'])} documents, {numbers.size(h['bytes'])}, "
                                             f"{numbers.count(h['tokens'])} tokens"))
            facts.append(("round-trip mismatches", h["round_trip_mismatches"]))
        if card.get("sample"):
            facts.append(("training sample", card["sample"]["bytes"], numbers.size(card["sample"]["bytes"])))
        rows = _fact_rows(facts)
        body += f'<table id="tokenizer-card">{rows}</table>'
    else:
        body += '<p class="absent-note">No OUTPUT/tokenizer/card.json: the tokenizer was not trained in this run.</p>'
    if manifest:
        t, d = manifest["tokens"], manifest["documents"]
        body += (f'<p>{numbers.count(d["train"] + d["val"])} documents became <b>{numbers.count(t["train"] + t["val"])}</b> tokens: '
                 f'{numbers.count(t["train"])} for training ({numbers.count(d["train"])} documents), {numbers.count(t["val"])} for validation ({numbers.count(d["val"])} documents); '
                 f'formats {", ".join(escape(f) for f in manifest["formats"])}.</p>')
        shards = tokenizer["shards"]
        first = shards[0]["format"] if shards else None
        chart_rows = [(s["file"], [s["tokens"]], f"{numbers.count(s['tokens'])} ({s['split']})") for s in shards if s["format"] == first]
        body += charts.hbars(chart_rows, [("tokens", COLORS["neutral"])]) if chart_rows else ""
        table = []
        for s in shards:
            table.append(f'<tr data-file="{escape(s["file"])}"><td>{escape(s["format"])}</td><td class="url">{escape(s["file"])}</td>'
                         f'<td>{s["split"]}</td><td>{escape(str(s["dtype"]))}</td>{_cell("tokens", s["tokens"])}{_cell("bytes", s["bytes"], shown=numbers.size(s["bytes"]))}</tr>')
        body += _table("token-shards", ["format", "file", "split", "dtype", "tokens", "bytes"], table, numeric=(4, 5))
    else:
        body += '<p class="absent-note">No OUTPUT/tokens/manifest.json: the documents were not tokenized in this run.</p>'
    caption = _caption(
        "Bytes per token: how many bytes of UTF-8 text one token stands for on held-out documents (higher is better "
        "compression). Tokenizer facts: OUTPUT/tokenizer/card.json. Totals: OUTPUT/tokens/manifest.json; tokens per shard: "
        "read from each file's header (llm.c), index (Megatron) or size (nanoGPT). The chart shows the "
        f"{escape(str((tokenizer['shards'] or [{}])[0].get('format', '')))} shards.")
    return caption + body, None


def _training(data: dict):
    training = data["training"]
    if training is None:
        return "", "No training run given. Run `webcorpus train` on OUTPUT/tokens/llmc, then `webcorpus report OUTPUT --train RUN_DIR`."
    series = [("training loss", COLORS["train"], training["train_loss"]), ("validation loss", COLORS["val"], training["val_loss"])]
    chart = charts.legend([(n, c) for n, c, _ in series]) + charts.lines(series, x_label="step", y_label="loss")
    facts = [("steps", training["steps"]), ("tokens seen", training["tokens"])]
    if training["train_loss"]:
        facts.append(("last training loss", round(training["train_loss"][-1][1], 4)))
    if training["val_loss"]:
        facts.append(("first validation loss", round(training["val_loss"][0][1], 4)))
        facts.append(("last validation loss", round(training["val_loss"][-1][1], 4)))
    if training["median_tokens_per_s"]:
        facts.append(("median tokens/s", round(training["median_tokens_per_s"])))
    config = training["config"] or {}
    for key in ("n_layer", "n_head", "n_embd", "seq_len", "batch_size", "lr", "parameters"):
        if key in config:
            facts.append((key, config[key]))
    rows = _fact_rows(facts)
    caption = _caption(
        f"Loss of the model trained on these tokens ({escape(training['run_dir'])}): blue is the training loss at each logged "
        "step, red the validation loss on held-out tokens at each evaluation. Falling validation loss means the model "
        "learns from the data. Source: RUN/metrics.jsonl and RUN/config.json.")
    return caption + chart + f'<table id="training-facts">{rows}</table>', None


def _ablation(data: dict):
    from webcorpus.report.ablation import section_html

    if data.get("ablation") is None:
        return "", ("No ablation given. Compare corpora with `webcorpus ablate OUT_A OUT_B --out ABL`, "
                    "then `webcorpus report OUTPUT --ablation ABL`.")
    return section_html(data["ablation"]), None


def _config(data: dict):
    run = data["run"]
    timing = data["timing"]
    rows = [(f"{t['name']} ({t['kind']})", [t["seconds"], t["setup_seconds"]], _stage_time(t)) for t in timing]
    series = [("work", COLORS["neutral"]), ("set-up (loading models, once per worker)", COLORS["before"])]
    chart = charts.legend(series) + charts.hbars(rows, series, fmt=numbers.duration)
    facts = [("pipeline file", _pipeline_source(run)), ("executor", run["executor"]), ("workers", run["workers"]),
             ("input files", run["input_files"]), ("started (UTC)", run["started"]), ("total seconds", run["seconds"], numbers.duration(run["seconds"])),
             ("tasks finished", data["tasks"]["finished"]), ("tasks resumed from an earlier run", data["tasks"]["resumed"])]
    table = _fact_rows(facts)
    caption = _caption(
        "Seconds each stage spent, its set-up included (stats.json, <code>seconds</code> + <code>setup_seconds</code>; "
        "per-file stages add up the time of all their "
        "tasks, so with several workers they can exceed the wall-clock time), and the configuration the run used, as "
        "recorded in stats.json <code>run.config</code>.")
    config = yaml.safe_dump(json.loads(json.dumps(run.get("config"), default=str)), sort_keys=False, allow_unicode=True)
    return (caption + chart + f'<table id="run-facts">{table}</table>' + _where(data.get("nodes"), data.get("storage"))
            + f'<h3>Configuration (as a pipeline file)</h3><pre id="config-yaml">{escape(config)}</pre>'), None


def _where(nodes: dict | None, storage: dict | None) -> str:
    """Where each step (and each phase of a global step) ran, and what the object store cost."""
    html = ""
    if nodes:
        names = {node: f"node {i + 1}" for i, node in enumerate(dict.fromkeys(
            [nodes["driver"]] + [n for step in nodes["steps"] for counts in [step.get("tasks", {}), *step.get("phases", {}).values()] for n in counts]))}
        rows = []
        for step in nodes["steps"]:
            for part, counts in [(", ".join(step["names"]) or "read", step.get("tasks", {})), *step.get("phases", {}).items()]:
                spread = ", ".join(f"{names[n]}: {numbers.count(c)}" for n, c in counts.items())
                rows.append(f'<tr><td>{step["step"] + 1}</td><td>{escape(part)}</td><td>{escape(spread)}</td></tr>')
        legend = "; ".join(f"{label} = <code>{escape(node[:16])}</code>" + (" (the driver's)" if node == nodes["driver"] else "")
                           for node, label in names.items())
        html += (f'<h3>Where it ran</h3>{_caption("Tasks each node ran, per step and per phase of a global step (stats.json <code>nodes</code>); " + legend + ".")}'
                 f'<table id="nodes-table"><tr><th>step</th><th>stage or phase</th><th>tasks per node</th></tr>{"".join(rows)}</table>')
    if storage:
        total = storage["total"]
        cells = "".join(f'<tr><td>{escape(kind)}</td>{_cell("requests", n)}<td class="num">{numbers.count(storage["driver"]["requests"].get(kind, 0))}</td></tr>'
                        for kind, n in total["requests"].items())
        moved = ", ".join(f"{direction} {numbers.size(n)}" for direction, n in total["bytes"].items())
        html += (f'<h3>Object store</h3>{_caption("Requests by kind, the whole run and the driver&#39;s own (the ledger), and the bytes moved: " + escape(moved) + " (stats.json <code>storage</code>).")}'
                 f'<table id="storage-table"><tr><th>request</th><th class="num">all</th><th class="num">driver</th></tr>{cells}</table>')
    return html


def _bad_input(data: dict):
    bad = data["bad_input"]
    records = bad["records"]
    total = sum(records.values())
    kinds = "".join(f'<tr data-kind="{escape(k)}"><td>{escape(k)}</td>{_cell("records", v)}</tr>' for k, v in records.items())
    status = ('<p class="ok">No broken records or files.</p>' if not bad["error_count"] else
              f'<p class="bad"><b data-field="error_count" data-value="{bad["error_count"]}">{numbers.count(bad["error_count"])}</b> '
              "broken record(s) or file(s); reading went on after each.</p>")
    body = status + (f'<p>{numbers.count(bad["charset_replaced"])} page(s) had bytes that did not decode in their charset; '
                     "those bytes became replacement characters and the pages were kept.</p>")
    body += f'<table id="records-table"><tr><th>record kind</th><th class="num">records</th></tr>{kinds}</table>'
    if bad["errors"]:
        shown = bad["errors"][:200]
        rows = "".join(f'<tr><td class="url">{escape(str(e.get("source")))}</td><td class="num" data-field="offset" data-value="{escape(str(e.get("offset")))}">{escape(str(e.get("offset", "?")))}</td>'
                       f'<td>{escape(str(e.get("error")))}</td></tr>' for e in shown)
        more = f"<p>… and {numbers.count(bad['error_count'] - len(shown))} more in stats.json and logs/run.log.</p>" if bad["error_count"] > len(shown) else ""
        body += f'<table id="errors-table"><tr><th>file</th><th class="num">byte offset</th><th>error</th></tr>{rows}</table>{more}'
    if bad["failed_tasks"]:
        rows = "".join(f'<tr><td class="url">{escape(str(f["source"]))}</td><td>{escape(str(f["error"]))}</td></tr>' for f in bad["failed_tasks"])
        body += f'<h3>Failed tasks</h3><table id="failed-tasks"><tr><th>input</th><th>error</th></tr>{rows}</table>'
    caption = _caption(
        f"What the readers found in the input files: {numbers.count(total)} records by kind (only <code>html</code> records become "
        "documents), and every broken record with its file and byte offset, so it can be looked at with any WARC tool. "
        "Source: stats.json, <code>reader</code> and <code>tasks.failed</code>.")
    return caption + body, None
