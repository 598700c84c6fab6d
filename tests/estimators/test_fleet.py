"""Tests for FleetDetector: one detector per asset, scored and ranked in one call."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from aeguard import FleetDetector, SeriesDetector

N_ROWS, FAULT_ROWS = 400, slice(300, 306)


def make_fleet(assets=("a", "b", "c"), faulty="b", short=None):
    """Assets' rows interleaved in time (as a plant's export has them); a fault on ``faulty``'s flow."""
    rng = np.random.default_rng(0)
    parts = []
    for k, asset in enumerate(assets):
        phase = 2 * np.pi * np.arange(N_ROWS) / 20 + k
        part = pd.DataFrame({
            "t": np.arange(N_ROWS), "machine": asset,
            "temp": np.sin(phase) + 0.05 * rng.normal(size=N_ROWS),
            "flow": np.cos(phase) + 0.05 * rng.normal(size=N_ROWS),
        })
        if asset == faulty:
            part.loc[FAULT_ROWS, "flow"] += 5.0
        parts.append(part)
    if short is not None:
        parts.append(parts[0].iloc[:20].assign(machine=short))
    frame = pd.concat(parts).sort_values("t", kind="stable").reset_index(drop=True)
    return frame.drop(columns="t")


def detector():
    return SeriesDetector(window=20, epochs=8, train_size=200, random_state=0)


@pytest.fixture(scope="module")
def fitted():
    X = make_fleet(short="tiny")
    return X, FleetDetector("machine", detector()).fit(X)


def test_fleet_ranks_the_faulty_asset_first_and_names_its_column(fitted):
    X, fleet = fitted
    result = fleet.detect(X)
    worst = result.assets.iloc[0]
    assert worst.asset == "b" and worst.top_columns.split(",")[0] == "flow"
    assert worst.n_flagged > 0 and worst.peak_score > result.assets.peak_score.iloc[1]
    # The interval is b's, on the fault's rows (labelled by X's index).
    b_rows = X.index[X.machine == "b"]
    interval = result.intervals[result.intervals.asset == "b"].iloc[0]
    assert b_rows[FAULT_ROWS.start] <= interval.start <= b_rows[FAULT_ROWS.stop]
    assert list(result.intervals.columns[:3]) == ["asset", "start", "end"]


def test_fleet_rows_are_scored_by_their_own_assets_detector(fitted):
    """Interleaved rows get the scores their asset's detector gives its rows alone."""
    X, fleet = fitted
    result = fleet.detect(X)
    for asset in ("a", "b", "c"):
        rows = (X.machine == asset).to_numpy()
        alone = fleet.detectors_[asset].score_samples(X.loc[rows, ["temp", "flow"]])
        np.testing.assert_allclose(result.scores[rows], alone, rtol=1e-5)
    assert result.to_frame().shape == (len(X), 3)


def test_fleet_reports_a_short_asset_and_scores_the_others(fitted):
    X, fleet = fitted
    assert set(fleet.detectors_) == {"a", "b", "c"}
    assert "20 rows" in fleet.skipped_["tiny"]
    result = fleet.detect(X)
    tiny = (X.machine == "tiny").to_numpy()
    assert np.isnan(result.scores[tiny]).all() and not result.is_anomaly[tiny].any()
    assert not np.isnan(result.scores[~tiny]).any()
    last = result.assets.iloc[-1]
    assert last.asset == "tiny" and "20 rows" in last.skipped
    assert "tiny" in result.skipped


def test_fleet_asset_unseen_in_fit_is_skipped_with_a_reason(fitted):
    X, fleet = fitted
    Y = make_fleet(assets=("a", "new"), faulty=None)
    result = fleet.detect(Y)
    assert "fit saw no rows" in result.skipped["new"]
    assert not np.isnan(result.scores[(Y.machine == "a").to_numpy()]).any()


def test_fleet_shares_a_fitted_detector_across_assets():
    X = make_fleet(assets=("a", "b", "d"))
    shared = detector().fit(X.loc[X.machine == "a", ["temp", "flow"]])
    fleet = FleetDetector("machine", shared, per_asset=False).fit(X)
    assert all(d is shared for d in fleet.detectors_.values())
    result = fleet.detect(X)
    assert result.assets.asset.iloc[0] == "b"
    rows = (X.machine == "d").to_numpy()
    np.testing.assert_allclose(result.scores[rows],
                               shared.score_samples(X.loc[rows, ["temp", "flow"]]), rtol=1e-5)


def test_fleet_errors():
    X = make_fleet(assets=("a",))
    with pytest.raises(TypeError, match="DataFrame"):
        FleetDetector("machine").fit(X.to_numpy())
    with pytest.raises(ValueError, match="no column 'asset'"):
        FleetDetector("asset").fit(X)
    with pytest.raises(ValueError, match="group_by"):
        FleetDetector().fit(X)
    with pytest.raises(NotFittedError):
        FleetDetector("machine", detector(), per_asset=False).fit(X)
    with pytest.raises(ValueError, match="fitted estimator to share"):
        FleetDetector("machine", per_asset=False).fit(X)
    with pytest.raises(ValueError, match="empty in 1 row"):
        FleetDetector("machine").fit(X.assign(machine=X.machine.where(X.index != 5)))
    with pytest.raises(ValueError, match="no asset of 'machine' could be fitted"):
        FleetDetector("machine", detector()).fit(X.iloc[:50])
    with pytest.raises(NotFittedError):
        FleetDetector("machine").detect(X)


def test_fleet_detect_needs_the_features_fit_saw(fitted):
    X, fleet = fitted
    with pytest.raises(ValueError, match="lacks the feature column"):
        fleet.detect(X.drop(columns="flow"))


def test_fleet_shared_detector_checks_its_columns():
    X = make_fleet(assets=("a", "b"))
    shared = detector().fit(X.loc[X.machine == "a", ["temp", "flow"]])
    with pytest.raises(ValueError, match="lacks the feature column"):
        FleetDetector("machine", shared, per_asset=False).fit(X.drop(columns="flow"))
    fleet = FleetDetector("machine", shared, per_asset=False).fit(X.assign(extra=1.0))
    assert list(fleet.feature_names_in_) == ["temp", "flow"]
    with pytest.raises(ValueError, match="could be scored"):
        fleet.detect(X.groupby("machine").head(10))


def test_fleet_saved_and_loaded_scores_identically(fitted, tmp_path):
    """aeguard.save / load: every asset's detector, the skipped assets and the template."""
    import zipfile

    from aeguard import load, save

    X, fleet = fitted
    path = tmp_path / "fleet.aeg"
    save(fleet, path)
    with zipfile.ZipFile(path) as archive:
        assert not any(name.endswith((".pkl", ".pickle")) for name in archive.namelist())
    loaded = load(path)
    assert isinstance(loaded, FleetDetector) and loaded.group_by == "machine"
    assert set(loaded.detectors_) == {"a", "b", "c"} and "20 rows" in loaded.skipped_["tiny"]
    expected, got = fleet.detect(X), loaded.detect(X)
    np.testing.assert_array_equal(got.scores, expected.scores)
    pd.testing.assert_frame_equal(got.assets, expected.assets)
    # The template comes back unfitted, so the loaded fleet can be fitted again.
    assert loaded.estimator.get_params() == fleet.estimator.get_params()


def test_fleet_shared_detector_is_saved_once(tmp_path):
    import zipfile

    from aeguard import load, save

    X = make_fleet(assets=("a", "b"))
    shared = detector().fit(X.loc[X.machine == "a", ["temp", "flow"]])
    fleet = FleetDetector("machine", shared, per_asset=False).fit(X)
    path = tmp_path / "shared.aeg"
    save(fleet, path)
    with zipfile.ZipFile(path) as archive:
        assert sum(name.endswith("arrays.npz") for name in archive.namelist()) == 1
    loaded = load(path)
    assert not loaded.per_asset and loaded.estimator is loaded.detectors_["b"]
    np.testing.assert_array_equal(loaded.detect(X).scores, fleet.detect(X).scores)


def test_fleet_save_refuses_what_a_file_cannot_hold(fitted, tmp_path):
    from aeguard import save

    X, fleet = fitted
    with pytest.raises(NotFittedError):
        save(FleetDetector("machine", detector()), tmp_path / "unfitted.aeg")
    odd = FleetDetector("machine", detector())
    odd.detectors_, odd.skipped_ = {("a", 1): fleet.detectors_["a"]}, {}
    odd.feature_names_in_ = fleet.feature_names_in_
    with pytest.raises(TypeError, match="asset id"):
        save(odd, tmp_path / "odd.aeg")
    assert not (tmp_path / "odd.aeg").exists()


# ------------------------------------------------------------------ peer ranking
def _detection(feature_scores, alarm_level=None, names=("temp", "flow")):
    from aeguard.estimators._detection import Detection, top_columns

    feature_scores = np.asarray(feature_scores, dtype=float)
    scores = feature_scores.max(axis=1)
    return Detection(scores=scores, is_anomaly=scores > 1, feature_scores=feature_scores,
                     columns=list(names), top_columns=top_columns(feature_scores, names),
                     threshold=1.0, threshold_rule="test", alarm_level=alarm_level)


def test_peer_score_is_each_columns_peak_over_the_fleets_median_of_it():
    from aeguard.estimators.fleet import _peer_ratios

    detections = {
        "a": _detection([[1.0, 0.1], [2.0, 0.2]]),
        "b": _detection([[3.0, 0.2], [1.0, 0.1]]),
        # Calibrated by an alarm level of 2: its errors before calibration are twice these.
        "c": _detection([[0.5, 0.5], [1.0, 0.05]], alarm_level=np.array([2.0, 2.0])),
    }
    ratios = _peer_ratios(detections)
    # Column peaks: temp a 2, b 3, c 2 (median 2); flow a 0.2, b 0.2, c 1 (median 0.2).
    np.testing.assert_allclose(ratios["a"], [1.0, 1.0])
    np.testing.assert_allclose(ratios["b"], [1.5, 1.0])
    np.testing.assert_allclose(ratios["c"], [1.0, 5.0])


def test_peer_score_ranks_a_fault_the_noisy_column_hides():
    """A column noisy on every asset sets each one's peak; a fault in a quiet column stands out
    only against the same column of the other assets."""
    groups = {"a": ([[9.0, 0.1]] * 3), "b": ([[8.0, 0.1]] * 3), "c": ([[7.0, 1.0]] * 3),
              "d": ([[9.5, 0.1]] * 3)}
    detections = {asset: _detection(values) for asset, values in groups.items()}
    positions = {asset: np.arange(3) for asset in groups}
    table = FleetDetector._ranking(positions, detections, {})
    assert table.asset.iloc[0] == "c" and table.top_columns.iloc[0] == "flow,temp"
    assert table.peer_score.iloc[0] == pytest.approx(10.0)
    # The peak scores alone would have put c last.
    assert table.sort_values("peak_score").asset.iloc[0] == "c"


def test_fewer_than_three_assets_are_ranked_by_peak_score(fitted):
    X, _ = fitted
    pair = X[X.machine.isin(["a", "b"])]
    result = FleetDetector("machine", detector()).fit(pair).detect(pair)
    assert result.assets.peer_score.isna().all() and result.ranking == "peak score"
    assert result.assets.asset.iloc[0] == "b"
    assert result.assets.peak_score.is_monotonic_decreasing


def test_fleet_ranks_by_peer_score_with_three_assets_or_more(fitted):
    X, fleet = fitted
    result = fleet.detect(X)
    scored = result.assets[result.assets.skipped == ""]
    assert scored.peer_score.notna().all() and result.ranking.startswith("peer score")
    assert scored.peer_score.is_monotonic_decreasing
    assert np.isnan(result.assets.peer_score.iloc[-1])  # the skipped asset, last


def test_peer_ratios_leave_out_an_asset_whose_errors_are_not_finite():
    from aeguard.estimators.fleet import _peer_ratios

    detections = {asset: _detection([[1.0, 0.1], [2.0, 0.2]]) for asset in "abc"}
    detections["d"] = _detection([[np.nan, 0.1], [2.0, np.inf]])
    ratios = _peer_ratios(detections)
    assert set(ratios) == {"a", "b", "c"}
    np.testing.assert_allclose(ratios["a"], [1.0, 1.0])
    positions = {asset: np.arange(2) for asset in detections}
    table = FleetDetector._ranking(positions, detections, {})
    assert table.asset.iloc[-1] == "d" and np.isnan(table.peer_score.iloc[-1])


def test_fleet_of_table_rows_ranks_by_peer_score():
    from aeguard import AEDetector

    rng = np.random.default_rng(0)
    parts = []
    for asset in "abcd":
        part = pd.DataFrame({"machine": asset, "temp": rng.normal(size=300),
                             "flow": rng.normal(size=300)})
        part["load"] = part.temp + part.flow + 0.05 * rng.normal(size=300)
        if asset == "c":
            part.loc[290:, "load"] += 6.0  # breaks the relation on c's last rows
        parts.append(part)
    X = pd.concat(parts, ignore_index=True)
    fleet = FleetDetector("machine", AEDetector(epochs=30, random_state=0)).fit(X)
    result = fleet.detect(X)
    assert result.ranking.startswith("peer score") and result.assets.peer_score.notna().all()
    assert result.assets.asset.iloc[0] == "c"
    assert result.assets.top_columns.iloc[0].split(",")[0] == "load"
