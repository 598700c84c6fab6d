"""Tests for aeguard.mlflow: detectors as MLflow pyfunc models."""

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

mlflow = pytest.importorskip("mlflow", reason="the [mlflow] extra (in [test]) is not installed")
import mlflow.pyfunc  # noqa: E402

import aeguard.mlflow as aem  # noqa: E402
from aeguard import AEDetector, Denoiser, SeriesDetector  # noqa: E402


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 2)) @ rng.normal(size=(2, 4)), columns=list("abcd"))
    X.loc[7, "c"] += 25
    return X


@pytest.fixture(scope="module")
def detector(rows):
    return AEDetector(epochs=20, random_state=0).fit(rows)


def test_pyfunc_predicts_what_detect_gives(detector, rows, tmp_path):
    aem.save_model(detector, tmp_path / "model")
    model = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    out = model.predict(rows)
    expected = detector.detect(rows)
    assert list(out.columns) == ["anomaly_score", "is_anomaly", "top_columns"]
    np.testing.assert_allclose(out.anomaly_score, expected.scores, rtol=1e-5)
    assert (out.is_anomaly.to_numpy() == expected.is_anomaly).all()
    assert out.is_anomaly.dtype == np.int32
    assert out.anomaly_score.idxmax() == 7 and out.top_columns[7].startswith("c")
    schema = model.metadata.signature
    assert schema.inputs.input_names() == list("abcd")
    assert schema.outputs.input_names() == ["anomaly_score", "is_anomaly", "top_columns"]
    # Pickle-free: the detector is an aeguard model file among the artifacts.
    assert list((tmp_path / "model" / "artifacts").iterdir())[0].suffix == ".aeg"


def test_log_model_and_load_model_round_trip(detector, rows, tmp_path, monkeypatch):
    # A local file store: no tracking server or database in the test.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    try:
        with mlflow.start_run():
            info = aem.log_model(detector, "detector")
        loaded = aem.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(None)
    assert type(loaded) is AEDetector
    np.testing.assert_array_equal(loaded.score_samples(rows), detector.score_samples(rows))


def test_series_model_scores_a_batch_as_one_series(tmp_path):
    t = np.arange(600)
    X = pd.DataFrame({"temp": np.sin(2 * np.pi * t / 30), "flow": np.cos(2 * np.pi * t / 30)})
    X.loc[500, "flow"] += 4
    det = SeriesDetector(window=30, epochs=5, train_size=300, random_state=0).fit(X)
    aem.save_model(det, tmp_path / "series")
    out = mlflow.pyfunc.load_model(str(tmp_path / "series")).predict(X)
    np.testing.assert_allclose(out.anomaly_score, det.score_samples(X), rtol=1e-5)
    assert out.anomaly_score.idxmax() == 500


def test_detector_fitted_without_names_takes_x_columns(rows, tmp_path):
    det = AEDetector(epochs=2, random_state=0).fit(rows.to_numpy())
    aem.save_model(det, tmp_path / "bare")
    model = mlflow.pyfunc.load_model(str(tmp_path / "bare"))
    assert model.metadata.signature.inputs.input_names() == ["x0", "x1", "x2", "x3"]
    out = model.predict(pd.DataFrame(rows.to_numpy(), columns=["x0", "x1", "x2", "x3"]))
    np.testing.assert_allclose(out.anomaly_score, det.score_samples(rows.to_numpy()), rtol=1e-5)


def test_errors(detector, rows, tmp_path):
    with pytest.raises(TypeError, match="AEDetector, VAEDetector or SeriesDetector"):
        aem.save_model(Denoiser(epochs=1).fit(rows.to_numpy()), tmp_path / "den")
    with pytest.raises(TypeError, match="got StandardScaler"):
        from sklearn.preprocessing import StandardScaler

        aem.save_model(StandardScaler().fit(rows), tmp_path / "scaler")
    with pytest.raises(NotFittedError):
        aem.save_model(AEDetector(), tmp_path / "unfitted")
    aem.save_model(detector, tmp_path / "model")
    model = mlflow.pyfunc.load_model(str(tmp_path / "model"))
    with pytest.raises(Exception, match="d"):  # MLflow's schema check names the column
        model.predict(rows.drop(columns="d"))
