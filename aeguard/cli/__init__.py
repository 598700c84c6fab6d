"""The ``aeguard`` command line: one module per command.

``aeguard detect FILE.csv`` scores every row of a CSV file (:mod:`.detect`), and
``aeguard score`` streams a file of any size through a saved model (:mod:`.score`);
``denoise``, ``generate`` and ``retrieve`` work on saved models. The commands
read files, call the library and format what it returns. Mistakes the user
can fix print one line, ``error: ...``, on stderr and exit with status 2
(:mod:`.errors`). Keras, scikit-learn and pandas are imported only when a
command needs them, so ``aeguard --help`` is quick.
"""

from typing import Annotated, Optional

import typer

from .. import __version__
from .denoise import denoise
from .detect import detect
from ._command import Command, Group
from .generate import generate
from .retrieve import retrieve
from .score import score

app = typer.Typer(
    name="aeguard",
    help="Anomaly detection, denoising, retrieval and generation with autoencoders.",
    no_args_is_help=True,
    add_completion=False,
    cls=Group,
)


def _version_callback(value: bool):
    if value:
        typer.echo(f"aeguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option(
            "--version",
            metavar="",
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = None,
):
    """Anomaly detection with autoencoders, on your CSV files."""


app.command(name="detect", cls=Command)(detect)
app.command(name="score", cls=Command)(score)
app.command(name="denoise", cls=Command)(denoise)
app.command(name="generate", cls=Command)(generate)
app.command(name="retrieve", cls=Command)(retrieve)


def main():
    """Run the ``aeguard`` command line (the console-script entry point)."""
    app()
