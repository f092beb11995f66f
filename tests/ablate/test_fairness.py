"""An ablation of corpora whose documents differ greatly in size (whole real articles against the
single paragraphs of other real articles): the tokenizer sample takes equal bytes of each, the shared
validation set equal tokens, the results say what each corpus gave; inputs that cannot work stop
before any work with exit 2; several seeds give a verdict against their spread."""
from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

pytest.importorskip("torch")

from webcorpus.ablate.tokens import document_tokens  # noqa: E402
from webcorpus.cli import main  # noqa: E402
from tests.ablate.conftest import TINY  # noqa: E402
from tests.ablate.test_texts import articles  # noqa: E402


def write_corpus(folder: Path, texts: list[str], prefix: str) -> Path:
    (folder / "documents").mkdir(parents=True)
    ids = [f"<urn:{prefix}:{i}>" for i in range(len(texts))]
    pq.write_table(pa.table({"id": ids, "text": texts}), folder / "documents" / "part-00000.parquet")
    return folder


def paragraphs(shared_data: Path) -> list[str]:
    """Single paragraphs of the newspaper-fulltext articles (other articles than the long corpus's)."""
    out = []
    for path in sorted((shared_data / "extract" / "newspaper-fulltext" / "text").glob("*.txt")):
        out += [p.strip() for p in path.read_text(encoding="utf-8").split("\n") if len(p.strip()) > 40]
    return out


@pytest.fixture(scope="module")
def corpora(shared_data, tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("sizes")
    long = write_corpus(root / "long", articles(shared_data, 181), "long")
    short = write_corpus(root / "short", paragraphs(shared_data), "short")
    return long, short


def ablate(corpora, out, *flags):
    return CliRunner().invoke(main, ["ablate", *map(str, corpora), "--out", str(out), "--preset", "tiny",
                                     "--device", "cpu", "--quiet", *flags])


@pytest.fixture(scope="module")
def result(corpora, tmp_path_factory):
    out = tmp_path_factory.mktemp("fair") / "abl"
    config = out.parent / "ablation.yaml"
    config.write_text(json.dumps({"corpora": {"long": str(corpora[0]), "short": str(corpora[1])}, "out": str(out),
                                  "tokenizer_sample_bytes": 60_000, "vocab_size": 600, "val_fraction": 0.2,
                                  "preset": "tiny", "seeds": 2, "device": "cpu",
                                  "train": dict(TINY, steps=20)}))
    done = CliRunner().invoke(main, ["ablate", "--config", str(config), "--quiet"])
    assert done.exit_code == 0, done.output + str(done.exception)
    return out, json.loads((out / "ablation.json").read_text()), done.output


def test_the_tokenizer_sample_takes_equal_bytes_of_each_corpus(result):
    out, data, _ = result
    sample = data["held_equal"]["tokenizer"]["trained_on"]
    long, short = sample["long"], sample["short"]
    assert long["documents"] > 3 and short["documents"] > 5 * long["documents"]  # very different documents
    assert abs(long["bytes"] - short["bytes"]) <= 0.01 * 30_000  # 60,000 bytes in all: 30,000 each, to 1%
    for name, part in sample.items():  # what the JSON says is the file the tokenizer was trained on
        texts = pq.read_table(out / "tokenizer-sample" / f"{name}.parquet").column("text").to_pylist()
        assert len(texts) == part["documents"] and sum(len(t.encode()) for t in texts) == part["bytes"]
        assert sum(document_tokens(texts, str(out / data["held_equal"]["tokenizer"]["path"]))) - len(texts) == part["tokens"]
        assert data["contributed"][name]["tokenizer_sample"] == part


def test_the_shared_validation_set_takes_equal_tokens_of_each_corpus(result):
    _, data, console = result
    parts = {name: given["shared_val"] for name, given in data["contributed"].items()}
    assert parts["short"]["documents"] > 3 * parts["long"]["documents"]
    tokens = sorted(part["tokens"] for part in parts.values())
    assert tokens[0] == data["shared_val"]["tokens_per_corpus"]  # the smaller pool sets the size
    assert tokens[1] <= 1.03 * tokens[0]  # the other gives as much, to less than one of its documents
    for run in data["runs"]:  # scored part by part, on what the JSON says each part holds
        for name, part in parts.items():
            assert run["shared_val_parts"][name]["tokens"] == part["tokens"] - 1
    for name, given in data["contributed"].items():
        assert set(given) == {"tokenizer_sample", "train", "shared_val", "own_val"}
        assert all(given[k]["documents"] > 0 and given[k]["bytes"] > 0 and given[k]["tokens"] > 0 for k in given)
        assert f"{parts[name]['tokens']:,} tokens from {name}" in console


def test_several_seeds_give_a_verdict_against_their_spread(result):
    out, data, console = result
    verdict = data["verdict"]["shared_val"]
    losses = {name: [r["shared_val"]["loss"] for r in runs] for name, runs in data["seed_runs"].items()}
    assert data["held_equal"]["seeds"] == [1337, 1338] and all(len(v) == 2 for v in losses.values())
    means = {name: sum(v) / 2 for name, v in losses.items()}
    winner = min(means, key=means.get)
    assert verdict["winner"] == winner and verdict["margin"] == pytest.approx(max(means.values()) - min(means.values()))
    assert verdict["spread"] == pytest.approx(max(max(v) - min(v) for v in losses.values()))
    assert verdict["exceeds_spread"] == (verdict["margin"] > verdict["spread"] and verdict["wins"] == 2)
    assert f"{winner} wins" in console and "seed-to-seed spread" in console
    assert (out / "runs" / "long.seed-1338" / "done.json").exists()
    page = lxml.html.fromstring((out / "report.html").read_text())
    assert f"{winner} wins" in page.xpath('//p[@class="verdict"]')[0].text_content()
    assert page.xpath('//table[@id="ablation-contributed"]//tr[@data-run]')


def test_no_held_out_document_is_a_usage_error_naming_the_flag(corpora, tmp_path):
    out = tmp_path / "abl"
    done = ablate(corpora, out, "--val-fraction", "0.0001", "--vocab-size", "600")
    assert done.exit_code == 2, done.output
    assert "--val-fraction" in done.output and "holds out at least two" in done.output
    assert "long" in done.output and not (out / "tokenizer").exists()


def small_sample_config(corpora, folder: Path, **values) -> str:
    config = folder / "small.yaml"
    config.write_text(json.dumps({"corpora": {"long": str(corpora[0]), "short": str(corpora[1])}, "out": str(folder / "abl"),
                                  "tokenizer_sample_bytes": 8_000, "val_fraction": 0.2, "preset": "tiny",
                                  "device": "cpu", "train": dict(TINY, steps=5), **values}))
    return str(config)


def test_a_vocabulary_too_large_for_the_sample(corpora, tmp_path):
    named = CliRunner().invoke(main, ["ablate", "--config", small_sample_config(corpora, tmp_path, vocab_size=32768), "--quiet"])
    assert named.exit_code == 2, named.output
    assert "--vocab-size 32,768 is too high for the tokenizer sample" in named.output and "at most" in named.output
    assert not (tmp_path / "abl" / "runs").exists()


def test_the_vocabulary_follows_the_model_and_fits_the_sample(corpora, tmp_path):
    """No --vocab-size: the tiny preset gets 2,048 pieces by the rule, lowered to what a small sample supports."""
    done = CliRunner().invoke(main, ["ablate", "--config", small_sample_config(corpora, tmp_path, tokenizer_sample_bytes=2_000), "--quiet"])
    assert done.exit_code == 0, done.output + str(done.exception)
    vocabulary = json.loads((tmp_path / "abl" / "ablation.json").read_text())["held_equal"]["tokenizer"]["vocabulary"]
    assert vocabulary["requested"] == 2048 and "power of two" in vocabulary["rule"]
    assert vocabulary["fitted_to_sample"] and "the vocabulary is lowered from 2,048" in done.output


def test_max_minutes_chooses_one_budget_that_fits(corpora, tmp_path):
    config = small_sample_config(corpora, tmp_path, tokenizer_sample_bytes=20_000, vocab_size=600, max_minutes=0.5,
                                 val_fraction=0.05)
    done = CliRunner().invoke(main, ["ablate", "--config", config, "--quiet"])
    assert done.exit_code == 0, done.output + str(done.exception)
    data = json.loads((tmp_path / "abl" / "ablation.json").read_text())
    held, budget = data["held_equal"], data["held_equal"]["budget"]
    assert budget["max_minutes"] == 0.5 and budget["seconds_per_step"] > 0 and budget["timed_steps"] == 4
    assert held["train_tokens"] == budget["train_tokens"] == held["steps"] * held["tokens_per_step"] > 0
    assert held["steps"] != 5  # the budget, not the configured steps
    assert budget["estimated_seconds"] <= 0.5 * 60 * 1.01  # the plan fits the minutes
    assert {r["trained_tokens"] for r in data["runs"]} == {held["train_tokens"]}  # the same for every corpus
    assert "ablate: cost: 2 corpora = 2 run(s)" in done.output and "budget chosen to fit --max-minutes 0.5" in done.output


def test_max_minutes_too_short_for_one_step(corpora, tmp_path):
    config = small_sample_config(corpora, tmp_path, tokenizer_sample_bytes=20_000, vocab_size=600, max_minutes=0.0001)
    done = CliRunner().invoke(main, ["ablate", "--config", config, "--quiet"])
    assert done.exit_code == 2 and "--max-minutes 0.0001" in done.output and "give at least" in done.output
    assert not (tmp_path / "abl" / "runs").exists()
