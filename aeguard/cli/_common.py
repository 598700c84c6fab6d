"""What the ``aeguard`` commands share: the Keras start-up, model loading, figure files."""

import tempfile
from pathlib import Path

from .._backend import start_backend  # the commands start Keras before their progress display
from .errors import InputError

#: ``--seed``'s range, as typer options take it: NumPy's seeds.
SEED_RANGE = {"min": 0, "max": 2**32 - 1}

#: Figure formats the commands write (by suffix).
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")

#: The file name that means standard input (for an input) or standard output (for ``-o``).
STDIO = "-"


def is_stdio(path):
    """Whether a file named on the command line is ``-``: standard input or output."""
    return path is not None and str(path) == STDIO


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


def check_writable(path, *, force, option):
    """Fail early if a file cannot be written, or exists and ``force`` is false.

    Checked before any training, so that a long fit does not end in an error.

    Parameters
    ----------
    path : Path
        The file to be written.
    force : bool
        Whether an existing file may be replaced.
    option : str
        The option that named the file, for the message (``"--output"``).
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{option} {str(path)!r} is a directory")
    if path.exists() and not force:
        raise InputError(f"{str(path)!r} exists; use --force to replace it")
    # The file is written beside its final name (then renamed), and missing
    # directories are created, so the nearest existing ancestor must accept files.
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"cannot write {str(path)!r}: {str(parent)!r} is not a directory")
    # Try it: permission bits say nothing for root or on read-only file systems.
    try:
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as err:
        raise InputError(
            f"cannot write {str(path)!r}: {err.strerror or err} in {str(parent)!r}"
        ) from None
