"""What every ``aeguard`` command shares: the error exit, the Keras start-up, model loading."""

import os
import sys
import tempfile

import typer

from .tables import InputError

#: Exit status for mistakes the user can fix; click uses it for usage errors too.
USER_ERROR = 2

#: Figure formats the commands write (by suffix).
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


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


def check_seed(seed):
    """``--seed`` must be None or an int in NumPy's seed range."""
    if seed is not None and not 0 <= seed < 2**32:
        raise InputError(f"--seed must be an integer from 0 to 4294967295; got {seed}")


def check_figure_path(path, option):
    """A figure is written as .png, .svg or .pdf, chosen by the file's suffix."""
    if path.suffix.lower() not in FIGURE_SUFFIXES:
        raise InputError(f"{option} must end in .png, .svg or .pdf; got {path.name!r}")


def write_figure(figure, path, dpi):
    """Save a matplotlib figure atomically, in the format its suffix names."""
    from .._files import atomic_write

    atomic_write(path, lambda f: figure.savefig(f, format=path.suffix.lower()[1:], dpi=dpi))


def load_model(path):
    """Load a model file named on the command line (a missing file is the user's mistake)."""
    from ..persistence import load

    if not path.is_file():
        raise InputError(f"no model file at {str(path)!r}")
    start_backend()
    return load(path)
