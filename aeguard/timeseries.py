"""Windowing for sensor series: window length, batched windows, window-to-row scores,
smoothing, the level term and the calibration of scores against their history, intervals.

Pure NumPy and pandas; the estimator that uses these is
:class:`aeguard.SeriesDetector`.
"""

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

#: Window length when the series shows no clear period.
DEFAULT_WINDOW = 32
#: Bounds of an automatically chosen window.
MIN_AUTO_WINDOW, MAX_AUTO_WINDOW = 16, 288
#: Fewest training rows for an automatic window: as many windows to learn from as rows in one.
MIN_AUTO_TRAINING_ROWS = 2 * MIN_AUTO_WINDOW
#: A period counts as dominant when the autocorrelation at that lag reaches this.
MIN_PERIOD_ACF = 0.3


def auto_window(Xs):
    """Window length from the series' dominant period, or :data:`DEFAULT_WINDOW`.

    The autocorrelation of each (standardised) column is averaged over the
    columns; the dominant period is the lag of its highest peak after the first
    zero crossing, if that peak reaches :data:`MIN_PERIOD_ACF`. One period
    per window lets the autoencoder see a whole cycle. The result is clipped
    to [:data:`MIN_AUTO_WINDOW`, :data:`MAX_AUTO_WINDOW`] and to half of the
    series (so that at least as many windows as rows per window are left to
    train on).

    Parameters
    ----------
    Xs : ndarray of shape (n_rows, n_columns)
        The training part of the series, standardised per column.

    Returns
    -------
    window : int

    Raises
    ------
    ValueError
        If ``Xs`` has fewer than :data:`MIN_AUTO_TRAINING_ROWS` rows.
    """
    n = len(Xs)
    if n < MIN_AUTO_TRAINING_ROWS:
        raise ValueError(
            f"The training part has {n} rows, too few for an automatic window (at least "
            f"{MIN_AUTO_WINDOW} rows, and as many windows to learn from): give at least "
            f"{MIN_AUTO_TRAINING_ROWS} rows, or a window."
        )
    upper = min(MAX_AUTO_WINDOW, n // 2)
    centred = Xs - Xs.mean(axis=0)
    size = 1 << int(np.ceil(np.log2(2 * n)))
    spectrum = np.fft.rfft(centred, n=size, axis=0)
    acf = np.fft.irfft(spectrum * np.conj(spectrum), n=size, axis=0)[: upper + 1]
    power = acf[0]
    acf = (acf[:, power > 0] / power[power > 0]).mean(axis=1) if (power > 0).any() else acf[:, 0]
    below = np.flatnonzero(acf <= 0)
    if len(below) == 0 or below[0] >= upper:
        return min(DEFAULT_WINDOW, upper)
    lag = below[0] + int(np.argmax(acf[below[0] :]))
    if acf[lag] < MIN_PERIOD_ACF:
        return min(DEFAULT_WINDOW, upper)
    return int(np.clip(lag, MIN_AUTO_WINDOW, upper))


def training_windows(Xs, window, stride):
    """All windows of ``Xs`` starting every ``stride`` rows, as a (n_windows, window, n_columns) copy."""
    view = sliding_window_view(Xs, window, axis=0)[::stride]  # (n_windows, n_columns, window)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


def iter_windows(Xs, window, chunk):
    """Yield ``(first, windows)``: consecutive windows of ``Xs`` (stride 1), ``chunk`` at a time.

    Only one chunk of windows is materialised at once, so memory stays
    bounded however long the series is. ``windows[i]`` covers rows
    ``first + i`` to ``first + i + window - 1``.
    """
    view = sliding_window_view(Xs, window, axis=0)
    for first in range(0, len(view), chunk):
        yield first, np.ascontiguousarray(view[first : first + chunk].transpose(0, 2, 1))


def online_row_errors(window_errors_chunks, n_rows, window, n_columns):
    """Map per-window, per-step errors to one error per row and column, online.

    Row ``t`` takes its error from the window that ends at ``t`` (its last
    step), so a row's score depends only on rows up to and including it: the
    same fitted detector can score a live stream. The first ``window - 1``
    rows, which no window ends at, take their errors from the first window
    (the only place they are seen with look-ahead).

    Parameters
    ----------
    window_errors_chunks : iterable of (first, errors)
        ``errors`` of shape (n_windows, window, n_columns) for the windows
        starting at rows ``first``, ``first + 1``, ...
    n_rows, window, n_columns : int

    Returns
    -------
    errors : ndarray of shape (n_rows, n_columns)
    """
    out = np.empty((n_rows, n_columns), dtype=np.float32)
    for first, errors in window_errors_chunks:
        if first == 0:
            out[: window - 1] = errors[0, : window - 1]
        out[first + window - 1 : first + window - 1 + len(errors)] = errors[:, -1]
    return out


def trailing_mean(errors, span):
    """Mean of each row with the ``span - 1`` rows before it (fewer at the start).

    A trailing (causal) mean: row ``t`` uses rows ``t - span + 1`` to ``t``
    only, so scores stay online. The first ``span - 1`` rows average the rows
    there are. Sums never reach beyond one window: rows are taken in blocks
    of ``span``, and each window is the tail of one block plus the head of the
    next, so a huge or infinite error changes only the windows that contain
    it (running totals over the whole series would lose every later row to
    round-off, or to inf - inf).

    Parameters
    ----------
    errors : ndarray of shape (n_rows, n_columns)
    span : int
        Rows averaged, at least 1.

    Returns
    -------
    smoothed : ndarray of shape (n_rows, n_columns)
        Floating point: errors' dtype if it is one (float32 stays float32),
        else float64. ``span=1`` returns ``errors`` itself when it is floating.
    """
    errors = np.asarray(errors)
    if errors.ndim != 2:
        raise ValueError(f"errors must be 2-D (rows, columns); got shape {errors.shape}")
    if span < 1:
        raise ValueError(f"span must be at least 1 row; got {span}")
    dtype = errors.dtype if np.issubdtype(errors.dtype, np.floating) else np.float64
    if span == 1:
        return errors.astype(dtype, copy=False)
    n_rows = len(errors)
    n_blocks = -(-n_rows // span)
    counts = np.minimum(np.arange(1, n_rows + 1), span)
    smoothed = np.empty(errors.shape, dtype=dtype)
    column = np.zeros(n_blocks * span)  # float64, one column at a time bounds the memory
    for j in range(errors.shape[1]):
        column[:n_rows] = errors[:, j]
        blocks = column.reshape(n_blocks, span)
        sums = np.cumsum(blocks, axis=1)  # block b's rows up to row i of it
        tails = np.cumsum(blocks[:, ::-1], axis=1)[:, ::-1]  # block b's rows from row i on
        # Row i < span - 1 of block b also covers block b - 1 from its row i + 1 on.
        sums[1:, :-1] += tails[:-1, 1:]
        smoothed[:, j] = sums.reshape(-1)[:n_rows] / counts
    return smoothed


#: The squared two-sided 0.99 point of a Gaussian: a trailing z-score of 2.576 counts as
#: much as a reconstruction error at the column's 0.99 training quantile.
Z99_SQUARED = 2.5758293035489004 ** 2
#: Floor of the trailing standard deviation in the level term, in training standard
#: deviations: a sensor that sat still for a while is not infinitely surprised by noise.
MIN_LEVEL_SD = 0.05


def level_term(Xs, window, scale):
    """How far each value is from the level of the ``window`` rows before it, per column.

    ``((x_t - mean) / sd)**2 / 2.576**2 * scale``: a trailing z-score, squared,
    in units of ``scale`` (the column's 0.99 training error quantile), so a
    value 2.576 trailing standard deviations from its recent level adds as
    much as a reconstruction error at that quantile. The mean and the
    standard deviation are those of the ``window`` rows before ``t`` (only
    earlier rows: online); rows missing at the start of the series count as
    training rows (mean 0, variance 1 in standardised units). The standard
    deviation is floored at :data:`MIN_LEVEL_SD`.

    This is what makes a value far from recent behaviour score, however well
    the window's shape is reconstructed (a temperature that falls from 98 to
    6 degrees along a smooth curve), and it fades once a new level has lasted
    ``window`` rows.

    Parameters
    ----------
    Xs : ndarray of shape (n_rows, n_columns)
        Standardised values, rows in time order.
    window : int
        Rows of recent history.
    scale : ndarray of shape (n_columns,)
        Each column's unit of error.

    Returns
    -------
    level : ndarray of shape (n_rows, n_columns), float64
    """
    scale = np.asarray(scale, dtype=np.float64)
    Xs = np.asarray(Xs)
    n_rows = len(Xs)
    counts = np.minimum(np.arange(1, n_rows + 1), window)
    n_real = np.minimum(np.arange(n_rows), window)  # real rows before t in its window
    level = np.empty(Xs.shape, dtype=np.float64)
    for j in range(Xs.shape[1]):  # one column at a time bounds the memory
        column = Xs[:, j].astype(np.float64)[:, None]
        # Sums over the rows t - window + 1 .. t, shifted by one row: the rows before t.
        sums = np.r_[0.0, (trailing_mean(column, window)[:, 0] * counts)[:-1]]
        squares = np.r_[0.0, (trailing_mean(np.square(column), window)[:, 0] * counts)[:-1]]
        mean = sums / window
        variance = (squares + (window - n_real)) / window - np.square(mean)
        sd = np.maximum(np.sqrt(np.maximum(variance, 0.0)), MIN_LEVEL_SD)
        level[:, j] = np.square((column[:, 0] - mean) / sd) * (scale[j] / Z99_SQUARED)
    return level


#: A column's recent spread counts only down to this fraction of its usual spread
#: (a frozen sensor's zero spread is that far below, not infinitely far).
MIN_SPREAD_RATIO = 1e-2


def mean_squared_steps(Xs):
    """Each column's mean squared row-to-row step: its usual spread, for :func:`spread_term`.

    Parameters
    ----------
    Xs : ndarray of shape (n_rows, n_columns)
        Standardised values, rows in time order, at least two rows.

    Returns
    -------
    reference : ndarray of shape (n_columns,), float64
    """
    steps = np.diff(np.asarray(Xs, dtype=np.float64), axis=0)
    return np.square(steps).mean(axis=0)


def spread_log_ratio(Xs, window, reference):
    """How far each column's recent spread is below its usual one: ``min(log(v / reference), 0)``.

    ``v`` is the mean squared row-to-row step over the ``window`` rows ending
    at ``t`` (online); steps missing at the start of the series count as
    ``reference``. ``v`` is floored at :data:`MIN_SPREAD_RATIO` x
    ``reference``; a column whose reference is 0 (constant in training)
    gets 0 everywhere.

    Parameters
    ----------
    Xs : ndarray of shape (n_rows, n_columns)
        Standardised values, rows in time order.
    window : int
        Rows of the recent spread.
    reference : ndarray of shape (n_columns,)
        Each column's usual mean squared step (:func:`mean_squared_steps`).

    Returns
    -------
    log_ratio : ndarray of shape (n_rows, n_columns), float64, at most 0
    """
    reference = np.asarray(reference, dtype=np.float64)
    Xs = np.asarray(Xs, dtype=np.float64)
    steps = np.square(np.diff(Xs, axis=0, prepend=Xs[:1]))
    steps[0] = reference  # no row before the first: a usual step
    n_rows = len(Xs)
    counts = np.minimum(np.arange(1, n_rows + 1), window)
    recent = (trailing_mean(steps, window) * counts[:, None]
              + (window - counts)[:, None] * reference) / window
    usable = reference > 0
    floor = np.where(usable, MIN_SPREAD_RATIO * reference, 1.0)
    ratio = np.maximum(recent, floor) / np.where(usable, reference, 1.0)
    return np.where(usable, np.minimum(np.log(ratio), 0.0), 0.0)


def spread_term(Xs, window, reference, unit, scale):
    """A column's recent spread fallen below its usual one, in units of the column's error.

    ``log_ratio**2 / unit * scale``, with ``log_ratio`` from
    :func:`spread_log_ratio`: a sensor that stops moving (frozen, or a valve
    stuck in place) scores, although each of its values looks normal and a
    flat window is easy to reconstruct. ``unit`` is the 0.99 training
    quantile of ``log_ratio**2``, so a drop as far as the training's 1 %
    most extreme ones adds ``scale``; a rise in spread (a noise burst) is
    left to the reconstruction error, which sees it.

    Parameters
    ----------
    Xs : ndarray of shape (n_rows, n_columns)
    window : int
    reference, unit, scale : ndarray of shape (n_columns,)

    Returns
    -------
    spread : ndarray of shape (n_rows, n_columns), float64
    """
    log_ratio = spread_log_ratio(Xs, window, reference)
    return np.square(log_ratio) / np.asarray(unit, dtype=np.float64) * np.asarray(scale)


def run_lengths(x):
    """Rows in a row before each row that hold its value, online.

    Parameters
    ----------
    x : ndarray of shape (n_rows,)
        One column, rows in time order.

    Returns
    -------
    lengths : ndarray of shape (n_rows,), int64
        0 where the value differs from the row before (and at the first row);
        ``k`` where it equals the ``k`` rows before it.
    """
    x = np.asarray(x)
    rows = np.arange(len(x), dtype=np.int64)
    changed = np.ones(len(x), dtype=bool)
    changed[1:] = x[1:] != x[:-1]
    return rows - np.maximum.accumulate(np.where(changed, rows, 0))


def run_statistics(Xs):
    """Each column's longest run of a repeated value, and how rare a repeat is.

    Parameters
    ----------
    Xs : ndarray of shape (n_rows, n_columns)
        The training part, rows in time order.

    Returns
    -------
    longest : ndarray of shape (n_columns,), float64
        The largest :func:`run_lengths` of each column; inf where the part ends
        inside its longest run (a column constant in training), whose length is
        then unknown.
    rate : ndarray of shape (n_columns,), float64
        ``-log p`` in nats, with ``p`` the share of rows that repeat the row
        before, ``(repeats + 1) / (n_rows + 1)``: what each repeated row tells
        when rows repeat at random, so a sensor that never repeated in training
        says most by holding a value.
    """
    Xs = np.asarray(Xs)
    longest = np.zeros(Xs.shape[1])
    rate = np.zeros(Xs.shape[1])
    for j in range(Xs.shape[1]):
        lengths = run_lengths(Xs[:, j])
        top = int(lengths.max()) if len(lengths) else 0
        ongoing = top > 0 and lengths[-1] == top
        longest[j] = np.inf if ongoing else top
        repeats = np.count_nonzero(lengths)
        rate[j] = -np.log((repeats + 1.0) / (len(Xs) + 1.0))
    return longest, rate


def run_term(Xs, reference, rate, scale, cap):
    """A column holding one value for longer than ``reference`` rows, in units of its error.

    ``min(2 * (L - reference) * rate / 2.576**2 * scale, cap)`` where the run
    length ``L`` (:func:`run_lengths`) exceeds ``reference``, else 0:
    ``(L - reference) * rate`` is how unlikely the extra repeats are (in nats,
    were rows to repeat at random), and 2.576**2 / 2 nats, the surprise of a
    Gaussian value at its two-sided 0.99 point, adds as much as ``scale`` (the
    column's 0.99 training error quantile), as in :func:`level_term`. A frozen
    sensor or a stuck valve scores even where the spread term cannot tell its
    flat line from the column's quiet stretches.

    Parameters
    ----------
    Xs : ndarray of shape (n_rows, n_columns)
    reference, rate, scale : ndarray of shape (n_columns,)
        Run length beyond which rows count (inf: never), nats per repeated row
        (:func:`run_statistics`), and each column's unit of error.
    cap : float
        The most a row's run adds, in the units of ``scale``.

    Returns
    -------
    run : ndarray of shape (n_rows, n_columns), float64
    """
    term = np.zeros(np.shape(Xs))
    for j in np.flatnonzero(np.isfinite(reference)):
        excess = run_lengths(Xs[:, j]) - reference[j]
        rows = excess > 0
        term[rows, j] = np.minimum(2 * excess[rows] * rate[j] / Z99_SQUARED * scale[j], cap)
    return term


class ScoreHistory:
    """The distribution of a detector's scores on a log scale: a histogram of fixed bins.

    Learnt from the training scores (:meth:`fit`); :meth:`trailing_quantile`
    then gives each row the quantile of the scores before it, the training
    scores counting as the rows just before the series. Its state is three
    numbers and one array of counts, which model files store.

    Parameters
    ----------
    low : float
        Natural log of the lowest bin's lower edge.
    width : float
        Bin width in natural-log units (0.02: 2 % steps).
    counts : ndarray of int
        The training scores' histogram.
    """

    #: Bin width (natural log), and the span of the bins (natural log) above ``low``.
    WIDTH, SPAN = 0.02, 60.0

    def __init__(self, low, width, counts):
        self.low, self.width = float(low), float(width)
        self.counts = np.asarray(counts, dtype=np.int64)

    @classmethod
    def fit(cls, scores):
        """Bins that start 10 nats below the training scores' 0.001 quantile."""
        scores = np.asarray(scores, dtype=np.float64)
        positive = scores[scores > 0]
        floor = float(np.quantile(positive, 0.001)) if len(positive) else 1e-12
        low = np.log(max(floor, 1e-300)) - 10.0
        history = cls(low, cls.WIDTH, np.zeros(int(np.ceil(cls.SPAN / cls.WIDTH)), np.int64))
        history.counts = np.bincount(history._bins(scores), minlength=len(history.counts))
        return history

    def _bins(self, scores):
        scores = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=0.0,
                               posinf=np.finfo(np.float64).max)  # inf: the top bin
        logs = np.log(np.maximum(scores, 1e-300))
        return np.clip(((logs - self.low) / self.width).astype(np.int64), 0,
                       len(self.counts) - 1)

    def trailing_quantile(self, scores, q, window, block, floor=0.0, clip=None):
        """For the rows of each block of ``block`` rows, the ``q`` quantile of the scores before it.

        The history is the blocks that end at most ``window`` rows before
        the block starts (so between ``window`` and ``window + block`` rows),
        plus the training scores until a block starts more than ``window``
        rows into the series (they are the rows just before it). Quantiles
        are bin upper edges (2 % resolution). Online, and O(n_rows) time.

        Parameters
        ----------
        scores : ndarray of shape (n_rows,)
        q : float
        window, block : int
        floor : float, default=0.0
            The lowest level a block's quantile is taken to be, for ``clip``.
        clip : float, default=None
            If given, a row enters the history as at most ``clip`` times its
            block's level (``max(floor, quantile)``): a fault lifts the level
            at most ``clip``-fold per block of rows, so a short fault does not
            hide the next one behind it, while a lasting change of the normal
            level is still followed within a few blocks.

        Returns
        -------
        quantiles : ndarray of shape (n_rows,)
        """
        scores = np.asarray(scores, dtype=np.float64)
        bins = self._bins(scores)
        upper = np.exp(self.low + (np.arange(len(self.counts)) + 1) * self.width)
        counts = self.counts.copy()
        ring = [(0, self.counts)]  # (row after the block, its histogram), oldest first
        out = np.empty(len(scores))
        for start in range(0, len(scores), block):
            stop = min(start + block, len(scores))
            while ring and ring[0][0] < start - window:
                counts -= ring.pop(0)[1]
            cumulative = np.cumsum(counts)
            if cumulative[-1] == 0:
                out[start:stop] = 0.0
            else:
                j = int(np.searchsorted(cumulative, q * cumulative[-1]))
                out[start:stop] = upper[min(j, len(upper) - 1)]
            if clip is None:
                histogram = np.bincount(bins[start:stop], minlength=len(counts))
            else:
                cap = clip * max(floor, out[start])
                histogram = np.bincount(self._bins(np.minimum(scores[start:stop], cap)),
                                        minlength=len(counts))
            counts += histogram
            ring.append((stop, histogram))
        return out


def held_alarms(opens, holds, max_quiet=None):
    """Rows in an alarm: an alarm opens on a row where ``opens``, and stays open while ``holds``.

    Hysteresis: a sustained fault whose score flickers around the threshold
    is one alarm, not many, and the alarm closes when the data are back to
    normal (``holds`` false on a row that does not open one). With
    ``max_quiet``, an alarm also closes once ``max_quiet`` rows in a row have
    not opened one, however long ``holds`` stays true: a lasting change that
    no longer reaches the threshold ends its alarm.

    Parameters
    ----------
    opens, holds : ndarray of shape (n_rows,), dtype bool
    max_quiet : int, default=None
        The most rows an alarm is held without a row that opens one. None:
        no limit.

    Returns
    -------
    in_alarm : ndarray of shape (n_rows,), dtype bool
        ``opens[t] or (holds[t] and in_alarm[t - 1])``, with ``holds[t]``
        also requiring an opening row among the ``max_quiet`` rows before
        ``t`` when ``max_quiet`` is given.
    """
    opens, holds = np.asarray(opens, dtype=bool), np.asarray(holds, dtype=bool)
    rows = np.arange(len(opens))
    last_open = np.maximum.accumulate(np.where(opens, rows, -1))
    if max_quiet is not None:
        if max_quiet < 1:
            raise ValueError(f"max_quiet must be at least 1 row; got {max_quiet}")
        holds = holds & (last_open >= 0) & (rows - last_open <= max_quiet)
    last_break = np.maximum.accumulate(np.where(~opens & ~holds, rows, -1))
    return last_open > last_break


def flagged_intervals(is_anomaly, max_gap=0):
    """Runs of flagged rows as (start, end) positions, inclusive.

    Runs separated by at most ``max_gap`` unflagged rows are merged into one.
    """
    rows = np.flatnonzero(is_anomaly)
    if len(rows) == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) > max_gap + 1)
    starts = np.r_[rows[0], rows[breaks + 1]]
    ends = np.r_[rows[breaks], rows[-1]]
    return list(zip(starts.tolist(), ends.tolist()))


def columns_by_peak(feature_errors):
    """Column positions ordered by each column's largest error over the rows, largest first.

    The order in which an interval names its columns: the first is the column behind the
    interval's peak score, and a column that is merely high all along (a slow drift
    elsewhere) does not outrank the one that broke, as it would by summed error. Ties keep
    the column order.

    Parameters
    ----------
    feature_errors : ndarray of shape (n_rows, n_columns)

    Returns
    -------
    order : ndarray of shape (n_columns,), int
    """
    return np.argsort(-np.asarray(feature_errors).max(axis=0), kind="stable")


def describe_intervals(intervals, scores, feature_errors, columns, index=None, n_top=3,
                       flags=None):
    """One row per interval: where it starts and ends, its size, its peak and its columns.

    Parameters
    ----------
    intervals : list of (start, end)
        Row positions, inclusive, as :func:`flagged_intervals` returns them.
    scores : ndarray of shape (n_rows,)
        Each row's score.
    feature_errors : ndarray of shape (n_rows, n_columns)
        Each row's per-column errors.
    columns : list of str
        Column names.
    index : array-like of shape (n_rows,), default=None
        Row labels for ``start``, ``end`` and ``peak_at``; None: positions.
    n_top : int, default=3
        Columns named per interval.
    flags : ndarray of shape (n_rows,), dtype bool, default=None
        Which rows are flagged, for ``n_flagged``; None: every row of an
        interval counts as flagged.

    Returns
    -------
    intervals : DataFrame
        ``start``, ``end``, ``n_rows`` (rows from start to end, including
        short gaps merged into the interval), ``n_flagged`` (of those, rows
        flagged), ``peak_score``, ``peak_at``, ``top_columns`` (ranked by
        each column's peak error in the interval, :func:`columns_by_peak`,
        most important first, comma-separated) and ``is_open`` (the interval runs to the last row,
        so the anomaly had not ended when the data did).
    """
    n_rows = len(scores)
    index = np.arange(n_rows) if index is None else np.asarray(index)
    records = []
    for start, end in intervals:
        peak = start + int(np.argmax(scores[start : end + 1]))
        top = [columns[j] for j in columns_by_peak(feature_errors[start : end + 1])[:n_top]]
        records.append(
            {
                "start": index[start],
                "end": index[end],
                "n_rows": end - start + 1,
                "n_flagged": (end - start + 1 if flags is None
                              else int(np.count_nonzero(flags[start : end + 1]))),
                "peak_score": float(scores[peak]),
                "peak_at": index[peak],
                "top_columns": ",".join(top),
                "is_open": end == n_rows - 1,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=INTERVAL_COLUMNS)
    # Typed even when empty, so callers can sort and select without special cases.
    return frame.astype({"n_rows": np.int64, "n_flagged": np.int64, "peak_score": np.float64,
                         "top_columns": object, "is_open": bool})


#: The columns of :func:`describe_intervals`' frame.
INTERVAL_COLUMNS = ["start", "end", "n_rows", "n_flagged", "peak_score", "peak_at",
                    "top_columns", "is_open"]
