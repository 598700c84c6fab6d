"""The summary ``aeguard detect`` prints: as text, or as JSON with ``--json``."""

import numpy as np

from ._common import is_stdio

#: Rows (tabular path) and intervals (time series) listed in the summary.
TOP_ROWS = 10

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def threshold_text(run):
    """How the threshold was set, in words."""
    return "given with --threshold" if run.threshold_given else run.result.threshold_rule


def _model_text(run, n_rows):
    detector = run.detector
    if run.model_path is not None:
        return f"{type(detector).__name__} loaded from {run.model_path}"
    held_out = f"{detector.validation_fraction or 0:.0%} held out for early stopping"
    name = type(detector).__name__
    if run.series is None:
        trained = f"all {n_rows:,} rows ({held_out})"
    else:
        name += f" ({detector.model} network)"
        n_train = detector.n_train_rows_
        part = f"the first {n_train:,}" if n_train < n_rows else f"all {n_rows:,}"
        smoothed = (f", errors averaged over {detector.smoothing_} rows"
                    if detector.smoothing_ > 1 else "")
        trimmed = ", worst windows left out" if detector.trim_fraction_ else ""
        trained = (f"{part} rows, windows of {detector.window_} rows{smoothed} "
                   f"({held_out}{trimmed})")
    return (f"{name} trained on {trained}, {detector.n_epochs_} epochs "
            f"(kept epoch {detector.best_epoch_})")


#: A saved model that flags more than this share of a file's rows has most likely met data
#: unlike its training data, rather than that many faults.
DRIFT_SHARE = 0.5


#: How ``aeguard detect`` trains again, for the drift warning.
RETRAIN = "drop --model, with --train-rows or --train-until"


def drift_warning(n_flagged, n_rows, model_path, retrain=RETRAIN, what="the rows"):
    """What to say when a saved model flags most of the rows, or None.

    ``retrain`` says how to train again on recent normal rows; ``what`` names the rows.
    """
    share = n_flagged / max(n_rows, 1)
    if model_path is None or share <= DRIFT_SHARE:
        return None
    return (f"{share:.0%} of {what} are flagged: these data have most likely drifted from "
            f"what the model in {model_path} was trained on (a sensor recalibrated, a new "
            "operating point). Check the top columns, then train again on recent normal "
            f"rows ({retrain}) if that is the new normal")


def _drift_warning(run):
    return drift_warning(run.result.n_flagged, len(run.result.scores), run.model_path)


def _top_rows(run):
    """File positions, scores, flags and top columns of the highest-scoring rows."""
    scores = run.in_file_order(run.result.scores)
    flags = run.in_file_order(run.result.is_anomaly)
    top = run.in_file_order(np.asarray(run.result.top_columns, dtype=object))
    order = np.argsort(-scores, kind="stable")[:TOP_ROWS]
    return [(int(i), float(scores[i]), bool(flags[i]), str(top[i])) for i in order]


def _output_order(run, in_time_order):
    """The output's row order, in words."""
    if in_time_order:
        return f"rows in time order, by {run.series.time_column}"
    return "rows in the input's order"


def _written(output):
    return "the scores to standard output" if is_stdio(output) else str(output)


def summary_dict(table, selection, run, *, output, save_model, plot, report, in_time_order):
    """The summary as a JSON-ready dict (``--json``); see :func:`format_summary`."""
    result = run.result
    n_rows = len(result.scores)
    summary = {
        "input": str(table.path),
        "rows": n_rows,
        "path": "tabular" if run.series is None else "time series",
        "features": result.columns,
        "ignored": selection.ignored,
        "model": _model_text(run, n_rows),
        "threshold": result.threshold,
        "threshold_rule": threshold_text(run),
        "flagged": result.n_flagged,
        "top_rows": [
            {"row": i + 1, "anomaly_score": score, "flagged": flagged, "top_columns": top}
            for i, score, flagged, top in _top_rows(run)
        ],
        "output": str(output),
        "output_order": "time" if in_time_order else "file",
    }
    warning = _drift_warning(run)
    if warning is not None:
        summary["warning"] = warning
    if run.series is not None:
        summary["time_column"] = run.series.time_column
        summary["notes"] = run.series.notes
        summary["intervals"] = result.intervals.to_dict(orient="records")
    if save_model is not None:
        summary["saved_model"] = str(save_model)
    if plot is not None:
        summary["plot"] = str(plot)
    if report is not None:
        summary["report"] = str(report)
    return summary


def interval_lines(shown, open_note, *, by_asset=False):
    """The summary's table of intervals, then what "(open)" and the two counts mean.

    ``shown``: rows of ``Detection.intervals`` (with an ``asset`` column first
    when ``by_asset``); ``open_note`` says what an interval marked open is.
    """
    lead = ("asset",) if by_asset else ()
    rows = [lead + ("start", "end", "rows", "flagged", "peak_score", "top_columns")] + [
        ((str(r.asset),) if by_asset else ())
        + (str(r.start), str(r.end) + (" (open)" if r.is_open else ""), f"{r.n_rows}",
           f"{r.n_flagged}", f"{r.peak_score:.4g}", r.top_columns)
        for r in shown.itertuples()
    ]
    lines = _table_lines(rows, right_aligned={len(lead) + 2, len(lead) + 3, len(lead) + 4})
    if shown.is_open.any():
        lines.append(f"  (open): {open_note}")
    lines.append("  rows: from start to end; flagged: those in the alarm")
    return lines


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


def _header_lines(table, selection, run):
    """The summary's ``label: text`` lines before the tables: input, features, model, threshold."""
    result = run.result
    n_rows = len(result.scores)
    n_flagged = result.n_flagged
    decimal = ", decimal comma" if table.decimal == "," else ""
    lines = [
        f"input: {table.name} ({n_rows:,} rows, {table.frame.shape[1]} columns, "
        f"{_DELIMITERS[table.delimiter]}-separated{decimal})",
        f"features ({len(result.columns)}): {', '.join(result.columns)}",
    ]
    if selection.ignored:
        ignored = ", ".join(f"{name} ({why})" for name, why in selection.ignored.items())
        lines.append(f"ignored ({len(selection.ignored)}): {ignored}")
    if run.series is not None:
        time_column = run.series.time_column
        lines.append("time series: scored in time order by " + (
            f"{time_column!r}" if time_column is not None else "file order (no time column)"))
        lines += [f"note: {note}" for note in run.series.notes]
    lines += [
        f"model: {_model_text(run, n_rows)}",
        f"threshold: {result.threshold:.4g}, {threshold_text(run)}",
        f"flagged: {n_flagged:,} of {n_rows:,} rows ({n_flagged / n_rows:.1%}) "
        + ("score above the threshold" if run.series is None else
           "in an alarm (opened above the threshold, held while the recent scores stay high)"),
    ]
    warning = _drift_warning(run)
    if warning is not None:
        lines.append(f"warning: {warning}")
    return lines


def report_facts(table, selection, run):
    """The summary's first part as (label, text) pairs, for the HTML report."""
    return [tuple(line.split(": ", 1)) for line in _header_lines(table, selection, run)]


def format_summary(table, selection, run, *, output, save_model, plot, report, in_time_order):
    """The summary: input, features, threshold, flagged rows, top rows, files written.

    Parameters
    ----------
    table : Table
        The input.
    selection : FeatureSelection
        Its feature columns.
    run : Run
        The detector and what it found.
    output : Path
        Where the scores went (``-``: standard output).
    save_model, plot, report : Path or None
        The model, figure and HTML report files written, if any.
    in_time_order : bool
        Whether the output's rows are in time order (``--order time``) rather
        than the input's.

    Returns
    -------
    text : str
    """
    result = run.result
    n_rows = len(result.scores)
    lines = _header_lines(table, selection, run)
    lines.append("")
    if run.series is not None:
        intervals = result.intervals
        shown = intervals.nlargest(TOP_ROWS, "peak_score").sort_values("peak_score",
                                                                       ascending=False)
        lines.append(f"anomalous intervals: {len(intervals)}"
                     + (f", the {len(shown)} with the highest peaks:" if len(intervals) else ""))
        if len(intervals):
            lines += interval_lines(shown, "still anomalous at the last row")
    else:
        lines.append(f"top {min(TOP_ROWS, n_rows)} rows by anomaly_score "
                     "(row 1 = the first data row):")
        rows = [("row", "anomaly_score", "flagged", "top_columns")] + [
            (f"{i + 1}", f"{score:.4g}", "yes" if flagged else "no", top)
            for i, score, flagged, top in _top_rows(run)
        ]
        lines += _table_lines(rows, right_aligned={0, 1})
    lines.append("")
    lines.append(f"wrote {_written(output)} ({_output_order(run, in_time_order)})")
    if save_model is not None:
        lines.append(f"saved the model to {save_model}")
    if plot is not None:
        lines.append(f"drew {plot}")
    if report is not None:
        lines.append(f"wrote the report to {report}")
    return "\n".join(lines)
