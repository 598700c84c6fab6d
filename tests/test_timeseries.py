"""The pure NumPy pieces of the series path: windows, errors to rows, smoothing, level,
calibration, alarms and intervals."""

import numpy as np
import pandas as pd
import pytest

from aeguard import timeseries


def test_auto_window_defaults_without_a_period():
    """White noise has no period: the default window is used."""
    noise = np.random.default_rng(0).normal(size=(2000, 3)).astype(np.float32)
    assert timeseries.auto_window(noise) == timeseries.DEFAULT_WINDOW
    with pytest.raises(ValueError, match="31 rows, too few for an automatic window"):
        timeseries.auto_window(noise[:31])
    assert timeseries.auto_window(noise[:32]) == timeseries.MIN_AUTO_WINDOW


def test_online_row_errors_mapping():
    """Row t takes the last step of the window ending at t; early rows come from the first window."""
    n_rows, window = 7, 3
    # errors[w, s] = 10 * (window start w) + step s, one column
    errors = (10 * np.arange(n_rows - window + 1)[:, None] + np.arange(window))[..., None]
    chunks = [(0, errors[:2]), (2, errors[2:])]
    out = timeseries.online_row_errors(chunks, n_rows, window, 1)[:, 0]
    np.testing.assert_array_equal(out, [0, 1, 2, 12, 22, 32, 42])


def test_trailing_mean_matches_a_rolling_mean():
    """Row t is the mean of rows t-span+1..t (fewer at the start); span 1 changes nothing."""
    errors = np.random.default_rng(0).random((50, 3)).astype(np.float32)
    expected = pd.DataFrame(errors).rolling(7, min_periods=1).mean().to_numpy()
    got = timeseries.trailing_mean(errors, 7)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert timeseries.trailing_mean(errors, 1) is errors
    np.testing.assert_array_equal(timeseries.trailing_mean(np.array([[0], [1]]), 2), [[0], [0.5]])
    with pytest.raises(ValueError, match="span must be at least 1 row; got 0"):
        timeseries.trailing_mean(errors, 0)
    with pytest.raises(ValueError, match="errors must be 2-D"):
        timeseries.trailing_mean(errors[:, 0], 3)


def test_trailing_mean_keeps_a_huge_error_local():
    """A 1e30 or infinite error changes only the windows that contain it, never later rows."""
    errors = np.random.default_rng(1).random((200, 2))
    clean = pd.DataFrame(errors).rolling(8, min_periods=1).mean().to_numpy()
    errors[50, 0], errors[120, 1] = 1e30, np.inf
    got = timeseries.trailing_mean(errors, 8)
    assert not np.isnan(got).any()
    np.testing.assert_allclose(np.r_[got[:50, 0], got[58:, 0]], np.r_[clean[:50, 0], clean[58:, 0]])
    assert np.isinf(got[120:128, 1]).all()
    np.testing.assert_allclose(np.r_[got[:120, 1], got[128:, 1]], np.r_[clean[:120, 1], clean[128:, 1]])


def test_flagged_intervals_merges_short_gaps():
    """Runs closer than max_gap normal rows are merged."""
    flags = np.zeros(20, bool)
    flags[[2, 3, 6, 12]] = True
    assert timeseries.flagged_intervals(flags) == [(2, 3), (6, 6), (12, 12)]
    assert timeseries.flagged_intervals(flags, max_gap=2) == [(2, 6), (12, 12)]
    assert timeseries.flagged_intervals(np.zeros(5, bool)) == []


def test_describe_intervals_ranks_columns_by_their_peak_in_the_interval():
    # Column "drifting" is high on every row (a slow drift); "broken" spikes once.
    errors = np.zeros((10, 3))
    errors[:, 0] = 0.8
    errors[6, 1] = 3.0
    errors[6, 2] = 0.5
    scores = errors.max(axis=1)
    frame = timeseries.describe_intervals([(2, 8)], scores, errors,
                                          ["drifting", "broken", "other"])
    row = frame.iloc[0]
    # Summed over the interval, "drifting" (5.6) would outrank "broken" (3.0).
    assert row.top_columns == "broken,drifting,other"
    assert row.peak_score == 3.0 and row.peak_at == 6


def test_iter_windows_bounded_chunks():
    """Windows come in chunks of at most `chunk`, in order, each a copy of the right rows."""
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    got = list(timeseries.iter_windows(X, 4, chunk=3))
    assert [first for first, _ in got] == [0, 3, 6]
    assert [len(w) for _, w in got] == [3, 3, 1]
    np.testing.assert_array_equal(got[1][1][0], X[3:7])


def test_level_term_scores_a_value_far_from_its_recent_level():
    """A jump scores at once, in units of the column's scale, and fades once it has lasted."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 2))
    X[2000:, 0] += 5.0  # a new level that lasts
    level = timeseries.level_term(X, 500, np.array([2.0, 1.0]))
    assert level[2000, 0] > 2.0 * (5.0 / 2.576) ** 2 * 0.5  # far above the noise's level
    assert np.median(level[1000:2000, 0]) < 0.2 * 2.0
    assert np.median(level[2600:, 0]) < 0.2 * 2.0  # 500 rows later it is the normal level
    assert np.median(level[:, 1]) < 0.2
    # Online: the first rows compare with training-like rows (mean 0, sd 1).
    np.testing.assert_allclose(level[0], X[0] ** 2 / timeseries.Z99_SQUARED * [2.0, 1.0])


def test_level_term_floors_the_recent_spread():
    """A sensor that sat still is surprised by a small change, but not infinitely."""
    X = np.zeros((1000, 1))
    X[900, 0] = 0.1
    level = timeseries.level_term(X, 500, np.ones(1))
    expected = (0.1 / timeseries.MIN_LEVEL_SD) ** 2 / timeseries.Z99_SQUARED
    assert np.isfinite(level).all() and level[900, 0] == pytest.approx(expected, rel=1e-6)


def test_score_history_trailing_quantile():
    """The quantile of the scores before each block; the training scores come first, then age out."""
    rng = np.random.default_rng(0)
    history = timeseries.ScoreHistory.fit(rng.exponential(size=2000))
    scores = np.r_[rng.exponential(size=3000), 100 * rng.exponential(size=3000)]
    q = history.trailing_quantile(scores, 0.5, window=1000, block=50)
    assert q[0] == pytest.approx(np.log(2), rel=0.05)  # the training median
    assert q[2500] == pytest.approx(np.log(2), rel=0.1)
    assert q[5500] == pytest.approx(100 * np.log(2), rel=0.1)  # the new scale, 1000 rows on
    assert (q[:50] == q[0]).all()  # one value per block
    # Online: the scores of a block and later never change its quantile.
    later = scores.copy()
    later[3000:] = 0
    np.testing.assert_array_equal(history.trailing_quantile(later, 0.5, 1000, 50)[:3000],
                                  q[:3000])


def test_held_alarms_open_and_hold():
    """An alarm opens where opens, stays while holds, and closes on a row with neither."""
    opens = np.array([0, 1, 0, 0, 0, 0, 1, 0], bool)
    holds = np.array([1, 1, 1, 1, 0, 1, 0, 0], bool)
    np.testing.assert_array_equal(timeseries.held_alarms(opens, holds),
                                  [0, 1, 1, 1, 0, 0, 1, 0])


def test_held_alarms_close_after_max_quiet_rows_without_an_opening_row():
    """A hold that never ends still closes max_quiet rows after the last opening row."""
    opens = np.zeros(20, bool)
    opens[[2, 8]] = True
    holds = np.ones(20, bool)
    np.testing.assert_array_equal(timeseries.held_alarms(opens, holds), np.arange(20) >= 2)
    in_alarm = timeseries.held_alarms(opens, holds, max_quiet=3)
    np.testing.assert_array_equal(np.flatnonzero(in_alarm), [2, 3, 4, 5, 8, 9, 10, 11])
    with pytest.raises(ValueError, match="max_quiet"):
        timeseries.held_alarms(opens, holds, max_quiet=0)


def test_score_history_clip_keeps_a_fault_from_hiding_the_next():
    """With clip, a burst of huge scores lifts the quantile at most clip-fold per block."""
    rng = np.random.default_rng(0)
    history = timeseries.ScoreHistory.fit(rng.exponential(size=2000))
    scores = rng.exponential(size=3000)
    scores[1000:1100] = 1e6  # a long fault
    plain = history.trailing_quantile(scores, 0.99, window=2000, block=50)
    clipped = history.trailing_quantile(scores, 0.99, window=2000, block=50, floor=1.0, clip=2.0)
    assert plain[1500] > 1e5  # without the clip, the history is the fault's
    level_before = clipped[950]
    n_blocks = 2  # the fault spans two blocks of 50 rows
    assert clipped[1500] <= 1.03 * 2.0 ** n_blocks * max(1.0, level_before)
    np.testing.assert_array_equal(clipped[:1000], plain[:1000])


def test_score_history_puts_infinite_and_missing_scores_in_the_end_bins():
    """An infinite score counts as the highest, NaN as the lowest, never the other way round."""
    history = timeseries.ScoreHistory.fit(np.r_[np.ones(100), np.inf])
    assert history.counts[-1] == 1 and history.counts.sum() == 101
    q = history.trailing_quantile(np.r_[np.ones(50), np.full(50, np.nan)], 1.0, 1000, 50)
    assert np.isfinite(q).all() and q[-1] >= q[0]


def test_spread_log_ratio_sees_a_frozen_sensor_online():
    """A column that stops moving falls to the floor; a lively one stays near 0; online."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2))
    X[600:700, 1] = X[600, 1]  # frozen
    reference = timeseries.mean_squared_steps(X[:400])
    ratio = timeseries.spread_log_ratio(X, 32, reference)
    assert (ratio <= 0).all()
    assert ratio[632:700, 1] == pytest.approx(np.log(timeseries.MIN_SPREAD_RATIO))
    assert np.median(ratio[:600, 1]) > -0.2 and np.median(ratio[:, 0]) > -0.2
    assert ratio[750:, 1].min() > -1.0  # moving again: back near its usual spread
    np.testing.assert_array_equal(timeseries.spread_log_ratio(X[:650], 32, reference),
                                  ratio[:650])


def test_spread_term_is_zero_for_a_column_constant_in_training():
    X = np.zeros((200, 2))
    X[:, 0] = np.sin(np.arange(200) / 3)
    X[150:, 1] = 1.0  # the constant column changes: a level matter, not a spread one
    reference = timeseries.mean_squared_steps(X[:100])
    assert reference[1] == 0
    term = timeseries.spread_term(X, 32, reference, np.ones(2), np.ones(2))
    assert np.isfinite(term).all() and (term[:, 1] == 0).all()


def test_run_lengths_count_the_rows_before_that_hold_the_value_online():
    x = np.array([1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 1.0])
    np.testing.assert_array_equal(timeseries.run_lengths(x), [0, 1, 2, 0, 0, 1, 0])
    for k in range(1, len(x)):
        np.testing.assert_array_equal(timeseries.run_lengths(x[:k]), timeseries.run_lengths(x)[:k])
    assert timeseries.run_lengths(np.array([])).shape == (0,)


def test_run_statistics_give_the_longest_run_and_what_a_repeat_tells():
    X = np.zeros((11, 3))
    X[:, 0] = np.arange(11)  # never repeats
    X[:, 1] = [0, 0, 0, 1, 2, 2, 3, 4, 5, 6, 7]  # three repeats, the longest run 2
    # column 2: constant, so its longest run has not ended: its length is unknown
    longest, rate = timeseries.run_statistics(X)
    assert longest[0] == 0 and longest[1] == 2 and longest[2] == np.inf
    np.testing.assert_allclose(rate, -np.log(np.array([1.0, 4.0, 11.0]) / 12))
    X[-1, 2] = 1.0  # the constant run ends inside the part: now it is known
    assert timeseries.run_statistics(X)[0][2] == 9


def test_run_term_counts_repeats_beyond_the_reference_up_to_the_cap():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    X[400:500, 0] = X[399, 0]  # frozen: the row before and 100 rows hold one value
    longest, rate = timeseries.run_statistics(X[:300])
    assert (longest == 0).all()  # continuous noise never repeats
    reference = 2 * (longest + 1) - 1
    term = timeseries.run_term(X, reference, rate, np.ones(2), cap=50.0)
    assert (term[:401] == 0).all() and (term[500:] == 0).all() and (term[:, 1] == 0).all()
    unit = 2 * rate[0] / timeseries.Z99_SQUARED  # what one repeat beyond the reference adds
    np.testing.assert_allclose(term[401:404, 0], [unit, 2 * unit, 3 * unit])
    assert np.diff(term[400:500, 0]).min() >= 0 and term[499, 0] == 50.0
    never = timeseries.run_term(X, np.full(2, np.inf), rate, np.ones(2), cap=50.0)
    assert (never == 0).all()


def test_run_term_stays_quiet_on_a_sensor_that_repeats_by_nature():
    """A coarse sensor repeats its readings; runs as long as training's are not news."""
    rng = np.random.default_rng(0)
    x = np.round(np.cumsum(0.03 * rng.normal(size=20_000)), 1)[:, None]  # a slow, coarse reading
    longest, rate = timeseries.run_statistics(x[:2000])
    assert 10 < longest[0] < np.inf
    # Ten times as many rows hold longer runs than training did (75 rows here), but not
    # twice as long ones.
    assert np.count_nonzero(timeseries.run_term(x, longest, rate, np.ones(1), cap=50.0)) > 20
    term = timeseries.run_term(x, 2 * (longest + 1) - 1, rate, np.ones(1), cap=50.0)
    assert np.count_nonzero(term) < 0.001 * len(x)
