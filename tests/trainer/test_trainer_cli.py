"""End to end through the commands: real article text, a sentencepiece tokenizer, train, sample."""
import json

import numpy as np
import pytest
from click.testing import CliRunner

from trainer_shards import make_dataset, write_llmc_shard
from webcorpus.trainer.commands import sample, train

TINY_FLAGS = ["--n-layer", "2", "--n-head", "2", "--n-embd", "64", "--seq-len", "64", "--batch-size", "8",
              "--device", "cpu", "--eval-tokens", "4096"]


@pytest.fixture(scope="module")
def article_run(shared_data, tmp_path_factory):
    """Real English articles -> a 512-piece sentencepiece model -> llm.c shards -> a short training run.

    The layout is the pipeline's: OUTPUT/tokenizer/{tokenizer.model,card.json}, OUTPUT/tokens/llmc/."""
    spm = pytest.importorskip("sentencepiece")
    root = tmp_path_factory.mktemp("articles")
    articles = json.loads((shared_data / "extract" / "scrapinghub-aeb" / "ground-truth.json").read_text())
    texts = [a["articleBody"] for a in articles.values() if a.get("articleBody")]
    (root / "tokenizer").mkdir()
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(line for t in texts for line in t.splitlines() if line.strip()))
    spm.SentencePieceTrainer.train(input=str(corpus), model_prefix=str(root / "tokenizer" / "tokenizer"),
                                   vocab_size=512, model_type="bpe", bos_id=1, eos_id=2, character_coverage=0.995,
                                   input_sentence_size=200_000, num_threads=1, minloglevel=2)
    sp = spm.SentencePieceProcessor(model_file=str(root / "tokenizer" / "tokenizer.model"))
    (root / "tokenizer" / "card.json").write_text(json.dumps({"vocab_size": 512, "model": "tokenizer.model", "eot_token": 1}))
    ids = [[1] + sp.encode(t) for t in texts]  # the separator before every document
    data = root / "tokens"
    (data / "llmc").mkdir(parents=True)
    write_llmc_shard(data / "llmc" / "aeb_train_000001.bin", np.concatenate(ids[20:]))
    write_llmc_shard(data / "llmc" / "aeb_val_000000.bin", np.concatenate(ids[:20]))
    out = root / "run"
    result = CliRunner().invoke(train, ["--data", str(data), "--out", str(out), "--steps", "150",
                                       "--lr", "6e-3", "--warmup-steps", "15", "--eval-every", "50",
                                       "--doc-aligned", *TINY_FLAGS])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_learns_real_text_and_samples_decoded_text(article_run):
    out, console = article_run
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    config = json.loads((out / "config.json").read_text())
    assert config["vocab_size"] == 512  # from the tokenizer card, not the data
    assert config["doc_aligned"] and config["separator_token"] is None
    vals = [line["val_loss"] for line in lines if "val_loss" in line]
    assert vals[0] > 6.0 and vals[-1] < vals[0] - 0.6, vals  # ln(512) = 6.24
    assert "step    150/150" in console and "tok/s" in console and "val " in console
    result = CliRunner().invoke(sample, ["--checkpoint", str(out), "--prompt", "The city of",
                                         "--max-new-tokens", "20", "--device", "cpu", "--seed", "1"])
    assert result.exit_code == 0, result.output
    text = result.output.strip()
    assert text.startswith("The city of") and len(text) > len("The city of") + 5


def test_sample_without_tokenizer_prints_token_ids(tmp_path):
    data = make_dataset(tmp_path / "tokens", train_tokens=20_000)
    run = tmp_path / "run"
    result = CliRunner().invoke(train, ["--data", str(data), "--out", str(run), "--steps", "40",
                                        "--lr", "3e-3", "--warmup-steps", "5", *TINY_FLAGS])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(sample, ["--checkpoint", str(run / "checkpoint.pt"), "--prompt", "5 28",
                                         "--max-new-tokens", "12", "--num-samples", "2", "--top-k", "5"])
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if not line.startswith("---")]
    assert len(rows) == 2
    for row in rows:
        assert row[:2] == ["5", "28"] and len(row) == 14
        assert all(0 <= int(t) < 64 for t in row)
    bad = CliRunner().invoke(sample, ["--checkpoint", str(run), "--prompt", "hello"])
    assert bad.exit_code != 0 and "token ids" in bad.output


def test_corrupt_shard_is_a_clear_error(tmp_path):
    data = make_dataset(tmp_path / "tokens", train_tokens=20_000)
    broken = write_llmc_shard(data / "syn_train_009.bin", np.arange(500), n_tokens=900)
    result = CliRunner().invoke(train, ["--data", str(data), "--out", str(tmp_path / "run"), "--steps", "2",
                                        *TINY_FLAGS])
    assert result.exit_code != 0
    assert str(broken) in result.output and "truncated" in result.output
