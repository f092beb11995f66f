"""Everything the report shows, gathered from one OUTPUT folder (and a training run) into one dict.

Numbers come straight from ``stats.json`` wherever it has them, so the report
and the run's own accounting never disagree. What stats.json does not hold is
read from the files the run wrote: languages of the final documents (their
``language`` column), the largest duplicate clusters (``dedup/removed``), the
tokenizer's card, token counts per shard (the shard headers), and the training
run's ``metrics.jsonl``. A part that did not run is ``None``.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from webcorpus import numbers
from webcorpus.report.ablation import read_ablation
from webcorpus.report.classifier import read_classifier
from webcorpus.report import decontamination
from webcorpus.report.dropped import drop_examples, filter_signals, top_domains
from webcorpus.report.signals import stage_signals
from webcorpus.report.token_files import open_token_shard, split_of

LANGUAGE_REASON = "language:"
QUALITY_IN, QUALITY_DROPPED = "language_in", "language_dropped"
PII_PREFIX = "pii:"
CLUSTER_PREFIX = "cluster_size_"
LARGEST_CLUSTERS = 5


def gather(output_dir: str | Path, train_dir: str | Path | None = None, ablation_dir: str | Path | None = None) -> dict:
    """Read a run's OUTPUT folder (and optionally a ``webcorpus train`` run folder and a
    ``webcorpus ablate`` folder) into the report's data."""
    output = Path(output_dir)
    stats_path = output / "stats.json"
    if not stats_path.is_file():
        raise FileNotFoundError(f"{stats_path} not found: is {output} the OUTPUT folder of a finished `webcorpus run`?")
    stats = json.loads(stats_path.read_text())
    stages = stats["stages"]
    documents = _final_documents(output, stats)
    data = {
        "output": str(output),
        "run": stats["run"],
        "documents": stats["documents"],
        "tasks": stats["tasks"],
        "funnel": _funnel(stats),
        "languages": _languages(stages, documents),
        "quality_languages": quality_by_language(stages),
        "lengths": _lengths(stats, documents),
        "dedup": _dedup(output, stages, documents),
        "decontamination": decontamination.gather(stages),
        "paragraphs": _paragraphs(stages),
        "pii": _pii(stages),
        "tokenizer": _tokenizer(output, stages),
        "training": _training(Path(train_dir)) if train_dir else None,
        "ablation": read_ablation(ablation_dir) if ablation_dir else None,
        "nodes": stats.get("nodes"),  # the driver's node; per step (and phase) the tasks each node ran
        "storage": stats.get("storage"),  # object-store requests by kind and bytes moved (an output URL)
        "timing": [{"name": s["name"], "kind": s["kind"], "seconds": s["seconds"], "setup_seconds": s.get("setup_seconds", 0.0)}
                   for s in stages if not s.get("skipped")],
        "bad_input": _bad_input(stats),
        "examples": drop_examples(output),
        "domains": top_domains(output, documents),
        "signals": filter_signals(output, stats, documents),
        "stage_signals": stage_signals(stats),
        "classifier": read_classifier(output),
    }
    data["headline"] = _headline(data)
    return data


def _final_documents(output: Path, stats: dict) -> list[Path]:
    shards = [output / "documents" / name for name in stats["documents"].get("shards", [])]
    if not shards:
        shards = sorted((output / "documents").glob("*.parquet"))
    return [p for p in shards if p.is_file()]


def _read_columns(paths: list[Path], wanted: list[str]) -> dict[str, list]:
    """Columns of several shards, concatenated; a column a shard lacks is skipped for that shard."""
    columns: dict[str, list] = {name: [] for name in wanted}
    for path in paths:
        present = [c for c in wanted if c in pq.ParquetFile(path).schema_arrow.names]
        table = pq.read_table(path, columns=present)
        for name in present:
            columns[name].extend(table.column(name).to_pylist())
    return columns


def _funnel(stats: dict) -> dict:
    rows = []
    for stage in stats["stages"]:
        dropped = stage["documents_in"] - stage["documents_out"]
        rows.append({
            "name": f"{stage['name']}: {stage['label']}" if stage.get("label") else stage["name"],
            "kind": stage["kind"],
            "step": stage["step"],
            "documents_in": stage["documents_in"],
            "documents_out": stage["documents_out"],
            "dropped_total": dropped,
            "dropped": stage["dropped"],
            "counters": stage["counters"],
            "seconds": stage["seconds"],
            "skipped": stage.get("skipped"),
        })
    return {"read": stats["documents"]["read"], "written": stats["documents"]["written"], "stages": rows}


def _languages(stages: list[dict], documents: list[Path]) -> dict | None:
    stage = next((s for s in stages if s["name"] == "language"), None)
    kept = Counter(l for l in _read_columns(documents, ["language"]).get("language", []) if l is not None)
    if stage is None and not kept:
        return None
    dropped = {}
    if stage is not None:
        dropped = {r[len(LANGUAGE_REASON):]: n for r, n in stage["dropped"].items() if r.startswith(LANGUAGE_REASON)}
    return {"kept": dict(kept.most_common()), "dropped": dict(sorted(dropped.items(), key=lambda kv: -kv[1])),
            "stage_ran": stage is not None}


def quality_by_language(stages: list[dict]) -> dict | None:
    """{language: {filter: {"in": documents judged, "dropped": documents dropped}}} from the counters the quality
    filters keep in their language-aware mode (``language_in:<key>``, ``language_dropped:<key>``); None without."""
    found: dict[str, dict[str, dict[str, int]]] = {}
    for stage in stages:
        for counter, n in stage["counters"].items():
            kind, _, language = counter.partition(":")
            if kind in (QUALITY_IN, QUALITY_DROPPED):
                cell = found.setdefault(language, {}).setdefault(stage["name"], {"in": 0, "dropped": 0})
                cell["in" if kind == QUALITY_IN else "dropped"] += n
    return dict(sorted(found.items(), key=lambda kv: -max(c["in"] for c in kv[1].values()))) or None


def _lengths(stats: dict, documents: list[Path]) -> dict | None:
    stages = stats["stages"]
    with_text = [i for i, s in enumerate(stages) if s.get("text_lengths")]
    if not with_text:
        return None
    first, last = with_text[0], with_text[-1]
    before = {"stage": stages[first]["name"], "source": "stats.json", "buckets": stages[first]["text_lengths"]}
    # The last stage that measured lengths describes the final documents when nothing after it dropped any.
    passes_through = all(s["documents_in"] == s["documents_out"] for s in stages[last + 1:])
    if passes_through:
        after = {"stage": stages[last]["name"], "source": "stats.json", "buckets": stages[last]["text_lengths"]}
    else:
        from webcorpus.stages.base import StageStats, length_buckets

        measured = Counter()
        for path in documents:
            measured.update(length_buckets(pq.read_table(path, columns=["text"])))
        after = {"stage": "final documents", "source": "documents/*.parquet",
                 "buckets": StageStats(text_lengths=measured).to_dict()["text_lengths"]}
    return {"before": before, "after": after}


def _dedup(output: Path, stages: list[dict], documents: list[Path]) -> dict | None:
    stage = next((s for s in stages if s["name"] == "dedup"), None)
    if stage is None:
        return None
    counters = stage["counters"]
    clusters = {k[len(CLUSTER_PREFIX):]: v for k, v in counters.items() if k.startswith(CLUSTER_PREFIX)}
    clusters = dict(sorted(clusters.items(), key=lambda kv: int(kv[0].split("-")[0].rstrip("+"))))
    return {
        "documents_in": stage["documents_in"],
        "documents_out": stage["documents_out"],
        "dropped": stage["dropped"],
        "clusters": clusters,
        "cluster_count": counters.get("clusters"),
        "documents_in_clusters": counters.get("documents_in_clusters"),
        "counters": counters,
        "largest": _largest_clusters(output / "dedup" / "removed", documents),
    }


def _paragraphs(stages: list[dict]) -> dict | None:
    """What ``dedup_paragraphs`` removed, from stats.json: counts and the most repeated paragraphs."""
    stage = next((s for s in stages if s["name"] == "dedup_paragraphs" and not s.get("skipped")), None)
    if stage is None:
        return None
    return {"documents_in": stage["documents_in"], "documents_out": stage["documents_out"], "dropped": stage["dropped"],
            "counters": stage["counters"], "most_repeated": stage.get("details", {}).get("most_repeated", [])}


def _largest_clusters(removed_dir: Path, documents: list[Path]) -> list[dict]:
    """The biggest clusters from OUTPUT/dedup/removed: the kept document and some of its removed copies."""
    removed = sorted(removed_dir.glob("*.parquet")) if removed_dir.is_dir() else []
    rows = _read_columns(removed, ["duplicate_of", "url", "drop_reason"])
    if not rows.get("duplicate_of"):
        return []
    groups: dict[str, list] = {}
    for kept_id, url, reason in zip(rows["duplicate_of"], rows.get("url", []), rows.get("drop_reason", [])):
        groups.setdefault(kept_id, []).append((url, reason))
    largest = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:LARGEST_CLUSTERS]
    wanted = {kept_id for kept_id, _ in largest}
    final = _read_columns(documents, ["id", "url"])
    urls = {i: u for i, u in zip(final.get("id", []), final.get("url", [])) if i in wanted}
    return [
        {"kept_id": kept_id, "kept_url": urls.get(kept_id), "size": len(copies) + 1,
         "removed": [{"url": u, "reason": r} for u, r in copies[:3]]}
        for kept_id, copies in largest
    ]


def _pii(stages: list[dict]) -> dict | None:
    stage = next((s for s in stages if s["name"] == "pii"), None)
    if stage is None:
        return None
    found, rejected, other = {}, {}, {}
    for key, value in stage["counters"].items():
        if not key.startswith(PII_PREFIX):
            continue
        name = key[len(PII_PREFIX):]
        if name.startswith("rejected:"):
            rejected[name[len("rejected:"):]] = value
        elif name.isupper():  # entity names are upper case (EMAIL_ADDRESS); the rest are bookkeeping
            found[name] = value
        else:
            other[name] = value
    return {"found": dict(sorted(found.items(), key=lambda kv: -kv[1])), "rejected": rejected,
            "documents_changed": other.pop("documents_changed", 0), "other": other,
            "documents": stage["documents_in"]}


def _tokenizer(output: Path, stages: list[dict]) -> dict | None:
    card_path = output / "tokenizer" / "card.json"
    manifest_path = output / "tokens" / "manifest.json"
    names = {s["name"] for s in stages}
    if not card_path.is_file() and not manifest_path.is_file() and not names & {"train_tokenizer", "tokenize"}:
        return None
    card = json.loads(card_path.read_text()) if card_path.is_file() else None
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else None
    shards = []
    for name, described in ((manifest or {}).get("formats") or {}).items():
        folder = output / "tokens" / described.get("directory", name)
        files = described.get("files") or [f"{p}.bin" for p in described.get("prefixes", [])]
        for file in files:
            path = folder / file
            if path.suffix != ".bin" or not path.is_file():
                continue
            shard = open_token_shard(path)
            shards.append({"format": name, "file": f"{folder.name}/{file}", "split": split_of(path),
                           "tokens": shard.token_count, "bytes": path.stat().st_size, "dtype": shard.header.get("dtype")})
    tokenize = next((s for s in stages if s["name"] == "tokenize"), None)
    return {"card": card, "manifest": manifest, "shards": shards,
            "counters": tokenize["counters"] if tokenize else {}}


def _training(run_dir: Path) -> dict:
    metrics_path = run_dir / "metrics.jsonl"
    if not metrics_path.is_file():
        raise FileNotFoundError(f"{metrics_path} not found: is {run_dir} the --out folder of `webcorpus train`?")
    records = [json.loads(line) for line in metrics_path.read_text().splitlines() if line.strip()]
    config_path = run_dir / "config.json"
    train = [(r["step"], r["train_loss"]) for r in records if "train_loss" in r]
    val = [(r["step"], r["val_loss"]) for r in records if r.get("val_loss") is not None]
    speeds = sorted(r["tokens_per_s"] for r in records if r.get("tokens_per_s"))
    return {
        "run_dir": str(run_dir),
        "train_loss": train,
        "val_loss": val,
        "steps": max((r["step"] for r in records), default=0),
        "tokens": max((r.get("tokens", 0) for r in records), default=0),
        "median_tokens_per_s": speeds[len(speeds) // 2] if speeds else None,
        "config": json.loads(config_path.read_text()) if config_path.is_file() else None,
    }


def _bad_input(stats: dict) -> dict:
    reader = stats["reader"]
    return {"records": reader["records"], "errors": reader["errors"], "error_count": reader["error_count"],
            "charset_replaced": reader["charset_replaced"], "failed_tasks": stats["tasks"]["failed"]}


def _headline(data: dict) -> list[dict]:
    """The few numbers a person reads first, each with what it means."""
    read, written = data["documents"]["read"], data["documents"]["written"]
    items = [
        {"key": "pages_read", "label": "HTML pages read", "value": read,
         "note": f"from {data['run']['input_files']} input file(s)"},
        {"key": "documents_written", "label": "documents kept", "value": written,
         "note": f"{numbers.share(written, read)} of pages read"},
    ]
    if data["dedup"]:
        removed = sum(data["dedup"]["dropped"].values())
        items.append({"key": "duplicates_removed", "label": "duplicates removed", "value": removed,
                      "note": f"{numbers.share(removed, data['dedup']['documents_in'])} of documents reaching dedup"})
    if data["pii"]:
        items.append({"key": "pii_replaced", "label": "PII replaced", "value": sum(data["pii"]["found"].values()),
                      "note": f"in {numbers.count(data['pii']['documents_changed'])} document(s)"})
    tokenizer = data["tokenizer"]
    if tokenizer and tokenizer["manifest"]:
        tokens = tokenizer["manifest"]["tokens"]
        items.append({"key": "tokens", "label": "tokens", "value": tokens["train"] + tokens["val"],
                      "note": f"{numbers.count(tokens['train'])} train + {numbers.count(tokens['val'])} validation"})
    if tokenizer and tokenizer["card"] and tokenizer["card"].get("bytes_per_token"):
        card = tokenizer["card"]
        items.append({"key": "bytes_per_token", "label": "bytes per token", "value": card["bytes_per_token"],
                      "note": f"vocabulary {numbers.count(card['vocab_size'])}, on held-out text"})
    training = data["training"]
    if training and training["val_loss"]:
        items.append({"key": "val_loss", "label": "final validation loss", "value": training["val_loss"][-1][1],
                      "note": f"after {numbers.count(training['val_loss'][-1][0])} step(s)"})
    bad = data["bad_input"]
    items.append({"key": "bad_records", "label": "bad input records", "value": bad["error_count"],
                  "note": f"{len(bad['failed_tasks'])} failed task(s)"})
    items.append({"key": "seconds", "label": "run time", "value": data["run"]["seconds"],
                  "note": f"{data['run']['executor']} executor, {data['run']['workers']} worker(s)"})
    return items
