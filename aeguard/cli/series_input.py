"""Sensor-series input for the command line: the time column, ordering, gaps and missing values.

Everything here raises :class:`~aeguard.cli.tables.InputError` for problems
the user can fix; what was repaired (sorting, interpolation) is reported as
notes for the summary, never silently.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..timeseries import flagged_intervals
from .errors import InputError

#: Share of a column's values that must parse as dates for it to be the time column.
MIN_PARSED_SHARE = 0.95
#: Values tried when guessing whether a column holds dates.
SNIFF_VALUES = 1000
#: Longest run of missing values filled by linear interpolation.
MAX_INTERPOLATED_RUN = 10
#: A step this many times the median step counts as a gap in the record.
GAP_FACTOR = 3


@dataclass
class Series:
    """A table prepared for :class:`aeguard.SeriesDetector`.

    Attributes
    ----------
    frame : DataFrame
        The feature columns in time order, indexed by timestamp (or by row
        number when the file has no time column), missing values filled.
    order : ndarray of int
        ``order[i]`` is the input row of ``frame``'s row ``i``: scores in time
        order go back to file order with ``scores_in_file[order] = scores``.
    time_column : str or None
        The column the timestamps came from.
    notes : list of str
        What was found and repaired, for the summary.
    """

    frame: pd.DataFrame
    order: np.ndarray
    time_column: object = None
    notes: list = field(default_factory=list)

    def to_file_order(self, values):
        """Per-row values in time order (one per row of ``frame``), put back in file order."""
        values = np.asarray(values)
        in_file_order = np.empty_like(values)
        in_file_order[self.order] = values
        return in_file_order


def find_time_column(frame, explicit=None):
    """The name of the column holding timestamps, or None.

    Parameters
    ----------
    frame : DataFrame
        The table as read.
    explicit : str, optional
        The column named with ``--time-column``; it must exist and parse.

    Returns
    -------
    name : str or None
        ``explicit`` if given; else the first non-numeric column whose values
        (the first 1,000) parse as dates at least 95 % of the time.
    """
    if explicit is not None:
        if explicit not in frame.columns:
            raise InputError(
                f"--time-column {explicit!r} is not a column (columns: "
                f"{', '.join(map(str, frame.columns))})"
            )
        return explicit
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
            continue
        if _parsed_share(column.head(SNIFF_VALUES)) >= MIN_PARSED_SHARE:
            return name
    return None


def _parsed_share(values):
    values = values.dropna()
    if len(values) == 0 or pd.api.types.is_datetime64_any_dtype(values):
        return float(len(values) > 0)
    parsed, _ = _to_datetime(values)
    return float(parsed.notna().mean())


def _to_datetime(values):
    """Parse timestamps; what fails is NaT. Several UTC offsets are compared as UTC.

    ``format="mixed"`` parses each value on its own, so ISO dates with or
    without times, and "2024-01-01 10:00" style all work. Offsets that change
    within the column (a daylight-saving change: +01:00, then +02:00) cannot
    share one time zone, so the times are converted to UTC instants; naive
    times in such a column are read as UTC.

    Returns
    -------
    parsed : Series of datetime64
    converted : bool
        Whether the times were converted to UTC because their offsets differ.
    """
    try:
        return pd.to_datetime(values, errors="coerce", format="mixed"), False
    except ValueError:  # pandas: "Mixed timezones detected"
        return pd.to_datetime(values, errors="coerce", format="mixed", utc=True), True


def prepare_series(frame, features, time_column=None):
    """Order the rows by time and fill short runs of missing values.

    Parameters
    ----------
    frame : DataFrame
        The table as read.
    features : list of str
        Its feature columns.
    time_column : str or None
        The timestamp column, or None to keep the file's row order.

    Returns
    -------
    series : Series
    """
    notes = []
    values = frame[features].astype(np.float64)
    order = np.arange(len(frame))
    if time_column is not None:
        stamps, converted = _to_datetime(frame[time_column])
        if converted:
            notes.append(f"{time_column} has several UTC offsets (e.g. a daylight-saving "
                         "change): times compared and shown in UTC")
        if stamps.isna().any():
            bad = int(stamps.isna().sum())
            first = int(np.flatnonzero(stamps.isna().to_numpy())[0]) + 1
            raise InputError(
                f"{bad} value(s) of the time column {time_column!r} are not dates, first in "
                f"data row {first}; fix them or choose the column with --time-column"
            )
        if not stamps.is_monotonic_increasing:
            order = np.argsort(stamps.to_numpy(), kind="stable")
            notes.append(f"rows were not in time order: sorted by {time_column}")
        stamps = pd.DatetimeIndex(stamps.to_numpy()[order], name=str(time_column))
        values = values.iloc[order]
        values.index = stamps
        notes += _describe_spacing(stamps)
    else:
        values.index = pd.RangeIndex(len(values), name="row")
    values = _fill_missing(values, notes)
    return Series(frame=values, order=order, time_column=time_column, notes=notes)


def _describe_spacing(stamps):
    notes = []
    duplicates = int(stamps.duplicated().sum())
    if duplicates:
        notes.append(f"{duplicates} row(s) repeat an earlier timestamp; each is scored")
    # In nanoseconds whatever the index's own unit (pandas 3 may parse to seconds or ms).
    steps = np.diff(stamps.to_numpy()).astype("timedelta64[ns]").astype(np.int64)
    steps = steps[steps > 0]
    if len(steps):
        median = np.median(steps)
        gaps = steps > GAP_FACTOR * median
        if gaps.any():
            largest = pd.Timedelta(int(steps.max()), unit="ns")
            notes.append(
                f"{int(gaps.sum())} gap(s) longer than {GAP_FACTOR}x the usual step of "
                f"{pd.Timedelta(int(median), unit='ns')} (largest {largest}); rows on either "
                "side are treated as consecutive"
            )
    return notes


def _fill_missing(values, notes):
    missing = values.isna()
    if not missing.any().any():
        if not np.isfinite(values.to_numpy()).all():
            raise InputError("infinite values in the feature columns; fix or drop those rows")
        return values
    longest = {name: max(end - start + 1 for start, end in flagged_intervals(column.to_numpy()))
               for name, column in missing.items() if column.any()}
    too_long = [name for name, run in longest.items() if run > MAX_INTERPOLATED_RUN]
    if too_long:
        raise InputError(
            "missing values in column(s) "
            f"{', '.join(f'{name} ({longest[name]} in a row)' for name in too_long)} form runs "
            f"longer than {MAX_INTERPOLATED_RUN} rows; fill them or leave those columns out "
            "with --columns"
        )
    # Every run is short: fill inside linearly, and the file's first or last rows
    # from the nearest value.
    filled = values.reset_index(drop=True).interpolate(method="linear", limit_direction="both")
    counts = missing.sum()
    described = ", ".join(f"{name} ({n})" for name, n in counts.items() if n)
    notes.append(f"interpolated missing values: {described}")
    filled.index = values.index
    if not np.isfinite(filled.to_numpy()).all():
        raise InputError("infinite values in the feature columns; fix or drop those rows")
    return filled


def training_rows(series, train_rows=None, train_until=None):
    """How many leading rows (in time order) are the training part, or None for all.

    ``--train-rows N`` gives the count; ``--train-until TIMESTAMP`` counts the
    rows stamped at or before it.
    """
    if train_rows is not None and train_until is not None:
        raise InputError("use --train-rows or --train-until, not both")
    if train_rows is not None:
        if not 2 <= train_rows <= len(series.frame):
            raise InputError(
                f"--train-rows must be between 2 and the {len(series.frame)} rows; got {train_rows}"
            )
        return train_rows
    if train_until is not None:
        if series.time_column is None:
            raise InputError("--train-until needs a time column (see --time-column)")
        parsed, _ = _to_datetime(pd.Series([train_until]))
        until, stamps = parsed[0], series.frame.index
        if pd.isna(until):
            raise InputError(f"--train-until {train_until!r} is not a date")
        if stamps.tz is not None and until.tzinfo is None:
            until = until.tz_localize(stamps.tz)  # read in the series' zone (UTC if converted)
        elif stamps.tz is None and until.tzinfo is not None:
            until = until.tz_convert(None)  # an offset given for naive times: as UTC
        n = int((stamps <= until).sum())
        if n < 2:
            raise InputError(f"no rows at or before --train-until {train_until}")
        return n
    return None
