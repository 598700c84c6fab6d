"""The ``aeguard`` command line.

``aeguard detect FILE.csv`` fits an autoencoder detector on a CSV file's
numeric columns (or loads one with ``--model``), scores every row, writes
``FILE.scores.csv`` with the input columns plus ``anomaly_score``,
``is_anomaly`` and ``top_columns``, and prints a summary.

Mistakes the user can fix (a missing file, an unknown column, an existing
output without ``--force``, ...) print one line, ``error: ...``, on stderr
and exit with status 2, as do typer's own usage errors. Keras is imported
only when a command needs it, so ``aeguard --help`` is quick.
"""

import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from . import __version__
from ._tabular_io import (
    InputError,
    check_finite,
    check_writable,
    default_output_path,
    read_table,
    select_features,
    top_columns,
    write_scores,
)

#: Rows listed in the summary.
TOP_ROWS = 10

#: Exit status for mistakes the user can fix; click uses it for usage errors too.
USER_ERROR = 2

app = typer.Typer(
    name="aeguard",
    help="Anomaly detection with autoencoders, on your CSV files.",
    no_args_is_help=True,
    add_completion=False,
)


@dataclass
class Detection:
    """What a detection path hands to the output writer and the summary.

    Attributes
    ----------
    detector : AEDetector
        The fitted (or loaded) detector.
    features : list of str
        The feature columns, in the detector's order.
    scores : ndarray of shape (n_rows,)
        Anomaly score of each input row; higher = more anomalous.
    is_anomaly : ndarray of shape (n_rows,), dtype bool
        Rows scoring above the detector's threshold.
    top_columns : list of str
        For each row, the features that contributed most to its score.
    model_path : Path or None
        Where the detector was loaded from; None if it was trained in this run.
    """

    detector: object
    features: list
    scores: np.ndarray
    is_anomaly: np.ndarray
    top_columns: list
    model_path: Optional[Path]

    def output_columns(self):
        """The columns appended to the output file, in order."""
        return {
            "anomaly_score": self.scores,
            "is_anomaly": self.is_anomaly.astype(np.int8),
            "top_columns": self.top_columns,
        }


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
            callback=_version_callback,
            is_eager=True,
            help="Show the version and exit.",
        ),
    ] = None,
):
    """Anomaly detection with autoencoders, on your CSV files."""


@app.command()
def detect(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV file with a header row, one sample per row. The delimiter (comma, "
            "semicolon or tab) is detected.",
            show_default=False,
        ),
    ],
    *,
    columns: Annotated[
        Optional[str],
        typer.Option(
            "--columns",
            "-c",
            help="Feature columns, comma-separated (e.g. 'a,b,c'). Default: every column of "
            "numbers, except true/false columns, columns without a header name and columns "
            "named like labels (anomaly, label, target, class, changepoint, ...).",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output",
            "-o",
            help="Output CSV. Default: FILE.scores.csv beside FILE.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace existing output and model files.")
    ] = False,
    contamination: Annotated[
        Optional[float],
        typer.Option(
            help="Expected fraction of anomalies, in (0, 0.5] (default 0.1). Rows scoring "
            "above the (1 - contamination) quantile of the training scores are flagged.",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[
        Optional[int],
        typer.Option(
            help="Maximum training epochs (early stopping may end sooner). Default: chosen "
            "from the number of rows (AEDetector's epochs='auto').",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        Optional[int],
        typer.Option(
            help="Random seed for training (default 0): the same seed gives the same scores "
            "on the same machine.",
            show_default=False,
        ),
    ] = None,
    save_model: Annotated[
        Optional[Path],
        typer.Option(
            "--save-model",
            help="Save the fitted detector to this file, to score other files with --model.",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        Optional[Path],
        typer.Option(
            "--model",
            help="Score with a detector saved with --save-model instead of fitting one; its "
            "feature columns and threshold are used.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing but errors (no progress, no summary)."),
    ] = False,
):
    """Score every row of a CSV file; write FILE.scores.csv and print a summary.

    Fits an autoencoder on the rows' numeric columns (all rows: some may be
    anomalies, see --contamination), then scores each row by its
    reconstruction error (anomaly_score, higher = more anomalous), flags
    those above the threshold (is_anomaly, 1 or 0) and names the columns
    that drove each score (top_columns, most important first).
    """
    try:
        _check_options(
            model=model, contamination=contamination, epochs=epochs, seed=seed,
            save_model=save_model,
        )
        table = read_table(file)
        output = output if output is not None else default_output_path(file)
        _check_targets(file, output, save_model, force=force)
        detector = _load_detector(model) if model is not None else None
        selection = select_features(
            table.frame,
            _split_columns(columns) if columns is not None else None,
            required=_model_features(detector),
        )
        check_finite(table.frame, selection.features)
        # Every file takes the tabular path for now; the time-series path
        # (--time-column, --window) will choose its own runner here, returning
        # a Detection for the same writer and summary.
        detection = _run_tabular(
            table.frame[selection.features],
            detector=detector,
            contamination=0.1 if contamination is None else contamination,
            epochs="auto" if epochs is None else epochs,
            seed=0 if seed is None else seed,
            quiet=quiet,
            model_path=model,
        )
        if save_model is not None:
            from .persistence import save

            save(detection.detector, save_model)
        write_scores(table, output, detection.output_columns())
    except (ValueError, OSError) as err:
        # ValueError covers aeguard's own input errors, ModelFileError, the
        # estimators' bad-input errors and pandas' parser errors; OSError
        # covers unreadable or unwritable files.
        _fail(err)
    if not quiet:
        typer.echo(_format_summary(table, selection, detection, output, save_model))


def main():
    """Run the ``aeguard`` command line (the console-script entry point)."""
    app()


# ----------------------------------------------------------------- helpers
def _fail(err):
    """Print ``error: <message>`` as one line on stderr and exit with status 2."""
    typer.echo(f"error: {' '.join(str(err).split())}", err=True)
    raise typer.Exit(code=USER_ERROR) from None


def _check_options(*, model, contamination, epochs, seed, save_model):
    """Reject bad option values and combinations before any slow work."""
    if model is not None:
        training_only = {
            "--contamination": contamination, "--epochs": epochs, "--seed": seed,
            "--save-model": save_model,
        }
        for name, value in training_only.items():
            if value is not None:
                raise InputError(
                    f"{name} cannot be used with --model: a saved model is used as it is, "
                    "not trained again"
                )
    if contamination is not None and not 0 < contamination <= 0.5:
        raise InputError(
            f"--contamination must be in (0, 0.5], the expected fraction of anomalies; "
            f"got {contamination}"
        )
    if epochs is not None and epochs < 1:
        raise InputError(f"--epochs must be at least 1; got {epochs}")
    if seed is not None and not 0 <= seed < 2**32:
        raise InputError(f"--seed must be an integer from 0 to 4294967295; got {seed}")


def _check_targets(file, output, save_model, *, force):
    """Check that the output (and model) files may be written, before any training."""
    if output.resolve() == file.resolve():
        raise InputError("--output is the input file; choose another name")
    check_writable(output, force=force, option="--output")
    if save_model is not None:
        if save_model.resolve() == output.resolve():
            raise InputError("--save-model and --output name the same file")
        check_writable(save_model, force=force, option="--save-model")


def _split_columns(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError("--columns names no column")
    return names


def _load_detector(path):
    """Load a saved detector for scoring table rows."""
    from .persistence import load

    if not path.is_file():
        raise InputError(f"no model file at {str(path)!r}")
    _start_backend()
    detector = load(path)
    if len(detector.input_shape_) != 1:
        raise InputError(
            f"the model in {str(path)!r} was fitted on images of shape "
            f"{detector.input_shape_}, not on table rows"
        )
    return detector


def _model_features(detector):
    """The feature columns a loaded detector needs, or None if it has no names."""
    names = getattr(detector, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _run_tabular(X, *, detector, contamination, epochs, seed, quiet, model_path):
    """The tabular path: fit (unless a detector is given) and score every row of X.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        The feature columns, checked to be finite.
    detector : AEDetector or None
        A loaded detector, or None to fit a new one on X.
    contamination : float
        Expected fraction of anomalies, for a new detector.
    epochs : int or "auto"
        Maximum training epochs, for a new detector.
    seed : int
        Random seed, for a new detector.
    quiet : bool
        If false, report training progress on stderr.
    model_path : Path or None
        Where ``detector`` was loaded from, for the summary.

    Returns
    -------
    detection : Detection
    """
    from .detectors import AEDetector

    if detector is None:
        if not quiet:
            typer.echo(f"training on {X.shape[0]:,} rows x {X.shape[1]} columns ...", err=True)
        # verbose=1 redraws one progress line, which only makes sense on a
        # terminal; logs and pipes get one line per epoch instead.
        verbose = 0 if quiet else (1 if sys.stderr.isatty() else 2)
        detector = AEDetector(
            contamination=contamination, epochs=epochs, random_state=seed, verbose=verbose
        )
        _start_backend()
        detector.fit(X)
    elif X.shape[1] != detector.n_features_in_:
        raise InputError(
            f"the model expects {detector.n_features_in_} feature columns, but "
            f"{X.shape[1]} were chosen ({', '.join(X.columns)}); choose them with --columns"
        )
    names = [str(c) for c in X.columns]
    if not hasattr(detector, "feature_names_in_"):
        # A model fitted on a bare array: the columns were matched above by
        # count, and passing names would make scikit-learn warn on every call.
        X = X.to_numpy()
    scores = detector.score_samples(X)
    return Detection(
        detector=detector,
        features=names,
        scores=scores,
        # What predict() returns -1 for, without a third pass through the network.
        is_anomaly=scores > detector.threshold_,
        top_columns=top_columns(detector.feature_scores(X), names),
        model_path=model_path,
    )


def _start_backend():
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


def _format_summary(table, selection, detection, output, save_model):
    """The summary printed on stdout: input, features, threshold, flagged rows, top rows."""
    detector = detection.detector
    n_rows = len(detection.scores)
    n_flagged = int(detection.is_anomaly.sum())
    delimiter = {",": "comma", ";": "semicolon", "\t": "tab"}[table.delimiter]
    lines = [
        f"input: {table.path} ({n_rows:,} rows, {table.frame.shape[1]} columns, "
        f"{delimiter}-separated)",
        f"features ({len(detection.features)}): {', '.join(detection.features)}",
    ]
    if selection.ignored:
        ignored = ", ".join(f"{name} ({why})" for name, why in selection.ignored.items())
        lines.append(f"ignored ({len(selection.ignored)}): {ignored}")
    if detection.model_path is None:
        lines.append(
            f"model: {type(detector).__name__} trained on all {n_rows:,} rows "
            f"({detector.validation_fraction or 0:.0%} held out for early stopping), "
            f"{detector.n_epochs_} epochs (kept epoch {detector.best_epoch_})"
        )
        origin = "the training rows' scores"
    else:
        lines.append(f"model: {type(detector).__name__} loaded from {detection.model_path}")
        origin = "the scores of the rows it was trained on"
    quantile = f"{1 - detector.contamination:g}"
    lines += [
        f"threshold: {detector.threshold_:.4g}, the {quantile} quantile of {origin} "
        f"(contamination {detector.contamination:g})",
        f"flagged: {n_flagged:,} of {n_rows:,} rows ({n_flagged / n_rows:.1%}) score above "
        "the threshold",
        "",
        f"top {min(TOP_ROWS, n_rows)} rows by anomaly_score "
        "(row 1 = the first data row):",
    ]
    order = np.argsort(-detection.scores, kind="stable")[:TOP_ROWS]
    rows = [("row", "anomaly_score", "flagged", "top_columns")] + [
        (
            f"{i + 1}",
            f"{detection.scores[i]:.4g}",
            "yes" if detection.is_anomaly[i] else "no",
            detection.top_columns[i],
        )
        for i in order
    ]
    widths = [max(len(row[j]) for row in rows) for j in range(3)]
    for row in rows:
        lines.append(
            f"  {row[0]:>{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}"
        )
    lines.append("")
    lines.append(f"wrote {output}")
    if save_model is not None:
        lines.append(f"saved the model to {save_model}")
    return "\n".join(lines)
