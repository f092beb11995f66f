"""End to end through the commands: real articles, the pipeline's tokenizer and shards, train, sample."""
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
    """Real English articles through the project's own train_tokenizer and tokenize stages
    (OUTPUT/tokenizer/, OUTPUT/tokens/llmc/), then a short training run on OUTPUT/tokens."""
    import pyarrow.parquet as pq

    from webcorpus.documents import from_rows
    from webcorpus.stages.global_stage import GlobalContext
    from webcorpus.tokenizer.tokenize import Tokenize
    from webcorpus.tokenizer.train import TrainTokenizer

    root = tmp_path_factory.mktemp("articles")
    articles = json.loads((shared_data / "extract" / "scrapinghub-aeb" / "ground-truth.json").read_text())
    rows = [{"id": key, "url": a.get("url"), "text": a["articleBody"]}
            for key, a in sorted(articles.items()) if a.get("articleBody")]
    (root / "docs").mkdir()
    pq.write_table(from_rows(rows), root / "docs" / "docs.00000.parquet")
    ctx = GlobalContext(inputs=[str(root / "docs" / "docs.00000.parquet")], output_dir=root / "docs_out",
                        work_dir=root / "work", run_dir=root / "OUTPUT", workers=1,
                        map=lambda fn, items: [fn(item) for item in items])
    TrainTokenizer(vocab_size=1024, sample_bytes=5_000_000, heldout_bytes=50_000, character_coverage=0.98,
                   threads=1).run(ctx)
    Tokenize(formats=["llmc"], val_fraction=0.1, threads=1).run(ctx)
    out = root / "run"
    result = CliRunner().invoke(train, ["--data", str(root / "OUTPUT" / "tokens"), "--out", str(out),
                                       "--steps", "150", "--lr", "6e-3", "--warmup-steps", "15",
                                       "--eval-every", "50", "--doc-aligned", *TINY_FLAGS])
    assert result.exit_code == 0, result.output
    return out, result.output, json.loads((root / "OUTPUT" / "tokenizer" / "card.json").read_text())


def test_learns_real_text_and_samples_decoded_text(article_run):
    out, console, card = article_run
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    config = json.loads((out / "config.json").read_text())
    assert config["vocab_size"] == card["vocab_size"] == 1024  # from the tokenizer card, not the data
    assert config["doc_aligned"] and config["separator_token"] is None
    vals = [line["val_loss"] for line in lines if "val_loss" in line]
    assert vals[0] > 6.0 and vals[-1] < vals[0] - 0.6, vals  # ln(1024) = 6.93
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
    assert result.exit_code == 1
    assert str(broken) in result.output and "truncated" in result.output


def test_flags_that_do_not_fit_together_are_a_usage_error(tmp_path):
    data = make_dataset(tmp_path / "tokens", train_tokens=20_000)
    flags = [f for f in TINY_FLAGS]
    result = CliRunner().invoke(train, ["--data", str(data), "--out", str(tmp_path / "run"), "--steps", "2",
                                        *flags, "--n-embd", "66", "--n-head", "4"])
    assert result.exit_code == 2
    assert "66" in result.output


def test_devices_this_machine_lacks_are_refused_before_any_work(tmp_path):
    import torch

    data = make_dataset(tmp_path / "tokens", train_tokens=20_000)
    bogus = CliRunner().invoke(sample, ["--checkpoint", str(tmp_path), "--device", "bogus"])
    assert bogus.exit_code == 2 and "'bogus' is not a device" in bogus.output and "usable here" in bogus.output
    if not torch.cuda.is_available():
        cuda = CliRunner().invoke(train, ["--data", str(data), "--out", str(tmp_path / "run"), *TINY_FLAGS[:-4],
                                          "--device", "cuda"])
        assert cuda.exit_code == 2 and "no CUDA device" in cuda.output and "Traceback" not in cuda.output
        assert not (tmp_path / "run").exists()
    typo = CliRunner().invoke(sample, ["--checkpoint", str(tmp_path), "--device", "cpuu"])
    assert typo.exit_code == 2 and "did you mean 'cpu'" in typo.output


def test_train_refuses_to_overwrite_a_run_unless_told(tmp_path):
    data = make_dataset(tmp_path / "tokens", train_tokens=20_000)
    run = tmp_path / "run"
    flags = ["--data", str(data), "--out", str(run), "--steps", "3", "--warmup-steps", "1", *TINY_FLAGS]
    assert CliRunner().invoke(train, flags).exit_code == 0
    first = (run / "metrics.jsonl").read_text()
    again = CliRunner().invoke(train, flags)
    assert again.exit_code == 2 and "already holds a run" in again.output and "checkpoint.pt" in again.output
    assert (run / "metrics.jsonl").read_text() == first  # untouched
    assert CliRunner().invoke(train, flags + ["--overwrite"]).exit_code == 0
    resume_nothing = CliRunner().invoke(train, ["--data", str(data), "--out", str(tmp_path / "none"), "--resume", *TINY_FLAGS])
    assert resume_nothing.exit_code == 2 and "no run to continue" in resume_nothing.output


def test_help_shows_each_presets_default():
    result = CliRunner().invoke(train, ["--help"], terminal_width=200)
    n_layer = next(line for line in result.output.splitlines() if "--n-layer" in line)
    assert "tiny: 2" in n_layer and "small: 6" in n_layer
