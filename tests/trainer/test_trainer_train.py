"""The training loop on CPU: it learns, it resumes exactly, it accumulates, it logs."""
import json

import pytest
import torch

from trainer_shards import TINY, metrics
from webcorpus.trainer.config import PRESETS, make_config
from webcorpus.trainer.model import GPT, GPTConfig
from webcorpus.trainer.train import lr_at, peak_flops, train



def test_tiny_model_learns(data, tmp_path):
    result = train(make_config(data=str(data), out=str(tmp_path / "run"), steps=150, eval_every=50,
                               log_every=10, **TINY))
    lines = metrics(tmp_path / "run")
    vals = [line["val_loss"] for line in lines if "val_loss" in line]
    assert vals[0] > 3.8  # about ln(64) at the start
    assert vals[-1] < vals[0] - 2.0, vals
    assert result["val_loss"] == vals[-1]


def test_metrics_lines(data, tmp_path):
    train(make_config(data=str(data), out=str(tmp_path / "run"), steps=6, eval_every=4, log_every=2, **TINY))
    lines = metrics(tmp_path / "run")
    assert lines[0] == {"step": 0, "tokens": 0, "val_loss": lines[0]["val_loss"]}
    assert [line["step"] for line in lines] == [0, 2, 4, 6]
    for line in lines[1:]:
        assert {"step", "train_loss", "lr", "tokens_per_s", "grad_norm", "ms_per_step", "tokens"} <= set(line)
        assert line["tokens"] == line["step"] * 8 * 32
        assert line["tokens_per_s"] > 0 and line["lr"] > 0
        assert "mfu" not in line  # no peak FLOPS for a CPU
    assert "val_loss" in lines[2] and "val_loss" in lines[3] and "val_loss" not in lines[1]
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["vocab_size"] == 64 and config["world_size"] == 1


def test_stop_and_resume_equals_an_uninterrupted_run(data, tmp_path):
    # dropout draws random numbers every step, so this also checks that RNG states are restored
    common = dict(data=str(data), steps=24, eval_every=8, checkpoint_every=100, dropout=0.1, **TINY)
    train(make_config(out=str(tmp_path / "whole"), **common))
    stopped = train(make_config(out=str(tmp_path / "parts"), stop_at=10, **common))
    assert stopped["step"] == 10
    ckpt = torch.load(tmp_path / "parts" / "checkpoint.pt", weights_only=False)
    assert ckpt["step"] == 10 and ckpt["train_loader"] == {"k": 10}
    resumed = train(make_config(out=str(tmp_path / "parts"), resume=True, **common))
    whole, parts = metrics(tmp_path / "whole"), metrics(tmp_path / "parts")
    assert [line["step"] for line in parts] == [line["step"] for line in whole]
    for a, b in zip(whole, parts):
        assert a.get("train_loss") == pytest.approx(b.get("train_loss"), abs=1e-4)
        assert a.get("val_loss") == pytest.approx(b.get("val_loss"), abs=1e-4)
    assert resumed["val_loss"] == pytest.approx(whole[-1]["val_loss"], abs=1e-4)
    final_whole = torch.load(tmp_path / "whole" / "checkpoint.pt", weights_only=False)["model"]
    final_parts = torch.load(tmp_path / "parts" / "checkpoint.pt", weights_only=False)["model"]
    for name, tensor in final_whole.items():
        torch.testing.assert_close(final_parts[name], tensor, atol=1e-5, rtol=0)


def test_resume_without_checkpoint_is_an_error(data, tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train(make_config(data=str(data), out=str(tmp_path / "none"), steps=2, resume=True, **TINY))


def test_gradient_accumulation_matches_a_bigger_batch(data, tmp_path):
    common = dict(data=str(data), steps=5, eval_every=5, **dict(TINY, batch_size=8))
    train(make_config(out=str(tmp_path / "accum"), total_batch_tokens=2 * 8 * 32, **common))
    train(make_config(out=str(tmp_path / "big"), **dict(common, batch_size=16)))
    accum, big = metrics(tmp_path / "accum"), metrics(tmp_path / "big")
    for a, b in zip(accum[1:], big[1:]):
        assert a["train_loss"] == pytest.approx(b["train_loss"], abs=1e-4)
        assert a["tokens"] == b["tokens"] == a["step"] * 512


def test_modern_switches_learn_too(data, tmp_path):
    modern = dict(rope=True, rmsnorm=True, qk_norm=True, relu2=True, untied_head=True, bias=False)
    train(make_config(data=str(data), out=str(tmp_path / "run"), steps=80, eval_every=80, **TINY, **modern))
    vals = [line["val_loss"] for line in metrics(tmp_path / "run") if "val_loss" in line]
    assert vals[-1] < vals[0] - 1.5, vals
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)["model"]
    assert "wpe.weight" not in state  # RoPE: no position table
    assert not state["lm_head.weight"].equal(state["wte.weight"])  # untied


def test_model_switches_and_vocab_padding():
    torch.manual_seed(0)
    base = GPT(GPTConfig(vocab_size=100, seq_len=16, n_layer=1, n_head=2, n_embd=16))
    assert base.wte.weight.shape[0] == 128
    assert base.lm_head.weight is base.wte.weight
    idx = torch.randint(0, 100, (2, 16))
    logits, loss = base(idx, idx)
    assert logits.shape == (2, 16, 128) and loss.item() > 0
    rope = GPT(GPTConfig(vocab_size=100, seq_len=16, n_layer=1, n_head=2, n_embd=16, rope=True))
    assert rope.wpe is None
    # causal: the first position's output does not depend on later tokens
    changed = idx.clone()
    changed[:, 5:] = (changed[:, 5:] + 1) % 100
    for model in (base, rope):
        a, _ = model(idx, idx)
        b, _ = model(changed, changed)
        torch.testing.assert_close(a[:, :5], b[:, :5])
        assert not torch.allclose(a[:, 5:], b[:, 5:])
    out = base.generate(idx[:, :3], 40, temperature=2.0)
    assert out.shape == (2, 43) and int(out.max()) < 100  # padding ids are never sampled
    # weight decay on matrices only
    opt = base.make_optimizer(0.1, 0.1, (0.9, 0.95), "cpu")
    decayed, plain = opt.param_groups
    assert all(p.dim() >= 2 for p in decayed["params"]) and all(p.dim() < 2 for p in plain["params"])


def test_schedule_and_presets():
    cfg = make_config(steps=100, warmup_steps=10, lr=1.0, min_lr_ratio=0.1)
    assert lr_at(0, cfg) == pytest.approx(0.1) and lr_at(9, cfg) == pytest.approx(1.0)
    assert lr_at(99, cfg) == pytest.approx(0.1, abs=1e-3)
    assert lr_at(10, cfg) > lr_at(50, cfg) > lr_at(90, cfg)
    linear = make_config(steps=100, warmup_steps=10, lr=1.0, min_lr_ratio=0.0, decay="linear")
    assert lr_at(55, linear) == pytest.approx(0.5)
    assert make_config("tiny", n_layer=3).n_layer == 3 and make_config("tiny").n_layer == 2
    assert make_config("gpt2-124m").total_batch_tokens == 524288
    assert set(PRESETS) >= {"tiny", "small", "gpt2-124m"}
    with pytest.raises(ValueError, match="unknown preset"):
        make_config("huge")
    assert peak_flops("NVIDIA H100 80GB HBM3") == 989e12
    assert peak_flops("NVIDIA H100 PCIe") == 756e12
    assert peak_flops("NVIDIA H200") == 989e12 and peak_flops("cpu") is None
