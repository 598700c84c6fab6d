"""Tests for ``aeguard detect``: the tabular path, then the time-series path."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import aeguard
from aeguard.cli import app

from .helpers import assert_user_error, runner

FEATURES = ["a", "b", "c", "d", "e"]
#: 0-based data row -> the column pushed 12 standard deviations off.
OUTLIERS = {50: "b", 150: "d", 250: "a"}
#: Enough for the injected outliers to stand out clearly, and ~1 s per fit.
EPOCHS = "12"
OUTPUT_COLUMNS = ["anomaly_score", "is_anomaly", "top_columns"]


def make_frame(n_rows=300, seed=0):
    """Rows near a 2-D plane in 5 columns, three injected outliers, a sample id and a label column.

    The rows are independent samples (no time column), so ``detect`` takes the tabular path.
    """
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(2, len(FEATURES)))
    X = rng.normal(size=(n_rows, 2)) @ mixing + 0.1 * rng.normal(size=(n_rows, len(FEATURES)))
    std = X.std(axis=0)
    outliers = {row: column for row, column in OUTLIERS.items() if row < n_rows}
    for row, column in outliers.items():
        j = FEATURES.index(column)
        X[row, j] += 12 * std[j]
    frame = pd.DataFrame(X.round(6), columns=FEATURES)
    frame.insert(0, "sample", [f"s{i:04d}" for i in range(n_rows)])
    frame["label"] = 0
    frame.loc[list(outliers), "label"] = 1
    return frame


def read_text(path, sep=","):
    """A CSV file's cells exactly as written."""
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def fitted_run(tmp_path_factory):
    """One real fit shared by the tests: the data file, its output and a saved model."""
    folder = tmp_path_factory.mktemp("fit")
    data = folder / "sensors.csv"
    make_frame().to_csv(data, index=False)
    model = folder / "model.aeg"
    result = runner.invoke(
        app, ["detect", str(data), "--epochs", EPOCHS, "--save-model", str(model)]
    )
    assert result.exit_code == 0, result.output
    output = folder / "sensors.scores.csv"
    return SimpleNamespace(data=data, output=output, model=model, result=result,
                           scores=pd.read_csv(output))


# ------------------------------------------------------------------ detect
def test_detect_writes_input_columns_and_scores(fitted_run):
    """The output has every input row and column, as written, plus the three score columns."""
    written = read_text(fitted_run.output)
    original = read_text(fitted_run.data)
    assert list(written.columns) == list(original.columns) + OUTPUT_COLUMNS
    pd.testing.assert_frame_equal(written[original.columns], original)
    scores = fitted_run.scores
    assert (scores["anomaly_score"] >= 0).all()
    assert set(scores["is_anomaly"]) == {0, 1}
    # contamination 0.1 of 300 training rows: the rows above the 0.9 quantile.
    assert scores["is_anomaly"].sum() == 30


def test_detect_ranks_injected_outliers_first(fitted_run):
    """The injected outliers score highest, are flagged, and their top column is the one pushed."""
    scores = fitted_run.scores
    highest = scores["anomaly_score"].nlargest(3).index
    assert set(highest) == set(OUTLIERS)
    for row, column in OUTLIERS.items():
        assert scores.loc[row, "is_anomaly"] == 1
        names = scores.loc[row, "top_columns"].split(",")
        assert names[0] == column and len(names) == 3 and set(names) <= set(FEATURES)


def test_detect_summary_and_progress(fitted_run):
    """The summary names features, ignored columns, threshold, flagged count and top rows."""
    out = fitted_run.result.stdout
    assert "300 rows" in out
    assert "features (5): a, b, c, d, e" in out
    assert "sample (not numeric)" in out and "label (named like a label)" in out
    assert "the 0.9 quantile of the training rows' scores" in out
    assert "flagged: 30 of 300 rows (10.0%)" in out
    table = out.split("top 10 rows")[1].splitlines()[2:5]
    assert {line.split()[0] for line in table} == {str(row + 1) for row in OUTLIERS}
    assert f"wrote {fitted_run.output}" in out
    err = fitted_run.result.stderr
    assert "training on 300 rows x 5 columns" in err
    assert f"epoch 1/{EPOCHS}" in err


def test_detect_saved_model_scores_identically(fitted_run, tmp_path):
    """--model on the same rows (here semicolon-separated) reproduces the fitted run's scores."""
    data = tmp_path / "semi.csv"
    make_frame().to_csv(data, sep=";", index=False)
    result = runner.invoke(app, ["detect", str(data), "--model", str(fitted_run.model)])
    assert result.exit_code == 0, result.output
    assert "semicolon-separated" in result.stdout
    assert f"loaded from {fitted_run.model}" in result.stdout
    written = pd.read_csv(tmp_path / "semi.scores.csv", sep=";")
    np.testing.assert_array_equal(written["anomaly_score"], fitted_run.scores["anomaly_score"])
    assert list(written["top_columns"]) == list(fitted_run.scores["top_columns"])


def test_detect_saved_model_warns_when_it_flags_most_rows(fitted_run, tmp_path):
    """Every feature shifted far from what the model saw: the summary says the data drifted."""
    frame = make_frame()
    features = list(FEATURES)
    frame[features] += 10 * frame[features].std()
    data = tmp_path / "moved.csv"
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--model", str(fitted_run.model),
                                 "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert "drifted" in summary["warning"] and "--train-rows" in summary["warning"]
    assert "warning" not in json.loads(runner.invoke(app, [
        "detect", str(fitted_run.data), "--model", str(fitted_run.model), "--json",
        "-o", str(tmp_path / "same.csv")]).stdout)


def test_detect_same_seed_same_scores_and_force_replaces(fitted_run, tmp_path):
    """A second fit with the default seed repeats the scores; --force replaces the old output."""
    output = tmp_path / "out.csv"
    output.write_text("old\n")
    args = ["detect", str(fitted_run.data), "--epochs", EPOCHS, "-o", str(output)]
    assert_user_error(runner.invoke(app, args), "exists; use --force")
    assert output.read_text() == "old\n"
    result = runner.invoke(app, args + ["--force"])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(output)
    np.testing.assert_array_equal(written["anomaly_score"], fitted_run.scores["anomaly_score"])


def test_detect_columns_selects_features(tmp_path):
    """--columns fits on the chosen columns only; top_columns names only those."""
    frame = make_frame()
    ids = [f"{i:04d}" for i in range(len(frame))]
    frame.insert(0, "id", ids)
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--columns", "c, a", "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert "features (2): c, a" in result.stdout
    assert "id (not chosen)" in result.stdout and "b (not chosen)" in result.stdout
    written = read_text(tmp_path / "d.scores.csv")
    assert set(written["top_columns"]) == {"c,a", "a,c"}
    # Columns are copied as text: ids keep their leading zeros.
    assert list(written["id"]) == ids


def test_detect_quiet_prints_nothing(tmp_path):
    """--quiet writes the output but prints nothing at all, training progress included."""
    data = tmp_path / "d.csv"
    make_frame(n_rows=100).to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--epochs", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    assert len(pd.read_csv(tmp_path / "d.scores.csv")) == 100


def test_detect_model_missing_columns(fitted_run, tmp_path):
    """Scoring with a model whose columns the file lacks names the missing ones."""
    data = tmp_path / "fewer.csv"
    make_frame().drop(columns=["b", "e"]).to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--model", str(fitted_run.model)])
    assert_user_error(result, "b, e")
    assert not (tmp_path / "fewer.scores.csv").exists()


# ------------------------------------------------------------- user errors
def test_detect_unknown_column(tmp_path):
    """An unknown --columns entry is named, with the available columns."""
    data = tmp_path / "d.csv"
    make_frame(n_rows=20).to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--columns", "a,nope"])
    assert_user_error(result, "'nope'", "sample, a, b, c, d, e, label")
    assert not (tmp_path / "d.scores.csv").exists()


def test_detect_no_numeric_columns(tmp_path):
    """A file without numeric columns is refused, listing why each column was left out."""
    data = tmp_path / "text.csv"
    pd.DataFrame({"name": ["x", "y", "z"], "label": [0, 1, 0]}).to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data)])
    assert_user_error(result, "no numeric feature columns", "name (not numeric)",
                      "label (named like a label)")


def test_detect_missing_file(tmp_path):
    """A missing input file is one line, not a traceback."""
    assert_user_error(runner.invoke(app, ["detect", str(tmp_path / "none.csv")]), "no such file")


@pytest.mark.parametrize("text", ["a,b\n1,2,3,4\n5,6\n", "a,b\n1,2\n3,4,5,6\n"])
def test_detect_row_longer_than_header(tmp_path, text):
    """A row with more fields than the header is refused, not silently truncated."""
    data = tmp_path / "bad.csv"
    data.write_text(text)
    assert_user_error(runner.invoke(app, ["detect", str(data)]), "cannot parse", "fields")


def test_detect_unwritable_output(tmp_path):
    """An output path below a regular file is refused before any training."""
    data = tmp_path / "d.csv"
    make_frame(n_rows=20).to_csv(data, index=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(app, ["detect", str(data), "-o", str(blocker / "out.csv")])
    assert_user_error(result, "not a directory")


def test_detect_missing_values(tmp_path):
    """Missing feature values are refused, naming the column and counting the rows."""
    frame = make_frame(n_rows=20)
    frame.loc[[3, 7], "c"] = np.nan
    data = tmp_path / "nan.csv"
    frame.to_csv(data, index=False)
    assert_user_error(runner.invoke(app, ["detect", str(data)]), "c (2 rows)", "row 4")


@pytest.mark.parametrize("value", ["0.7", "-0.1", "nan"])
def test_detect_bad_contamination(tmp_path, value):
    """--contamination outside [0, 0.5] is one line, before the file is read."""
    result = runner.invoke(app, ["detect", str(tmp_path / "d.csv"), "--contamination", value])
    assert_user_error(result, "--contamination")


def test_detect_zero_contamination(tmp_path):
    """--contamination 0 is refused by the detector's own rule, (0, 0.5], before training."""
    data = tmp_path / "d.csv"
    make_frame(100).to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--contamination", "0"])
    assert_user_error(result, "'contamination' parameter of AEDetector", "(0, 0.5]")
    assert not (tmp_path / "d.scores.csv").exists()


def test_detect_model_with_training_option(tmp_path):
    """Training options make no sense with a saved model and are refused."""
    result = runner.invoke(
        app, ["detect", str(tmp_path / "d.csv"), "--model", "m.aeg", "--epochs", "3"]
    )
    assert_user_error(result, "--epochs cannot be used with --model")


def test_detect_not_a_model_file(tmp_path):
    """A file that is not an aeguard model gives one line."""
    data = tmp_path / "d.csv"
    make_frame(n_rows=20).to_csv(data, index=False)
    fake = tmp_path / "fake.aeg"
    fake.write_text("hello")
    result = runner.invoke(app, ["detect", str(data), "--model", str(fake)])
    assert_user_error(result, "is not an aeguard model file")


def test_detect_model_that_is_not_a_detector(tmp_path):
    """A saved pipeline (or a Denoiser) given to --model is one line, not a traceback."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    frame = make_frame(n_rows=60)
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    pipeline = make_pipeline(StandardScaler(), aeguard.AEDetector(epochs=1, random_state=0))
    aeguard.save(pipeline.fit(frame.select_dtypes("number")), tmp_path / "p.aeg")
    result = runner.invoke(app, ["detect", str(data), "--model", str(tmp_path / "p.aeg")])
    assert_user_error(result, "holds a Pipeline, not a detector")


@pytest.mark.parametrize("value", ["-1", "4294967296"])
def test_detect_bad_seed(tmp_path, value):
    """A seed NumPy cannot use is one line, before any training."""
    result = runner.invoke(app, ["detect", str(tmp_path / "d.csv"), "--seed", value])
    assert_user_error(result, "--seed", "4294967295" if value != "-1" else "0")


def test_detect_with_a_model_fitted_on_an_array(tmp_path):
    """A model fitted on a bare array scores a CSV by column count, without warnings."""
    import warnings

    import aeguard
    from aeguard import AEDetector

    frame = make_frame(n_rows=120)
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    det = AEDetector(epochs=2, random_state=0).fit(frame[FEATURES].to_numpy())
    aeguard.save(det, tmp_path / "array.aeg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = runner.invoke(app, ["detect", str(data), "--model", str(tmp_path / "array.aeg")])
    assert result.exit_code == 0, result.output
    assert "feature names" not in result.stderr
    out = pd.read_csv(tmp_path / "d.scores.csv")
    np.testing.assert_allclose(
        out["anomaly_score"], det.score_samples(frame[FEATURES].to_numpy()), rtol=1e-6
    )


# ------------------------------------------------------------ time series
SERIES_COLUMNS = ["temp", "pressure", "flow"]


def make_series_file(path, n_rows=800, seed=0, shuffle=True, sep=","):
    """A 3-sensor periodic series with a pressure spike at row 600, written in a messy order.

    The rows are shuffled locally (two swapped blocks), one timestamp is repeated, two values
    are missing and a label column is present: everything the time-series path must repair
    or report.
    """
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * np.arange(n_rows) / 25
    frame = pd.DataFrame({
        "when": pd.date_range("2024-03-01", periods=n_rows, freq="10s").strftime(
            "%Y-%m-%d %H:%M:%S"),
        "temp": np.sin(phase) + 0.05 * rng.normal(size=n_rows),
        "pressure": np.cos(phase) + 0.05 * rng.normal(size=n_rows),
        "flow": 0.5 * np.sin(phase + 1) + 0.05 * rng.normal(size=n_rows),
        "anomaly": 0,
    })
    if n_rows > 700:
        frame.loc[600, "pressure"] += 4.0
        frame.loc[600, "anomaly"] = 1
        frame.loc[700, "when"] = frame.loc[699, "when"]
    frame.loc[[100, 101], "temp"] = np.nan
    if shuffle:
        frame = pd.concat([frame.iloc[:300], frame.iloc[400:500], frame.iloc[300:400],
                           frame.iloc[500:]])
    frame.to_csv(path, index=False, sep=sep)
    return frame


@pytest.fixture(scope="module")
def series_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("series")
    data = folder / "plant.csv"
    frame = make_series_file(data)
    model = folder / "plant.aeg"
    result = runner.invoke(app, [
        "detect", str(data), "--train-rows", "500", "--epochs", "15", "--save-model", str(model),
        "--plot", str(folder / "plant.png"),
    ])
    assert result.exit_code == 0, result.output
    return SimpleNamespace(data=data, frame=frame, model=model, result=result, folder=folder,
                           scores=pd.read_csv(folder / "plant.scores.csv"))


def test_detect_series_scores_in_file_order_and_blames_the_sensor(series_run):
    """The spike is the top row, flagged and blamed on pressure; rows keep the file's order."""
    scores, frame = series_run.scores, series_run.frame
    assert list(scores.columns) == list(frame.columns) + OUTPUT_COLUMNS
    assert list(scores["when"]) == list(frame["when"])
    top = scores.loc[scores["anomaly_score"].idxmax()]
    assert top["anomaly"] == 1 and top["is_anomaly"] == 1
    assert top["top_columns"].split(",")[0] == "pressure"
    assert scores["is_anomaly"].mean() < 0.05


def test_detect_series_summary_reports_repairs_and_intervals(series_run):
    """The summary names the time column, what was repaired, and the spike's interval."""
    out = series_run.result.stdout
    assert "time series: scored in time order by 'when'" in out
    assert "note: rows were not in time order: scored in order of when" in out
    assert f"wrote {series_run.folder / 'plant.scores.csv'} (rows in the input's order)" in out
    assert "note: 1 row(s) repeat an earlier timestamp" in out
    assert "note: interpolated missing values: temp (2)" in out
    assert "anomaly (named like a label)" in out and "when (time column)" in out
    assert "the first 500 rows, windows of 25 rows" in out
    spike_time = series_run.frame.set_index(series_run.frame.index)["when"].loc[600]
    interval_lines = [line for line in out.splitlines() if "pressure" in line and ":" in line]
    assert any(line.split()[0] + " " + line.split()[1] <= spike_time for line in interval_lines)
    # Each interval says both what it spans and how many of those rows were in the alarm.
    lines = out.splitlines()
    first = next(i for i, line in enumerate(lines) if line.strip().startswith("start"))
    assert lines[first].split() == ["start", "end", "rows", "flagged", "peak_score",
                                    "top_columns"]
    table = lines[first + 1:lines.index("", first)]
    assert table[-1] == "  rows: from start to end; flagged: those in the alarm"
    assert len(table) > 1
    for line in (line for line in table[:-1] if not line.startswith("  (open)")):
        spanned, flagged = (int(v) for v in line.replace("(open)", "").split()[4:6])
        assert 1 <= flagged <= spanned
    assert (series_run.folder / "plant.png").stat().st_size > 10_000


def test_detect_series_saved_model_scores_identically(series_run, tmp_path):
    """--model with a saved SeriesDetector reproduces the scores without training."""
    out = tmp_path / "again.csv"
    result = runner.invoke(app, ["detect", str(series_run.data), "--model", str(series_run.model),
                                 "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "training" not in result.stderr
    np.testing.assert_array_equal(pd.read_csv(out)["anomaly_score"],
                                  series_run.scores["anomaly_score"])


def test_detect_series_json_and_threshold(series_run, tmp_path):
    """--json prints a machine-readable summary; --threshold replaces the learned threshold."""
    import json

    result = runner.invoke(app, [
        "detect", str(series_run.data), "--model", str(series_run.model), "--json",
        "--threshold", "1000", "--output", str(tmp_path / "o.csv"),
    ])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["path"] == "time series" and summary["time_column"] == "when"
    assert summary["threshold"] == 1000 and summary["flagged"] == 0
    assert summary["intervals"] == []
    assert summary["threshold_rule"] == "given with --threshold"


def test_detect_window_1_forces_the_tabular_path(series_run, tmp_path):
    """--window 1 treats the rows of a time series as independent samples."""
    result = runner.invoke(app, ["detect", str(series_run.data), "--window", "1", "--epochs",
                                 "2", "--output", str(tmp_path / "o.csv"), "--columns",
                                 "pressure,flow"])
    assert result.exit_code == 0, result.output
    assert "time series" not in result.stdout and "top 10 rows" in result.stdout


def test_detect_series_train_until(tmp_path):
    """--train-until trains on the rows stamped up to that time."""
    data = tmp_path / "p.csv"
    make_series_file(data, shuffle=False, sep=";")
    result = runner.invoke(app, ["detect", str(data), "--train-until", "2024-03-01 01:00:00",
                                 "--epochs", "2", "--window", "20"])
    assert result.exit_code == 0, result.output
    assert "the first 361 rows, windows of 20 rows" in result.stdout
    assert "worst windows" not in result.stdout  # a part the user marked is trained untrimmed
    assert "semicolon-separated" in result.stdout


def _half_faulty_series(path, n_rows=900):
    """Two periodic sensors; from the middle on, the first is 3 units (about 4 sd) higher."""
    rng = np.random.default_rng(0)
    phase = 2 * np.pi * np.arange(n_rows) / 25
    frame = pd.DataFrame({
        "when": pd.date_range("2024-03-01", periods=n_rows, freq="10s"),
        "temp": np.sin(phase) + 0.05 * rng.normal(size=n_rows),
        "flow": np.cos(phase) + 0.05 * rng.normal(size=n_rows),
    })
    frame.loc[n_rows // 2:, "temp"] += 3.0
    frame.to_csv(path, index=False)


def test_detect_series_learns_from_the_first_third_by_default(tmp_path):
    """Without a training option the first third is learnt, robustly: a fault that fills the
    second half of the file is flagged, while a fit on every row (--train-all) learns it."""
    data = tmp_path / "half.csv"
    _half_faulty_series(data)
    flagged = {}
    for extra in ([], ["--train-all"]):
        out = tmp_path / f"out{len(extra)}.csv"
        result = runner.invoke(app, ["detect", str(data), "--epochs", "10", "--window", "25",
                                     "--output", str(out), *extra])
        assert result.exit_code == 0, result.output
        scores = pd.read_csv(out)
        flagged[bool(extra)] = scores["is_anomaly"].to_numpy()[450:].mean()
        part = "all 900 rows" if extra else "the first 300 rows"
        assert f"trained on {part}, windows of 25 rows (10% held out for early stopping, " \
               "worst windows left out)" in result.stdout
    assert flagged[False] > 0.5
    assert flagged[True] < flagged[False] / 2


def test_detect_series_default_part_holds_two_windows(tmp_path):
    """On a short file the default training part grows to two --window lengths."""
    data = tmp_path / "short.csv"
    _half_faulty_series(data, n_rows=250)
    result = runner.invoke(app, ["detect", str(data), "--window", "100", "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert "trained on the first 200 rows, windows of 100 rows" in result.stdout


@pytest.mark.parametrize("other", [["--train-rows", "100"], ["--train-until", "2024-03-01"]])
def test_detect_series_train_all_excludes_the_other_training_options(tmp_path, other):
    data = tmp_path / "half.csv"
    _half_faulty_series(data)
    result = runner.invoke(app, ["detect", str(data), "--train-all", *other])
    assert_user_error(result, "--train-all", other[0])


def test_detect_train_all_needs_a_single_series(tmp_path):
    """--train-all is refused on table rows (--window 1) and with --group-by."""
    data = tmp_path / "half.csv"
    _half_faulty_series(data)
    assert_user_error(runner.invoke(app, ["detect", str(data), "--train-all", "--window", "1"]),
                      "--train-all needs a time series")
    assert_user_error(runner.invoke(app, ["detect", str(data), "--train-all", "--group-by",
                                          "flow"]), "--train-all cannot be used with --group-by")


def test_detect_series_model_names_a_network_and_smoothing(tmp_path):
    """--model dense means --network dense; the summary names the network and the smoothing."""
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=400, shuffle=False)
    saved = tmp_path / "m.aeg"
    result = runner.invoke(app, ["detect", str(data), "--model", "dense", "--smoothing", "4",
                                 "--epochs", "2", "--window", "20", "--save-model", str(saved)])
    assert result.exit_code == 0, result.output
    assert "SeriesDetector (dense network) trained on the first 134 rows, windows of 20 rows, " \
           "errors averaged over 4 rows" in result.stdout
    detector = aeguard.load(saved)
    assert detector.model == "dense" and detector.smoothing_ == 4


def test_detect_series_adapt_trains_on_and_scores_with_a_saved_model(tmp_path):
    """--adapt is a scoring mode: it works when training and with --model, which it leaves as is."""
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=400, shuffle=False)
    saved = tmp_path / "m.aeg"
    fixed = tmp_path / "fixed.csv"
    result = runner.invoke(app, ["detect", str(data), "--epochs", "2", "--window", "20",
                                 "--save-model", str(saved), "-o", str(fixed)])
    assert result.exit_code == 0, result.output
    adaptive = tmp_path / "adaptive.csv"
    result = runner.invoke(app, ["detect", str(data), "--model", str(saved), "--adapt", "100",
                                 "-o", str(adaptive)])
    assert result.exit_code == 0, result.output
    assert aeguard.load(saved).adapt is None
    # The first 100 rows are scored by the saved network; the rest by the updated copies.
    fixed_scores = pd.read_csv(fixed)["anomaly_score"].to_numpy()
    scores = pd.read_csv(adaptive)["anomaly_score"].to_numpy()
    np.testing.assert_allclose(scores[:100], fixed_scores[:100], rtol=1e-5)
    assert not np.allclose(scores[100:], fixed_scores[100:], rtol=1e-3)
    result = runner.invoke(app, ["detect", str(data), "--epochs", "2", "--window", "20",
                                 "--adapt", "100", "--save-model", str(tmp_path / "a.aeg"),
                                 "-o", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    assert aeguard.load(tmp_path / "a.aeg").adapt == 100


def test_detect_model_network_name_conflicts(tmp_path, monkeypatch):
    """A network name given twice, or also a file's name, is a one-line error."""
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=200, shuffle=False)
    assert_user_error(
        runner.invoke(app, ["detect", str(data), "--model", "lstm", "--network", "conv"]),
        "--model lstm names a network, and so does --network; give one")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "lstm").write_bytes(b"")
    assert_user_error(runner.invoke(app, ["detect", str(data), "--model", "lstm"]),
                      "--model lstm is both a network name and a file here")


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--train-rows", "5", "--window", "20"], ["too few for a window of 20 rows"]),
        (["--train-rows", "100", "--train-until", "2024-03-01"],
         ["give only one of", "--train-rows", "--train-until"]),
        (["--train-until", "yesterday-ish"], ["is not a date"]),
        (["--time-column", "nope"], ["--time-column 'nope' is not a column"]),
        (["--network", "gru"],
         ["'model' parameter of SeriesDetector must be one of 'conv', 'dense', 'lstm', 'vae'"]),
        (["--contamination", "0.1", "--threshold", "2"], ["not both"]),
        (["--smoothing", "0"], ["--smoothing", "greater than or equal to 1"]),
    ],
)
def test_detect_series_user_errors(tmp_path, args, fragments):
    """Bad time-series options are one line on stderr and exit status 2."""
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=200, shuffle=False)
    assert_user_error(runner.invoke(app, ["detect", str(data), *args]), *fragments)


def test_detect_series_too_short_for_an_automatic_window(tmp_path):
    """A time series too short for an automatic window is a one-line error."""
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=200, shuffle=False).iloc[:20].to_csv(data, index=False)
    assert_user_error(runner.invoke(app, ["detect", str(data)]),
                      "The training part has 20 rows, too few for an automatic window")


def test_detect_series_long_missing_run_and_plot_on_tabular(tmp_path):
    """A long run of missing values is refused; --plot, --smoothing and --network need a time
    series."""
    data = tmp_path / "p.csv"
    frame = make_series_file(data, n_rows=200, shuffle=False)
    frame.loc[50:80, "flow"] = np.nan
    frame.to_csv(data, index=False)
    assert_user_error(runner.invoke(app, ["detect", str(data)]),
                      "missing values in column(s) flow (31 in a row) form runs longer than 10 rows")
    frame.loc[50:80, "flow"] = 0.0
    frame.loc[50:64, "flow"] = np.nan  # 15: longer than the limit, though within 10 of an end
    frame.to_csv(data, index=False)
    assert_user_error(runner.invoke(app, ["detect", str(data)]), "flow (15 in a row)")
    tabular = tmp_path / "t.csv"
    make_frame(n_rows=30).to_csv(tabular, index=False)
    assert_user_error(runner.invoke(app, ["detect", str(tabular), "--plot", str(tmp_path / "x.png")]),
                      "--plot needs a time series")
    assert_user_error(runner.invoke(app, ["detect", str(tabular), "--smoothing", "4"]),
                      "--smoothing needs a time series")
    assert_user_error(runner.invoke(app, ["detect", str(tabular), "--network", "bogus"]),
                      "--network needs a time series")
    assert_user_error(runner.invoke(app, ["detect", str(tabular), "--adapt", "100"]),
                      "--adapt needs a time series")
    assert_user_error(runner.invoke(app, ["detect", str(data), "--window", "1", "--smoothing", "4"]),
                      "--smoothing needs a time series; --window 1 scores rows as independent samples")


def test_detect_series_keeps_existing_files_without_force(tmp_path):
    """An existing scores file, plot or model is refused before training, and left as it was."""
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=200, shuffle=False)
    base = ["detect", str(data), "--epochs", "2", "--window", "20"]
    for option, name in (("--output", "o.csv"), ("--plot", "p.png"), ("--save-model", "m.aeg")):
        existing = tmp_path / name
        existing.write_text("mine\n")
        result = runner.invoke(app, base + [option, str(existing)])
        assert_user_error(result, "exists; use --force")
        assert "training" not in result.stderr
        assert existing.read_text() == "mine\n"


def test_detect_series_across_a_daylight_saving_change(tmp_path):
    """Times whose UTC offset changes (summer time) are ordered as UTC instants, and said so."""
    data = tmp_path / "p.csv"
    frame = make_series_file(data, n_rows=200, shuffle=False)
    berlin = pd.date_range("2024-03-31 00:00", periods=200, freq="min", tz="Europe/Berlin")
    frame["when"] = [t.isoformat() for t in berlin]  # +01:00, then +02:00 from 03:00
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--epochs", "2", "--window", "20",
                                 "--train-until", "2024-03-31 01:30"])
    assert result.exit_code == 0, result.output
    assert "note: when has several UTC offsets" in result.stdout
    assert "the first 151 rows" in result.stdout  # 23:00 to 01:30 UTC
    assert list(pd.read_csv(tmp_path / "p.scores.csv")["when"]) == list(frame["when"])


def test_detect_series_reports_gaps_and_survives_a_constant_sensor(tmp_path):
    """A hole in the record is reported; a sensor stuck at one value breaks nothing."""
    data = tmp_path / "p.csv"
    frame = make_series_file(data, n_rows=400, shuffle=False)
    frame = frame.drop(index=range(200, 260)).assign(valve=1.0)  # 10 minutes missing
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), "--epochs", "2", "--window", "20"])
    assert result.exit_code == 0, result.output
    assert "note: 1 gap(s) longer than 3x the usual step of 0 days 00:00:10 (largest 0 days " \
           "00:10:10)" in result.stdout
    scores = pd.read_csv(tmp_path / "p.scores.csv")
    assert np.isfinite(scores["anomaly_score"]).all() and len(scores) == 340
