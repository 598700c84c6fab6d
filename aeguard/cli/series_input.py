"""Sensor-series input for the command line: the time column, ordering, gaps and missing values.

Everything here raises :class:`~aeguard.cli.tables.InputError` for problems
the user can fix; what was repaired (sorting, interpolation) is reported as
notes for the summary, never silently.
"""

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..timeseries import flagged_intervals
from .errors import InputError, one_line

#: Share of a column's values that must parse as dates for it to be the time column.
MIN_PARSED_SHARE = 0.95
#: Values tried when guessing whether a column holds dates.
SNIFF_VALUES = 1000
#: Longest run of missing values filled by linear interpolation.
MAX_INTERPOLATED_RUN = 10
#: A step this many times the median step counts as a gap in the record.
GAP_FACTOR = 3

#: A date written as two numbers then the year (``01/12/2026``, ``1.12.26``, ``01-12-2026``):
#: the day and the month, in an order the value alone may not tell.
NUMERIC_DATE = re.compile(r"^(\s*)(\d{1,2})([/.-])(\d{1,2})\3(\d{4}|\d{2})(?!\d)")

#: Two-digit years as ``strptime``'s ``%y`` reads them: 69-99 are 1969-1999, 00-68 2000-2068.
CENTURY_PIVOT = 69

ORDER_OPTIONS = "--dayfirst or --monthfirst, or give --time-format (e.g. '%d/%m/%Y %H:%M')"


@dataclass
class TimeReading:
    """How the values of a time column are read.

    Attributes
    ----------
    time_format : str or None
        The ``strptime`` format given with ``--time-format``; None to parse
        each value by its own form (ISO 8601 and the like).
    dayfirst : bool or None
        For dates written as numbers before the year (``01/12/2026``):
        whether the day comes first; None when the column has none.
    why : str or None
        Why that order, for the summary (None when there was no choice).
    example : str or None
        A value of the column whose reading the summary shows.
    """

    time_format: object = None
    dayfirst: object = None
    why: object = None
    example: object = None

    def describe(self, column):
        """The summary's note on the chosen order, or None when there was no choice."""
        if self.why is None:
            return None
        return (f"dates in {column} read {'day' if self.dayfirst else 'month'} first "
                f"({self.example!r} is {_read_as(self.example, self.dayfirst)}): {self.why}")

    def parse(self, values):
        """Parse ``values`` this way; see :func:`_to_datetime`."""
        if self.time_format is not None:
            return _to_datetime(values.astype(str), self.time_format)
        if self.dayfirst is not None:
            values = _iso_dates(values, self.dayfirst)
        return _to_datetime(values)


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
    reading : TimeReading
        How the time column was read, so that ``--train-until`` is read the same way.
    """

    frame: pd.DataFrame
    order: np.ndarray
    time_column: object = None
    notes: list = field(default_factory=list)
    reading: TimeReading = field(default_factory=TimeReading)

    def to_file_order(self, values):
        """Per-row values in time order (one per row of ``frame``), put back in file order."""
        values = np.asarray(values)
        in_file_order = np.empty_like(values)
        in_file_order[self.order] = values
        return in_file_order


def find_time_column(frame, explicit=None, time_format=None):
    """The name of the column holding timestamps, or None.

    Parameters
    ----------
    frame : DataFrame
        The table as read.
    explicit : str, optional
        The column named with ``--time-column``; it must exist and parse.
    time_format : str, optional
        The ``--time-format``: a column is one of times if its values match
        it (then a column of whole numbers such as ``20260312`` can be too).

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
    reading = TimeReading(time_format=time_format)
    for name in frame.columns:
        column = frame[name]
        whole_numbers = pd.api.types.is_integer_dtype(column) and time_format is not None
        if (pd.api.types.is_numeric_dtype(column) and not whole_numbers) \
                or pd.api.types.is_bool_dtype(column):
            continue
        if _parsed_share(column.head(SNIFF_VALUES), reading) >= MIN_PARSED_SHARE:
            return name
    return None


def _parsed_share(values, reading):
    values = values.dropna()
    if len(values) == 0 or pd.api.types.is_datetime64_any_dtype(values):
        return float(len(values) > 0)
    parsed, _ = reading.parse(values)
    return float(parsed.notna().mean())


def _to_datetime(values, time_format=None):
    """Parse timestamps; what fails is NaT. Several UTC offsets are compared as UTC.

    Without ``time_format``, ``format="mixed"`` parses each value on its
    own, so ISO dates with or without times, and "2024-01-01 10:00" style all
    work. Offsets that change within the column (a daylight-saving change:
    +01:00, then +02:00) cannot share one time zone, so the times are
    converted to UTC instants; naive times in such a column are read as UTC.

    Returns
    -------
    parsed : Series of datetime64
    converted : bool
        Whether the times were converted to UTC because their offsets differ.
    """
    options = {"errors": "coerce", "format": time_format or "mixed"}
    try:
        try:
            return pd.to_datetime(values, **options), False
        except ValueError:  # pandas: "Mixed timezones detected"
            return pd.to_datetime(values, utc=True, **options), True
    except ValueError as err:  # a format pandas cannot use ("'Q' is a bad directive")
        if time_format is None:
            raise
        raise InputError(f"--time-format {time_format!r}: {one_line(err)}") from None


def _iso_dates(values, dayfirst):
    """``values`` with numeric day/month dates (``01/12/2026``) rewritten as ISO (``2026-12-01``).

    Rewriting, rather than telling the parser which comes first, keeps ISO
    values as they are and never swaps day and month on a value where the
    chosen order gives no valid month: that value becomes an invalid date.
    """
    def iso(match):
        space, first, _, second, year = match.groups()
        day, month = (first, second) if dayfirst else (second, first)
        year = int(year)
        if year < 100:
            year += 1900 if year >= CENTURY_PIVOT else 2000
        return f"{space}{year:04d}-{int(month):02d}-{int(day):02d}"

    return values.astype(str).str.replace(NUMERIC_DATE, iso, regex=True)


def choose_reading(values, column, dayfirst=None, time_format=None):
    """Decide how a time column is read: one reading for the whole column.

    Dates written as two numbers before the year (``03/12/2026``) are read
    with the same order, day first or month first, in every row:

    - ``dayfirst`` (``--dayfirst``/``--monthfirst``) decides when given; a value
      that cannot be read that way is an error naming its row.
    - Otherwise a first number above 12 (``13/12/2026``) means day first, a
      second number above 12 month first; both in one column is an error.
    - When every value reads both ways (all numbers up to 12), the file
      decides only if one reading fits it better: a reading fits if its
      stamps, in the file's row order, never go back in time; of two that fit,
      the one with more steps of its most common length (regular sampling)
      wins. Anything else (both readings fit equally well, or neither fits)
      is an error asking for ``--dayfirst``, ``--monthfirst`` or ``--time-format``.

    Parameters
    ----------
    values : Series
        The time column as read.
    column : str
        Its name, for messages.
    dayfirst : bool, optional
        The order given on the command line.
    time_format : str, optional
        The ``--time-format``; then the format says the order.

    Returns
    -------
    reading : TimeReading
    """
    if time_format is not None:
        return TimeReading(time_format=time_format)
    text = values.dropna().astype(str)
    parts = text.str.extract(NUMERIC_DATE).dropna()
    if parts.empty:
        return TimeReading(dayfirst=dayfirst)
    first, second = parts[1].astype(int), parts[3].astype(int)
    differ = first != second  # a value whose reading depends on the order
    example = text[differ.idxmax() if differ.any() else parts.index[0]].strip()
    if dayfirst is not None:
        month = second if dayfirst else first
        bad = month > 12
        if bad.any():
            row = bad.idxmax()
            raise InputError(
                f"{column!r} cannot be read {'day' if dayfirst else 'month'} first: "
                f"{text[row].strip()!r} in data row {_row(values, row)} would be in month "
                f"{month[row]}"
            )
        return TimeReading(dayfirst=dayfirst, example=example,
                           why=f"as {'--dayfirst' if dayfirst else '--monthfirst'} says")
    day_first_ok, month_first_ok = (second <= 12).all(), (first <= 12).all()
    if not (day_first_ok or month_first_ok):
        day_row, month_row = (first > 12).idxmax(), (second > 12).idxmax()
        raise InputError(
            f"the dates in {column!r} put the day first in some rows ({text[day_row].strip()!r}, "
            f"data row {_row(values, day_row)}) and the month first in others "
            f"({text[month_row].strip()!r}, data row {_row(values, month_row)}); fix them"
        )
    if day_first_ok != month_first_ok:
        telling = (first > 12) if day_first_ok else (second > 12)
        return TimeReading(dayfirst=bool(day_first_ok), example=text[telling.idxmax()].strip(),
                           why="the only reading that gives every value a month")
    if not differ.any():  # 01/01, 02/02: both readings agree
        return TimeReading(dayfirst=True)
    chosen = _better_fit(text)
    if chosen is None:
        raise InputError(
            f"the dates in {column!r} read both day first and month first (e.g. {example!r}: "
            f"{_read_as(example, True)} or {_read_as(example, False)}), and the rows do not tell "
            f"which; say it with {ORDER_OPTIONS}"
        )
    return TimeReading(dayfirst=chosen, example=example,
                       why="every value reads both ways, and this reading keeps the rows in "
                       "time order at the more regular steps")


def _better_fit(text):
    """True (day first), False (month first) or None: which reading fits the file's row order."""
    fits = {}
    for dayfirst in (True, False):
        stamps, _ = _to_datetime(_iso_dates(text, dayfirst))
        stamps = stamps.dropna().to_numpy()
        steps = np.diff(stamps).astype("timedelta64[ns]").astype(np.int64)
        if (steps < 0).any():  # goes back in time
            continue
        steps = steps[steps > 0]
        fits[dayfirst] = np.unique(steps, return_counts=True)[1].max() if len(steps) else 0
    if len(fits) == 1:
        return next(iter(fits))
    if len(fits) == 2 and fits[True] != fits[False]:
        return bool(fits[True] > fits[False])
    return None


def _read_as(value, dayfirst):
    """``'03/12/2026 13:05'`` -> ``'3 December 2026'`` (day first) or ``'12 March 2026'``."""
    stamp, _ = _to_datetime(_iso_dates(pd.Series([value]), dayfirst))
    return "an invalid date" if pd.isna(stamp[0]) else f"{stamp[0].day} {stamp[0]:%B %Y}"


def _row(values, label):
    """The 1-based data row of ``values``' entry ``label``."""
    return int(values.index.get_loc(label)) + 1


def prepare_series(frame, features, time_column=None, dayfirst=None, time_format=None):
    """Order the rows by time and fill short runs of missing values.

    Parameters
    ----------
    frame : DataFrame
        The table as read.
    features : list of str
        Its feature columns.
    time_column : str or None
        The timestamp column, or None to keep the file's row order.
    dayfirst : bool, optional
        ``--dayfirst`` (True) or ``--monthfirst`` (False); see :func:`choose_reading`.
    time_format : str, optional
        ``--time-format``: the ``strptime`` format of every timestamp.

    Returns
    -------
    series : Series
    """
    notes = []
    values = frame[features].astype(np.float64)
    order = np.arange(len(frame))
    reading = TimeReading()
    if time_column is not None:
        reading = choose_reading(frame[time_column], time_column, dayfirst, time_format)
        if reading.why is not None:
            notes.append(reading.describe(time_column))
        stamps, converted = reading.parse(frame[time_column])
        if converted:
            notes.append(f"{time_column} has several UTC offsets (e.g. a daylight-saving "
                         "change): times compared and shown in UTC")
        if stamps.isna().any():
            bad = int(stamps.isna().sum())
            first = int(np.flatnonzero(stamps.isna().to_numpy())[0]) + 1
            fix = ("fix them or correct --time-format" if time_format is not None else
                   "fix them, choose the column with --time-column or give --time-format")
            raise InputError(
                f"{bad} value(s) of the time column {time_column!r} are not dates, first in "
                f"data row {first} ({frame[time_column].iloc[first - 1]!r}); {fix}"
            )
        if not stamps.is_monotonic_increasing:
            order = np.argsort(stamps.to_numpy(), kind="stable")
            notes.append(f"rows were not in time order: scored in order of {time_column}")
        stamps = pd.DatetimeIndex(stamps.to_numpy()[order], name=str(time_column))
        values = values.iloc[order]
        values.index = stamps
        notes += _describe_spacing(stamps)
    else:
        values.index = pd.RangeIndex(len(values), name="row")
    values = _fill_missing(values, notes)
    return Series(frame=values, order=order, time_column=time_column, notes=notes,
                  reading=reading)


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


#: Without --train-rows, --train-until or --train-all, ``aeguard detect`` learns from this
#: leading share of the rows and scores every row online.
DEFAULT_TRAIN_SHARE = 1 / 3
#: ... but from at least this many rows (all of them in a shorter file), so that a window can
#: be chosen and learnt.
MIN_DEFAULT_TRAIN_ROWS = 64


def training_rows(series, train_rows=None, train_until=None, train_all=False, window=None):
    """How many leading rows (in time order) are the training part, or None for all.

    ``--train-rows N`` gives the count; ``--train-until TIMESTAMP`` counts the
    rows stamped at or before it; ``--train-all``: None (every row, trained
    robustly). None of them: the first third of the rows
    (:data:`DEFAULT_TRAIN_SHARE`), at least :data:`MIN_DEFAULT_TRAIN_ROWS` and two
    ``window`` lengths (when --window is given), at most all of them.
    """
    given = [name for name, value in (("--train-rows", train_rows),
                                      ("--train-until", train_until),
                                      ("--train-all", train_all or None)) if value is not None]
    if len(given) > 1:
        raise InputError(f"give only one of {', '.join(given)}")
    if train_all:
        return None
    if train_rows is not None:
        if not 2 <= train_rows <= len(series.frame):
            raise InputError(
                f"--train-rows must be between 2 and the {len(series.frame)} rows; got {train_rows}"
            )
        return train_rows
    if train_until is not None:
        if series.time_column is None:
            raise InputError("--train-until needs a time column (see --time-column)")
        parsed, _ = series.reading.parse(pd.Series([train_until]))
        if pd.isna(parsed[0]) and series.reading.time_format is not None:
            parsed, _ = TimeReading().parse(pd.Series([train_until]))  # e.g. ISO
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
    n_rows = len(series.frame)
    floor = max(MIN_DEFAULT_TRAIN_ROWS, 2 * (window or 0))
    return max(math.ceil(DEFAULT_TRAIN_SHARE * n_rows), min(n_rows, floor))
