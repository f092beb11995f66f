"""The whole plan is checked before any work: every problem at once, exit 2, nothing written."""
from __future__ import annotations

import os

import pytest

from tests.faults.helpers import run_cli, write_pipeline
from webcorpus.pipeline.config import ConfigError, config_from_dict

WARC = "warc/aut-example/warc/example.warc.gz"


def test_dedup_after_tokenize_and_tokenize_without_tokenizer_are_refused_together(tmp_path, shared_data):
    output = tmp_path / "out"
    stages = ["tokenize: {formats: [llmc]}", "dedup: {}", "language: {model: /nonexistent/lid.bin}"]
    done = run_cli("run", str(write_pipeline(tmp_path / "p.yaml", [str(shared_data / WARC)], output, stages)))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert "4 problems" in lines[0] and len(lines) == 5, done.stderr  # one line per problem
    assert "stage 1 'tokenize' needs a tokenizer: put 'train_tokenizer' before it" in done.stderr
    assert "stage 2 'dedup' comes after 'tokenize' (stage 1)" in done.stderr
    assert "stage 3 'language'" in done.stderr and "no fastText model file" in done.stderr
    assert not output.exists()  # refused before anything was made


def test_train_tokenizer_before_tokenize_is_the_valid_order():
    config_from_dict({"stages": [{"train_tokenizer": {"vocab_size": 300}}, {"tokenize": {}}]})
    with pytest.raises(ConfigError, match="stage 2 'train_tokenizer' comes after 'tokenize'"):
        config_from_dict({"stages": [{"tokenize": {}}, {"train_tokenizer": {"vocab_size": 300}}]})


def test_an_output_that_is_a_file_is_refused_with_exit_2(tmp_path, shared_data):
    output = tmp_path / "out"
    output.write_text("not a folder")
    done = run_cli("run", str(write_pipeline(tmp_path / "p.yaml", [str(shared_data / WARC)], output, [])))
    assert done.returncode == 2 and "is a file, not a folder" in done.stderr and "Traceback" not in done.stderr
    assert output.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_is_refused_with_exit_2(tmp_path, shared_data):
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        done = run_cli("run", str(write_pipeline(tmp_path / "p.yaml", [str(shared_data / WARC)], parent / "out", [])))
        assert done.returncode == 2 and "is not writable" in done.stderr
    finally:
        parent.chmod(0o755)


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a read-only tmpfs needs root")
def test_an_output_on_a_read_only_file_system_is_refused_with_exit_2(tmp_path, shared_data):
    import subprocess

    disk = tmp_path / "ro"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(disk)], check=True)
    try:
        done = run_cli("run", str(write_pipeline(tmp_path / "p.yaml", [str(shared_data / WARC)], disk / "out", [])))
        assert done.returncode == 2 and "is not writable" in done.stderr and "Traceback" not in done.stderr
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
