"""``aeguard detect FILE.csv``: score every row of a CSV file.

Fits a detector on the file's numeric columns (or loads one with ``--model``):
a :class:`~aeguard.SeriesDetector` when the file has a time column, an
:class:`~aeguard.AEDetector` for independent rows. The detector's ``detect``
does the work; this module reads the file, checks the options against it,
writes ``FILE.scores.csv`` (the input columns plus ``anomaly_score``,
``is_anomaly`` and ``top_columns``) and the plot, and prints the summary
(:mod:`.summary`). ``-`` as FILE reads standard input, and ``-o -`` writes
the scores to standard output (the summary then goes to standard error).
"""

import json
import sys
from dataclasses import dataclass
from enum import Enum
from functools import partial
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from ._common import (
    SEED_RANGE,
    check_figure_path,
    check_writable,
    is_stdio,
    load_model,
    start_backend,
    write_figure,
)
from .errors import InputError


class OutputOrder(str, Enum):
    """``--order``: the output's rows in the input file's order, or in time order."""

    file = "file"
    time = "time"


class DecimalMark(str, Enum):
    """``--decimal``: the mark between a number's whole and fractional parts."""

    point = "."
    comma = ","


@dataclass
class Run:
    """One ``aeguard detect`` run: the detector, what it found, and where things came from.

    Attributes
    ----------
    detector : AEDetector or SeriesDetector
        The fitted (or loaded) detector.
    result : Detection
        What ``detector.detect`` returned, in the order it scored the rows
        (time order on the time-series path).
    model_path : Path or None
        Where the detector was loaded from; None if it was trained in this run.
    series : Series or None
        The prepared series on the time-series path (None on the tabular path).
    threshold_given : bool
        Whether ``--threshold`` replaced the learned threshold.
    """

    detector: object
    result: object
    model_path: Optional[Path]
    series: object = None
    threshold_given: bool = False

    def in_file_order(self, values):
        """Per-row values of ``result`` in the input file's row order."""
        return values if self.series is None else self.series.to_file_order(values)

    def output_columns(self):
        """The columns appended to the output file, in file order."""
        result = self.result
        return {
            "anomaly_score": self.in_file_order(result.scores),
            "is_anomaly": self.in_file_order(result.is_anomaly.astype(np.int8)),
            "top_columns": self.in_file_order(np.asarray(result.top_columns, dtype=object)),
        }


def detect(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="CSV file with a header row, one sample per row, or - for standard input; "
            "gzip-compressed is fine (.csv.gz). The delimiter (comma, semicolon or tab) and "
            "the decimal mark are detected.",
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
            help="Output CSV, or - for standard output (the summary then goes to standard "
            "error). Default: FILE.scores.csv beside FILE; standard output when FILE is -.",
            show_default=False,
        ),
    ] = None,
    order: Annotated[
        OutputOrder,
        typer.Option(
            "--order",
            help="Row order of the output: file (the input's rows, line for line) or time "
            "(sorted by the time column, as scored).",
        ),
    ] = OutputOrder.file,
    decimal: Annotated[
        Optional[DecimalMark],
        typer.Option(
            "--decimal",
            help="Decimal mark of the numbers: . or , (12,5). Default: , when the delimiter "
            "is not a comma and the numbers are written with commas, else .",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", metavar="", help="Replace existing output and model files.")
    ] = False,
    contamination: Annotated[
        Optional[float],
        typer.Option(
            min=0, max=0.5,
            help="Expected fraction of anomalies, in (0, 0.5]: rows scoring above the "
            "(1 - contamination) quantile of the training scores are flagged. Default: 0.1 "
            "for a table; for a time series, rows above the alarm level (score 1), which "
            "follows the scores' own history.",
            show_default=False,
        ),
    ] = None,
    epochs: Annotated[
        Optional[int],
        typer.Option(
            min=1,
            help="Maximum training epochs (early stopping may end sooner). Default: chosen "
            "from the number of rows (AEDetector's epochs='auto').",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        Optional[int],
        typer.Option(
            **SEED_RANGE,
            help="Random seed for training (default 0): the same seed gives the same scores "
            "on the same machine.",
            show_default=False,
        ),
    ] = None,
    save_model: Annotated[
        Optional[Path],
        typer.Option(
            "--save-model",
            help="Save the fitted detector to this file, to score other files with --model "
            "(with --group-by: every asset's detector, in one file).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        Optional[Path],
        typer.Option(
            "--model",
            help="Score with a detector saved with --save-model instead of fitting one; its "
            "feature columns and threshold are used (a fleet's, saved with --group-by, scores "
            "each asset with its own detector). A network name (conv, dense, lstm, vae) "
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
    dayfirst: Annotated[
        bool,
        typer.Option(
            "--dayfirst", metavar="",
            help="Read dates like 03/12/2026 day first (3 December), in every row. Default: "
            "the order the values allow (13/12/2026 is day first); if every value reads both "
            "ways, the order that keeps the rows in time order at the more regular steps; "
            "else an error.",
        ),
    ] = False,
    monthfirst: Annotated[
        bool,
        typer.Option("--monthfirst", metavar="",
                     help="Read dates like 03/12/2026 month first (12 March), in every row."),
    ] = False,
    time_format: Annotated[
        Optional[str],
        typer.Option(
            "--time-format",
            help="strptime format of the timestamps, e.g. '%d/%m/%Y %H:%M'. Default: each "
            "value read by its own form (ISO 8601 and the like), dates such as 03/12/2026 "
            "in one order for the whole column (see --dayfirst).",
            show_default=False,
        ),
    ] = None,
    window: Annotated[
        Optional[int],
        typer.Option(
            min=1,
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
            min=1,
            help="Time series: average each row's errors over this many rows ending at it "
            "(default 1: each row on its own). Larger values suit long faults and blunt "
            "single-row spikes.",
            show_default=False,
        ),
    ] = None,
    adapt: Annotated[
        Optional[int],
        typer.Option(
            min=2, metavar="ROWS",
            help="Time series: keep learning while scoring; after every ROWS rows the network "
            "trains briefly on those rows judged normal, so a slow benign drift stops being "
            "flagged (online; slower). Also with --model. Default: off.",
            show_default=False,
        ),
    ] = None,
    train_rows: Annotated[
        Optional[int],
        typer.Option(
            "--train-rows", min=2,
            help="Time series: learn from the first N rows (e.g. a period known to be "
            "normal). Default: the first third of the rows (at least 64 and two windows), "
            "with robust training; every row is scored. With --group-by: each asset's first "
            "N rows (default: all its rows).",
            show_default=False,
        ),
    ] = None,
    train_all: Annotated[
        bool,
        typer.Option(
            "--train-all", metavar="",
            help="Time series: learn from every row, with robust training (the worst "
            "windows left out), instead of the first third.",
        ),
    ] = False,
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
            min=0,
            help="Flag rows whose anomaly_score is above this value, instead of the learned "
            "threshold (saved with --save-model).",
            show_default=False,
        ),
    ] = None,
    group_by: Annotated[
        Optional[str],
        typer.Option(
            "--group-by", metavar="COLUMN",
            help="Column naming each row's asset (machine, pump, ...): the file holds a fleet. "
            "Each asset's rows are scored on their own, by a detector fitted on them (or by "
            "--model: a saved fleet's detector of that asset, or one detector shared by all), "
            "and the summary ranks the assets, the most anomalous "
            "first. An asset too short to score is reported, not fatal.",
            show_default=False,
        ),
    ] = None,
    json_summary: Annotated[
        bool,
        typer.Option("--json", metavar="", help="Print the summary as JSON on stdout."),
    ] = False,
    plot: Annotated[
        Optional[Path],
        typer.Option(
            help="Time series: draw the sensors, the score with its threshold, the training "
            "rows and the anomalous intervals to this image (.png, .svg or .pdf).",
            show_default=False,
        ),
    ] = None,
    report: Annotated[
        Optional[Path],
        typer.Option(
            help="Write a report to share to this file (.html): one self-contained page with "
            "the summary, the threshold and what it means, and for a time series the plot "
            "and every anomalous interval with the columns behind it (for a table, the top "
            "rows with theirs). It opens offline; nothing is loaded from elsewhere.",
            show_default=False,
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option("--quiet", "-q", metavar="",
                     help="Print nothing but errors (no progress, no summary)."),
    ] = False,
):
    """Score every row of a CSV file; write FILE.scores.csv and print a summary.

    A file with a time column is a sensor series: rows are put in time order
    and a SeriesDetector learns normal windows (from the first third of the
    rows, or from --train-rows / --train-until / --train-all), then scores
    every row and flags anomalous intervals. Otherwise
    (or with --window 1) rows are independent samples for an AEDetector.
    Every row gets anomaly_score (higher = more anomalous), is_anomaly (1 or 0)
    and top_columns (the columns that drove its score, most important first).
    """
    from .series_input import find_time_column, prepare_series, training_rows
    from .summary import format_summary, summary_dict
    from .tables import (
        check_finite,
        default_output_path,
        read_table,
        select_features,
        write_scores,
    )

    model, network = _model_or_network(model, network)
    if dayfirst and monthfirst:
        raise InputError("use --dayfirst or --monthfirst, not both")
    dayfirst = True if dayfirst else (False if monthfirst else None)
    train_all = True if train_all else None  # like the other options: None when not given
    training = {
        "--contamination": contamination, "--epochs": epochs, "--seed": seed,
        "--save-model": save_model, "--window": window, "--network": network,
        "--smoothing": smoothing, "--train-rows": train_rows, "--train-until": train_until,
        "--train-all": train_all,
    }
    _check_options(model=model, training=training, contamination=contamination,
                   threshold=threshold, dayfirst=dayfirst, time_format=time_format)
    if group_by is not None:
        _check_fleet_options({"--train-until": train_until, "--train-all": train_all})
    table = read_table(file, decimal=None if decimal is None else decimal.value)
    output = output if output is not None else default_output_path(file)
    _check_targets(file, output, save_model, plot, report, force=force)
    detector = _load_detector(model) if model is not None else None
    detector, fleet_model = _unpack_fleet(detector, model, group_by)
    group_col = _group_column(table.frame, group_by, time_column)
    frame = table.frame if group_col is None else table.frame.drop(columns=[group_col])
    time_col = _choose_path(frame, detector, window, time_column,
                            partial(find_time_column, time_format=time_format))
    time_options = {f"--{'day' if dayfirst else 'month'}first": dayfirst,
                    "--time-format": time_format,
                    "--order time": True if order is OutputOrder.time else None}
    exclude = {time_col: "time column"} if time_col not in (None, False) else {}
    if group_col is not None:
        exclude[group_col] = "asset column"
    selection = select_features(
        table.frame,
        _split_columns(columns) if columns is not None else None,
        required=_model_features(detector),
        exclude=exclude,
    )
    common = dict(detector=detector, epochs="auto" if epochs is None else epochs,
                  seed=0 if seed is None else seed, quiet=quiet, model_path=model,
                  threshold=threshold)
    if group_col is not None:
        _check_path_options(time_col, detector, window, time_options, {
            "--plot": plot, "--smoothing": smoothing, "--network": network, "--adapt": adapt,
            "--train-rows": train_rows})
        _detect_fleet(table, selection, group_col, time_col, output=output, order=order,
                      json_summary=json_summary, dayfirst=dayfirst, time_format=time_format,
                      fleet_model=fleet_model, save_model=save_model, plot=plot, report=report,
                      options=dict(train_size=train_rows, window=window, network=network,
                                   smoothing=smoothing, adapt=adapt,
                                   contamination=contamination), **common)
        return
    _check_path_options(time_col, detector, window, time_options, {
        "--plot": plot, "--smoothing": smoothing, "--network": network, "--adapt": adapt,
        "--train-rows": train_rows, "--train-until": train_until,
        "--train-all": train_all})
    if time_col is False:
        check_finite(table.frame, selection.features)
        run = _run_tabular(table.frame[selection.features],
                           contamination=0.1 if contamination is None else contamination, **common)
    else:
        series = prepare_series(table.frame, selection.features, time_col, dayfirst=dayfirst,
                                time_format=time_format)
        # The part learnt from is robustly trained unless the user marked it as normal.
        from ..estimators.series import ROBUST_TRIM

        marked = train_rows is not None or train_until is not None
        train_size = training_rows(series, train_rows, train_until, train_all, window=window)
        run = _run_series(series, train_size=train_size,
                          trim_fraction="auto" if marked else ROBUST_TRIM, window=window,
                          network=network, smoothing=smoothing, adapt=adapt,
                          contamination=contamination, **common)
    if save_model is not None:
        from ..persistence import save

        if threshold is not None:
            run.detector.threshold_ = float(threshold)  # the model keeps --threshold
        save(run.detector, save_model)
    in_time_order = order is OutputOrder.time
    # The files first: a reader of standard output that stops early (| head) must not
    # cost the plot and the report.
    if plot is not None:
        _write_plot(run, plot)
    if report is not None:
        _write_report(run, report, table, selection)
    write_scores(table, output, run.output_columns(),
                 order=run.series.order if in_time_order else None)
    # With the scores on standard output, nothing else may be written there.
    echo = partial(typer.echo, err=is_stdio(output))
    files = dict(output=output, save_model=save_model, plot=plot, report=report,
                 in_time_order=in_time_order)
    if json_summary:
        echo(json.dumps(summary_dict(table, selection, run, **files), indent=1, default=str))
    elif not quiet:
        echo(format_summary(table, selection, run, **files))


def _detect_fleet(table, selection, group_col, time_col, *, output, order, json_summary,
                  dayfirst, time_format, fleet_model, save_model, plot, report, options,
                  detector, epochs, seed, quiet, model_path, threshold):
    """The fleet path (``--group-by``): each asset scored on its own, the assets ranked.

    ``fleet_model``: a loaded FleetDetector (``detector`` is then its first asset's, for
    the checks); ``detector`` alone: one loaded detector shared by every asset."""
    from .fleet import (
        fleet_summary_dict,
        format_fleet_summary,
        prepare_fleet,
        run_fleet,
        write_fleet_plot,
        write_fleet_report,
    )
    from .tables import check_finite, write_scores

    from .tables import text_column

    is_series = time_col is not False
    if not is_series:
        check_finite(table.frame, selection.features)
    ids = text_column(table, group_col)
    frame = table.frame.assign(**{group_col: ids.to_numpy()})
    prepared, positions, notes, unprepared = prepare_fleet(
        frame, selection.features, group_col, time_col if is_series else False, ids=ids,
        dayfirst=dayfirst, time_format=time_format)
    template = None
    if fleet_model is not None:
        if options["adapt"] is not None:
            for each in fleet_model.detectors_.values():
                each.set_params(adapt=options["adapt"])
    elif detector is None:
        template = (_new_series_detector(**options, epochs=epochs, seed=seed, verbose=0)
                    if is_series else
                    _new_table_detector(0.1 if options["contamination"] is None
                                        else options["contamination"], epochs, seed, verbose=0))
    elif options["adapt"] is not None:
        detector.set_params(adapt=options["adapt"])
    if detector is not None and not hasattr(detector, "feature_names_in_"):
        raise InputError("the model was fitted without column names; --group-by needs a model "
                         "saved from a file (aeguard detect --save-model)")
    run = run_fleet(prepared, positions, group_by=group_col, template=template,
                    detector=detector, fleet=fleet_model, threshold=threshold,
                    train_rows=options["train_size"],
                    time_column=time_col if is_series else None, is_series=is_series,
                    notes=notes, unprepared=unprepared, model_path=model_path, quiet=quiet,
                    n_rows=len(table.frame))
    if save_model is not None:
        from ..persistence import save

        if threshold is not None:  # the model keeps --threshold, as for one detector
            for each in run.fleet.detectors_.values():
                each.threshold_ = float(threshold)
        save(run.fleet, save_model)
    if plot is not None:
        write_fleet_plot(run, prepared, plot)
    if report is not None:
        write_fleet_report(run, prepared, report, table, selection)
    in_time_order = order is OutputOrder.time
    write_scores(table, output, run.output_columns(), order=run.order if in_time_order else None)
    echo = partial(typer.echo, err=is_stdio(output))
    files = dict(output=output, save_model=save_model, plot=plot, report=report,
                 in_time_order=in_time_order)
    if json_summary:
        echo(json.dumps(fleet_summary_dict(table, selection, run, **files), indent=1,
                        default=str))
    elif not quiet:
        echo(format_fleet_summary(table, selection, run, **files))


# ----------------------------------------------------------------- helpers
def _check_path_options(time_col, detector, window, time_options, series_options):
    """Refuse options of the time-series path on the tabular one, and time options without
    a time column."""
    if time_col is False:
        for option, value in {**series_options, **time_options}.items():
            if value is not None:
                raise InputError(f"{option} needs a time series; " + _why_tabular(detector, window))
    elif time_col is None:
        for option, value in time_options.items():
            if value is not None:
                raise InputError(f"{option} needs a time column; this series has none (see "
                                 "--time-column)")


def _check_fleet_options(options):
    """Reject what --group-by does not combine with: each draws or saves one detector."""
    for option, value in options.items():
        if value is None:
            continue
        if option == "--train-all":
            raise InputError("--train-all cannot be used with --group-by: each asset already "
                             "learns from all its rows unless --train-rows is given")
        if option == "--train-until":
            raise InputError("--train-until cannot be used with --group-by: assets start at "
                             "different times; use --train-rows (each asset's first rows)")
        raise InputError(f"{option} cannot be used with --group-by: it is for one detector, "
                         "and each asset has its own; score one asset's rows alone for it")


def _group_column(frame, group_by, time_column):
    """The asset column named by --group-by (None without it), checked against the table."""
    if group_by is None:
        return None
    from .tables import _resolve_column

    try:
        name = _resolve_column(group_by, [str(c) for c in frame.columns])
    except InputError as error:
        raise InputError(f"--group-by: {error}") from None
    if time_column is not None and time_column.strip() == name.strip():
        raise InputError(f"--group-by and --time-column both name {name!r}; the asset column "
                         "says which machine a row is from, the time column when")
    return name


def _check_options(*, model, training, contamination, threshold, dayfirst, time_format):
    """Reject option combinations before any slow work (ranges are declared on the options)."""
    if model is not None:
        for name, value in training.items():
            if value is not None:
                raise InputError(
                    f"{name} cannot be used with --model: a saved model is used as it is, "
                    "not trained again"
                )
    if contamination is not None and threshold is not None:
        raise InputError("use --contamination or --threshold, not both")
    if dayfirst is not None and time_format is not None:
        raise InputError(f"use --{'day' if dayfirst else 'month'}first or --time-format, not "
                         "both: the format says where the day is")


def _check_targets(file, output, save_model, plot, report, *, force):
    """Check that the output, model, plot and report files may be written, before any training.

    ``-`` is standard input (FILE) and standard output (``--output``); a
    model, a figure or a report cannot go to standard output.
    """
    taken = {} if is_stdio(file) else {"the input": file.resolve()}
    targets = (("--output", output), ("--save-model", save_model), ("--plot", plot),
               ("--report", report))
    for option, path in targets:
        if path is None or (option == "--output" and is_stdio(path)):
            continue
        if is_stdio(path):
            raise InputError(f"{option} cannot be standard output (-); name a file")
        for other, resolved in taken.items():
            if path.resolve() == resolved:
                raise InputError(f"{option} names the same file as {other}; choose another name")
        check_writable(path, force=force, option=option)
        taken[option] = path.resolve()
    if plot is not None:
        check_figure_path(plot, "--plot")
    if report is not None and report.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--report must end in .html; got {report.name!r}")


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
    from ..estimators.series import NETWORKS

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
    if not hasattr(detector, "detect"):
        raise InputError(
            f"{str(path)!r} holds a {type(detector).__name__}, not a detector: --model takes "
            "a file written by --save-model (or aeguard.save of an AEDetector or a "
            "SeriesDetector); score a saved pipeline in Python"
        )
    if len(getattr(detector, "input_shape_", ())) > 1:
        raise InputError(
            f"the model in {str(path)!r} was fitted on images of shape "
            f"{detector.input_shape_}, not on table rows"
        )
    return detector


def _unpack_fleet(detector, path, group_by):
    """``(detector, fleet)``: a loaded fleet's first detector and the fleet, else ``(detector, None)``.

    A fleet's detectors share their columns and kind, so the first answers the checks made
    of one detector; a fleet saved with one shared detector is that detector. A fleet needs
    --group-by."""
    from ..estimators.fleet import FleetDetector

    if not isinstance(detector, FleetDetector):
        return detector, None
    if group_by is None:
        raise InputError(f"{str(path)!r} holds a fleet's detectors, one per asset of "
                         f"{detector.group_by!r}; add --group-by {detector.group_by} to score "
                         "each asset with its own")
    if not detector.per_asset:
        return detector.estimator, None
    return next(iter(detector.detectors_.values())), detector


def _model_features(detector):
    """The feature columns a loaded detector needs, or None if it has no names."""
    names = getattr(detector, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _choose_path(frame, detector, window, time_column, find_time_column):
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


def _progress(quiet):
    """The estimators' ``verbose``: none when quiet; else one line redrawn on a terminal,
    one line per epoch in logs and pipes."""
    return 0 if quiet else (1 if sys.stderr.isatty() else 2)


def _matched(X, detector):
    """The feature frame for a detector, checked by column count; bare values if it has no names.

    A model fitted on a bare array matches the chosen columns by count, and
    passing names would make scikit-learn warn on every call.
    """
    if X.shape[1] != detector.n_features_in_:
        raise InputError(
            f"the model expects {detector.n_features_in_} feature columns, but "
            f"{X.shape[1]} were chosen ({', '.join(map(str, X.columns))}); choose them with "
            "--columns"
        )
    return X if hasattr(detector, "feature_names_in_") else X.to_numpy()


def _run_tabular(X, *, detector, contamination, threshold, epochs, seed, quiet, model_path):
    """The tabular path: fit an AEDetector on X (unless one is given) and detect on every row."""
    if detector is None:
        detector = _new_table_detector(contamination, epochs, seed, verbose=_progress(quiet))
        start_backend()
        detector.fit(X)
    result = detector.detect(_matched(X, detector), threshold=threshold)
    return Run(detector=detector, result=result, model_path=model_path,
               threshold_given=threshold is not None)


def _run_series(series, *, detector, train_size, trim_fraction, window, network, smoothing,
                adapt, contamination, threshold, epochs, seed, quiet, model_path):
    """The time-series path: fit a SeriesDetector (unless one is given) and detect on the series."""
    X = series.frame
    if detector is None:
        detector = _new_series_detector(train_size=train_size, trim_fraction=trim_fraction,
                                        window=window, network=network,
                                        smoothing=smoothing, adapt=adapt,
                                        contamination=contamination, epochs=epochs, seed=seed,
                                        verbose=_progress(quiet))
        start_backend()
        detector.fit(X)
    elif adapt is not None:
        detector.set_params(adapt=adapt)  # a scoring mode: the saved model is not changed
    result = detector.detect(_matched(X, detector), threshold=threshold)
    if result.index is None:  # scored as bare values: label the intervals by time again
        result.intervals = _labelled(result.intervals, X.index)
        result.index = X.index
    return Run(detector=detector, result=result, model_path=model_path, series=series,
               threshold_given=threshold is not None)


def _new_table_detector(contamination, epochs, seed, *, verbose):
    """The AEDetector the tabular path fits."""
    from ..estimators.autoencoder import AEDetector

    return AEDetector(contamination=contamination, epochs=epochs, random_state=seed,
                      verbose=verbose)


def _new_series_detector(*, train_size, window, network, smoothing, adapt, contamination,
                         epochs, seed, verbose, trim_fraction="auto"):
    """The SeriesDetector the time-series path fits, from the options."""
    from ..estimators.series import SeriesDetector

    return SeriesDetector(
        window="auto" if window is None else window, model=network or "conv",
        smoothing=1 if smoothing is None else smoothing, adapt=adapt,
        train_size=train_size, trim_fraction=trim_fraction, contamination=contamination,
        epochs=epochs, random_state=seed, verbose=verbose,
    )


def _labelled(intervals, index):
    """Intervals located by row position, with ``index``'s labels instead."""
    labelled = intervals.copy()
    for column in ("start", "end", "peak_at"):
        labelled[column] = index[labelled[column].to_numpy(dtype=np.int64)]
    return labelled


def _train_rows(run):
    """The rows the detector learned from, the first in time order; None for a loaded model,
    which learned from another file."""
    return None if run.model_path is not None else run.detector.n_train_rows_


def _write_plot(run, path):
    """Draw the time-series figure and write it atomically."""
    from ..plotting import plot_series_scores

    result = run.result
    figure = plot_series_scores(run.series.frame, result.scores, result.threshold,
                                result.intervals, n_train_rows=_train_rows(run))
    write_figure(figure, path, dpi=110)


def _write_report(run, path, table, selection):
    """Write the HTML report atomically."""
    from .._files import atomic_write
    from ..report import detection_report
    from .summary import report_facts, threshold_text

    result = run.result
    if run.series is None:  # rows named as in the summary: row 1 is the first data row
        rows = {"row_numbers": np.arange(1, len(result.scores) + 1)}
    else:
        rows = {"frame": run.series.frame, "n_train_rows": _train_rows(run)}
    page = detection_report(
        result, title=f"aeguard detect: {table.name}",
        summary=report_facts(table, selection, run), threshold_rule=threshold_text(run), **rows,
    )
    atomic_write(path, lambda f: f.write(page.encode("utf-8")))
