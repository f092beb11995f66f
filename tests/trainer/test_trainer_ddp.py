"""Two gloo ranks under torchrun train exactly like one rank with the same global batch."""
import json

import pytest

from trainer_shards import make_dataset, run_module
from webcorpus.trainer.config import make_config
from webcorpus.trainer.train import train

ARGS = dict(n_layer=2, n_head=2, n_embd=32, seq_len=32, batch_size=4, lr=3e-3, warmup_steps=3,
            steps=8, eval_every=4, eval_tokens=2048, device="cpu")


def metrics(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_two_gloo_ranks_match_one_rank(tmp_path):
    data = make_dataset(tmp_path / "tokens")
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in ARGS.items()]
    done = run_module("torch.distributed.run", "--standalone", "--nproc_per_node=2",
                      "-m", "webcorpus.trainer", "train", f"--data={data}", f"--out={tmp_path / 'ddp'}",
                      *flags)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "2 rank(s) on cpu" in done.stdout
    # one process accumulating two micro-batches reads what the two ranks read together
    train(make_config(data=str(data), out=str(tmp_path / "one"), total_batch_tokens=2 * 4 * 32, **ARGS))
    ddp, one = metrics(tmp_path / "ddp"), metrics(tmp_path / "one")
    assert json.loads((tmp_path / "ddp" / "config.json").read_text())["world_size"] == 2
    assert [line["step"] for line in ddp] == [line["step"] for line in one] == list(range(9))
    for a, b in zip(ddp, one):
        assert a.get("train_loss") == pytest.approx(b.get("train_loss"), abs=1e-4)
        assert a.get("val_loss") == pytest.approx(b.get("val_loss"), abs=1e-4)
        assert a["tokens"] == b["tokens"]
    assert ddp[-1]["val_loss"] < ddp[0]["val_loss"]
