"""``aeguard detect FILE.csv``: fits a detector on a CSV file's numeric columns
(or loads one with ``--model``): a :class:`~aeguard.SeriesDetector` when the
file has a time column, an :class:`~aeguard.AEDetector` for independent rows.
It scores every row, writes ``FILE.scores.csv`` with the input columns plus
``anomaly_score``, ``is_anomaly`` and ``top_columns``, and prints a summary.

Mistakes the user can fix (a missing file, an unknown column, an existing
output without ``--force``, ...) print one line, ``error: ...``, on stderr
and exit with status 2, as do typer's own usage errors. Keras is imported
only when a command needs it, so ``aeguard --help`` is quick.
"""

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from ._common import (
    check_figure_path,
    check_seed,
    fail,
    load_model,
    start_backend,
    write_figure,
)
from .series_input import find_time_column, prepare_series, training_rows
from .tables import (
    InputError,
    check_finite,
    check_writable,
    default_output_path,
    read_table,
    select_features,
    top_columns,
    write_scores,
)
from ..timeseries import MIN_AUTO_TRAINING_ROWS, MIN_AUTO_WINDOW

#: Networks of the time-series path (SeriesDetector's ``model``).
NETWORKS = ("conv", "dense", "lstm", "vae")

#: Rows listed in the summary.
TOP_ROWS = 10

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
    series : Series or None
        The prepared series on the time-series path (None on the tabular path).
    intervals : DataFrame or None
        Anomalous intervals on the time-series path.
    threshold_source : str or None
        Set when ``--threshold`` replaced the learned threshold.
    """

    detector: object
    features: list
    scores: np.ndarray
    is_anomaly: np.ndarray
    top_columns: list
    model_path: Optional[Path]
    series: object = None
    intervals: object = None
    threshold_source: Optional[str] = None

    def output_columns(self):
        """The columns appended to the output file, in order."""
        return {
            "anomaly_score": self.scores,
            "is_anomaly": self.is_anomaly.astype(np.int8),
            "top_columns": self.top_columns,
        }


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
            help="Expected fraction of anomalies, in (0, 0.5]: rows scoring above the "
            "(1 - contamination) quantile of the training scores are flagged. Default: 0.1 "
            "for a table; for a time series, 1.5 x the 0.99 quantile of the training rows' "
            "scores.",
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
            "feature columns and threshold are used. A network name (conv, dense, lstm, vae) "
            "instead of a file is the same as --network.",
            show_default=False,
        ),
    ] = None,
    time_column: Annotated[
        Optional[str],
        typer.Option(
            "--time-column",
            help="Column of timestamps: the file is a time series, scored row by row in time "
            "order. Default: the first column whose values are dates, if any.",
            show_default=False,
        ),
    ] = None,
    window: Annotated[
        Optional[int],
        typer.Option(
            help="Rows per window on the time-series path (default: the series' dominant "
            "period). --window 1 treats rows as independent samples (the tabular path).",
            show_default=False,
        ),
    ] = None,
    network: Annotated[
        Optional[str],
        typer.Option(
            help="Time-series network: conv (1-D convolutional, the default), dense, lstm "
            "(sequence to sequence; slower) or vae (convolutional VAE).",
            show_default=False,
        ),
    ] = None,
    smoothing: Annotated[
        Optional[int],
        typer.Option(
            help="Time series: average each row's errors over this many rows ending at it "
            "(default 1: each row on its own). Larger values suit long faults and blunt "
            "single-row spikes.",
            show_default=False,
        ),
    ] = None,
    train_rows: Annotated[
        Optional[int],
        typer.Option(
            "--train-rows",
            help="Time series: learn from the first N rows only (e.g. a period known to be "
            "normal). Default: the whole file, with robust training.",
            show_default=False,
        ),
    ] = None,
    train_until: Annotated[
        Optional[str],
        typer.Option(
            "--train-until",
            help="Time series: learn from the rows stamped at or before this date/time.",
            show_default=False,
        ),
    ] = None,
    threshold: Annotated[
        Optional[float],
        typer.Option(
            help="Flag rows whose anomaly_score is above this value, instead of the learned "
            "threshold (saved with --save-model).",
            show_default=False,
        ),
    ] = None,
    json_summary: Annotated[
        bool,
        typer.Option("--json", help="Print the summary as JSON on stdout."),
    ] = False,
    plot: Annotated[
        Optional[Path],
        typer.Option(
            help="Time series: draw the sensors, the score with its threshold and the "
            "anomalous intervals to this image (.png, .svg or .pdf).",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", help="Print nothing but errors (no progress, no summary)."),
    ] = False,
):
    """Score every row of a CSV file; write FILE.scores.csv and print a summary.

    A file with a time column is a sensor series: rows are put in time order
    and a SeriesDetector learns normal windows (from the whole file, or from
    --train-rows / --train-until), then flags anomalous intervals. Otherwise
    (or with --window 1) rows are independent samples for an AEDetector.
    Every row gets anomaly_score (higher = more anomalous), is_anomaly (1 or 0)
    and top_columns (the columns that drove its score, most important first).
    """
    try:
        model, network = _model_or_network(model, network)
        training = {
            "--contamination": contamination, "--epochs": epochs, "--seed": seed,
            "--save-model": save_model, "--window": window, "--network": network,
            "--smoothing": smoothing,
            "--train-rows": train_rows, "--train-until": train_until,
        }
        _check_options(model=model, training=training, contamination=contamination,
                       epochs=epochs, seed=seed, window=window, network=network,
                       smoothing=smoothing, threshold=threshold)
        table = read_table(file)
        output = output if output is not None else default_output_path(file)
        _check_targets(file, output, save_model, plot, force=force)
        detector = _load_detector(model) if model is not None else None
        time_col = _choose_path(table.frame, detector, window, time_column)
        selection = select_features(
            table.frame,
            _split_columns(columns) if columns is not None else None,
            required=_model_features(detector),
            exclude=[time_col] if time_col is not None else (),
        )
        common = dict(detector=detector, epochs="auto" if epochs is None else epochs,
                      seed=0 if seed is None else seed, quiet=quiet, model_path=model)
        if time_col is False:
            for option, value in (("--plot", plot), ("--smoothing", smoothing)):
                if value is not None:
                    raise InputError(f"{option} needs a time series; "
                                     + _why_tabular(detector, window))
            check_finite(table.frame, selection.features)
            detection = _run_tabular(
                table.frame[selection.features],
                contamination=0.1 if contamination is None else contamination,
                threshold=threshold, **common,
            )
        else:
            series = prepare_series(table.frame, selection.features, time_col)
            detection = _run_series(
                series, train_size=training_rows(series, train_rows, train_until),
                window=window, network=network, smoothing=smoothing,
                contamination=contamination, threshold=threshold, **common,
            )
        if save_model is not None:
            from ..persistence import save

            save(detection.detector, save_model)
        write_scores(table, output, detection.output_columns())
        if plot is not None:
            _write_plot(detection, plot)
    except (ValueError, OSError) as err:
        # ValueError covers aeguard's own input errors, ModelFileError, the
        # estimators' bad-input errors and pandas' parser errors; OSError
        # covers unreadable or unwritable files.
        fail(err)
    if json_summary:
        typer.echo(json.dumps(_summary_dict(table, selection, detection, output, save_model,
                                            plot), indent=1, default=str))
    elif not quiet:
        typer.echo(_format_summary(table, selection, detection, output, save_model, plot))


# ----------------------------------------------------------------- helpers
def _check_options(*, model, training, contamination, epochs, seed, window, network,
                   smoothing, threshold):
    """Reject bad option values and combinations before any slow work."""
    if model is not None:
        for name, value in training.items():
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
    if contamination is not None and threshold is not None:
        raise InputError("use --contamination or --threshold, not both")
    if epochs is not None and epochs < 1:
        raise InputError(f"--epochs must be at least 1; got {epochs}")
    check_seed(seed)
    if window is not None and window < 1:
        raise InputError(f"--window must be at least 1; got {window}")
    if smoothing is not None and smoothing < 1:
        raise InputError(f"--smoothing must be at least 1 row; got {smoothing}")
    if network is not None and network not in NETWORKS:
        raise InputError(f"--network must be one of {', '.join(NETWORKS)}; got {network!r}")
    if threshold is not None and not threshold > 0:
        raise InputError(f"--threshold must be a positive score; got {threshold}")


def _check_targets(file, output, save_model, plot, *, force):
    """Check that the output, model and plot files may be written, before any training."""
    if output.resolve() == file.resolve():
        raise InputError("--output is the input file; choose another name")
    check_writable(output, force=force, option="--output")
    targets = {"--output": output.resolve()}
    for option, path in (("--save-model", save_model), ("--plot", plot)):
        if path is None:
            continue
        for other, taken in targets.items():
            if path.resolve() in (taken, file.resolve()):
                raise InputError(f"{option} names the same file as {other} or the input")
        check_writable(path, force=force, option=option)
        targets[option] = path.resolve()
    if plot is not None:
        check_figure_path(plot, "--plot")


def _why_tabular(detector, window):
    """Why the rows are scored as independent samples, for error messages."""
    if window == 1:
        return "--window 1 scores rows as independent samples"
    if detector is not None:
        return f"the model is a {type(detector).__name__}, which scores rows one by one"
    return "this file has no time column (see --time-column)"


def _split_columns(text):
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError("--columns names no column")
    return names


def _model_or_network(model, network):
    """Split --model into (saved-model path, network): ``--model lstm`` means ``--network lstm``."""
    if model is None or str(model) not in NETWORKS:
        return model, network
    if model.exists():
        raise InputError(f"--model {model} is both a network name and a file here; write "
                         f"--network {model} for the network, or the file's full path")
    if network is not None:
        raise InputError(f"--model {model} names a network, and so does --network; give one")
    return None, str(model)


def _load_detector(path):
    """Load a saved detector for scoring table rows."""
    detector = load_model(path)
    if len(getattr(detector, "input_shape_", ())) > 1:
        raise InputError(
            f"the model in {str(path)!r} was fitted on images of shape "
            f"{detector.input_shape_}, not on table rows"
        )
    return detector


def _model_features(detector):
    """The feature columns a loaded detector needs, or None if it has no names."""
    names = getattr(detector, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _run_tabular(X, *, detector, contamination, threshold, epochs, seed, quiet, model_path):
    """The tabular path: fit (unless a detector is given) and score every row of X.

    Parameters
    ----------
    X : DataFrame of shape (n_rows, n_features)
        The feature columns, checked to be finite.
    detector : AEDetector or None
        A loaded detector, or None to fit a new one on X.
    contamination : float
        Expected fraction of anomalies, for a new detector.
    threshold : float or None
        Replaces the learned threshold when given.
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
    from ..estimators.autoencoder import AEDetector

    if detector is None:
        if not quiet:
            typer.echo(f"training on {X.shape[0]:,} rows x {X.shape[1]} columns ...", err=True)
        # verbose=1 redraws one progress line, which only makes sense on a
        # terminal; logs and pipes get one line per epoch instead.
        verbose = 0 if quiet else (1 if sys.stderr.isatty() else 2)
        detector = AEDetector(
            contamination=contamination, epochs=epochs, random_state=seed, verbose=verbose
        )
        start_backend()
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
    source = _override_threshold(detector, threshold)
    scores = detector.score_samples(X)
    return Detection(
        detector=detector,
        features=names,
        scores=scores,
        # What predict() returns -1 for, without a third pass through the network.
        is_anomaly=scores > detector.threshold_,
        top_columns=top_columns(detector.feature_scores(X), names),
        model_path=model_path,
        threshold_source=source,
    )


def _override_threshold(detector, threshold):
    """Apply --threshold to the detector (so --save-model keeps it); describe it for the summary."""
    if threshold is None:
        return None
    detector.threshold_ = float(threshold)
    return "given with --threshold"


def _choose_path(frame, detector, window, time_column):
    """The time column for the time-series path (None: row order), or False for the tabular path."""
    from ..estimators.autoencoder import AEDetector

    if isinstance(detector, AEDetector) or window == 1:
        if time_column is not None:
            raise InputError("--time-column needs the time-series path; drop --window 1 or "
                             "use a model saved from a time series")
        return False
    found = find_time_column(frame, time_column)
    if found is None and window is None and detector is None:
        return False
    return found


def _run_series(series, *, detector, train_size, window, network, smoothing, contamination,
                threshold, epochs, seed, quiet, model_path):
    """The time-series path: fit a SeriesDetector (unless given) and score every row.

    Returns
    -------
    detection : Detection
        Scores, flags and top columns in the file's row order.
    """
    from ..estimators.series import SeriesDetector

    X = series.frame
    if detector is None:
        n_train = train_size or len(X)
        if window is not None and n_train < window + 1:
            raise InputError(
                f"the training part has {n_train} rows, too few for a window of {window} rows; "
                "train on more rows or choose a smaller --window"
            )
        if window is None and n_train < MIN_AUTO_TRAINING_ROWS:
            raise InputError(
                f"the training part has {n_train} rows, too few for an automatic window "
                f"(at least {MIN_AUTO_WINDOW} rows, and as many windows to learn from); train on "
                f"at least {MIN_AUTO_TRAINING_ROWS} rows or choose a --window"
            )
        if not quiet:
            part = f"the first {train_size:,}" if train_size else f"all {len(X):,}"
            typer.echo(f"training on {part} rows x {X.shape[1]} columns (time series) ...",
                       err=True)
        detector = SeriesDetector(
            window="auto" if window is None else window, model=network or "conv",
            smoothing=1 if smoothing is None else smoothing,
            train_size=train_size, contamination=contamination, epochs=epochs,
            random_state=seed, verbose=0 if quiet else (1 if sys.stderr.isatty() else 2),
        )
        start_backend()
        detector.fit(X)
    elif X.shape[1] != detector.n_features_in_:
        raise InputError(
            f"the model expects {detector.n_features_in_} feature columns, but "
            f"{X.shape[1]} were chosen ({', '.join(map(str, X.columns))}); choose them with --columns"
        )
    source = _override_threshold(detector, threshold)
    names = [str(c) for c in X.columns]
    if not hasattr(detector, "feature_names_in_"):
        X = X.to_numpy()
    errors = detector.feature_scores(X)
    scores = errors.mean(axis=1)
    in_file_order = np.empty_like(series.order)
    in_file_order[series.order] = np.arange(len(series.order))
    return Detection(
        detector=detector,
        features=names,
        scores=scores[in_file_order],
        is_anomaly=(scores > detector.threshold_)[in_file_order],
        top_columns=list(np.asarray(top_columns(errors, names), dtype=object)[in_file_order]),
        model_path=model_path,
        series=series,
        intervals=detector._intervals(errors, series.frame.index),
        threshold_source=source,
    )


def _write_plot(detection, path):
    """Draw the time-series figure and write it atomically."""
    from ..plotting import plot_series_scores

    series = detection.series
    scores_in_time_order = detection.scores[series.order]
    figure = plot_series_scores(series.frame, scores_in_time_order,
                                detection.detector.threshold_, detection.intervals)
    write_figure(figure, path, dpi=110)


def _threshold_text(detection):
    """How the threshold was set, in words."""
    detector = detection.detector
    if detection.threshold_source:
        return detection.threshold_source
    origin = ("the training rows' scores" if detection.model_path is None
              else "the scores of the rows it was trained on")
    if getattr(detector, "contamination", None) is not None:
        return (f"the {1 - detector.contamination:g} quantile of {origin} "
                f"(contamination {detector.contamination:g})")
    return (f"{detector.threshold_margin:g} x the {detector.threshold_quantile:g} quantile of "
            f"{origin}")


def _model_text(detection, n_rows):
    detector = detection.detector
    if detection.model_path is not None:
        return f"{type(detector).__name__} loaded from {detection.model_path}"
    held_out = f"{detector.validation_fraction or 0:.0%} held out for early stopping"
    name = type(detector).__name__
    if detection.series is None:
        trained = f"all {n_rows:,} rows ({held_out})"
    else:
        name += f" ({detector.model} network)"
        n_train = detector.n_train_rows_
        part = f"the first {n_train:,}" if n_train < n_rows else f"all {n_rows:,}"
        smoothed = (f", errors averaged over {detector.smoothing_} rows"
                    if detector.smoothing_ > 1 else "")
        trained = (f"{part} rows, windows of {detector.window_} rows{smoothed} ({held_out}"
                   + (", worst windows left out" if detector._trim_fraction() else "") + ")")
    return (f"{name} trained on {trained}, {detector.n_epochs_} epochs "
            f"(kept epoch {detector.best_epoch_})")


def _summary_dict(table, selection, detection, output, save_model, plot):
    """The summary as a JSON-ready dict (``--json``)."""
    n_rows = len(detection.scores)
    order = np.argsort(-detection.scores, kind="stable")[:TOP_ROWS]
    summary = {
        "input": str(table.path),
        "rows": n_rows,
        "path": "tabular" if detection.series is None else "time series",
        "features": detection.features,
        "ignored": selection.ignored,
        "model": _model_text(detection, n_rows),
        "threshold": detection.detector.threshold_,
        "threshold_rule": _threshold_text(detection),
        "flagged": int(detection.is_anomaly.sum()),
        "top_rows": [
            {"row": int(i) + 1, "anomaly_score": float(detection.scores[i]),
             "flagged": bool(detection.is_anomaly[i]), "top_columns": detection.top_columns[i]}
            for i in order
        ],
        "output": str(output),
    }
    if detection.series is not None:
        summary["time_column"] = detection.series.time_column
        summary["notes"] = detection.series.notes
        summary["intervals"] = detection.intervals.to_dict(orient="records")
    if save_model is not None:
        summary["saved_model"] = str(save_model)
    if plot is not None:
        summary["plot"] = str(plot)
    return summary


def _table_lines(rows, right_aligned):
    """Format rows of strings as aligned columns (the first row is the header)."""
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if j in right_aligned else cell.ljust(width)
            for j, (cell, width) in enumerate(zip(row, widths))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def _format_summary(table, selection, detection, output, save_model, plot):
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
    if detection.series is not None:
        time_column = detection.series.time_column
        lines.append("time series: rows in time order by " + (
            f"{time_column!r}" if time_column is not None else "file order (no time column)"))
        lines += [f"note: {note}" for note in detection.series.notes]
    lines += [
        f"model: {_model_text(detection, n_rows)}",
        f"threshold: {detector.threshold_:.4g}, {_threshold_text(detection)}",
        f"flagged: {n_flagged:,} of {n_rows:,} rows ({n_flagged / n_rows:.1%}) score above "
        "the threshold",
        "",
    ]
    if detection.series is not None:
        intervals = detection.intervals
        shown = intervals.nlargest(TOP_ROWS, "peak_score").sort_values("peak_score",
                                                                       ascending=False)
        lines.append(f"anomalous intervals: {len(intervals)}"
                     + (f", the {len(shown)} with the highest peaks:" if len(intervals) else ""))
        rows = [("start", "end", "rows", "peak_score", "top_columns")] + [
            (str(r.start), str(r.end), f"{r.n_rows}", f"{r.peak_score:.4g}", r.top_columns)
            for r in shown.itertuples()
        ]
        if len(intervals):
            lines += _table_lines(rows, right_aligned={2, 3})
    else:
        lines.append(f"top {min(TOP_ROWS, n_rows)} rows by anomaly_score "
                     "(row 1 = the first data row):")
        order = np.argsort(-detection.scores, kind="stable")[:TOP_ROWS]
        rows = [("row", "anomaly_score", "flagged", "top_columns")] + [
            (f"{i + 1}", f"{detection.scores[i]:.4g}",
             "yes" if detection.is_anomaly[i] else "no", detection.top_columns[i])
            for i in order
        ]
        lines += _table_lines(rows, right_aligned={0, 1})
    lines.append("")
    lines.append(f"wrote {output}")
    if save_model is not None:
        lines.append(f"saved the model to {save_model}")
    if plot is not None:
        lines.append(f"drew {plot}")
    return "\n".join(lines)
