"""The ablation's part of the report: one table, the loss curves of every run on one chart, and the
commands that reproduce each run. Read from ``ABL/ablation.json`` (written by ``webcorpus ablate``).

It is a section of the run report (``webcorpus report OUTPUT --ablation ABL``) and a page of its
own, ``ABL/report.html``, in the same style.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

from webcorpus import numbers
from webcorpus.report import charts

#: One colour per run, in order (colour-blind friendly, Okabe-Ito).
RUN_COLORS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"]


def read_ablation(ablation_dir: str | Path) -> dict:
    path = Path(ablation_dir) / "ablation.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: is {ablation_dir} the --out folder of a finished `webcorpus ablate`?")
    return json.loads(path.read_text())


def _num(value, digits: int = 4) -> str:
    if value is None:
        return "–"
    return numbers.decimal(value, digits) if isinstance(value, float) else numbers.count(value)


def _cell(field: str, value, digits: int = 4, extra: str = "") -> str:
    data = "" if value is None else escape(str(value))
    return f'<td class="num" data-field="{escape(field)}" data-value="{data}">{_num(value, digits)}{extra}</td>'


def _loss(evaluation: dict | None) -> float | None:
    return evaluation["loss"] if evaluation else None


def section_html(result: dict) -> str:
    """The section's body: what was held equal, the table, the curves, the commands."""
    held = result["held_equal"]
    runs = result["runs"]
    tasks = sorted({name for run in runs for name in run["tasks"]})
    tokenizer = held["tokenizer"]
    trained_on = tokenizer.get("trained_on")
    tok_text = (f"one tokenizer for all ({numbers.count(tokenizer['vocab_size'])} pieces, trained on "
                + ", ".join(f"{numbers.size(v['bytes'])} of {escape(k)}" for k, v in trained_on.items()) + ")"
                if trained_on else f"one tokenizer for all, the one named ({escape(str(tokenizer['path']))}, "
                f"{numbers.count(tokenizer['vocab_size'])} pieces)")
    shared = result["shared_val"]
    caption = (
        f"Which corpus makes the better model? Held equal: {tok_text}; the same model and schedule "
        f"(preset {escape(str(held['preset']))}, seed {held['seed']}); the same <b>{numbers.count(held['train_tokens'])}</b> "
        f"training tokens for each ({numbers.count(held['steps'])} steps of {numbers.count(held['tokens_per_step'])}). Every model is scored "
        f"on the same <b>shared validation set</b>: {numbers.count(shared['documents'])} documents held out of every corpus, "
        + (f"{numbers.count(shared['tokens_per_corpus'])} tokens from each" if "tokens_per_corpus" in shared
           else f"{numbers.size(shared['bytes_per_corpus'])} from each")  # (ablations before the parts were equal in tokens)
        + f" ({numbers.count(shared['tokens'])} tokens in all"
        + (f"; {numbers.count(shared['in_several_parts'])} of them were drawn from several corpora and count once"
           if shared.get("in_several_parts") else "")
        + ")"
        + (f"; and on the <b>eval texts</b> the user trusts ({escape(Path(result['eval_texts']['path']).name)}: "
           f"{numbers.count(result['eval_texts']['documents'])} documents, {numbers.count(result['eval_texts']['tokens'])} tokens, "
           "drawn from no corpus and never trained on)" if result.get("eval_texts") else "")
        + ". Lower loss is better; "
        "own validation losses are on different texts for each corpus and do not compare across rows. "
        "Task accuracies are the share of examples whose right ending the model finds likeliest, with 95% "
        "Wilson intervals: overlapping intervals do not show a difference.")
    head = ("<tr><th>corpus</th><th class=\"num\">documents</th><th class=\"num\">train tokens available</th>"
            "<th class=\"num\">epochs</th><th class=\"num\">train loss</th><th class=\"num\">shared val loss</th>"
            "<th class=\"num\">shared val bits/byte</th><th class=\"num\">own val loss</th>")
    if result.get("references"):
        head += "<th class=\"num\">reference loss</th>"
    if result.get("eval_texts"):
        head += "<th class=\"num\">eval texts loss</th><th class=\"num\">eval texts bits/byte</th>"
    head += "".join(f'<th class="num">{escape(t)} acc_norm (95% CI)</th>' for t in tasks) + "</tr>"
    best = min((r["shared_val"]["loss"] for r in runs if r["shared_val"]), default=None)
    rows = []
    for run in runs:
        available = run["train_tokens_available"]
        epochs = run["epochs"] if run["repeated"] else None
        shared_loss = _loss(run["shared_val"])
        mark = " ★" if shared_loss is not None and shared_loss == best else ""
        cells = [f'<td>{escape(run["name"])}</td>', _cell("documents", run["documents"]),
                 _cell("train_tokens", available) if available is not None else
                 f'<td class="num" data-field="train_tokens" data-value="">≥ {numbers.count(run["train_tokens_encoded"])}</td>',
                 _cell("epochs", round(epochs, 2) if epochs else None, 2),
                 _cell("train_loss", run["train_loss"]), _cell("shared_val_loss", shared_loss, extra=mark),
                 _cell("shared_val_bpb", run["shared_val"]["bits_per_byte"] if run["shared_val"] else None),
                 _cell("own_val_loss", _loss(run["own_val"]))]
        if result.get("references"):
            cells.append(_cell("reference_loss", _loss(run["reference"])))
        if result.get("eval_texts"):
            trusted = run.get("eval_texts")
            cells += [_cell("eval_texts_loss", _loss(trusted)),
                      _cell("eval_texts_bpb", trusted["bits_per_byte"] if trusted else None)]
        for task in tasks:
            score = run["tasks"].get(task)
            if score:
                low, high = score["acc_norm_ci"]
                cells.append(_cell(f"task:{task}", score["acc_norm"], 3, f" ({low:.3f}–{high:.3f})"))
            else:
                cells.append(_cell(f"task:{task}", None))
        rows.append(f'<tr data-run="{escape(run["name"])}">{"".join(cells)}</tr>')
    table = f'<table id="ablation-table">{head}{"".join(rows)}</table>'
    notes = [f"{escape(r['name'])} has {numbers.count(r['train_tokens_encoded'])} training tokens: it was repeated "
             f"{r['epochs']:.2f} times to reach the budget" for r in runs if r["repeated"]]
    note_html = "".join(f'<p class="absent-note">{n}.</p>' for n in notes)

    colors = {run["name"]: RUN_COLORS[i % len(RUN_COLORS)] for i, run in enumerate(runs)}
    train_series = [(f"{r['name']}", colors[r["name"]], [tuple(p) for p in r["curve"]["train_loss"]]) for r in runs]
    val_series = [(f"{r['name']}", colors[r["name"]], [tuple(p) for p in r["curve"]["val_loss"]]) for r in runs]
    legend = charts.legend([(r["name"], colors[r["name"]]) for r in runs])
    curves = (f"<h3>Training loss</h3>{legend}<div id=\"ablation-train-curves\">"
              f"{charts.lines(train_series, x_label='training tokens', y_label='loss', x_name='tokens')}</div>"
              f"<h3>Shared validation loss during training</h3>{legend}<div id=\"ablation-val-curves\">"
              f"{charts.lines(val_series, x_label='training tokens', y_label='loss', x_name='tokens')}</div>")

    parts = sorted({k for r in runs for k in r["shared_val_parts"]})
    cross = ""
    if parts:
        head = "<tr><th>model trained on</th>" + "".join(f'<th class="num">part from {escape(p)}</th>' for p in parts) + "</tr>"
        body = "".join(
            f'<tr data-run="{escape(r["name"])}"><td>{escape(r["name"])}</td>'
            + "".join(_cell(f"part:{p}", _loss(r["shared_val_parts"].get(p))) for p in parts) + "</tr>" for r in runs)
        cross = ("<h3>Shared validation loss by the corpus each part came from</h3>"
                 f'<table id="ablation-parts">{head}{body}</table>')
    commands = "\n".join(f"# {r['name']}\n{r['command']}" for r in runs)
    if result.get("command"):
        commands = f"# the whole ablation\n{result['command']}\n\n" + commands
    return (f'<p class="caption">{caption}</p>{_verdicts(result)}{table}{note_html}{_contributed(result)}{curves}{cross}'
            f'<h3>Commands that reproduce each run</h3><pre id="ablation-commands">{escape(commands)}</pre>')


def _verdicts(result: dict) -> str:
    """The verdicts (which corpus won, by how much, against the seeds' spread) as sentences."""
    from webcorpus.ablate.verdict import verdict_line

    lines = [verdict_line(v).removeprefix("ablate: ") for v in (result.get("verdict") or {}).values()]
    return "".join(f'<p class="verdict" data-set="{escape(v["set"])}"><b>Verdict</b>: {escape(line)}.</p>'
                   for v, line in zip(result["verdict"].values(), lines)) if lines else ""


def _contributed(result: dict) -> str:
    """What each corpus gave the tokenizer sample, the training tokens and the validation sets."""
    contributed = result.get("contributed")
    if not contributed:
        return ""
    parts = (("tokenizer_sample", "tokenizer sample"), ("train", "training"), ("shared_val", "shared validation"),
             ("own_val", "own validation"))
    head = "<tr><th>corpus</th>" + "".join(f'<th class="num">{label}: documents / bytes / tokens</th>' for _, label in parts) + "</tr>"
    rows = []
    for name, given in contributed.items():
        cells = []
        for key, _ in parts:
            part = given.get(key)
            text = "–" if not part else " / ".join(numbers.count(part[k]) for k in ("documents", "bytes", "tokens"))
            cells.append(f'<td class="num" data-field="{key}">{text}</td>')
        rows.append(f'<tr data-run="{escape(name)}"><td>{escape(name)}</td>{"".join(cells)}</tr>')
    return ("<h3>What each corpus contributed</h3>"
            f'<table id="ablation-contributed">{head}{"".join(rows)}</table>')


def write_ablation_page(ablation_dir: str | Path) -> Path:
    """``ABL/report.html``: the ablation section on a page of its own."""
    from webcorpus.report.style import STYLE

    result = read_ablation(ablation_dir)
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>webcorpus ablation</title>'
            f"<style>{STYLE}</style></head><body><main><h1>webcorpus ablation</h1>"
            f'<section id="ablation"><h2>Ablation: which corpus makes the better model</h2>{section_html(result)}'
            "</section></main></body></html>\n")
    path = Path(ablation_dir) / "report.html"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path
