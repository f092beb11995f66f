"""torch is an optional extra: the commands import without it and explain how to install it."""
import os
import subprocess
import sys

from trainer_shards import REPO

CHECK = """
import sys
{prelude}
import webcorpus.trainer.commands as commands
assert sys.modules.get("torch") is None, "importing the commands imported torch"
from click.testing import CliRunner
result = CliRunner().invoke(commands.train, ["--data", ".", "--out", "unused"])
print(result.exit_code, result.output)
"""


def _run(prelude: str):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-c", CHECK.format(prelude=prelude)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


def test_importing_the_commands_does_not_import_torch():
    done = _run("")
    assert done.returncode == 0, done.stderr


def test_missing_torch_gives_the_install_command():
    done = _run("sys.modules['torch'] = None  # as if torch were not installed")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("1 ")
    assert "pip install 'webcorpus[train]'" in done.stdout
