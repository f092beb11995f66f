"""The report's decontamination section (only when a ``decontaminate`` stage ran): contaminated documents
per eval set, the items found in most documents, and what the index held (stats.json alone)."""
from __future__ import annotations

from html import escape

from webcorpus import numbers

REASON = "decontaminate:"
ITEM_PREFIX = "item:"
TITLE = "Eval-set contamination"


def gather(stages: list[dict]) -> dict | None:
    """The decontaminate stage's figures from stats.json's stages, or None when none ran (or it was skipped)."""
    stage = next((s for s in stages if s["name"] == "decontaminate" and not s.get("skipped")), None)
    if stage is None:
        return None
    counters = stage["counters"]
    per_set: dict[str, dict] = {}
    for reason, n in stage["dropped"].items():
        if reason.startswith(REASON):
            per_set.setdefault(reason[len(REASON):], {"dropped": 0, "cut": 0})["dropped"] += n
    for key, n in counters.items():
        if key.startswith("cut:"):
            per_set.setdefault(key[len("cut:"):], {"dropped": 0, "cut": 0})["cut"] += n
    items = sorted(((k[len(ITEM_PREFIX):], v) for k, v in counters.items() if k.startswith(ITEM_PREFIX)),
                   key=lambda kv: (-kv[1], kv[0]))
    return {"documents_in": stage["documents_in"], "documents_out": stage["documents_out"],
            "per_set": dict(sorted(per_set.items())), "top_items": items,
            "index": {k: counters.get(k, 0) for k in ("eval_items", "eval_items_matched_whole", "eval_items_without_text",
                                                      "eval_items_too_short", "index_ngrams", "index_bytes", "items_hit")}}


def section_html(data: dict) -> str:
    index = data["index"]
    dropped = sum(s["dropped"] for s in data["per_set"].values())
    cut = sum(s["cut"] for s in data["per_set"].values())
    text = (f'<p>{numbers.count(data["documents_in"])} documents were checked against {numbers.count(index["eval_items"])} '
            f'eval items ({numbers.count(index["index_ngrams"])} distinct n-grams, index {numbers.size(index["index_bytes"])}); '
            f'<b data-field="contaminated" data-value="{dropped + cut}">{numbers.count(dropped + cut)}</b> held text of '
            f'{numbers.count(index["items_hit"])} item(s): {numbers.count(dropped)} dropped, {numbers.count(cut)} cut. '
            f'{numbers.count(index["eval_items_matched_whole"])} item(s) were shorter than an n-gram and matched whole; '
            f'{numbers.count(index["eval_items_without_text"])} had no words.</p>')
    rows = "".join(f'<tr data-set="{escape(name)}"><td>{escape(name)}</td>{_cell("dropped", s["dropped"])}{_cell("cut", s["cut"])}</tr>'
                   for name, s in data["per_set"].items())
    body = text + _table("contamination-sets", ["eval set", "documents dropped", "documents cut"], rows)
    if data["top_items"]:
        rows = "".join(f'<tr><td>{escape(item)}</td>{_cell("documents", n)}</tr>' for item, n in data["top_items"])
        body += "<h3>Items found in most documents</h3>" + _table("contamination-items", ["eval set:item", "documents"], rows)
    caption = ('<p class="caption">A document is contaminated when it shares a 13-word n-gram (the stage\'s <code>ngram</code>) '
               "with an eval item, after lower-casing and removing punctuation. stats.json, decontaminate "
               "<code>dropped</code> and <code>counters</code>; the excluded documents name the item in <code>drop_reason</code>.</p>")
    return caption + body


def _cell(field: str, value: int) -> str:
    return f'<td class="num" data-field="{field}" data-value="{value}">{numbers.count(value)}</td>'


def _table(table_id: str, headers: list[str], rows: str) -> str:
    head = "".join(f'<th class="num">{h}</th>' if i else f"<th>{h}</th>" for i, h in enumerate(headers))
    return f'<table id="{table_id}"><tr>{head}</tr>{rows}</table>'
