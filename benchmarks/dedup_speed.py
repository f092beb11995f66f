"""Near-dedup speed and memory, side by side, in one run.

1. Signatures per second on one core, ~5 KB real documents (gold texts of
   ../shared/data/extract cut into 5 KB pieces), 5-word shingles, 128
   permutations:
   * webcorpus: shingles and signatures for batches of 1,000 documents;
   * datasketch: the per-document loop (same normalised 5-gram shingles,
     ``MinHash(num_perm=128).update_batch``);
   * datatrove: ``MinhashDedupSignature`` (n_grams=5, 16 buckets x 8 hashes),
     run in the reference venv (.venv-ref) as a subprocess.
2. ``--large N``: the whole dedup (signatures, exact, bands, confirmation,
   decisions, filter) of N generated documents (real sentences, 10 % exact
   copies, 10 % near variants) with 2 workers: wall time, peak RSS of the
   process tree, work-folder bytes per document.

    python benchmarks/dedup_speed.py --docs 2000
    python benchmarks/dedup_speed.py --skip-signatures --large 1000000 --keep-dir /tmp/bench
    python benchmarks/dedup_speed.py --skip-signatures --large 100000 --inputs-from /tmp/bench/dedup-large-*/in
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_corpus import gold_texts, variant, vocabulary_of, boilerplate_of  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
REF_PYTHON = REPO / ".venv-ref" / "bin" / "python"
DOC_CHARS = 5000


def five_kb_documents(n: int, seed: int = 0) -> list[str]:
    """Real text in ~5 KB documents: consecutive gold texts joined and cut at a word boundary."""
    rng = random.Random(seed)
    texts = gold_texts(minimum_words=50)
    docs = []
    while len(docs) < n:
        rng.shuffle(texts)
        buffer = ""
        for t in texts:
            buffer += ("\n\n" if buffer else "") + t
            while len(buffer) >= DOC_CHARS:
                cut = buffer.rfind(" ", 0, DOC_CHARS)
                docs.append(buffer[:cut])
                buffer = buffer[cut + 1 :]
    return docs[:n]


def rate_webcorpus(docs: list[str]) -> dict:
    import pyarrow as pa

    from webcorpus.dedup.minhash import signatures
    from webcorpus.dedup.shingles import shingle

    signatures(shingle(docs[:10]))  # warm up: imports, permutations
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(docs), 1000):
        signatures(shingle(pa.array(docs[start : start + 1000])), num_perm=128)
    return {"docs": len(docs), "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


def rate_datasketch(docs: list[str]) -> dict:
    from datasketch import MinHash

    from webcorpus.dedup.shingles import normalized_words

    wall, cpu = time.perf_counter(), time.process_time()
    for text in docs:
        words = normalized_words([text])[0]
        grams = {" ".join(words[i : i + 5]) for i in range(len(words) - 4)}
        m = MinHash(num_perm=128)
        m.update_batch([g.encode("utf-8") for g in grams])
    return {"docs": len(docs), "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}


DATATROVE_SCRIPT = r"""
import json, sys, tempfile, time
from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupSignature
docs = [Document(text=t, id=str(i)) for i, t in enumerate(json.load(open(sys.argv[1])))]
step = MinhashDedupSignature(output_folder=tempfile.mkdtemp(), config=MinhashConfig(n_grams=5, num_buckets=16, hashes_per_bucket=8))
step.run(iter(docs[:5]), rank=1, world_size=2)  # warm up (tokenizer load); run() returns None
wall, cpu = time.perf_counter(), time.process_time()
step.run(iter(docs), rank=0, world_size=2)
print(json.dumps({"docs": len(docs), "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}))
"""


def rate_datatrove(docs: list[str]) -> dict:
    if not REF_PYTHON.exists():
        return {"error": f"{REF_PYTHON} missing: python -m venv .venv-ref && .venv-ref/bin/pip install 'datatrove[processing]'"}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "docs.json"
        data.write_text(json.dumps(docs))
        script = Path(tmp) / "run.py"
        script.write_text(DATATROVE_SCRIPT)
        done = subprocess.run([str(REF_PYTHON), str(script), str(data)], capture_output=True, text=True)
    if done.returncode:
        return {"error": done.stderr[-2000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- large corpus -------------------------------------------------------------------------------


def generate_corpus(folder: Path, n: int, per_shard: int = 50_000, seed: int = 0) -> list[str]:
    """N documents of real sentences (~5 KB): 80 % original mixes, 10 % exact copies, 10 % near variants."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    texts = gold_texts(minimum_words=50)
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?])\s+", t) if len(s.split()) >= 4]
    vocabulary, boilerplate = vocabulary_of(texts), boilerplate_of(texts)
    recent: list[str] = []
    paths = []
    folder.mkdir(parents=True, exist_ok=True)
    made = 0
    while made < n:
        ids, urls, dates, bodies = [], [], [], []
        for _ in range(min(per_shard, n - made)):
            roll = rng.random()
            if roll < 0.1 and recent:
                body = rng.choice(recent)
            elif roll < 0.2 and recent:
                body = variant(rng.choice(recent), rng, vocabulary, boilerplate, rng.uniform(0.0, 1.0))
            else:
                parts, size = [], 0
                while size < DOC_CHARS:
                    s = rng.choice(sentences)
                    parts.append(s)
                    size += len(s) + 1
                body = " ".join(parts)
                recent.append(body)
                if len(recent) > 5000:
                    recent.pop(rng.randrange(len(recent)))
            ids.append(f"gen-{made:08d}")
            urls.append(f"https://example-{made % 997}.test/page/{made}")
            dates.append(f"20{10 + made % 15:02d}-01-01T00:00:00Z")
            bodies.append(body)
            made += 1
        path = folder / f"part-{len(paths):05d}.parquet"
        pq.write_table(pa.table({"id": ids, "url": urls, "date": dates, "text": bodies}), path, compression="zstd", row_group_size=5000)
        paths.append(str(path))
    return paths


def _tree_memory(pid: int) -> tuple[int, int, int]:
    """(sum of RSS, sum of anonymous RSS = RSS - file-backed/shared, largest single anonymous RSS) of a process tree."""
    import psutil

    total = anonymous = largest = 0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            info = proc.memory_info()
            total += info.rss
            anonymous += info.rss - info.shared
            largest = max(largest, info.rss - info.shared)
    except psutil.Error:
        pass
    return total, anonymous, largest


def run_watched(command: list[str]) -> tuple[str, list[int]]:
    """Run ``command``: its stdout, and the peaks of :func:`_tree_memory` over its process tree (sampled every 0.2 s)."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = [0, 0, 0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[:] = [max(a, b) for a, b in zip(peak, _tree_memory(proc.pid))]
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = proc.communicate()
    stop.set()
    watcher.join()
    return out, peak


def run_large(n: int, workers: int, keep_dir: Path | None, inputs_from: Path | None = None) -> dict:
    base = Path(tempfile.mkdtemp(prefix="dedup-large-", dir=keep_dir))
    start = time.perf_counter()
    if inputs_from:  # reuse a corpus generated by an earlier run (its first n documents, whole shards)
        import pyarrow.parquet as pq

        inputs, count = [], 0
        for path in sorted(str(p) for p in Path(inputs_from).glob("*.parquet")):
            if count >= n:
                break
            inputs.append(path)
            count += pq.ParquetFile(path).metadata.num_rows
        n = count
    else:
        inputs = generate_corpus(base / "in", n)
    generated = time.perf_counter() - start
    command = [sys.executable, "-c", (
        "import sys, json, time; sys.path.insert(0, %r)\n"
        "from webcorpus.dedup import deduplicate\n"
        "t = time.perf_counter()\n"
        "r = deduplicate(json.loads(sys.argv[1]), sys.argv[2], work_dir=sys.argv[3], workers=%d)\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, 'stats': r.stats.to_dict()}))" % (str(REPO), workers)
    ), json.dumps(inputs), str(base / "out"), str(base / "work")]
    out, peak = run_watched(command)
    result = json.loads(out.strip().splitlines()[-1])
    work_bytes = sum(f.stat().st_size for f in (base / "work").rglob("*") if f.is_file())
    input_bytes = sum(os.path.getsize(p) for p in inputs)
    return {
        "documents": n, "workers": workers, "generate_s": round(generated, 1), "dedup_wall_s": round(result["seconds"], 1),
        "docs_per_s": round(n / result["seconds"]), "peak_rss_tree_MiB": round(peak[0] / 2**20),
        "peak_anonymous_rss_tree_MiB": round(peak[1] / 2**20), "peak_anonymous_rss_one_process_MiB": round(peak[2] / 2**20),
        "work_bytes_per_doc": round(work_bytes / n), "input_bytes_per_doc": round(input_bytes / n),
        "documents_out": result["stats"]["documents_out"], "dropped": result["stats"]["dropped"],
        "clusters": result["stats"]["counters"].get("clusters"), "folder": str(base),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=2000, help="documents for the webcorpus signature rate")
    parser.add_argument("--baseline-docs", type=int, default=400, help="documents for datasketch and datatrove")
    parser.add_argument("--skip-signatures", action="store_true")
    parser.add_argument("--large", type=int, default=0, help="documents of the whole-dedup run (0: skip)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep-dir", type=Path, default=None, help="where the large run's folder goes")
    parser.add_argument("--inputs-from", type=Path, default=None, help="reuse the shards of an earlier --large run")
    args = parser.parse_args()
    if not args.skip_signatures:
        docs = five_kb_documents(args.docs)
        print(f"documents: {len(docs)}, mean {sum(map(len, docs)) / len(docs):.0f} characters")
        ours = rate_webcorpus(docs)
        rows = [("webcorpus (batch, numpy)", ours), ("datasketch update_batch loop", rate_datasketch(docs[: args.baseline_docs])),
                ("datatrove MinhashDedupSignature", rate_datatrove(docs[: args.baseline_docs]))]
        for name, r in rows:
            if "error" in r:
                print(f"{name:34s} error: {r['error']}")
                continue
            print(f"{name:34s} {r['docs']:6d} docs  {r['docs'] / r['wall_s']:9.0f} docs/s wall  {r['docs'] / r['cpu_s']:9.0f} docs/s CPU"
                  f"  (ours x{(ours['docs'] / ours['cpu_s']) / (r['docs'] / r['cpu_s']):.1f} by CPU time)")
    if args.large:
        print(json.dumps(run_large(args.large, args.workers, args.keep_dir, args.inputs_from), indent=1))


if __name__ == "__main__":
    main()
