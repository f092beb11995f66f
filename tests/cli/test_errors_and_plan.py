"""Mistakes a user can act on are reported before any work, all at once, with "did you mean", exit 2,
and in run.log; `--dry-run` shows the plan; run.json is the same run from any folder."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from webcorpus.cli import main


def run_cli(*args, cwd: Path | None = None):
    import os

    here = os.getcwd()
    try:
        if cwd:
            os.chdir(cwd)
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(here)


def crawl(shared_data) -> Path:
    return shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_every_problem_at_once_with_did_you_mean(tmp_path):
    pipeline = write(tmp_path / "p.yaml", "input: x\noutput: out\nworkers: 0\noutptu: y\nstages:\n"
                     "  - extrakt: {}\n  - language: {keep: [en], min_scor: 0.5}\n")
    result = run_cli("run", pipeline)
    assert result.exit_code == 2
    assert "4 problems" in result.output
    for needle in ["did you mean 'output'", "did you mean 'extract'", "did you mean 'min_score'", "'workers' must be"]:
        assert needle in result.output, needle


def test_every_bad_option_of_a_stage_at_once_with_ranges_and_did_you_mean(tmp_path):
    pipeline = write(tmp_path / "p.yaml", "input: x\noutput: out\nstages:\n  - extract: {engine: blokcs}\n"
                     "  - language: {keep: en, min_score: high, top_k: many}\n"
                     "  - gopher_quality: {min_words: -5, max_words: 10}\n  - dedup: {seed: -1, threshold: 0.8}\n")
    result = run_cli("run", pipeline)
    assert result.exit_code == 2 and "6 problems" in result.output, result.output
    for needle in ["stage 1 'extract': engine must be one of", "got 'blokcs' (did you mean 'blocks'?)",
                   "stage 2 'language': option 'keep' must be", "stage 2 'language': option 'min_score' must be float",
                   "stage 2 'language': option 'top_k' must be int", "stage 3 'gopher_quality': option 'min_words' must be 0 or more, got -5",
                   "stage 4 'dedup': option 'seed' must be 0 or more, got -1"]:
        assert needle in result.output, needle
    # min_words' default (50) above max_words (10) is not the user's mistake: not reported
    assert "exceeds max_words" not in result.output and not (tmp_path / "out").exists()


def test_a_python_function_that_does_not_import_is_refused_before_work(tmp_path, shared_data):
    for function, needle in [
        ("no_such_module_anywhere:f", "cannot import module 'no_such_module_anywhere'"),
        ("tests.pipeline.helpers:keep_even_offset", "did you mean 'keep_even_offsets'"),
    ]:
        pipeline = write(tmp_path / "p.yaml", f"input: {crawl(shared_data)}\noutput: {tmp_path / 'out'}\n"
                         f"stages:\n  - python: {{function: '{function}'}}\n")
        result = run_cli("run", pipeline)
        assert result.exit_code == 2, result.output
        assert needle in result.output and "Traceback" not in result.output
        assert not (tmp_path / "out").exists()


def test_a_refusal_is_written_to_the_run_log_of_an_existing_run(tmp_path, shared_data):
    out = tmp_path / "out"
    pipeline = write(tmp_path / "p.yaml", f"input: {crawl(shared_data)}\noutput: {out}\nstages: []\n")
    assert run_cli("run", pipeline, "--quiet").exit_code == 0
    write(pipeline, f"input: {crawl(shared_data)}\noutput: {out}\nstages:\n  - extrakt: {{}}\n")
    assert run_cli("run", pipeline, "--quiet").exit_code == 2
    log = (out / "logs" / "run.log").read_text()
    assert "refused (exit 2)" in log and "extrakt" in log


def test_dry_run_prints_the_plan_and_what_a_resume_skips(tmp_path, shared_data):
    out = tmp_path / "out"
    pipeline = write(tmp_path / "p.yaml", f"input: {crawl(shared_data)}\noutput: {out}\nstages:\n"
                     "  - python: {function: 'tests.pipeline.helpers:url_length'}\n  - dedup: {}\n")
    plan = run_cli("run", pipeline, "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert "step 1/2 (batch): python" in plan.output and "step 2/2 (global): dedup" in plan.output
    assert "1 task(s) to run" in plan.output and str(out / "documents") in plan.output
    assert not out.exists()  # nothing was done
    assert run_cli("run", pipeline, "--quiet", "--keep-intermediates").exit_code == 0
    again = run_cli("run", pipeline, "--dry-run")
    assert "holds this run" in again.output and "1 of 1 task(s) finished (skipped)" in again.output


def test_run_json_holds_absolute_paths_and_a_refusal_says_what_differs(tmp_path, shared_data):
    (tmp_path / "crawl").mkdir()
    (tmp_path / "crawl" / "a.warc.gz").write_bytes(crawl(shared_data).read_bytes())
    (tmp_path / "elsewhere").mkdir()
    pipeline = write(tmp_path / "p.yaml", f"input: crawl/a.warc.gz\noutput: {tmp_path / 'out'}\n"
                     "stages:\n  - python: {function: 'tests.pipeline.helpers:url_length'}\n")
    assert run_cli("run", pipeline, "--quiet", cwd=tmp_path).exit_code == 0
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["inputs"] == [str(tmp_path / "crawl" / "a.warc.gz")] and Path(record["config"]["output"]).is_absolute()
    # the same run, started from another folder with an absolute input: resumed, not refused
    again = run_cli("run", pipeline, "--quiet", "--input", tmp_path / "crawl" / "a.warc.gz", cwd=tmp_path / "elsewhere")
    assert again.exit_code == 0, again.output
    write(pipeline, f"input: crawl/a.warc.gz\noutput: {tmp_path / 'out'}\n"
          "stages:\n  - python: {function: 'tests.pipeline.helpers:url_length', label: length}\n")
    refused = run_cli("run", pipeline, "--quiet", cwd=tmp_path)
    assert refused.exit_code == 2
    assert "stage 'python' option 'label' was '(default)', now 'length'" in refused.output


def test_intermediates_are_removed_after_success_unless_kept(tmp_path, shared_data):
    stages = "stages:\n  - python: {function: 'tests.pipeline.helpers:url_length'}\n  - dedup: {}\n"
    out = tmp_path / "out"
    pipeline = write(tmp_path / "p.yaml", f"input: {crawl(shared_data)}\noutput: {out}\n{stages}")
    assert run_cli("run", pipeline, "--quiet").exit_code == 0
    assert not (out / "steps").exists() and any((out / "documents").glob("*.parquet"))
    documents = sorted(p.name for p in (out / "documents").glob("*.parquet"))
    rerun = run_cli("run", pipeline)  # finished, inputs unchanged: nothing to do, same documents
    assert rerun.exit_code == 0 and "nothing to do" in (out / "logs" / "run.log").read_text()
    assert sorted(p.name for p in (out / "documents").glob("*.parquet")) == documents
    kept = tmp_path / "kept"
    write(pipeline, f"input: {crawl(shared_data)}\noutput: {kept}\n{stages}")
    assert run_cli("run", pipeline, "--quiet", "--keep-intermediates").exit_code == 0
    assert any((kept / "steps").rglob("*.parquet"))


def test_a_vocabulary_smaller_than_the_samples_alphabet_is_a_clear_exit_2(tmp_path, shared_data):
    out = tmp_path / "out"
    pipeline = write(tmp_path / "p.yaml", f"input: {crawl(shared_data)}\noutput: {out}\nstages:\n"
                     "  - extract: {}\n  - train_tokenizer: {vocab_size: 300}\n")
    result = run_cli("run", pipeline, "--quiet")
    assert result.exit_code == 2, result.output
    assert "too small for the sample's alphabet" in result.output and "raise vocab_size to at least" in result.output
    assert "Traceback" not in result.output and "required_chars" not in result.output
    assert "too small for the sample's alphabet" in (out / "logs" / "run.log").read_text()
    assert not (out / "tokenizer").exists()


def test_the_alphabet_count_is_sentencepieces_own(tmp_path):
    """The count decides refusals: one piece less than it needs must fail in sentencepiece, the count must pass."""
    import sentencepiece as spm

    from webcorpus.tokenizer.train import TrainTokenizer, required_characters

    text = tmp_path / "sample.txt"
    rng = __import__("random").Random(0)
    alphabet = "abcdefghijklmnopqrstuvwxyzäöüßéèàçñøåæœ日本語中文한국어абвгдежзийклмнопрстуфхцчшщ ,.!?0123456789"
    text.write_text("\n".join("".join(rng.choice(alphabet) for _ in range(rng.randint(20, 200))) for _ in range(3000)))
    stage = TrainTokenizer(vocab_size=1000)
    for coverage in (1.0, 0.9995, 0.98):
        needed = required_characters([str(text)], (coverage,))[coverage] + stage._meta_pieces()
        for vocab, fits in ((needed - 1, False), (needed, True)):
            try:
                spm.SentencePieceTrainer.train(
                    input=str(text), model_prefix=str(tmp_path / "m"), model_type="bpe", vocab_size=vocab,
                    byte_fallback=True, character_coverage=coverage, add_dummy_prefix=False, remove_extra_whitespaces=False,
                    normalization_rule_name="identity", control_symbols=["<|endoftext|>"], unk_id=0, bos_id=1, eos_id=2,
                    pad_id=3, minloglevel=2)
                trained = True
            except RuntimeError as exc:
                assert "required_chars" in str(exc)
                trained = False
            assert trained == fits, (coverage, vocab, needed)


def test_a_shipped_pipeline_by_name_and_a_misspelt_one(tmp_path, shared_data):
    plan = run_cli("run", "main", "--input", crawl(shared_data), "--output", tmp_path / "out", "--dry-run", cwd=tmp_path)
    assert plan.exit_code == 0 and "step 6/6 (global): tokenize" in plan.output
    typo = run_cli("run", "mian", "--dry-run", cwd=tmp_path)
    assert typo.exit_code == 2 and "did you mean 'main'" in typo.output
