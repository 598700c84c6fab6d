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
