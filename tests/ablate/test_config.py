"""The YAML form of an ablation and its checks (no training)."""
from __future__ import annotations

import pytest
import yaml

from webcorpus.ablate.config import AblationConfig, Corpus, corpora_from_paths, load_yaml, to_yaml


def test_paths_in_the_file_are_relative_to_it_and_flags_to_the_working_folder(tmp_path):
    (tmp_path / "cfg").mkdir()
    path = tmp_path / "cfg" / "ablation.yaml"
    path.write_text(yaml.safe_dump({"corpora": {"a": "out/a", "b": "/data/b"}, "out": "abl",
                                    "tasks": ["evals/hs.jsonl"], "train": {"steps": 50}}))
    config = load_yaml(str(path))
    assert [c.path for c in config.corpora] == [str(tmp_path / "cfg" / "out" / "a"), "/data/b"]
    assert config.out == str(tmp_path / "cfg" / "abl") and config.tasks == [str(tmp_path / "cfg" / "evals" / "hs.jsonl")]
    assert config.train == {"steps": 50} and config.preset == "tiny"
    flagged = load_yaml(str(path), {"out": "elsewhere/abl", "seed": 7, "device": None})
    assert flagged.out == "elsewhere/abl" and flagged.seed == 7 and flagged.device == "auto"
    # The YAML the ablation writes repeats the same config from anywhere.
    again = tmp_path / "again.yaml"
    again.write_text(to_yaml(config))
    assert load_yaml(str(again)) == config


def test_list_of_folders_are_named_after_them():
    assert [c.name for c in corpora_from_paths(["runs/main", "runs/no-quality"])] == ["main", "no-quality"]
    assert [c.name for c in corpora_from_paths(["a/out", "b/out"])] == ["a-out", "b-out"]


@pytest.mark.parametrize("change, message", [
    ({"corpora": [Corpus("a", "x")]}, "at least two corpora"),
    ({"corpora": [Corpus("a", "x"), Corpus("a", "y")]}, "names must differ"),
    ({"train": {"seed": 3}}, "set by the ablation itself"),
    ({"train": {"n_layers": 3}}, "unknown trainer option"),
    ({"train": {"n_embd": 30, "n_head": 4}}, "does not split"),
    ({"too_small": "shrink"}, "too_small"),
    ({"val_fraction": 0}, "val_fraction"),
])
def test_invalid_configs_name_the_option(change, message):
    values = {"corpora": [Corpus("a", "x"), Corpus("b", "y")], "out": "abl", **change}
    with pytest.raises(ValueError, match=message):
        AblationConfig(**values)
