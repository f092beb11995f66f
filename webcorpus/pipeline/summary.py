"""The table printed at the end of a run: what each stage took in, let out and why it dropped."""
from __future__ import annotations

import sys

from webcorpus.numbers import count, duration, share


def summary_lines(stats: dict) -> list[str]:
    """The end-of-run summary of a run's stats.json, one string per line (numbers as :mod:`webcorpus.numbers` writes them)."""
    reader = stats["reader"]
    records = reader["records"]
    lines = [
        f"read {count(stats['run']['input_files'])} file(s): {count(stats['documents']['read'])} HTML documents"
        f" of {count(sum(records.values()))} records"
        f" ({', '.join(f'{k} {count(v)}' for k, v in records.items())})",
    ]
    if reader["error_count"]:
        lines.append(f"bad input: {count(reader['error_count'])} broken record(s) or file(s), listed in stats.json and logs/run.log")
    if reader["charset_replaced"]:
        lines.append(f"charset: {count(reader['charset_replaced'])} page(s) needed replacement characters (kept)")
    names = [f"{s['name']}: {s['label']}" if s.get("label") else s["name"] for s in stats["stages"]]
    width = max([len(n) for n in names] + [5])
    lines.append(f"{'stage':<{width}}  {'in':>10}  {'out':>10}  {'dropped':>7}  {'time':>10}  top drop reasons (or counters)")
    for name, stage in zip(names, stats["stages"]):
        if stage.get("skipped"):
            lines.append(f"{name:<{width}}  {'-':>10}  {'-':>10}  {'-':>7}  {'-':>10}  {stage['skipped']}")
            continue
        # A stage that rewrites rather than drops (pii, c4's lines) says what it did through its counters.
        counts = stage["dropped"] or {k: v for k, v in stage["counters"].items() if isinstance(v, (int, float))}
        shown = ", ".join(f"{r} {count(n)}" for r, n in top_reasons(counts))
        dropped = share(stage["documents_in"] - stage["documents_out"], stage["documents_in"])
        lines.append(
            f"{name:<{width}}  {count(stage['documents_in']):>10}  {count(stage['documents_out']):>10}  {dropped:>7}"
            f"  {duration(stage_seconds(stage)):>10}  {shown}"
        )
    tasks = stats["tasks"]
    lines.append(
        f"wrote {count(stats['documents']['written'])} documents ({share(stats['documents']['written'], stats['documents']['read'])}"
        f" of those read) in {count(len(stats['documents']['shards']))} shard(s);"
        f" {count(tasks['finished'])} task(s) finished ({count(tasks['resumed'])} from an earlier run), {count(len(tasks['failed']))} failed;"
        f" {duration(stats['run']['seconds'])}"
    )
    if not stats["documents"]["written"] and not tasks["failed"]:
        lines.append(empty_run_line(stats))
    return lines


def stage_seconds(stage: dict) -> float:
    """A stage's time as shown: its work plus its set-up (loading models, once per worker process)."""
    return stage["seconds"] + stage.get("setup_seconds", 0.0)


def top_reasons(counts: dict, n: int = 3) -> list[tuple[str, int]]:
    """The ``n`` largest counts, largest first (ties in name order)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def empty_run_line(stats: dict) -> str:
    """Why a run let no document out: the stage that dropped the most, its top reasons, what was skipped."""
    if not stats["documents"]["read"]:
        return "no document came out: the input had no HTML document to read (see the records above)"
    ran = [s for s in stats["stages"] if not s.get("skipped")]
    worst = max(ran, key=lambda s: s["documents_in"] - s["documents_out"], default=None)
    line = "no document came out"
    if worst is not None and worst["documents_in"] > worst["documents_out"]:
        reasons = ", ".join(f"{r} {count(n)}" for r, n in top_reasons(worst["dropped"]))
        line += (f": '{worst['name']}' dropped the most, {count(worst['documents_in'] - worst['documents_out'])} of"
                 f" {count(worst['documents_in'])}" + (f" ({reasons})" if reasons else ""))
    skipped = [s["name"] for s in stats["stages"] if s.get("skipped", "").startswith("skipped")]
    if skipped:
        line += f"; skipped for want of documents: {', '.join(skipped)}"
    return line


def print_summary(result, stream=None) -> None:
    stream = stream or sys.stderr
    if getattr(result, "fatal", None) is not None:  # stopped: its one line is already on the console
        if result.stats:  # the funnel up to where it stopped
            for line in summary_lines(result.stats)[:-1]:
                print(line, file=stream)
            print(f"stats of the steps that finished: {result.url}/stats.json", file=stream)
        print(f"full traceback: {result.output}/logs/run.log", file=stream)
        return
    for line in summary_lines(result.stats):
        print(line, file=stream)
    print(f"output: {result.url}/documents  stats: {result.url}/stats.json", file=stream)
