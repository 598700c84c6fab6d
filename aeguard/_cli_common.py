"""What every ``aeguard`` command shares: the error exit, the Keras start-up, model loading."""

import os
import sys
import tempfile

import typer

from ._tabular_io import InputError

#: Exit status for mistakes the user can fix; click uses it for usage errors too.
USER_ERROR = 2


def fail(err):
    """Print ``error: <message>`` as one line on stderr and exit with status 2."""
    typer.echo(f"error: {' '.join(str(err).split())}", err=True)
    raise typer.Exit(code=USER_ERROR) from None


def start_backend():
    """Import Keras and start its backend, keeping TensorFlow's start-up notices off the screen.

    TensorFlow's C++ layer writes notices (oneDNN, CPU instructions, no CUDA
    driver) straight to file descriptor 2 while importing and discovering
    devices, bypassing ``sys.stderr``; on this stack ``TF_CPP_MIN_LOG_LEVEL``
    does not silence all of them. They would bury
    the progress display, so they are captured here and shown only if the
    start-up fails.
    """
    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved_fd = os.dup(2)
        os.dup2(captured.fileno(), 2)
        started = False
        try:
            import keras

            keras.ops.zeros(())  # the first operation triggers device discovery
            started = True
        finally:
            os.dup2(saved_fd, 2)
            os.close(saved_fd)
            if not started:
                captured.seek(0)
                sys.stderr.write(captured.read().decode("utf-8", errors="replace"))


def load_model(path):
    """Load a model file named on the command line (a missing file is the user's mistake)."""
    from .persistence import load

    if not path.is_file():
        raise InputError(f"no model file at {str(path)!r}")
    start_backend()
    return load(path)
