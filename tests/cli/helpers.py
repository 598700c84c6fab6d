"""What every CLI test shares: one runner, and the check that a mistake is one clear line."""

from typer.testing import CliRunner

from aeguard.cli import app

runner = CliRunner()


def invoke(*args):
    """Run ``aeguard ARGS`` in-process; the result has ``exit_code``, ``stdout`` and ``stderr``."""
    return runner.invoke(app, [str(a) for a in args])


def assert_user_error(result, *fragments):
    """Exit status 2 with exactly one ``error: ...`` line on stderr naming ``fragments``."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
