"""SeriesDetector and the windowing helpers: per-row scores for sensor series."""

import pickle

import numpy as np
import pandas as pd
import pytest

import aeguard
from aeguard import SeriesDetector, timeseries

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
    # The LSTM learns in fewer epochs, each several times slower on a CPU.
    epochs = 15 if request.param == "lstm" else 30
    det = SeriesDetector(model=request.param, train_size=TRAIN_ROWS, epochs=epochs,
                         random_state=0)
    return det.fit(series)


@pytest.mark.parametrize("name, rows, column", FAULTS)
def test_series_flags_and_attributes_each_fault(fitted, series, name, rows, column):
    """A spike, a level shift and a frozen sensor are flagged (in detect's alarms) and blamed
    on the right column."""
    result = fitted.detect(series)
    errors = result.feature_scores
    flagged = result.is_anomaly[rows]
    assert flagged.mean() >= 0.5, f"{name}: only {flagged.mean():.0%} of its rows flagged"
    # Blame is read where the score itself is above the threshold (held rows score below it).
    above = result.scores[rows] > result.threshold
    assert above.any(), f"{name}: no row above the threshold"
    blamed = np.array(COLUMNS)[errors[rows].argmax(axis=1)]
    assert (blamed[above] == column).mean() >= 0.7, f"{name}: blamed {blamed[above]}"


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
        # Equal to float32 rounding: the network's kernels may round a window's
        # output differently when it is computed in a batch of another size.
        np.testing.assert_allclose(fitted.score_samples(series.iloc[:end]), full[:end],
                                   rtol=1e-5, atol=0)


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
    above = fitted.predict(series) == -1
    assert result.is_anomaly[above].all()  # every row above the threshold opens or is in an alarm
    for start, _ in timeseries.flagged_intervals(result.is_anomaly):
        assert above[start]  # and every alarm opens on such a row
    np.testing.assert_array_equal(result.feature_scores, fitted.feature_scores(series))
    pd.testing.assert_frame_equal(result.intervals, fitted.anomaly_intervals(series))
    assert result.index.equals(series.index)
    assert result.threshold == fitted.threshold_
    assert result.threshold_rule.startswith("the alarm level (scores are in its units): the "
                                            "larger of 1.5 x the 0.99 quantile")


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
    """A fault on every other row: smoothing gives one alarm over most of it; scores stay online
    and fixed at fit."""
    series = make_series(faults=False)
    series.iloc[2500:2600:2, 2] += 1.0  # "flow" jumps on every other row
    fault, normal = slice(2500, 2600), np.r_[0:2490, 2620:3000]
    kwargs = dict(window=20, epochs=5, train_size=TRAIN_ROWS, random_state=0)
    plain = SeriesDetector(smoothing=1, **kwargs).fit(series)
    smooth = SeriesDetector(smoothing=8, **kwargs).fit(series)
    plain_flags = plain.score_samples(series) > plain.threshold_
    scores = smooth.score_samples(series)
    smooth_flags = smooth.detect(series).is_anomaly
    assert plain_flags[fault].mean() < 0.6  # row by row, the fault flickers
    assert smooth_flags[fault].mean() > 0.8
    assert smooth_flags[normal].mean() <= plain.detect(series).is_anomaly[normal].mean() + 0.005
    np.testing.assert_allclose(smooth.score_samples(series.iloc[:2550]), scores[:2550], rtol=1e-5)
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


def test_series_one_faulty_sensor_among_many_is_flagged():
    """An 8-sigma fault on one of 60 sensors is flagged and blamed on it (the max across
    columns, not the mean, carries the score)."""
    rng = np.random.default_rng(0)
    n_rows, n_columns = 2500, 60
    phase = 2 * np.pi * np.arange(n_rows)[:, None] / PERIOD + rng.uniform(0, 6.3, n_columns)
    X = np.sin(phase) + 0.1 * rng.normal(size=(n_rows, n_columns))
    faulty = 37
    X[2000:2020, faulty] += 8 * X[:1500, faulty].std()
    det = SeriesDetector(window=PERIOD, epochs=10, train_size=1500, random_state=0).fit(X)
    result = det.detect(X)
    assert result.is_anomaly[2000:2020].mean() >= 0.9
    assert (result.feature_scores[2000:2020].argmax(axis=1) == faulty).mean() >= 0.9
    assert result.is_anomaly[1500:1990].mean() < 0.02


def test_series_change_after_a_constant_training_part_is_flagged():
    """A sensor that never moved in training: a small change is news."""
    X = np.ones((400, 2))
    det = SeriesDetector(window=16, epochs=1, train_size=300, random_state=0).fit(X)
    Y = X.copy()
    Y[350, 0] = 1.1
    assert det.detect(Y).is_anomaly[350]
    assert det.threshold_ == 1.0


def test_series_alarm_after_a_constant_training_part_closes_when_the_value_is_back():
    """A fault on a sensor that never moved is flagged, and the alarm ends with the fault,
    although the rows before still remember it (the level term)."""
    X = np.ones((1200, 1))
    det = SeriesDetector(window=16, epochs=1, train_size=300, random_state=0).fit(X)
    Y = X.copy()
    Y[600:620, 0] += 1.0
    flags = det.detect(Y).is_anomaly
    assert flags[600:620].all()
    assert not flags[700:].any()


def _drifting_series(n_rows=4000, seed=0):
    """Two periodic sensors whose amplitude grows slowly (a benign drift), and a late fault."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows)
    amplitude = 1 + t / 2000
    X = np.column_stack([amplitude * np.sin(2 * np.pi * t / PERIOD),
                         np.cos(2 * np.pi * t / PERIOD)]) + 0.05 * rng.normal(size=(n_rows, 2))
    X[3500:3510, 1] += 3
    return X


def test_series_adapt_follows_a_benign_drift_and_still_finds_the_fault():
    """adapt: the network learns the drifted normal rows, so they stop being flagged."""
    X = _drifting_series()
    fixed = SeriesDetector(epochs=5, train_size=1000, random_state=0).fit(X)
    adaptive = SeriesDetector(epochs=5, train_size=1000, adapt=1000, random_state=0).fit(X)
    weights = [w.copy() for w in adaptive.model_.get_weights()]
    fixed_flags = fixed.detect(X).is_anomaly
    result = adaptive.detect(X)
    normal = np.ones(len(X), bool)
    normal[:1000] = normal[3500:3550] = False
    assert fixed_flags[normal].mean() > 0.2  # without adapting, the drift is an anomaly
    assert result.is_anomaly[normal].mean() < 0.5 * fixed_flags[normal].mean()
    assert result.is_anomaly[3500:3510].any()
    assert result.top_columns[int(np.argmax(result.scores[3500:3510])) + 3500].startswith("x1")
    # The fitted network is left as it was, so each call gives the same scores.
    for before, after in zip(weights, adaptive.model_.get_weights()):
        np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(adaptive.score_samples(X), result.scores)


def test_series_adapt_does_not_learn_a_long_fault_while_its_alarm_is_held():
    """adapt learns only rows outside every alarm: a long fault's quieter rows are not normal.

    Most rows of this fault score below the threshold (the alarm is held, not reopened on
    each row); learning them as normal would let the fault fade from the alarms.
    """
    rng = np.random.default_rng(0)
    t = np.arange(4000)
    X = np.column_stack([np.sin(2 * np.pi * t / PERIOD), np.cos(2 * np.pi * t / PERIOD)])
    X += 0.05 * rng.normal(size=X.shape)
    X[2000:3600, 1] *= 3  # 1,600 rows of a sensor reading three times its swing
    fixed = SeriesDetector(epochs=5, train_size=1000, random_state=0).fit(X).detect(X)
    assert (fixed.scores[2000:3600] > fixed.threshold).mean() < 0.2  # held, mostly not reopened
    result = SeriesDetector(epochs=5, train_size=1000, adapt=250, random_state=0).fit(X).detect(X)
    assert result.is_anomaly[2000:3600].mean() > 0.9
    assert result.is_anomaly[3000:3600].all()  # still in the alarm at the fault's end
    assert not result.is_anomaly[1000:2000].any()


def test_series_adapt_scores_online_and_is_saved(tmp_path):
    """With adapt, a row's score depends only on the rows up to it; a model file keeps adapt."""
    X = _drifting_series(n_rows=2500)
    det = SeriesDetector(epochs=3, train_size=1000, adapt=600, random_state=0).fit(X)
    whole = det.score_samples(X)
    np.testing.assert_allclose(det.score_samples(X[:1900]), whole[:1900], rtol=1e-5)
    aeguard.save(det, tmp_path / "adaptive.aeg")
    loaded = aeguard.load(tmp_path / "adaptive.aeg")
    assert loaded.adapt == 600
    np.testing.assert_allclose(loaded.score_samples(X), whole, rtol=1e-5)


def test_series_adapt_blocks_shorter_than_a_window():
    """adapt below the window: the first block is scored as without adapt, the rest online."""
    X = _drifting_series(n_rows=200)[:, :1]
    det = SeriesDetector(window=PERIOD, epochs=1, train_size=120, adapt=PERIOD - 8,
                         random_state=0).fit(X)
    scores = det.score_samples(X)
    assert scores.shape == (200,) and np.isfinite(scores).all()
    fixed = det.set_params(adapt=None).score_samples(X)  # the same network, not adapting
    np.testing.assert_allclose(scores[:PERIOD - 8], fixed[:PERIOD - 8], rtol=1e-5)


def test_series_adapt_is_validated():
    with pytest.raises(ValueError, match="adapt"):
        SeriesDetector(adapt=1).fit(_drifting_series(n_rows=600))


def test_series_a_frozen_noisy_sensor_is_flagged_by_its_spread():
    """Holding a noisy sensor at one ordinary value: no value is unusual, its spread is."""
    rng = np.random.default_rng(0)
    t = np.arange(3000)
    X = np.column_stack([np.sin(2 * np.pi * t / PERIOD + k) for k in range(4)])
    X += 0.3 * rng.normal(size=X.shape)
    X[2200:2350, 2] = X[2200, 2] = np.median(X[:2000, 2])
    det = SeriesDetector(epochs=5, train_size=2000, random_state=0).fit(X)
    result = det.detect(X)
    assert result.is_anomaly[2200:2350].mean() > 0.5
    assert result.is_anomaly[2000:2200].mean() < 0.05
    hit = result.intervals[(result.intervals.start <= 2350) & (result.intervals.end >= 2200)]
    assert hit.top_columns.iloc[0].startswith("x2")
    # The spread alone flags them (without the run term, which also sees them); without
    # either (a model saved before both existed) the frozen rows pass.
    del det.run_reference_, det.run_rate_
    assert det.detect(X).is_anomaly[2200:2350].mean() > 0.5
    del det.spread_reference_, det.spread_unit_
    assert det.detect(X).is_anomaly[2200:2350].mean() < 0.2


def test_series_a_sensor_holding_one_value_is_flagged_by_its_run():
    """A noisy sensor that never repeated in training repeats one reading: news at once."""
    rng = np.random.default_rng(0)
    t = np.arange(3000)
    X = np.column_stack([np.sin(2 * np.pi * t / PERIOD + k) for k in range(4)])
    X += 0.3 * rng.normal(size=X.shape)
    X[:, 3] = np.round(X[:, 3], 1)  # a coarse sensor: repeats its readings by nature
    X[2200:2260, 1] = X[2199, 1]  # stuck at its last reading
    det = SeriesDetector(epochs=5, train_size=2000, random_state=0).fit(X)
    assert det.run_reference_[1] == 1 and 1 < det.run_reference_[3] < np.inf
    del det.spread_reference_, det.spread_unit_  # the run term alone
    result = det.detect(X)
    stuck = result.is_anomaly[2200:2260]
    assert stuck[:5].any() and stuck.mean() > 0.5, stuck.mean()
    assert result.is_anomaly[2000:2200].mean() < 0.05  # the coarse sensor's runs are not news
    hit = result.intervals[(result.intervals.start <= 2260) & (result.intervals.end >= 2200)]
    assert hit.top_columns.iloc[0].startswith("x1")
    del det.run_reference_, det.run_rate_
    assert det.detect(X).is_anomaly[2200:2260].mean() < 0.2


def test_series_a_column_constant_in_training_gets_no_run_term():
    """Its longest run has not ended by the end of training: staying constant is no news."""
    t = np.arange(1500)
    X = np.column_stack([np.sin(2 * np.pi * t / PERIOD), np.full(1500, 2.0)])
    det = SeriesDetector(epochs=2, train_size=600, random_state=0).fit(X)
    assert det.run_reference_[1] == np.inf
    Xs = det.scaler_.transform(X.astype(np.float32))
    assert (det._novelty(Xs)[:, 1] == 0).all()


def test_series_detection_gives_each_rows_alarm_level():
    """feature_scores are the contributions in units of the row's alarm level."""
    t = np.arange(600)
    X = np.column_stack([np.sin(2 * np.pi * t / 30), np.cos(2 * np.pi * t / 30)])
    X[500:505, 0] += 4
    det = aeguard.SeriesDetector(window=30, epochs=3, train_size=300, random_state=0).fit(X)
    result = det.detect(X)
    assert result.alarm_level.shape == (600,)
    assert (result.alarm_level >= det.base_threshold_).all()
    Xs = det.scaler_.transform(X.astype(np.float32))
    raw = det._contributions(det._reconstruction_errors(Xs), det._novelty(Xs))
    np.testing.assert_allclose(result.feature_scores * result.alarm_level[:, None], raw,
                               rtol=1e-5, atol=1e-9)
    assert aeguard.AEDetector(epochs=1, random_state=0).fit(X).detect(X).alarm_level is None
