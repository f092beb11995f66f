"""`webcorpus ablate` on two real pipeline outputs, on the CPU: the table, the chart, the same texts
and tokens for every model, the tasks, and resuming."""
from __future__ import annotations

import json
import math
import shutil

import lxml.html
import pytest
import yaml
from click.testing import CliRunner

pytest.importorskip("torch")

from webcorpus.cli import main  # noqa: E402
from tests.ablate.test_texts import articles  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from tests.ablate.conftest import TINY  # noqa: E402
from webcorpus.ablate import corpora as cp  # noqa: E402
from webcorpus.ablate.config import load_yaml  # noqa: E402

STEPS = 30


def write_tasks(folder):
    """A HellaSwag file (llm.c's layout: ctx, endings, label, plus unused fields) and a plain one."""
    hellaswag = folder / "hellaswag_val.jsonl"
    rows = [{"ind": i, "activity_label": "Test", "ctx_a": "The city council met on", "ctx_b": "",
             "ctx": "The city council met on", "split": "val", "split_type": "indomain", "label": i % 4,
             "endings": ["Monday to discuss the budget.", "the the the of of", "zqxv wkpl", "Tuesday at noon."],
             "source_id": f"test~{i}"} for i in range(6)]
    hellaswag.write_text("".join(json.dumps(r) + "\n" for r in rows))
    plain = folder / "plain.jsonl"
    plain.write_text("".join(json.dumps({"context": "Water boils at", "endings": ["100 degrees.", "blue cats."],
                                         "label": 0}) + "\n" for _ in range(3)))
    return [hellaswag, plain]


def write_config(tmp_path, outputs, out, **extra) -> str:
    trusted = tmp_path / "trusted.jsonl"
    trusted.write_text("".join(json.dumps({"text": t}) + "\n" for t in articles(SHARED_DATA, 8)))
    references = tmp_path / "references"
    references.mkdir(exist_ok=True)
    (references / "a.txt").write_text("The museum opens at nine in the morning and closes at five. " * 20)
    (references / "b.md").write_text("Rain is expected across the region on Thursday, with wind from the west. " * 20)
    values = {"corpora": {"filtered": str(outputs[0]), "unfiltered": str(outputs[1])}, "out": str(out),
              "vocab_size": 512, "val_fraction": 0.25, "preset": "tiny", "train": dict(TINY, steps=STEPS),
              "device": "cpu", "references": str(references), "eval_texts": str(trusted),
              "tasks": [str(p) for p in write_tasks(tmp_path)], **extra}
    path = tmp_path / f"{out.name}.yaml"
    path.write_text(yaml.safe_dump(values))
    return str(path)


@pytest.fixture(scope="module")
def ablation(two_outputs, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ablation")
    out = tmp / "abl"
    config = write_config(tmp, two_outputs, out)
    result = CliRunner().invoke(main, ["ablate", "--config", config, "--quiet"])
    assert result.exit_code == 0, result.output + str(result.exception)
    return out, config, json.loads((out / "ablation.json").read_text()), result.output


def test_every_run_held_equal_but_the_corpus(ablation):
    out, _, result, _ = ablation
    held = result["held_equal"]
    assert held["steps"] == STEPS and held["train_tokens"] == STEPS * TINY["batch_size"] * TINY["seq_len"]
    assert [r["name"] for r in result["runs"]] == ["filtered", "unfiltered"]
    configs = [json.loads((out / r["run_dir"] / "config.json").read_text()) for r in result["runs"]]
    differing = {k for k in configs[0] if configs[0][k] != configs[1][k]}
    assert differing == {"data", "out"}  # same model, seed, schedule, vocabulary
    for run in result["runs"]:
        assert run["trained_tokens"] == held["train_tokens"]  # the same number of training tokens
        assert run["repeated"] == (run["train_tokens_available"] < held["train_tokens"])
        assert run["shared_val"]["tokens"] == result["shared_val"]["tokens"] - 1  # the same texts, every token scored
        assert 0 < run["shared_val"]["loss"] < 10 and run["own_val"]["loss"] > 0 and run["reference"]["loss"] > 0
        first, last = run["curve"]["val_loss"][0][1], run["curve"]["val_loss"][-1][1]
        assert last < first  # the models learn
    # The tokenizer was trained on an equal-sized sample of each corpus.
    sample = held["tokenizer"]["trained_on"]
    sizes = [v["bytes"] for v in sample.values()]
    assert set(sample) == {"filtered", "unfiltered"} and max(sizes) - min(sizes) < 0.1 * max(sizes)
    card = json.loads((out / "tokenizer" / "card.json").read_text())
    assert card["vocab_size"] == held["tokenizer"]["vocab_size"] == 512


def test_shared_validation_is_equal_parts_and_never_trained_on(ablation, two_outputs):
    out, config_path, result, _ = ablation
    config = load_yaml(config_path)
    splits = [cp.scan(c.name, c.path, config.val_fraction, 2 * config.shared_val_bytes, config.seed) for c in config.corpora]
    budget = cp.assign_validation(splits, config.shared_share, config.shared_val_bytes)
    assert budget == result["shared_val"]["bytes_per_corpus"] > 0
    shared = cp.shared_documents(splits)
    assert len(shared) == result["shared_val"]["documents"]
    in_both = {d[1] for d in splits[0].shared} & {d[1] for d in splits[1].shared}
    assert result["shared_val"]["in_several_parts"] == len(in_both)  # the same page in both outputs, once
    assert len(shared) == len(splits[0].shared) + len(splits[1].shared) - len(in_both)
    for split in splits:
        part = cp.nbytes(split.shared)
        largest = max(len(d[2].encode()) for d in split.heldout)
        assert budget - largest < part <= budget  # the same bytes from each corpus, up to one document
        trained = list(cp.train_documents(split, config.val_fraction, set(), config.seed))
        trained_ids = {i for i, _ in trained}
        trained_texts = {cp.text_key(t) for _, t in trained}
        assert not trained_ids & {d[1] for d in shared}
        assert not trained_texts & {cp.text_key(d[2]) for d in shared}
        assert not trained_ids & {d[1] for d in split.own_val}
        assert len(trained) + split.heldout_documents == split.documents
    runs = {r["name"]: r for r in result["runs"]}
    assert runs["filtered"]["documents"] == splits[0].documents


def test_tasks_are_scored_with_intervals(ablation):
    _, _, result, _ = ablation
    for run in result["runs"]:
        assert set(run["tasks"]) == {"hellaswag_val", "plain"}
        hs = run["tasks"]["hellaswag_val"]
        assert hs["examples"] == 6 and hs["chance"] == 0.25
        assert run["tasks"]["plain"]["examples"] == 3 and run["tasks"]["plain"]["chance"] == 0.5
        for score in run["tasks"].values():
            for name in ("acc", "acc_norm"):
                low, high = score[f"{name}_ci"]
                assert 0 <= low <= score[name] <= high <= 1
                assert high - low > 0.3  # a handful of examples: a wide interval, as it should be


def test_report_table_chart_and_commands(ablation, two_outputs):
    out, _, result, _ = ablation
    page = lxml.html.fromstring((out / "report.html").read_text())
    rows = page.xpath('//table[@id="ablation-table"]//tr[@data-run]')
    assert [r.get("data-run") for r in rows] == ["filtered", "unfiltered"]
    for row, run in zip(rows, result["runs"]):
        value = row.xpath('td[@data-field="shared_val_loss"]')[0].get("data-value")
        assert float(value) == pytest.approx(run["shared_val"]["loss"])
        assert float(row.xpath('td[@data-field="documents"]')[0].get("data-value")) == run["documents"]
        assert row.xpath('td[@data-field="task:hellaswag_val"]')[0].text_content().count("–") == 1  # the interval
    for chart in ("ablation-train-curves", "ablation-val-curves"):
        assert len(page.xpath(f'//div[@id="{chart}"]//svg//path')) == 2  # one curve per run, on one chart
    commands = page.xpath('//pre[@id="ablation-commands"]')[0].text_content()
    assert commands.count("webcorpus train --data") == 2 and "webcorpus ablate" in commands
    # The same section in the run report.
    report = CliRunner().invoke(main, ["report", str(two_outputs[0]), "--ablation", str(out), "--out", str(out / "run.html")])
    assert report.exit_code == 0, report.output
    run_page = lxml.html.fromstring((out / "run.html").read_text())
    section = run_page.xpath('//section[@id="ablation"]')[0]
    assert section.get("class") != "absent" and section.xpath('.//table[@id="ablation-table"]//tr[@data-run]')


def test_a_rerun_trains_nothing_and_a_stopped_run_resumes_to_the_same_model(ablation, two_outputs, tmp_path):
    out, config_path, result, _ = ablation
    before = {r["name"]: (out / r["run_dir"] / "checkpoint.pt").stat().st_mtime_ns for r in result["runs"]}
    again = CliRunner().invoke(main, ["ablate", "--config", config_path, "--quiet"])
    assert again.exit_code == 0, again.output
    assert "already trained" in again.output
    assert {r["name"]: (out / r["run_dir"] / "checkpoint.pt").stat().st_mtime_ns for r in result["runs"]} == before

    # Stop every run after 10 steps (as a time-limited job would), then run the same ablation again.
    stopped = tmp_path / "stopped"
    config = write_config(tmp_path, two_outputs, stopped)
    values = yaml.safe_load(open(config))
    values["train"]["stop_at"] = 10
    stop_config = tmp_path / "stop.yaml"
    stop_config.write_text(yaml.safe_dump(values))
    first = CliRunner().invoke(main, ["ablate", "--config", str(stop_config), "--quiet"])
    assert first.exit_code == 0, first.output + str(first.exception)
    assert not (stopped / "runs" / "filtered" / "done.json").exists() and not (stopped / "ablation.json").exists()
    assert "stopped after step 10" in first.output
    resumed = CliRunner().invoke(main, ["ablate", "--config", config, "--quiet"])
    assert resumed.exit_code == 0, resumed.output + str(resumed.exception)
    assert "resumed" in resumed.output
    final = json.loads((stopped / "ablation.json").read_text())
    for run, reference in zip(final["runs"], result["runs"]):
        assert run["shared_val"]["loss"] == pytest.approx(reference["shared_val"]["loss"], abs=1e-4)
        assert run["tasks"]["hellaswag_val"]["acc_norm"] == reference["tasks"]["hellaswag_val"]["acc_norm"]


def test_refuse_a_corpus_smaller_than_the_budget(two_outputs, tmp_path):
    config = write_config(tmp_path, two_outputs, tmp_path / "refused", too_small="refuse", train_tokens=10_000_000)
    result = CliRunner().invoke(main, ["ablate", "--config", config, "--quiet"])
    assert result.exit_code == 1 and "fewer than the budget" in result.output
    shutil.rmtree(tmp_path / "refused")


def test_invalid_options_are_usage_errors(two_outputs, tmp_path):
    one = CliRunner().invoke(main, ["ablate", str(two_outputs[0]), "--out", str(tmp_path / "x")])
    assert one.exit_code == 2 and "at least two corpora" in one.output
    bad = CliRunner().invoke(main, ["ablate", *map(str, two_outputs), "--out", str(tmp_path / "x"), "--val-fraction", "1.5"])
    assert bad.exit_code == 2 and "val_fraction" in bad.output


def test_task_scores_equal_one_sequence_at_a_time(ablation, tmp_path):
    """Endings scored together (padded to one batch) pick what scoring each ending alone picks."""
    import torch

    from webcorpus.ablate.evaluate import load_model, token_nll
    from webcorpus.ablate.tasks import join, read_task, score_task
    from webcorpus.tokenizer.loaded import load_tokenizer

    out, _, result, _ = ablation
    tokenizer = load_tokenizer(str(out / result["held_equal"]["tokenizer"]["path"]))
    separator = result["held_equal"]["tokenizer"]["separator"]["id"]
    model = load_model(out / result["runs"][0]["run_dir"], "cpu")
    examples = read_task(write_tasks(tmp_path)[0])
    right = right_norm = 0
    for ex in examples:
        totals, means = [], []
        for ending in ex.endings:
            context = [separator] + tokenizer.encode_batch([ex.context])[0]
            tail = tokenizer.encode_batch([join(ex.context, ending)])[0]
            ids = torch.tensor([context + tail])
            with torch.no_grad():
                nll = token_nll(model, ids[:, :-1], ids[:, 1:])[0, -len(tail):]
            totals.append(float(nll.sum()))
            means.append(float(nll.mean()))
        right += int(totals.index(min(totals)) == ex.label)
        right_norm += int(means.index(min(means)) == ex.label)
    scored = score_task(model, tokenizer, separator, examples, 32, "cpu")
    assert scored["acc"] == right / len(examples) and scored["acc_norm"] == right_norm / len(examples)
    assert scored == result["runs"][0]["tasks"]["hellaswag_val"]


def test_runs_side_by_side_each_process_its_own(two_outputs, tmp_path):
    """`--run NAME` in two processes: the data is prepared once, each trains its run, the second writes the table."""
    config = write_config(tmp_path, two_outputs, tmp_path / "split")
    first = CliRunner().invoke(main, ["ablate", "--config", config, "--run", "unfiltered", "--quiet"])
    assert first.exit_code == 0, first.output + str(first.exception)
    assert "not finished: filtered" in first.output and not (tmp_path / "split" / "ablation.json").exists()
    assert (tmp_path / "split" / "runs" / "unfiltered" / "done.json").exists()
    assert not (tmp_path / "split" / "runs" / "filtered").exists()
    second = CliRunner().invoke(main, ["ablate", "--config", config, "--run", "filtered", "--quiet"])
    assert second.exit_code == 0, second.output + str(second.exception)
    assert "encoding every corpus" not in second.output  # the token files of the first process are reused
    result = json.loads((tmp_path / "split" / "ablation.json").read_text())
    assert [r["name"] for r in result["runs"]] == ["filtered", "unfiltered"]


def test_a_tokenizer_the_user_names(ablation, two_outputs, tmp_path):
    out, _, result, _ = ablation
    named = out / result["held_equal"]["tokenizer"]["path"]
    config = write_config(tmp_path, two_outputs, tmp_path / "named", tokenizer=str(named))
    done = CliRunner().invoke(main, ["ablate", "--config", config, "--quiet"])
    assert done.exit_code == 0, done.output + str(done.exception)
    again = json.loads((tmp_path / "named" / "ablation.json").read_text())
    tokenizer = again["held_equal"]["tokenizer"]
    assert tokenizer["trained_on"] is None and tokenizer["digest"] == result["held_equal"]["tokenizer"]["digest"]
    assert not (tmp_path / "named" / "tokenizer-sample").exists()
    for run in again["runs"]:
        shared = run["shared_val"]
        assert shared["bits_per_byte"] == pytest.approx(shared["nats"] / math.log(2) / again["shared_val"]["bytes"])


def test_eval_texts_score_every_model_on_the_same_trusted_texts(ablation):
    out, _, result, console = ablation
    trusted = result["eval_texts"]
    assert trusted["documents"] == 8 and trusted["tokens"] > 8 and trusted["path"].endswith("trusted.jsonl")
    page = lxml.html.fromstring((out / "report.html").read_text())
    for run in result["runs"]:
        scores = run["eval_texts"]
        assert scores["tokens"] == trusted["tokens"] - 1  # the same texts for every model, every token scored
        assert scores["bits_per_byte"] == pytest.approx(scores["nats"] / math.log(2) / trusted["bytes"])
        assert f"{run['name']}: shared validation loss" in console
        assert f"eval texts loss {scores['loss']:.4f}" in console
        cell = page.xpath(f'//tr[@data-run="{run["name"]}"]/td[@data-field="eval_texts_bpb"]')[0]
        assert float(cell.get("data-value")) == pytest.approx(scores["bits_per_byte"])


def test_unreadable_eval_texts_stop_before_work_with_exit_2(two_outputs, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"body": "no text field"}\n')
    out = tmp_path / "never"
    result = CliRunner().invoke(main, ["ablate", *map(str, two_outputs), "--out", str(out), "--eval-texts", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1" in result.output and "--eval-texts" in result.output
    assert not (out / "tokenizer").exists()
