"""TensorFlow's start-up lines: quiet by default, TF_CPP_MIN_LOG_LEVEL respected when set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aeguard._backend import _without_log_lines

#: What TensorFlow writes while starting, on this stack (2.21, no GPU).
START_UP = """\
WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
I0000 00:00:1796194440.857687   15214 port.cc:153] oneDNN custom operations are on.
I0000 00:00:1796194440.858149   15214 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU will not be used.
I0000 00:00:1796194441.054690   15214 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions.
To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the appropriate compiler flags.
E0000 00:00:1796194448.274094   15214 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)
"""

#: Words that appear in TensorFlow's start-up lines and in nothing aeguard prints.
MARKERS = ("absl::InitializeLog", "oneDNN", "cuda", "cuInit", "cpu_feature_guard", "TensorFlow binary")

FIT = (
    "import numpy as np, os, aeguard; "
    "aeguard.AEDetector(epochs=1, random_state=0).fit(np.random.default_rng(0).normal(size=(40, 3))); "
    "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))"
)


def _run(code, level):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    if level is not None:
        env["TF_CPP_MIN_LOG_LEVEL"] = level
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[1])] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result


def _tf_lines(stderr):
    return [line for line in stderr.splitlines() if any(m in line for m in MARKERS)]


def test_fit_prints_no_tensorflow_start_up_lines_by_default():
    """With TF_CPP_MIN_LOG_LEVEL unset, a first fit leaves stderr free of TF's start-up lines,
    and the variable aeguard set while TensorFlow started is not left behind."""
    result = _run(FIT, None)
    assert _tf_lines(result.stderr) == [], result.stderr
    assert result.stdout.strip() == "None"


def test_user_log_level_zero_shows_tensorflow_start_up_lines():
    """TF_CPP_MIN_LOG_LEVEL=0, set by the user, is theirs: aeguard suppresses nothing."""
    result = _run(FIT, "0")
    if not _tf_lines(result.stderr):
        bare = _run("import keras; keras.ops.zeros(())", "0")
        if not _tf_lines(bare.stderr):
            pytest.skip("TensorFlow prints no start-up lines on this machine")
    assert _tf_lines(result.stderr), result.stderr
    assert result.stdout.strip() == "0"


@pytest.mark.parametrize(
    "level, kept",
    [(None, []), ("0", list(range(6))), ("1", [0, 5]), ("2", [5]), ("3", []), ("x", list(range(6)))],
)
def test_start_up_filter_keeps_lines_at_the_users_level(level, kept):
    """Unset: all TF lines dropped; set: those below the level dropped; other lines always kept."""
    lines = START_UP.splitlines(keepends=True)
    other = "UserWarning: something of the user's\n"
    text = _without_log_lines(other + START_UP + other, level)
    assert text == other + "".join(lines[i] for i in kept) + other


def test_start_up_filter_always_keeps_fatal_lines():
    fatal = "F0000 00:00:1796194440.857687   15214 cpu_feature_guard.cc:1] needs AVX\n"
    assert _without_log_lines(START_UP + fatal, None) == fatal


@pytest.mark.parametrize("how", ["closed", "none"])
def test_start_without_a_standard_error(how):
    """Standard error closed (a daemon), or sys.stderr None (pythonw): Keras starts all the same."""
    code = ("import sys; sys.stderr = None; " if how == "none" else "") + FIT.replace(
        "print(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))", "print('fitted')")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).parents[1])] + [p for p in [env.get("PYTHONPATH")] if p]
    )
    stderr = subprocess.DEVNULL if how == "none" else None
    prefix = "import os; os.close(2); " if how == "closed" else ""
    result = subprocess.run([sys.executable, "-c", prefix + code], stdout=subprocess.PIPE,
                            stderr=stderr, text=True, env=env, timeout=300)
    assert result.returncode == 0
    assert result.stdout.strip() == "fitted"


def test_two_threads_starting_at_once_keep_standard_error():
    """The start-up is one at a time: standard error still works after two threads race."""
    code = (
        "import os, threading; from aeguard._backend import start_backend; "
        "ts = [threading.Thread(target=start_backend) for _ in range(2)]; "
        "[t.start() for t in ts]; [t.join() for t in ts]; os.write(2, b'still here\\n')"
    )
    result = _run(code, None)
    assert "still here" in result.stderr
