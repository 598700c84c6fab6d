"""SeriesDetector and the windowing helpers: per-row scores for sensor series."""

import pickle

import numpy as np
import pandas as pd
import pytest

import aeguard
from aeguard import SeriesDetector
from aeguard import timeseries

PERIOD = 40
COLUMNS = ["temp", "pressure", "flow", "vibration"]
TRAIN_ROWS = 2000
#: Injected faults: (name, rows, column).
FAULTS = [
    ("spike", slice(2200, 2201), "pressure"),
    ("level shift", slice(2500, 2561), "flow"),
    ("frozen sensor", slice(2700, 2761), "vibration"),
]


def make_series(n_rows=3000, seed=0, faults=True):
    """Four noisy periodic sensors sharing one cycle, with a spike, a level shift and a frozen sensor."""
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * np.arange(n_rows) / PERIOD

    def noise():
        return 0.05 * rng.normal(size=n_rows)

    df = pd.DataFrame(
        {
            "temp": np.sin(phase) + noise(),
            "pressure": 0.5 * np.cos(phase) + noise(),
            "flow": 0.8 * np.sin(phase) + 0.3 + noise(),
            "vibration": np.sin(phase + 1) + noise(),
        },
        index=pd.date_range("2025-01-01", periods=n_rows, freq="min"),
    )
    if faults:
        df.iloc[2200, 1] += 2.5
        df.iloc[2500:2561, 2] += 1.0
        df.iloc[2700:2761, 3] = df.iloc[2700, 3]
    return df


@pytest.fixture(scope="module")
def series():
    return make_series()


@pytest.fixture(scope="module", params=["conv", "dense", "lstm", "vae"])
def fitted(request, series):
    det = SeriesDetector(model=request.param, train_size=TRAIN_ROWS, epochs=30, random_state=0)
    return det.fit(series)


@pytest.mark.parametrize("name, rows, column", FAULTS)
def test_series_flags_and_attributes_each_fault(fitted, series, name, rows, column):
    """A spike, a level shift and a frozen sensor are flagged and blamed on the right column."""
    scores = fitted.score_samples(series)
    errors = fitted.feature_scores(series)
    flagged = scores[rows] > fitted.threshold_
    assert flagged.mean() >= 0.5, f"{name}: only {flagged.mean():.0%} of its rows flagged"
    blamed = np.array(COLUMNS)[errors[rows].argmax(axis=1)]
    assert (blamed[flagged] == column).mean() >= 0.7, f"{name}: blamed {blamed[flagged]}"


def test_series_normal_rows_rarely_flagged(fitted, series):
    """Rows far from every fault stay under the threshold (false alarms under 1 %)."""
    scores = fitted.score_samples(series)
    normal = np.r_[scores[:2190], scores[2300:2490], scores[2600:2690], scores[2800:]]
    assert (normal > fitted.threshold_).mean() < 0.01


def test_series_intervals_name_the_fault_columns(fitted, series):
    """anomaly_intervals reports each fault with its index labels and its top column first."""
    intervals = fitted.anomaly_intervals(series)
    assert list(intervals.columns) == ["start", "end", "n_rows", "n_flagged", "peak_score",
                                       "peak_at", "top_columns", "is_open"]
    assert (intervals.n_flagged <= intervals.n_rows).all() and (intervals.n_flagged >= 1).all()
    for _, rows, column in FAULTS:
        first, last = series.index[rows.start], series.index[rows.stop - 1]
        hits = intervals[(intervals.start <= last) & (intervals.end >= first)]
        assert len(hits) == 1
        assert hits.top_columns.iloc[0].split(",")[0] == column
        assert hits.peak_score.iloc[0] > fitted.threshold_


def test_series_scoring_is_online(fitted, series):
    """A row's score depends only on rows up to it: truncating the future changes nothing."""
    full = fitted.score_samples(series)
    for end in (fitted.window_ + 5, 2230, 2600):
        np.testing.assert_array_equal(fitted.score_samples(series.iloc[:end]), full[:end])


def test_series_no_intervals_is_an_empty_typed_frame(fitted, series):
    """A series with nothing anomalous gives an empty frame that still sorts by peak score."""
    clean = series.iloc[:TRAIN_ROWS]
    intervals = fitted.detect(clean, threshold=np.inf).intervals
    assert len(intervals) == 0 and intervals["peak_score"].dtype == np.float64
    assert intervals["is_open"].dtype == bool
    assert len(intervals.nlargest(10, "peak_score")) == 0


def test_series_detect_is_the_separate_calls_in_one(fitted, series):
    """detect gives score_samples, predict, feature_scores and anomaly_intervals at once."""
    result = fitted.detect(series)
    np.testing.assert_array_equal(result.scores, fitted.score_samples(series))
    np.testing.assert_array_equal(result.is_anomaly, fitted.predict(series) == -1)
    np.testing.assert_array_equal(result.feature_scores, fitted.feature_scores(series))
    pd.testing.assert_frame_equal(result.intervals, fitted.anomaly_intervals(series))
    assert result.index.equals(series.index)
    assert result.threshold == fitted.threshold_
    assert result.threshold_rule == "1.5 x the 0.99 quantile of the training rows' scores"


def test_series_interval_open_at_the_end(fitted, series):
    """An anomaly still going on at the last row is an open interval; others are closed."""
    shifted = series.copy()
    shifted.iloc[-30:, 0] += 6.0  # a level shift that lasts to the end of the data
    intervals = fitted.detect(shifted).intervals
    last = intervals.iloc[-1]
    assert last.end == shifted.index[-1] and bool(last.is_open)
    assert last.top_columns.split(",")[0] == shifted.columns[0]
    assert not intervals.is_open.iloc[:-1].any()


def test_series_predict_and_decision_signs(fitted, series):
    """decision_function = threshold_ - score; predict is -1 exactly where it is negative."""
    scores = fitted.score_samples(series)
    np.testing.assert_allclose(fitted.decision_function(series), fitted.threshold_ - scores)
    np.testing.assert_array_equal(fitted.predict(series), np.where(scores > fitted.threshold_, -1, 1))


def test_series_auto_window_finds_the_period(fitted):
    """window='auto' picks the series' dominant period."""
    assert fitted.window_ == PERIOD


def test_series_save_load_and_pickle(fitted, series, tmp_path):
    """Model files and pickles score identically."""
    aeguard.save(fitted, tmp_path / "series.aeg")
    loaded = aeguard.load(tmp_path / "series.aeg")
    expected = fitted.score_samples(series)
    np.testing.assert_array_equal(loaded.score_samples(series), expected)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).score_samples(series), expected)
    assert loaded.window_ == fitted.window_ and loaded.threshold_ == fitted.threshold_


def test_series_contamination_threshold(series):
    """With contamination, about that fraction of the training rows is above the threshold."""
    det = SeriesDetector(train_size=TRAIN_ROWS, epochs=2, contamination=0.05, random_state=0)
    det.fit(series)
    above = det.score_samples(series)[:TRAIN_ROWS] > det.threshold_
    assert abs(above.mean() - 0.05) < 0.005


def test_series_reproducible(series):
    """The same random_state gives identical scores."""
    a = SeriesDetector(window=20, epochs=2, random_state=3).fit(series).score_samples(series)
    b = SeriesDetector(window=20, epochs=2, random_state=3).fit(series).score_samples(series)
    np.testing.assert_array_equal(a, b)


def test_series_bad_input(series):
    """Too-short series, bad train_size and text columns are clear errors."""
    with pytest.raises(ValueError, match="too few for a window of 40 rows"):
        SeriesDetector(window=40).fit(series.iloc[:30])
    with pytest.raises(ValueError, match="20 rows, too few for an automatic window"):
        SeriesDetector().fit(series.iloc[:20])
    with pytest.raises(ValueError, match="train_size=5000 is more than the 3000 rows"):
        SeriesDetector(train_size=5000).fit(series)
    with pytest.raises(TypeError, match=r"non-numeric columns \['site'\]"):
        SeriesDetector().fit(series.assign(site="a"))
    with pytest.raises(ValueError, match="'model' parameter of SeriesDetector"):
        SeriesDetector(model="transformer").fit(series)
    det = SeriesDetector(window=20, epochs=1, random_state=0).fit(series)
    with pytest.raises(ValueError, match="fewer than one window"):
        det.score_samples(series.iloc[:10])
    with pytest.raises(ValueError, match="feature names"):
        det.score_samples(series[COLUMNS[::-1]])


def test_series_smoothing_covers_an_intermittent_fault():
    """A fault on every other row: smoothing flags most of it; scores stay online and fixed at fit."""
    series = make_series(faults=False)
    series.iloc[2500:2600:2, 2] += 1.0  # "flow" jumps on every other row
    fault, normal = slice(2500, 2600), np.r_[0:2490, 2620:3000]
    kwargs = dict(window=20, epochs=5, train_size=TRAIN_ROWS, random_state=0)
    plain = SeriesDetector(smoothing=1, **kwargs).fit(series)
    smooth = SeriesDetector(smoothing=8, **kwargs).fit(series)
    plain_flags = plain.score_samples(series) > plain.threshold_
    scores = smooth.score_samples(series)
    smooth_flags = scores > smooth.threshold_
    assert plain_flags[fault].mean() < 0.6
    assert smooth_flags[fault].mean() > 0.8
    assert smooth_flags[normal].mean() <= plain_flags[normal].mean() + 0.005
    np.testing.assert_allclose(
        smooth.feature_scores(series),
        timeseries.trailing_mean(plain.feature_scores(series).astype(np.float32), 8),
        rtol=1e-5, atol=1e-7,
    )
    np.testing.assert_array_equal(smooth.score_samples(series.iloc[:2550]), scores[:2550])
    smooth.set_params(smoothing=1)
    np.testing.assert_array_equal(smooth.score_samples(series), scores)
    loaded = pickle.loads(pickle.dumps(smooth))
    np.testing.assert_array_equal(loaded.score_samples(series), scores)
    del plain.smoothing_  # as in a model saved before smoothing existed: rows scored alone
    np.testing.assert_array_equal(plain.score_samples(series) > plain.threshold_, plain_flags)


def test_series_scores_windows_in_bounded_chunks(series, monkeypatch):
    """Scoring runs the network on at most INFERENCE_CHUNK windows at a time, with the same
    scores."""
    from aeguard.networks import training as _training

    det = SeriesDetector(window=20, epochs=1, random_state=0).fit(series)
    expected = det.score_samples(series)
    sizes = []
    forward = _training.forward

    def counting_forward(model, X, *args, **kwargs):
        sizes.append(len(X))
        return forward(model, X, *args, **kwargs)

    monkeypatch.setattr(_training, "INFERENCE_CHUNK", 100)
    monkeypatch.setattr(_training, "forward", counting_forward)
    np.testing.assert_allclose(det.score_samples(series), expected, rtol=1e-5, atol=1e-7)
    assert max(sizes) <= 100 and sum(sizes) == len(series) - det.window_ + 1


def test_series_constant_column_does_not_break(series):
    """A constant sensor gives finite scores."""
    df = series.assign(valve=1.0)
    det = SeriesDetector(window=20, epochs=2, random_state=0).fit(df)
    assert np.isfinite(det.score_samples(df)).all()


# ------------------------------------------------------------------ helpers
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


def test_iter_windows_bounded_chunks():
    """Windows come in chunks of at most `chunk`, in order, each a copy of the right rows."""
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    got = list(timeseries.iter_windows(X, 4, chunk=3))
    assert [first for first, _ in got] == [0, 3, 6]
    assert [len(w) for _, w in got] == [3, 3, 1]
    np.testing.assert_array_equal(got[1][1][0], X[3:7])
