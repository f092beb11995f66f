"""`webcorpus --help` reads whole in a narrow terminal: no command's line cut mid-phrase, nothing wider."""
from click.testing import CliRunner

from webcorpus.cli import SHORT_HELP, main


def test_every_command_has_a_short_help():
    assert sorted(SHORT_HELP) == sorted(main.commands)


def test_help_fits_sixty_columns_without_cut_lines():
    for args in ([], ["run"], ["demo"]):
        result = CliRunner().invoke(main, [*args, "--help"], terminal_width=60)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert lines and max(len(line) for line in lines) <= 60, [line for line in lines if len(line) > 60]
        listed = lines[lines.index("Commands:") + 1:] if "Commands:" in lines else []
        assert not [line for line in listed if line.rstrip().endswith("...")]
        assert "Exit codes:" in result.output or args == []
    top = CliRunner().invoke(main, ["--help"], terminal_width=60).output
    for name, text in SHORT_HELP.items():
        assert f"{name}" in top and text in top
