"""Tests for aeguard.engines: a saved model scored on Dask (and Spark), as in-process."""

import numpy as np
import pandas as pd
import pytest

import aeguard
from aeguard import AEDetector, SeriesDetector
from aeguard.engines import cached_model, score_frame

dd = pytest.importorskip("dask.dataframe", reason="dask[dataframe] (in [test]) is not installed")

pytestmark = pytest.mark.engines

FEATURES = ["a", "b", "c"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(2000, 2)) @ rng.normal(size=(2, 3)), columns=FEATURES)
    X.insert(0, "id", [f"r{i}" for i in range(len(X))])
    X.loc[123, "b"] += 30
    det = AEDetector(epochs=10, random_state=0).fit(X[FEATURES])
    path = tmp_path_factory.mktemp("engines") / "table.aeg"
    aeguard.save(det, path)
    return X, det, path


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Three assets' series, rows interleaved and shuffled, a fault on asset 1."""
    t = np.arange(500)
    parts = []
    for k in range(3):
        part = pd.DataFrame({"asset": f"p{k}", "t": t,
                             "temp": np.sin(2 * np.pi * t / 25 + k),
                             "flow": np.cos(2 * np.pi * t / 25 + k)})
        if k == 1:
            part.loc[400:403, "flow"] += 4
        parts.append(part)
    frame = pd.concat(parts).sample(frac=1, random_state=0).reset_index(drop=True)
    train = parts[0][["temp", "flow"]].iloc[:300]
    det = SeriesDetector(window=25, epochs=5, random_state=0).fit(train)
    path = tmp_path_factory.mktemp("engines") / "series.aeg"
    aeguard.save(det, path)
    return frame, det, path


def test_score_frame_adds_the_outputs_and_keeps_the_rows(table):
    X, det, path = table
    out = score_frame(X.iloc[:500], path)
    assert list(out.columns) == [*X.columns, "anomaly_score", "is_anomaly", "top_columns"]
    np.testing.assert_allclose(out.anomaly_score, det.score_samples(X[FEATURES].iloc[:500]),
                               rtol=1e-5)
    assert out.is_anomaly.dtype == np.int32 and out.top_columns[123].startswith("b")
    assert cached_model(path) is cached_model(path)  # loaded once per process


@pytest.mark.parametrize("scheduler", ["threads", "processes"])
def test_dask_scores_equal_in_process_scores(table, scheduler):
    X, det, path = table
    scored = aeguard.engines.dask_score(dd.from_pandas(X, npartitions=4), path)
    out = scored.compute(scheduler=scheduler)
    assert (out.id == X.id).all()
    np.testing.assert_allclose(out.anomaly_score, det.score_samples(X[FEATURES]), rtol=1e-5)
    assert out.anomaly_score.idxmax() == 123


def test_dask_groups_score_each_asset_as_its_own_series(fleet):
    frame, det, path = fleet
    scored = aeguard.engines.dask_score_groups(dd.from_pandas(frame, npartitions=3), path,
                                               "asset", "t")
    out = scored.compute(scheduler="threads")
    assert len(out) == len(frame)
    for asset, rows in frame.groupby("asset"):
        rows = rows.sort_values("t")
        got = out[out.asset == asset].sort_values("t")
        np.testing.assert_allclose(got.anomaly_score,
                                   det.score_samples(rows[["temp", "flow"]]), rtol=1e-5)
    assert out.loc[out.anomaly_score.idxmax(), "asset"] == "p1"


def test_dask_groups_score_each_asset_with_its_own_detector_from_a_fleet_file(fleet,
                                                                            tmp_path):
    """A saved FleetDetector: each asset's rows by that asset's detector; an asset without
    one gets NaN scores, not an error."""
    from aeguard import FleetDetector

    frame, _, _ = fleet
    known = frame[frame.asset != "p2"].sort_values("t", kind="stable")
    fitted = FleetDetector("asset", SeriesDetector(window=25, epochs=3, train_size=300,
                                                   random_state=0)).fit(known.drop(columns="t"))
    path = tmp_path / "fleet.aeg"
    aeguard.save(fitted, path)
    out = aeguard.engines.dask_score_groups(dd.from_pandas(frame, npartitions=3), path,
                                            "asset", "t").compute(scheduler="threads")
    assert len(out) == len(frame)
    for asset in ("p0", "p1"):
        rows = frame[frame.asset == asset].sort_values("t")
        got = out[out.asset == asset].sort_values("t")
        np.testing.assert_allclose(got.anomaly_score, fitted.detectors_[asset].score_samples(
            rows[["temp", "flow"]]), rtol=1e-5)
    unknown = out[out.asset == "p2"]
    assert unknown.anomaly_score.isna().all() and (unknown.is_anomaly == 0).all()
    with pytest.raises(ValueError, match="dask_score_groups"):
        score_frame(frame, path)


def test_engine_errors(table, fleet, tmp_path):
    X, det, path = table
    with pytest.raises(FileNotFoundError, match="No model file"):
        aeguard.engines.dask_score(dd.from_pandas(X, npartitions=2), tmp_path / "none.aeg")
    with pytest.raises(ValueError, match="lack the model's feature column"):
        aeguard.engines.dask_score(dd.from_pandas(X.drop(columns="c"), npartitions=2),
                                   path).compute(scheduler="threads")
    frame, _, series_path = fleet
    with pytest.raises(ValueError, match="group_by 'machine' is not a column"):
        aeguard.engines.dask_score_groups(dd.from_pandas(frame, npartitions=2), series_path,
                                          "machine", "t")
