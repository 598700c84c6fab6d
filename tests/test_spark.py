"""Tests for aeguard.engines on Spark in local mode: the same scores as in-process."""

import os

import numpy as np
import pandas as pd
import pytest

import aeguard
from aeguard import AEDetector, SeriesDetector
from aeguard.engines import spark_score, spark_score_groups

pytest.importorskip("pyspark", reason="pyspark (in [test]) is not installed")
from pyspark.sql import SparkSession  # noqa: E402

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def spark():
    """One local Spark session for the module, bound to the loopback."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master("local[2]").appName("aeguard-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_table_rows_score_as_in_process(spark, tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(3000, 2)) @ rng.normal(size=(2, 3)), columns=list("abc"))
    X.loc[42, "a"] += 30
    det = AEDetector(epochs=5, random_state=0).fit(X)
    path = tmp_path / "table.aeg"
    aeguard.save(det, path)
    frame = X.assign(id=np.arange(len(X)))
    out = spark_score(spark.createDataFrame(frame).repartition(3), path).toPandas()
    out = out.sort_values("id").reset_index(drop=True)
    np.testing.assert_allclose(out.anomaly_score, det.score_samples(X), rtol=1e-5)
    assert out.anomaly_score.idxmax() == 42 and out.top_columns[42].startswith("a")
    assert list(out.columns) == [*frame.columns, "anomaly_score", "is_anomaly", "top_columns"]


def test_spark_groups_score_each_asset_as_its_own_series(spark, tmp_path):
    t = np.arange(400)
    parts = [pd.DataFrame({"asset": f"p{k}", "t": t, "temp": np.sin(2 * np.pi * t / 25 + k),
                           "flow": np.cos(2 * np.pi * t / 25 + k)}) for k in range(3)]
    parts[2].loc[300:303, "temp"] += 4
    frame = pd.concat(parts).sample(frac=1, random_state=0)
    det = SeriesDetector(window=25, epochs=5, random_state=0).fit(parts[0][["temp", "flow"]])
    path = tmp_path / "series.aeg"
    aeguard.save(det, path)
    out = spark_score_groups(spark.createDataFrame(frame), path, "asset", "t").toPandas()
    assert len(out) == len(frame)
    for k, part in enumerate(parts):
        got = out[out.asset == f"p{k}"].sort_values("t")
        np.testing.assert_allclose(got.anomaly_score, det.score_samples(part[["temp", "flow"]]),
                                   rtol=1e-5)
    assert out.loc[out.anomaly_score.idxmax(), "asset"] == "p2"
    # A saved fleet: each asset by its own detector, an asset it lacks with NaN scores.
    known = pd.concat([parts[0], parts[2]])
    fleet = aeguard.FleetDetector("asset", SeriesDetector(window=25, epochs=3, train_size=250,
                                                          random_state=0))
    fleet.fit(known.drop(columns="t"))
    fleet_path = tmp_path / "fleet.aeg"
    aeguard.save(fleet, fleet_path)
    out = spark_score_groups(spark.createDataFrame(frame), fleet_path, "asset",
                             "t").toPandas()
    for k in (0, 2):
        got = out[out.asset == f"p{k}"].sort_values("t")
        own = fleet.detectors_[f"p{k}"].score_samples(parts[k][["temp", "flow"]])
        np.testing.assert_allclose(got.anomaly_score, own, rtol=1e-5)
    assert out[out.asset == "p1"].anomaly_score.isna().all()
    with pytest.raises(ValueError, match="time_column 'when' is not a column"):
        spark_score_groups(spark.createDataFrame(frame), path, "asset", "when")
    with pytest.raises(FileNotFoundError):
        spark_score(spark.createDataFrame(frame), tmp_path / "missing.aeg")


def test_mlflow_spark_udf_scores_as_in_process(spark, tmp_path):
    pytest.importorskip("mlflow")
    import mlflow.pyfunc

    import aeguard.mlflow

    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(1000, 3)), columns=["a", "b", "c"])
    det = AEDetector(epochs=3, random_state=0).fit(X)
    aeguard.mlflow.save_model(det, tmp_path / "model")
    udf = mlflow.pyfunc.spark_udf(spark, str(tmp_path / "model"), env_manager="local",
                                  result_type="anomaly_score double, is_anomaly int, "
                                              "top_columns string")
    sdf = spark.createDataFrame(X.assign(id=np.arange(len(X))))
    out = (sdf.withColumn("out", udf("a", "b", "c"))
           .select("id", "out.anomaly_score", "out.top_columns").toPandas().sort_values("id"))
    np.testing.assert_allclose(out.anomaly_score, det.score_samples(X), rtol=1e-5)
    assert list(out.top_columns) == det.detect(X).top_columns
