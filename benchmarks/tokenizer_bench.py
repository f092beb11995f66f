"""Tokenizer benchmarks: training time against Hugging Face ``tokenizers``, bytes per token, encoding throughput.

Text: the real texts of ../shared/data (newspaper and scrapinghub articles, the
lingua sentences of 75 languages). They hold about 12 MB, so larger samples are
documents recombined from real paragraphs (seeded): every paragraph is real,
documents are unique, but the vocabulary of words is that of the 12 MB.
Paragraphs are split 95/5 by hash first; the 5% are the held-out text on which
bytes per token are measured, and never appear in training text.

    python benchmarks/tokenizer_bench.py --unique --train-mb 100 --encode-mb 100 --threads 2

Sentencepiece counts identical lines once, so on recombined text (the same
paragraphs many times) its training time is far below what 100 MB of fresh web
text costs; the ``--unique`` run (every paragraph once) is the fair comparison.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO / ".." / "shared" / "data"
sys.path.insert(0, str(REPO))


def real_paragraphs() -> list[str]:
    data = SHARED.resolve()
    paragraphs = []
    for path in sorted((data / "extract/newspaper-fulltext/text").glob("*.txt")):
        paragraphs += [p for p in path.read_text(encoding="utf-8").split("\n") if p.strip()]
    truth = json.loads((data / "extract/scrapinghub-aeb/ground-truth.json").read_text(encoding="utf-8"))
    for _, item in sorted(truth.items()):
        paragraphs += [p for p in item["articleBody"].split("\n") if p.strip()]
    for lang_dir in sorted((data / "lid/lingua-testdata").iterdir()):
        path = lang_dir / "testdata" / "sentences.txt"
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            paragraphs += [" ".join(lines[i : i + 5]) for i in range(0, len(lines), 5)]
    return paragraphs


def split_heldout(paragraphs: list[str]) -> tuple[list[str], list[str]]:
    train, heldout = [], []
    for p in paragraphs:
        (heldout if hashlib.sha1(p.encode()).digest()[0] < 13 else train).append(p)  # 13/256 ~ 5%
    return train, heldout


def documents(pool: list[str], total_bytes: int, seed: int) -> list[str]:
    """Documents of 3 to 30 real paragraphs, drawn with a seeded generator until ``total_bytes``."""
    rng = random.Random(seed)
    docs, size = [], 0
    while size < total_bytes:
        doc = "\n".join(rng.choice(pool) for _ in range(rng.randint(3, 30)))
        docs.append(doc)
        size += len(doc.encode())
    return docs


def unique_documents(pool: list[str], seed: int) -> list[str]:
    """Every real paragraph exactly once, shuffled, grouped into documents of 10: no repeated text."""
    shuffled = list(pool)
    random.Random(seed).shuffle(shuffled)
    return ["\n".join(shuffled[i : i + 10]) for i in range(0, len(shuffled), 10)]


def bench_training(docs: list[str], heldout: list[str], vocab: int, threads: int, work: Path) -> dict:
    os.environ["RAYON_NUM_THREADS"] = str(threads)  # read when tokenizers starts its thread pool
    import sentencepiece as spm
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    sample = work / "sample.txt"
    with open(sample, "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(doc + "\n")  # one paragraph per line: how train_tokenizer writes its sample
    sample_bytes = sample.stat().st_size
    heldout_bytes = sum(len(p.encode()) for p in heldout)
    cpu0, start = time.process_time(), time.perf_counter()
    spm.SentencePieceTrainer.train(
        input=str(sample), model_prefix=str(work / "sp"), model_type="bpe", vocab_size=vocab, byte_fallback=True,
        character_coverage=0.9995, normalization_rule_name="identity", add_dummy_prefix=False, remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True, split_digits=True, pad_id=3, control_symbols=["<|endoftext|>"],
        input_sentence_size=0, max_sentence_length=16384, num_threads=threads, minloglevel=2,
    )
    sp_seconds, sp_cpu = time.perf_counter() - start, time.process_time() - cpu0
    sp = spm.SentencePieceProcessor(model_file=str(work / "sp.model"))
    sp_tokens = sum(map(len, sp.encode(heldout)))

    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    cpu0, start = time.process_time(), time.perf_counter()
    hf.train([str(sample)], trainer)
    hf_seconds, hf_cpu = time.perf_counter() - start, time.process_time() - cpu0
    hf_tokens = sum(len(e.ids) for e in hf.encode_batch(heldout, add_special_tokens=False))
    return {
        "sample_bytes": sample_bytes, "vocab_size": vocab, "threads": threads,
        "sentencepiece_seconds": round(sp_seconds, 1), "sentencepiece_cpu_seconds": round(sp_cpu, 1),
        "hf_tokenizers_seconds": round(hf_seconds, 1), "hf_tokenizers_cpu_seconds": round(hf_cpu, 1),
        "heldout_bytes": heldout_bytes,
        "sentencepiece_bytes_per_token": round(heldout_bytes / sp_tokens, 3),
        "hf_tokenizers_bytes_per_token": round(heldout_bytes / hf_tokens, 3),
        "sentencepiece_model": str(work / "sp.model"),
    }


def bench_encoding(docs: list[str], model: str, work: Path, shards: int) -> dict:
    import pyarrow.parquet as pq

    from webcorpus.documents import from_rows
    from webcorpus.stages.global_stage import GlobalContext
    from webcorpus.tokenizer.tokenize import Tokenize

    inputs = []
    for k in range(shards):
        path = work / f"docs.{k:05d}.parquet"
        rows = [{"id": f"bench/{i}", "url": f"https://example.org/{i}", "text": d} for i, d in enumerate(docs) if i % shards == k]
        pq.write_table(from_rows(rows), path, compression="zstd")
        inputs.append(str(path))
    ctx = GlobalContext(inputs=inputs, output_dir=work / "o", work_dir=work / "work", run_dir=work / "OUTPUT", workers=1,
                        map=lambda fn, items: [fn(i) for i in items])
    stage = Tokenize(formats=["llmc", "nanogpt", "megatron"], tokenizer=model, threads=1, shard_tokens=10_000_000)
    cpu0, start = time.process_time(), time.perf_counter()
    stage.run(ctx)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    tokens = ctx.stats.counters["tokens_train"] + ctx.stats.counters["tokens_val"]
    return {
        "text_bytes": ctx.stats.counters["text_bytes"], "tokens": tokens, "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2), "tokens_per_second_per_core": round(tokens / seconds),
        "tokens_per_cpu_second": round(tokens / cpu), "formats": ["llmc", "nanogpt", "megatron"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-mb", type=float, nargs="*", default=[100], help="training sample sizes, MB (0: skip)")
    parser.add_argument("--unique", action="store_true", help="also train on the real text once, without repetition (~11 MB)")
    parser.add_argument("--encode-mb", type=float, default=100, help="text to encode end to end, MB (0: skip)")
    parser.add_argument("--vocab", type=int, default=32768)
    parser.add_argument("--threads", type=int, default=2, help="training threads for both trainers")
    parser.add_argument("--work", default=None, help="scratch folder (default: a temporary one)")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="tokbench-"))
    work.mkdir(parents=True, exist_ok=True)
    pool, heldout = split_heldout(real_paragraphs())
    results = {"paragraphs": len(pool), "heldout_paragraphs": len(heldout), "training": [], "encoding": None}
    model = None
    runs = [("unique", None)] if args.unique else []
    runs += [(f"{mb:g}", mb) for mb in args.train_mb if mb > 0]
    for label, mb in runs:
        folder = work / f"train{label}"
        folder.mkdir(exist_ok=True)
        docs = unique_documents(pool, seed=1) if mb is None else documents(pool, int(mb * 1e6), seed=1)
        result = {"text": "real paragraphs once" if mb is None else "recombined real paragraphs"}
        result.update(bench_training(docs, heldout, args.vocab, args.threads, folder))
        results["training"].append(result)
        model = model or result["sentencepiece_model"]
        print(json.dumps(result), flush=True)
    if args.encode_mb > 0 and model:
        folder = work / "encode"
        folder.mkdir(exist_ok=True)
        results["encoding"] = bench_encoding(documents(pool, int(args.encode_mb * 1e6), seed=2), model, folder, shards=4)
        print(json.dumps(results["encoding"]), flush=True)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
