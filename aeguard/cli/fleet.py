"""``aeguard detect FILE.csv --group-by COLUMN``: a fleet of assets in one file.

The rows are split by the asset column; each asset's rows are prepared as a
series of their own (time order, missing values), the library's
:class:`~aeguard.FleetDetector` fits and scores one detector per asset (or
shares a loaded one), and this module formats the ranked summary. An asset
that cannot be prepared or is too short for its detector is reported, not
fatal for the others.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd

from .errors import InputError

#: Assets, intervals and notes listed in the text summary.
SHOWN = 10


@dataclass
class FleetRun:
    """One ``aeguard detect --group-by`` run.

    Attributes
    ----------
    fleet : FleetDetector
        The fitted fleet.
    result : FleetDetection
        What it found, one row per row of the prepared frame.
    positions : ndarray of int
        ``positions[i]``: the input row of the prepared frame's row ``i``
        (assets one after another, each in time order).
    group_by : str
        The asset column.
    time_column : str or None
        The time column (None: each asset in file order).
    is_series : bool
        Whether each asset is a time series (else independent rows).
    notes : list of str
        What was found and repaired in the assets' rows.
    model_path : Path or None
        The shared model's file, or None when each asset was fitted here.
    threshold_given : bool
        Whether ``--threshold`` replaced the learned thresholds.
    n_rows : int
        Rows in the input.
    unprepared_rows : dict
        Asset -> input rows of an asset whose rows could not be read as a series.
    """

    fleet: object
    result: object
    positions: np.ndarray
    group_by: str
    time_column: object
    is_series: bool
    notes: list = field(default_factory=list)
    model_path: Optional[Path] = None
    threshold_given: bool = False
    n_rows: int = 0
    unprepared_rows: dict = field(default_factory=dict)

    @property
    def order(self):
        """Input rows by asset, each in time order; assets that could not be read at the end."""
        return np.concatenate([self.positions, *self.unprepared_rows.values()])

    def output_columns(self):
        """The columns appended to the output file, in file order (blank for skipped assets)."""
        result, n_rows = self.result, self.n_rows
        scored = ~np.isnan(result.scores)
        scores = np.full(n_rows, np.nan)
        flags = np.full(n_rows, "", dtype=object)
        top = np.full(n_rows, "", dtype=object)
        scores[self.positions] = result.scores
        flags[self.positions] = np.where(scored, result.is_anomaly.astype(np.int8), "")
        top[self.positions] = result.top_columns
        return {"anomaly_score": scores, "is_anomaly": flags, "top_columns": top}


def prepare_fleet(frame, features, group_by, time_column, *, ids, dayfirst=None,
                  time_format=None):
    """Each asset's rows as its own series, one after another, with the asset column.

    Parameters
    ----------
    frame : DataFrame
        The table as read.
    features : list of str
        Its feature columns.
    group_by : str
        The asset column.
    time_column : str, None or False
        The time column; None: each asset's rows in file order; False: the
        tabular path (rows kept as they are).
    ids : Series of str
        The asset column as written in the file (``007`` stays ``007``).

    Returns
    -------
    prepared : DataFrame
        The asset column and the features, assets in order of first appearance.
    positions : ndarray of int
        The input row of each prepared row.
    notes : list of str
        Per asset, what was found and repaired.
    unprepared : dict
        Asset -> (why its rows could not be prepared, their input rows); they are left out.
    """
    from .series_input import prepare_series

    ids = ids.reset_index(drop=True)
    empty = (ids.str.strip() == "").to_numpy()
    if empty.any():
        raise InputError(f"the asset column {group_by!r} is empty in data row "
                         f"{int(np.flatnonzero(empty)[0]) + 1}; fill it or drop that row")
    codes, assets = pd.factorize(ids, sort=False)
    if len(assets) > len(ids) // 2:
        raise InputError(f"--group-by {group_by}: {len(assets):,} assets in {len(ids):,} rows, "
                         "too few rows each for a detector; is it really the asset column?")
    pieces, positions, notes, unprepared = [], [], [], {}
    for code, asset in enumerate(assets):
        rows = np.flatnonzero(codes == code)
        if time_column is False:
            piece, order = frame.iloc[rows][features], np.arange(len(rows))
        else:
            try:
                series = prepare_series(frame.iloc[rows], features, time_column,
                                        dayfirst=dayfirst, time_format=time_format)
            except InputError as error:
                unprepared[asset] = (f"{error} (row numbers within the asset's rows)", rows)
                continue
            piece, order = series.frame, series.order
            if time_column is None:  # label intervals by the input's rows, as for one file
                piece.index = pd.Index(rows, name="row")
            notes += [f"{group_by} {asset}: {note}" for note in series.notes]
        pieces.append(piece.assign(**{group_by: asset}))
        positions.append(rows[order])
    if not pieces:
        raise InputError(f"no asset of {group_by!r} could be read; the first said: "
                         f"{next(iter(unprepared.values()))[0]}")
    prepared = pd.concat(pieces)
    return prepared[[group_by, *features]], np.concatenate(positions), notes, unprepared


def run_fleet(prepared, positions, *, group_by, template, detector, threshold, time_column,
              is_series, notes, unprepared, model_path, quiet, n_rows, fleet=None,
              train_rows=None):
    """Fit the fleet (one clone of ``template`` per asset, or ``detector`` shared) and detect.

    ``fleet``: a fitted (loaded) FleetDetector, used as it is, with ``group_by`` as its
    asset column. ``train_rows``: the --train-rows given, to say so when an asset has fewer
    rows."""
    from ..estimators.fleet import FleetDetector
    from ._common import start_backend

    fitted = fleet is not None
    if fitted:
        fleet.set_params(group_by=group_by)
    else:
        shared = detector is not None
        fleet = FleetDetector(group_by, detector if shared else template, per_asset=not shared,
                              verbose=0 if quiet else 1)
    start_backend()
    try:
        if not fitted:
            fleet.fit(prepared)
        result = fleet.detect(prepared, threshold=threshold)
    except ValueError as error:  # no asset could be fitted or scored, or columns missing
        raise InputError(str(error).split("\n")[0]) from None
    if train_rows is not None and not fitted:
        # The detector's own message names its parameter; the user gave an option.
        sizes = result.assets.set_index("asset").n_rows
        for asset in list(result.skipped):
            if sizes[asset] < train_rows:
                result.skipped[asset] = f"fewer rows than --train-rows {train_rows}"
        # object dtype: with no asset skipped the mapped column is all NaN (float).
        result.assets["skipped"] = (result.assets.asset.map(result.skipped)
                                    .astype(object).fillna(""))
    for asset, (why, _) in unprepared.items():
        result.skipped[asset] = why
    return FleetRun(fleet=fleet, result=result, positions=positions, group_by=group_by,
                    time_column=time_column, is_series=is_series, notes=notes,
                    model_path=model_path, threshold_given=threshold is not None,
                    n_rows=n_rows,
                    unprepared_rows={asset: rows for asset, (_, rows) in unprepared.items()})


# ----------------------------------------------------------------- files
def write_fleet_plot(run, prepared, path):
    """Draw the most anomalous assets and write the figure atomically."""
    from ..plotting import plot_fleet_scores
    from ._common import write_figure

    write_figure(plot_fleet_scores(prepared, run.group_by, run.result), path, dpi=110)


def write_fleet_report(run, prepared, path, table, selection):
    """Write the fleet's HTML report atomically."""
    from .._files import atomic_write
    from ..report import fleet_report

    facts = [("input", f"{table.name} ({run.n_rows:,} rows)"),
             ("features", ", ".join(selection.features)),
             ("fleet", f"{len(_assets_table(run))} assets by {run.group_by!r} "
                       f"({_path_text(run)})"),
             ("model", _model_text(run))]
    facts += [("note", note) for note in run.notes[:SHOWN]]
    page = fleet_report(run.result, title=f"aeguard detect: {table.name}", frame=prepared,
                        group_by=run.group_by, summary=facts,
                        threshold_rule=_threshold_text(run))
    atomic_write(path, lambda f: f.write(page.encode("utf-8")))


# ----------------------------------------------------------------- summary
def _assets_table(run):
    """Every asset, ranked, with the ones that could not be read at the end."""
    assets = run.result.assets
    missing = [asset for asset in run.result.skipped if asset not in set(assets.asset)]
    extra = pd.DataFrame({"asset": missing,
                          "n_rows": [len(run.unprepared_rows.get(a, ())) for a in missing],
                          "n_flagged": 0, "n_intervals": 0,
                          "peak_score": np.nan, "peer_score": np.nan, "top_columns": "",
                          "skipped": [run.result.skipped[a] for a in missing]})
    return pd.concat([assets, extra], ignore_index=True) if missing else assets


def _drift_warnings(run):
    """One warning per asset whose rows a loaded model flags mostly (see ``drift_warning``)."""
    from .summary import drift_warning

    warnings = []
    for row in run.result.assets.itertuples():
        found = run.result.detections.get(row.asset)
        if found is not None:
            warning = drift_warning(row.n_flagged, row.n_rows, run.model_path,
                                    what=f"{run.group_by} {row.asset}'s rows")
            if warning is not None:
                warnings.append(warning)
    return warnings


def _path_text(run):
    return "fleet of time series" if run.is_series else "fleet of tables"


def _model_text(run):
    detectors = list(run.fleet.detectors_.values())
    name = type(detectors[0]).__name__
    if run.model_path is not None and run.fleet.per_asset:
        return f"one {name} per asset, loaded from {run.model_path}"
    if run.model_path is not None:
        return f"{name} loaded from {run.model_path}, shared by every asset"
    network = f" ({detectors[0].model} network)" if hasattr(detectors[0], "model") else ""
    return f"one {name}{network} per asset, each trained on that asset's rows"


def _threshold_text(run):
    first = next(iter(run.result.detections.values()))
    if run.threshold_given:
        return f"{first.threshold:g}, given with --threshold"
    return first.threshold_rule + (", per asset" if run.fleet.per_asset else "")


def fleet_summary_dict(table, selection, run, *, output, save_model, plot, report,
                       in_time_order):
    """The summary as a JSON-ready dict (``--json``); see :func:`format_fleet_summary`."""
    result = run.result
    assets = _assets_table(run)
    return {
        "input": str(table.path),
        "rows": run.n_rows,
        "path": _path_text(run),
        "group_by": run.group_by,
        "time_column": run.time_column if run.is_series else None,
        "features": list(selection.features),
        "ignored": selection.ignored,
        "model": _model_text(run),
        "threshold_rule": _threshold_text(run),
        "flagged": result.n_flagged,
        "assets": assets.replace({np.nan: None}).to_dict(orient="records"),
        "skipped": {str(asset): why for asset, why in result.skipped.items()},
        "intervals": result.intervals.to_dict(orient="records"),
        "notes": run.notes,
        "warnings": _drift_warnings(run),
        "output": str(output),
        "output_order": "time" if in_time_order else "file",
        **{key: str(path) for key, path in
           (("saved_model", save_model), ("plot", plot), ("report", report)) if path is not None},
    }


def format_fleet_summary(table, selection, run, *, output, save_model, plot, report,
                         in_time_order):
    """The fleet's summary: input, assets ranked against their peers, their worst intervals, files."""
    from .summary import _DELIMITERS, _table_lines, _written, interval_lines

    result = run.result
    n_rows = run.n_rows
    assets = _assets_table(run)
    scored = assets[assets.skipped == ""]
    alarmed = int((scored.n_flagged > 0).sum())
    how = (f"each a time series in order of {run.time_column!r}" if run.is_series and
           run.time_column is not None else
           "each a time series in file order" if run.is_series else
           "each a table of independent rows")
    lines = [
        f"input: {table.name} ({n_rows:,} rows, {table.frame.shape[1]} columns, "
        f"{_DELIMITERS[table.delimiter]}-separated)",
        f"features ({len(selection.features)}): {', '.join(selection.features)}",
    ]
    if selection.ignored:
        lines.append("ignored ({}): {}".format(len(selection.ignored), ", ".join(
            f"{name} ({why})" for name, why in selection.ignored.items())))
    lines += [
        f"fleet: {len(assets)} asset{'s' if len(assets) != 1 else ''} by {run.group_by!r}, "
        f"{how}",
        f"model: {_model_text(run)}",
        f"threshold: {_threshold_text(run)}",
        f"flagged: {result.n_flagged:,} of {n_rows:,} rows ({result.n_flagged / n_rows:.1%}), "
        f"in {alarmed} of the {len(scored)} asset{'s' if len(scored) != 1 else ''} scored",
    ]
    warnings = _drift_warnings(run)
    lines += [f"warning: {warning}" for warning in warnings[:SHOWN]]
    if len(warnings) > SHOWN:
        lines.append(f"warning: ... and {len(warnings) - SHOWN} more assets (see --json)")
    lines += [f"note: {note}" for note in run.notes[:SHOWN]]
    if len(run.notes) > SHOWN:
        lines.append(f"note: ... and {len(run.notes) - SHOWN} more (see --json)")
    skipped = assets[assets.skipped != ""]
    for row in skipped.head(SHOWN).itertuples():
        lines.append(f"skipped: {run.group_by} {row.asset} ({row.n_rows} rows): {row.skipped}")
    if len(skipped) > SHOWN:
        lines.append(f"skipped: ... and {len(skipped) - SHOWN} more (see --json)")
    lines += ["", f"assets by {result.ranking}"
                  f"{', the first ' + str(SHOWN) if len(scored) > SHOWN else ''}:"]
    rows = [("asset", "rows", "flagged", "intervals", "peak_score", "peer_score",
             "top_columns")] + [
        (str(r.asset), f"{r.n_rows:,}", f"{r.n_flagged:,}", f"{r.n_intervals}",
         f"{r.peak_score:.4g}", f"{r.peer_score:.4g}", r.top_columns)
        for r in scored.head(SHOWN).itertuples()
    ]
    if not result.by_peers:  # too few assets for a peer score
        rows = [row[:5] + row[6:] for row in rows]
    if not run.is_series:  # independent rows have no intervals
        rows = [row[:3] + row[4:] for row in rows]
    numbers = set(range(1, len(rows[0]) - 1))
    lines += _table_lines(rows, right_aligned=numbers)
    intervals = result.intervals
    if run.is_series:
        lines.append("")
        shown = (intervals.sort_values("peak_score", ascending=False, kind="stable").head(SHOWN)
                 if len(intervals) else intervals)
        lines.append(f"anomalous intervals: {len(intervals)}"
                     + (f", the {len(shown)} with the highest peaks:" if len(intervals) else ""))
        if len(intervals):
            lines += interval_lines(shown, "still anomalous at the asset's last row",
                                    by_asset=True)
    order = ("rows by asset, each in time order" if in_time_order else "rows in the input's order")
    lines += ["", f"wrote {_written(output)} ({order})"]
    if save_model is not None:
        lines.append(f"saved the model to {save_model} (every asset's detector; score with "
                     f"--model {save_model} --group-by {run.group_by})")
    if plot is not None:
        lines.append(f"drew {plot}")
    if report is not None:
        lines.append(f"wrote the report to {report}")
    return "\n".join(lines)
