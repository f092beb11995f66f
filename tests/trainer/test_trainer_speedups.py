"""The speed-ups change no numbers: chunked cross-entropy equals the full one at float32, the
loop's deferred logging writes what it computed; and Muon, the speedrun preset, the schedule and
the MFU table behave as documented."""
import json
import shutil

import pytest
import torch
import torch.nn.functional as F

from trainer_shards import TINY, metrics
from webcorpus.trainer.batches import DeviceBatches
from webcorpus.trainer.config import PRESETS, make_config
from webcorpus.trainer.data import TokenLoader, find_shards
from webcorpus.trainer.devices import DEVICES, find_device, peak_flops
from webcorpus.trainer.loss import linear_cross_entropy, use_compiled_chunks
from webcorpus.trainer.model import GPT, GPTConfig
from webcorpus.trainer.optim import Muon, Optimizers, make_optimizer, orthogonalize
from webcorpus.trainer.train import lr_at, train



# --- chunked cross-entropy

@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunked_loss_equals_cross_entropy_and_its_gradients(chunk):
    torch.manual_seed(0)
    hidden = torch.randn(64, 24, dtype=torch.float64).float().requires_grad_()
    weight = torch.randn(100, 24).mul(0.3).requires_grad_()
    targets = torch.randint(0, 100, (64,))
    reference = F.cross_entropy(hidden @ weight.t(), targets)
    grad_h, grad_w = torch.autograd.grad(3.0 * reference, (hidden, weight))
    loss = linear_cross_entropy(hidden, weight, targets, chunk)
    chunked_h, chunked_w = torch.autograd.grad(3.0 * loss, (hidden, weight))  # a scaled loss scales the gradients
    torch.testing.assert_close(loss, reference, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(chunked_h, grad_h, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(chunked_w, grad_w, atol=1e-6, rtol=1e-5)
    with torch.no_grad():  # evaluation: the loss only, no gradients computed
        torch.testing.assert_close(linear_cross_entropy(hidden, weight, targets, chunk), reference)


@pytest.mark.parametrize("untied", [False, True])
def test_model_with_chunked_loss_gives_the_same_loss_and_gradients(untied):
    config = GPTConfig(vocab_size=90, seq_len=16, n_layer=2, n_head=2, n_embd=32, untied_head=untied)
    torch.manual_seed(0)
    full, chunked = GPT(config), GPT(config)
    chunked.load_state_dict(full.state_dict())
    chunked.loss_chunk = 11  # uneven: the last chunk is shorter
    idx, targets = torch.randint(0, 90, (3, 16)), torch.randint(0, 90, (3, 16))
    logits, loss_full = full(idx, targets)
    none, loss_chunked = chunked(idx, targets)
    assert logits.shape == (3, 16, 128) and none is None  # chunked: the logits never exist
    torch.testing.assert_close(loss_chunked, loss_full, atol=1e-6, rtol=1e-6)
    loss_full.backward()
    loss_chunked.backward()
    for (name, a), b in zip(full.named_parameters(), chunked.parameters()):
        torch.testing.assert_close(b.grad, a.grad, atol=1e-6, rtol=1e-5, msg=name)


def test_training_with_and_without_chunked_loss_logs_the_same_losses(data, tmp_path):
    common = dict(data=str(data), steps=12, eval_every=6, log_every=1, **TINY)
    train(make_config(out=str(tmp_path / "full"), loss_chunk=0, **common))
    train(make_config(out=str(tmp_path / "chunked"), loss_chunk=37, **common))
    full, chunked = metrics(tmp_path / "full"), metrics(tmp_path / "chunked")
    assert [line["step"] for line in full] == [line["step"] for line in chunked] == list(range(13))
    for a, b in zip(full, chunked):
        assert b.get("train_loss") == pytest.approx(a.get("train_loss"), abs=1e-5)
        assert b.get("val_loss") == pytest.approx(a.get("val_loss"), abs=1e-5)
    for a, b in zip(full[1:], chunked[1:]):
        assert b["grad_norm"] == pytest.approx(a["grad_norm"], rel=1e-4)


def test_device_batches_on_the_cpu_are_the_loaders_batches_in_order(data):
    paths = find_shards(data, "train")
    reference, loader = TokenLoader(paths, 4, 16), TokenLoader(paths, 4, 16)
    batches = DeviceBatches(loader, torch.device("cpu"))
    taken = list(batches.take(3)) + list(batches.take(2))
    assert loader.state_dict() == {"k": 5}  # reading never runs ahead of the step
    for x, y in taken:
        rx, ry = reference.next_batch()
        assert torch.equal(x, rx) and torch.equal(y, ry)


# --- Muon

def test_orthogonalize_sets_singular_values_near_one():
    torch.manual_seed(0)
    for shape in [(32, 32), (16, 48), (48, 16), (3, 20, 20)]:
        u, s, vh = torch.linalg.svd(torch.randn(shape), full_matrices=False)
        spread = torch.logspace(-2, 0, s.shape[-1]).expand_as(s)  # singular values 0.01 .. 1
        out = orthogonalize(u @ torch.diag_embed(spread) @ vh)
        s = torch.linalg.svdvals(out)
        # the quintic iteration trades exactness for speed: singular values land in about [0.7, 1.2]
        assert s.min() > 0.6 and s.max() < 1.2, (shape, s.min(), s.max())
        # and the singular vectors are those of the input: out is close to U V^T
        assert torch.linalg.matrix_norm(out - u @ vh).max() < 0.4 * shape[-1] ** 0.5


def test_muon_step_is_nesterov_momentum_orthogonalized():
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(8, 24))
    opt = Muon([w], lr=0.1, momentum=0.9)
    grads = [torch.randn(8, 24) for _ in range(2)]
    before, buf = w.detach().clone(), torch.zeros(8, 24)
    for g in grads:
        w.grad = g.clone()
        opt.step()
        buf = 0.9 * buf + g
        before -= 0.1 * orthogonalize(g + 0.9 * buf)  # wide matrix: no extra scale
        torch.testing.assert_close(w.detach(), before)
    assert torch.equal(opt.state[w]["momentum_buffer"], buf)


def test_muon_scales_tall_matrices_and_splits_fused_qkv():
    torch.manual_seed(0)
    tall = torch.nn.Parameter(torch.zeros(64, 16))
    tall.grad = torch.randn(64, 16)
    Muon([tall], lr=1.0, momentum=0.0).step()
    torch.testing.assert_close(tall.detach(), -2.0 * orthogonalize(tall.grad))  # sqrt(64 / 16) = 2
    qkv = torch.nn.Parameter(torch.zeros(48, 16))
    qkv.muon_split = 3
    qkv.grad = torch.randn(48, 16) * torch.tensor([1.0, 100.0, 0.01]).repeat_interleave(16)[:, None]
    Muon([qkv], lr=1.0, momentum=0.0).step()
    for block in (-qkv.detach()).split(16):  # each block orthogonal on its own, whatever its scale
        s = torch.linalg.svdvals(block)
        assert s.min() > 0.5 and s.max() < 1.3


def test_muon_optimizer_partition():
    model = GPT(GPTConfig(vocab_size=64, seq_len=16, n_layer=2, n_head=2, n_embd=32, untied_head=True,
                          rope=True, bias=False))
    opt = make_optimizer(model, "muon", 0.008, 0.0, (0.8, 0.95), "cpu", muon_lr=0.05, embed_lr=0.6)
    assert isinstance(opt, Optimizers)
    muon, adam = opt.optimizers
    names = {id(p): n for n, p in model.named_parameters()}
    on_muon = {names[id(p)] for p in muon.param_groups[0]["params"]}
    assert on_muon == {n for n, p in model.named_parameters() if n.startswith("h.") and p.dim() == 2}
    groups = [{names[id(p)] for p in g["params"]} for g in adam.param_groups]
    assert groups[0] == {"lm_head.weight"} and groups[2] == {"wte.weight"}
    assert all(model.get_parameter(n).dim() == 1 for n in groups[1])
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.008, 0.008, 0.6]
    assert sum(len(g["params"]) for g in opt.param_groups) == len(list(model.parameters()))
    assert model.h[0].attn.c_attn.weight.muon_split == 3
    with pytest.raises(ValueError, match="adamw or muon"):
        make_optimizer(model, "sgd", 0.1, 0.0, (0.9, 0.95), "cpu")


def test_speedrun_recipe_learns_and_resumes_exactly(data, tmp_path):
    speedrun = {k: v for k, v in PRESETS["gpt2-124m-speedrun"].items()
                if k in ("optimizer", "muon_momentum", "beta1", "beta2", "weight_decay", "decay",
                         "cooldown_frac", "min_lr_ratio", "grad_clip", "rope", "rmsnorm", "qk_norm",
                         "relu2", "untied_head", "bias")}
    common = dict(data=str(data), steps=40, eval_every=20, checkpoint_every=100, muon_lr=0.05,
                  **dict(TINY, lr=0.008, warmup_steps=0), embed_lr=0.1, **speedrun)
    train(make_config(out=str(tmp_path / "whole"), **common))
    vals = [line["val_loss"] for line in metrics(tmp_path / "whole") if "val_loss" in line]
    assert vals[-1] < vals[0] - 2.0, vals
    train(make_config(out=str(tmp_path / "parts"), stop_at=15, **common))
    train(make_config(out=str(tmp_path / "parts"), resume=True, **common))
    whole, parts = metrics(tmp_path / "whole"), metrics(tmp_path / "parts")
    assert [line["step"] for line in parts] == [line["step"] for line in whole]
    for a, b in zip(whole, parts):
        assert b.get("train_loss") == pytest.approx(a.get("train_loss"), abs=1e-5)
        assert b.get("lr") == a.get("lr")


# --- presets, schedule, MFU

def test_every_preset_is_valid_and_bad_values_are_refused():
    for name in PRESETS:
        make_config(name)
    speedrun = make_config("gpt2-124m-speedrun")
    assert (speedrun.optimizer, speedrun.decay, speedrun.untied_head) == ("muon", "wsd", True)
    bad = [dict(decay="step"), dict(optimizer="sgd"), dict(compile_mode="fast"), dict(attention="xformers"),
           dict(cooldown_frac=1.5), dict(loss_chunk=-1), dict(embed_lr=0.1)]  # embed_lr needs an untied head
    for values in bad:
        field = next(iter(values))
        with pytest.raises(ValueError, match=field):
            make_config(**values)


def test_wsd_schedule_is_constant_then_a_linear_cooldown():
    cfg = make_config(steps=100, warmup_steps=0, lr=1.0, decay="wsd", cooldown_frac=0.4, min_lr_ratio=0.0)
    assert [lr_at(i, cfg) for i in (0, 30, 59, 60)] == [1.0, 1.0, 1.0, 1.0]
    assert lr_at(70, cfg) == pytest.approx(0.75) and lr_at(80, cfg) == pytest.approx(0.5)
    assert lr_at(99, cfg) == pytest.approx(1 / 40)
    warm = make_config(steps=100, warmup_steps=10, lr=1.0, decay="wsd", cooldown_frac=0.4, min_lr_ratio=0.1)
    assert lr_at(4, warm) == pytest.approx(0.5) and lr_at(50, warm) == 1.0
    assert lr_at(80, warm) == pytest.approx(0.1 + 0.9 * 0.5)


def test_mfu_table_matches_the_names_and_sm_counts_gpus_report():
    reported = {  # torch.cuda.get_device_properties(): (name, multi_processor_count)
        ("NVIDIA H100 80GB HBM3", 132): 989e12, ("NVIDIA H100 PCIe", 114): 756e12,
        ("NVIDIA H100 NVL", 132): 835e12, ("NVIDIA H200", 132): 989e12, ("NVIDIA H200 NVL", 132): 835e12,
        ("NVIDIA GH200 480GB", 132): 989e12, ("NVIDIA A100-SXM4-80GB", 108): 312e12,
        ("NVIDIA A100 80GB PCIe", 108): 312e12, ("NVIDIA A10G", 80): 70e12, ("NVIDIA A10", 72): 125e12,
        ("NVIDIA L4", 58): 121e12, ("NVIDIA L40S", 142): 362e12, ("NVIDIA B200", 148): 2250e12,
    }
    for (name, sms), peak in reported.items():
        assert peak_flops(name, sms) == peak, name
    # a name that matches but an SM count that does not (a MIG slice): no MFU rather than a wrong one
    assert peak_flops("NVIDIA H100 80GB HBM3 MIG 1g.10gb", 16) is None
    assert find_device("NVIDIA H100 PCIe").name == "H100 PCIe"  # without SMs: the longest fragment
    assert peak_flops("cpu") is None and peak_flops("Tesla V100-SXM2-16GB", 80) is None  # no bf16
    assert len({d.name for d in DEVICES}) == len(DEVICES)


def test_target_val_loss_stops_at_the_first_evaluation_reaching_it(data, tmp_path):
    result = train(make_config(data=str(data), out=str(tmp_path / "run"), steps=200, eval_every=10,
                               target_val_loss=2.5, **TINY))
    lines = metrics(tmp_path / "run")
    vals = [line["val_loss"] for line in lines if "val_loss" in line]
    assert vals[-1] <= 2.5 < min(vals[:-1]) and result["step"] < 200
    assert result["step"] == lines[-1]["step"] and result["val_loss"] == vals[-1]
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)["step"] == result["step"]


def test_attention_backends_give_the_same_losses(data, tmp_path):
    common = dict(data=str(data), steps=6, eval_every=3, log_every=1, **TINY)
    runs = {}
    for backend in ("math", "flash"):  # the two SDPA backends a CPU has
        train(make_config(out=str(tmp_path / backend), attention=backend, **common))
        runs[backend] = metrics(tmp_path / backend)
    for a, b in zip(runs["math"], runs["flash"]):
        assert b.get("train_loss") == pytest.approx(a.get("train_loss"), abs=1e-5)
        assert b.get("val_loss") == pytest.approx(a.get("val_loss"), abs=1e-5)


def test_resuming_with_another_optimizer_is_refused(data, tmp_path):
    common = dict(data=str(data), steps=4, eval_every=4, **dict(TINY, untied_head=True))
    train(make_config(out=str(tmp_path / "run"), stop_at=2, **common))
    with pytest.raises(ValueError, match="optimizer adamw, not muon"):
        train(make_config(out=str(tmp_path / "run"), resume=True, optimizer="muon", **common))


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="torch.compile on the CPU needs a C compiler")
def test_compiled_model_with_chunked_loss_equals_eager():
    """The CUDA path's structure, on the CPU: the compiled model breaks its graph at the chunked
    loss, whose per-chunk softmax is compiled on its own; losses and gradients stay the same."""
    config = GPTConfig(vocab_size=90, seq_len=16, n_layer=1, n_head=2, n_embd=32)
    torch.manual_seed(0)
    eager, other = GPT(config), GPT(config)
    other.load_state_dict(eager.state_dict())
    eager.loss_chunk = other.loss_chunk = 16
    idx, targets = torch.randint(0, 90, (3, 16)), torch.randint(0, 90, (3, 16))
    use_compiled_chunks(True)
    try:
        compiled = torch.compile(other)
        _, a = eager(idx, targets)
        _, b = compiled(idx, targets)
        a.backward()
        b.backward()
        with torch.no_grad():
            torch.testing.assert_close(compiled(idx, targets)[1], a)
    finally:
        use_compiled_chunks(False)
    torch.testing.assert_close(b, a, atol=1e-6, rtol=1e-6)
    for (name, p), q in zip(eager.named_parameters(), other.parameters()):
        torch.testing.assert_close(q.grad, p.grad, atol=1e-5, rtol=1e-4, msg=name)
