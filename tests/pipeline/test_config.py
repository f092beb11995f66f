"""The whole pipeline file is validated before any work starts; every mistake names where it is."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from webcorpus.cli import main
from webcorpus.pipeline import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipeline.yaml"
    path.write_text(text)
    return path


def run_cli(*args):
    return CliRunner().invoke(main, list(args))


def test_unknown_stage_names_file_stage_and_choices(tmp_path):
    path = write(tmp_path, "input: x\noutput: out\nstages:\n  - python: {function: 'os.path:basename'}\n  - extrakt: {}\n")
    result = run_cli("run", str(path))
    assert result.exit_code == 2
    assert str(path) in result.output and "stage 2" in result.output and "extrakt" in result.output
    assert "python" in result.output  # the valid choices are listed


def test_unknown_option_lists_valid_options(tmp_path):
    path = write(tmp_path, "input: x\noutput: out\nstages:\n  - python: {function: 'os.path:basename', lable: x}\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert "stage 1 'python'" in message and "'lable'" in message and "label" in message and "function" in message


def test_wrong_type_is_reported_with_the_expected_type(tmp_path):
    path = write(tmp_path, "input: x\noutput: out\nstages:\n  - python: {function: 'os.path:basename', label: 3}\n")
    with pytest.raises(ConfigError, match=r"option 'label' must be str \| null, got int 3"):
        load_config(path)


def test_bad_top_level_values(tmp_path):
    for text, needle in [
        ("workers: 0\n", "'workers' must be a positive integer"),
        ("executor: slurm\n", "'executor' must be one of"),
        ("stages: {extract: {}}\n", "'stages' must be a list"),
        ("outptu: x\n", "unknown top-level key 'outptu'"),
        ("input: {commoncrawl: CC-MAIN-2024-10, limt: 3}\n", "unknown: limt"),
    ]:
        with pytest.raises(ConfigError, match=needle):
            load_config(write(tmp_path, text))


def test_missing_input_is_exit_code_2_before_any_work(tmp_path):
    path = write(tmp_path, f"input: {tmp_path}/nothing-*.warc.gz\noutput: {tmp_path}/out\nstages: []\n")
    result = run_cli("run", str(path))
    assert result.exit_code == 2
    assert "nothing-*.warc.gz" in result.output
    assert not (tmp_path / "out").exists()


def test_missing_pipeline_file_and_bad_yaml(tmp_path):
    assert run_cli("run", str(tmp_path / "absent.yaml")).exit_code == 2
    result = run_cli("run", str(write(tmp_path, "stages: [\n")))
    assert result.exit_code == 2 and "not valid YAML" in result.output


def test_cli_flags_override_the_file(tmp_path, shared_data):
    source = shared_data / "warc" / "aut-example" / "warc" / "example.warc.gz"
    path = write(tmp_path, "input: nowhere.warc.gz\noutput: nowhere\nworkers: 1\nstages: []\n")
    config = load_config(path, {"input": str(source), "output": str(tmp_path / "o"), "workers": 2, "executor": None})
    assert config.input == str(source) and config.output == str(tmp_path / "o") and config.workers == 2


def test_stages_command_lists_options_with_types_and_defaults():
    result = run_cli("stages")
    assert result.exit_code == 0
    assert "python" in result.output and "label: str | null" in result.output and "default None" in result.output
    assert run_cli("stages", "nope").exit_code == 2
