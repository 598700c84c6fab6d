"""Tests for ``aeguard score``: a saved model streams a file through, chunk by chunk."""

import numpy as np
import pandas as pd
import pytest

from .helpers import assert_user_error, invoke

CHUNK = ("--chunk-rows", "300")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A model saved by aeguard detect, and a 2,000-row file with an outlier at row 1,500."""
    folder = tmp_path_factory.mktemp("score")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(2000, 2)) @ rng.normal(size=(2, 4)),
                         columns=list("abcd")).round(6)
    frame.insert(0, "id", [f"r{i:05d}" for i in range(len(frame))])
    frame.loc[1500, "c"] += 40
    train = folder / "train.csv"
    frame.iloc[:1000].to_csv(train, index=False)
    model = folder / "det.aeg"
    done = invoke("detect", train, "--epochs", "20", "--save-model", model, "-q")
    assert done.exit_code == 0, done.output
    data = folder / "rows.csv"
    frame.to_csv(data, index=False)
    whole = invoke("detect", data, "--model", model, "-o", folder / "whole.csv", "-q")
    assert whole.exit_code == 0, whole.output
    return folder, frame, model, data, pd.read_csv(folder / "whole.csv")


def test_score_streams_the_same_scores_as_detect(saved):
    folder, frame, model, data, whole = saved
    result = invoke("score", data, "--model", model, *CHUNK)
    assert result.exit_code == 0, result.output
    out = pd.read_csv(folder / "rows.scores.csv", dtype={"id": str})
    assert list(out.columns) == [*frame.columns, "anomaly_score", "is_anomaly", "top_columns"]
    assert (out.id == frame.id).all()
    np.testing.assert_allclose(out.anomaly_score, whole.anomaly_score, rtol=1e-5)
    assert (out.is_anomaly == whole.is_anomaly).all()
    assert "flagged:" in result.stdout and "scored 2,000 rows (100%)" in result.stderr
    top = result.stdout.split("top_columns")[1].splitlines()[1].split()
    assert top[0] == "1501" and top[-1].startswith("c")


def test_score_parquet_in_and_out(saved, tmp_path):
    pytest.importorskip("pyarrow")
    folder, frame, model, data, whole = saved
    source = tmp_path / "rows.parquet"
    frame.to_parquet(source)
    out = tmp_path / "out.parquet"
    result = invoke("score", source, "--model", model, "-o", out, *CHUNK, "-q")
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out)
    np.testing.assert_allclose(scored.anomaly_score, whole.anomaly_score, rtol=1e-5)


def test_score_decimal_commas_and_semicolons(saved, tmp_path):
    folder, frame, model, data, whole = saved
    source = tmp_path / "rows_eu.csv"
    frame.to_csv(source, index=False, sep=";", decimal=",")
    result = invoke("score", source, "--model", model, "--decimal", ",", *CHUNK, "-q")
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "rows_eu.scores.csv", sep=";", decimal=",")
    np.testing.assert_allclose(out.anomaly_score, whole.anomaly_score, rtol=1e-5)
    assert out.a.iloc[0] == pytest.approx(frame.a.iloc[0])


def test_score_bad_value_late_in_the_file_leaves_no_output(saved, tmp_path):
    folder, frame, model, data, whole = saved
    broken = frame.astype({"b": object})
    broken.loc[1700, "b"] = "n/a"
    source = tmp_path / "broken.csv"
    broken.to_csv(source, index=False)
    out = tmp_path / "out.csv"
    result = invoke("score", source, "--model", model, "-o", out, *CHUNK, "-q")
    assert_user_error(result, "column 'b'", "data row 1701", "'n/a'")
    assert not out.exists() and list(tmp_path.glob(".out.csv.*")) == []


@pytest.mark.parametrize("case, fragments", [
    ("missing column", ("lacks the model's feature column(s) d",)),
    ("series model", ("takes a table detector",)),
    ("existing output", ("exists; use --force",)),
    ("bad suffix", ("must end in .csv or .parquet",)),
])
def test_score_user_errors(saved, tmp_path, case, fragments):
    folder, frame, model, data, whole = saved
    args = ["score", data, "--model", model, "-o", tmp_path / "out.csv"]
    if case == "missing column":
        source = tmp_path / "three.csv"
        frame.drop(columns="d").to_csv(source, index=False)
        args[1] = source
    elif case == "series model":
        series = tmp_path / "series.csv"
        pd.DataFrame({"t": pd.date_range("2026-01-01", periods=200, freq="1min"),
                      "v": np.sin(np.arange(200) / 5)}).to_csv(series, index=False)
        done = invoke("detect", series, "--epochs", "2", "--window", "16", "--save-model",
                      tmp_path / "series.aeg", "-q", "-o", tmp_path / "s.csv")
        assert done.exit_code == 0, done.output
        args[3] = tmp_path / "series.aeg"
    elif case == "existing output":
        (tmp_path / "out.csv").write_text("mine\n")
    else:
        args[5] = tmp_path / "out.txt"
    assert_user_error(invoke(*args), *fragments)


def test_score_empty_and_damaged_files(saved, tmp_path):
    import gzip

    folder, frame, model, data, whole = saved
    empty = tmp_path / "empty.csv"
    frame.iloc[:0].to_csv(empty, index=False)
    assert_user_error(invoke("score", empty, "--model", model, "-q"), "no data rows")
    packed = gzip.compress(data.read_bytes())
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    assert_user_error(invoke("score", cut, "--model", model, "-q"), "damaged or cut off")


def test_score_warns_when_the_model_flags_most_rows(saved, tmp_path):
    """Rows far from the training data (every column shifted): the summary says they drifted."""
    folder, frame, model, data, whole = saved
    shifted = frame.copy()
    shifted[list("abcd")] += 10 * frame[list("abcd")].std()
    moved = tmp_path / "moved.csv"
    shifted.to_csv(moved, index=False)
    result = invoke("score", moved, "--model", model, *CHUNK)
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stdout.splitlines() if line.startswith("warning:")]
    assert len(warning) == 1 and "drifted" in warning[0] and str(model) in warning[0]
    assert "aeguard detect FILE --save-model" in warning[0]
    quiet = invoke("score", data, "--model", model, "-o", tmp_path / "same.csv", *CHUNK)
    assert "warning:" not in quiet.stdout
