"""Tests for the ``aeguard`` application: usage errors, version, start-up cost."""

import subprocess
import sys

from aeguard import __version__

from .helpers import assert_user_error, invoke


def test_usage_errors_are_one_line():
    """typer's own usage errors (unknown options, values outside a declared range) are one
    ``error:`` line with exit status 2, like every other user error."""
    assert_user_error(invoke("detect", "x.csv", "--bogus"), "--bogus")
    assert_user_error(invoke("detect", "x.csv", "--epochs", "0"), "--epochs")
    assert_user_error(invoke("detect", "x.csv", "--window", "abc"), "--window")
    assert_user_error(invoke("detect"), "Missing argument")


def test_help_shows_flags_as_flags():
    """Flags have no value type beside them in --help."""
    for command in ([], ["detect"], ["denoise"], ["generate"], ["retrieve"]):
        result = invoke(*command, "--help")
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.stdout


def test_version():
    """--version prints the package version."""
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"aeguard {__version__}"


def test_python_m_aeguard_help():
    """``python -m aeguard --help`` works and lists the detect command."""
    result = subprocess.run(
        [sys.executable, "-m", "aeguard", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "detect" in result.stdout


def test_help_imports_no_heavy_library():
    """``aeguard --help`` stays quick: it imports no Keras, TensorFlow, scikit-learn, pandas or
    matplotlib."""
    code = (
        "import sys, aeguard.cli; aeguard.cli.app(['--help'], standalone_mode=False); "
        "heavy = ('keras', 'tensorflow', 'sklearn', 'pandas', 'matplotlib'); "
        "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_help_texts_print_as_written():
    """Arguments are named as in the docs (FILE, not {file}) and brackets in help texts survive
    the rich formatter (pip install "aeguard[fast]")."""
    arguments = {"detect": "FILE", "denoise": "INPUT", "generate": "MODEL", "retrieve": None}
    for command, argument in arguments.items():
        result = invoke(command, "--help")
        assert result.exit_code == 0, result.output
        usage = next(line for line in result.stdout.splitlines() if "Usage:" in line)
        assert "{" not in result.stdout and "}" not in result.stdout, command
        assert usage.split()[-1] == (argument or "[OPTIONS]"), usage
    assert '"aeguard[fast]"' in invoke("retrieve", "--help").stdout


def test_detect_help_lists_the_input_options():
    """detect --help lists the options for users' own files."""
    out = invoke("detect", "--help").stdout
    for option in ("--dayfirst", "--monthfirst", "--time-format", "--decimal", "--order"):
        assert option in out, option
    assert "standard input" in out and "standard output" in out
