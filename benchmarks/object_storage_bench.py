"""Output on S3 against output on local disk: throughput (a ratio) and object-store requests.

The same pipeline (read the crawl, keep pages of at least 5,000 characters of HTML: a `python` stage)
runs on the same WARC files with ``--output`` on local disk and on an S3 API (moto's server on
127.0.0.1, started here, reached through ``AWS_ENDPOINT_URL`` as any S3 endpoint), alternating,
``--repeat`` times; each run is a fresh process, one worker, so its CPU time (user + system, the
driver and its children) is the whole client-side cost. The S3 server's own CPU is not counted:
on a real store it is not ours. Requests and bytes are what the run's stores counted (stats.json
``storage``: the driver's ledger and every task's, list, get, put, delete). While a run goes, its
folders on this machine are measured every 0.2 s: the driver's folder (the ledger folder of an S3
run; for a local run the run folder itself) and the temporary folder, where tasks keep their scratch.

The WARCs wrap the real pages of ../shared/data/extract (benchmarks/warc_of_pages.py), made in a
temporary folder; nothing is written into the repository.

    python benchmarks/object_storage_bench.py --records 4000 --files 8 --repeat 3

``--full-chain`` runs the whole chain instead (extract, language, Gopher filters, dedup, PII, a
512-piece tokenizer, token shards in three formats), two workers: global stages' work folders are
many small files, so the requests per document are another story there.

    python benchmarks/object_storage_bench.py --records 1000 --files 4 --repeat 1 --full-chain
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.warc_of_pages import write_warcs  # noqa: E402

CHILD = r"""
import json, os, resource, sys, time
from webcorpus import Pipeline, build_stage, document_stage, Drop

def large_enough(doc):
    return doc if len(doc["html"] or "") >= 5000 else Drop("small")

FULL_CHAIN = [("extract", {"engine": "trafilatura"}), ("language", {}), ("gopher_repetition", {}), ("gopher_quality", {}),
              ("dedup", {}), ("pii", {}), ("train_tokenizer", {"vocab_size": 512}),
              ("tokenize", {"formats": ["llmc", "nanogpt", "megatron"], "val_fraction": 0.1})]
inputs, output, full = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] == "full"
stages = [build_stage(name, options) for name, options in FULL_CHAIN] if full else [document_stage(large_enough)]
start = time.perf_counter()
result = Pipeline(stages, input=inputs, output=output, workers=2 if full else 1).run(quiet=True)
wall = time.perf_counter() - start
own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "exit": result.exit_code, "wall_s": wall,
    "cpu_s": own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime,
    "peak_rss_mib": max(own.ru_maxrss, kids.ru_maxrss) / 1024,
    "documents_read": result.stats["documents"]["read"], "documents_written": result.stats["documents"]["written"],
    "requests": result.stats.get("storage", {}).get("total", {}).get("requests", {}),
    "bytes": result.stats.get("storage", {}).get("total", {}).get("bytes", {}),
    "driver_requests": result.stats.get("storage", {}).get("driver", {}).get("requests", {}),
}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def folder_bytes(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except FileNotFoundError:  # removed while we looked
            continue
    return total


def run_once(inputs: list[str], output: str, env: dict, driver_folder: Path, scratch: Path, full: bool = False) -> dict:
    """One run in a fresh process; the peak bytes of the driver's folder and of the scratch folder while it ran."""
    scratch.mkdir(parents=True, exist_ok=True)
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(inputs), output, "full" if full else "keep-large"],
                             env={**env, "TMPDIR": str(scratch), "WEBCORPUS_STAGING": str(driver_folder)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, cwd=REPO)
    peaks = {"driver": 0, "scratch": 0}
    while child.poll() is None:
        peaks["driver"] = max(peaks["driver"], folder_bytes(driver_folder))
        peaks["scratch"] = max(peaks["scratch"], folder_bytes(scratch))
        time.sleep(0.2)
    stdout, stderr = child.communicate()
    if child.returncode:
        raise SystemExit(stderr[-3000:])
    return {**json.loads(stdout.strip().splitlines()[-1]), "driver_peak": peaks["driver"], "scratch_peak": peaks["scratch"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--full-chain", action="store_true", help="the whole chain, two workers")
    args = parser.parse_args()
    import boto3

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = [str(p) for p in write_warcs(tmp / "crawl", args.records, args.files)]
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            endpoint = f"http://127.0.0.1:{port}"
            env = {**os.environ, "PYTHONPATH": str(REPO), "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "bench",
                   "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
                   "WEBCORPUS_STAGING": str(tmp / "staging"), "WEBCORPUS_CACHE_DIR": str(tmp / "cache")}
            for _ in range(100):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="bench", aws_secret_access_key="bench",
                         region_name="us-east-1").create_bucket(Bucket="bench")
            runs: dict[str, list[dict]] = {"local": [], "s3": []}
            for i in range(args.repeat):  # alternate, so that machine load hits both alike
                runs["local"].append(run_once(inputs, str(tmp / f"local-{i}"), env, tmp / f"local-{i}", tmp / "scratch",
                                              args.full_chain))
                runs["s3"].append(run_once(inputs, f"s3://bench/run-{i}", env, tmp / f"staging-{i}", tmp / "scratch",
                                           args.full_chain))
        finally:
            server.terminate()
    best = {name: min(results, key=lambda r: r["cpu_s"]) for name, results in runs.items()}
    what = "the full chain, two workers" if args.full_chain else "one worker"
    print(f"{args.records} records in {args.files} WARC files; best of {args.repeat} alternating runs ({what}, CPU time)")
    print(f"{'output':8} {'docs read':>9} {'written':>8} {'cpu s':>7} {'docs/cpu-s':>10} {'wall s':>7} {'peak MiB':>8} "
          f"{'driver disk':>11} {'scratch':>9}  requests")
    for name, r in best.items():
        print(f"{name:8} {r['documents_read']:9d} {r['documents_written']:8d} {r['cpu_s']:7.2f} "
              f"{r['documents_read'] / r['cpu_s']:10.0f} {r['wall_s']:7.2f} {r['peak_rss_mib']:8.0f} "
              f"{r['driver_peak'] / 2**20:8.2f} MiB {r['scratch_peak'] / 2**20:5.1f} MiB  {r['requests'] or '-'}")
    local, s3 = best["local"], best["s3"]
    total = sum(s3["requests"].values())
    print(f"throughput ratio s3/local (docs per CPU-second): {local['cpu_s'] / s3['cpu_s']:.2f}")
    print(f"object-store requests per 1,000 documents read: {1000 * total / s3['documents_read']:.1f} "
          f"(per 1,000 written: {1000 * total / max(s3['documents_written'], 1):.1f}); the driver's own: "
          f"{s3['driver_requests']}; bytes moved: {s3['bytes']}")
    print(f"peak disk of the driver's folder: {s3['driver_peak'] / 2**20:.2f} MiB on S3 "
          f"(the run folder of the local run: {local['driver_peak'] / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
