"""``aeguard detect`` on files as users have them: day-first and month-first dates, decimal
commas, byte-order marks and Windows line ends, paths with spaces, pipes."""

import io
import json

import numpy as np
import pandas as pd
import pytest

from aeguard.cli import app

from .helpers import assert_user_error, runner

#: Tiny fits: these tests are about reading and writing, not about detection.
FIT = ["--epochs", "1", "--window", "20"]


def sensor_frame(n_rows=240, start="2026-11-25 13:05", freq="h", fmt="%d/%m/%Y %H:%M"):
    """Two periodic sensors with timestamps written in ``fmt``, and the instants they stand for."""
    times = pd.date_range(start, periods=n_rows, freq=freq)
    phase = 2 * np.pi * np.arange(n_rows) / 20
    frame = pd.DataFrame({"when": times.strftime(fmt), "temp": np.sin(phase).round(4),
                          "flow": np.cos(phase).round(4)})
    return frame, times


def test_day_first_dates_one_reading_and_time_order(tmp_path):
    """25/11 .. 05/12: 01/12 is 1 December, not 12 January, in every row; --train-until is read
    the same way; --order time writes the rows sorted, and the summary says so. The folder and
    file names have spaces."""
    frame, times = sensor_frame()
    shuffled = pd.concat([frame.iloc[:100], frame.iloc[150:], frame.iloc[100:150]])
    folder = tmp_path / "plant data"
    folder.mkdir()
    data, output = folder / "line 1.csv", folder / "line 1 sorted.csv"
    shuffled.to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), *FIT, "--order", "time", "-o", str(output),
                                 "--train-until", "01/12/2026 00:00"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "note: dates in when read day first ('25/11/2026 13:05' is 25 November 2026)" in out
    assert f"the first {(times <= '2026-12-01').sum()} rows" in out
    assert f"wrote {output} (rows in time order, by when)" in out
    written = pd.read_csv(output)
    assert list(written["when"]) == list(frame["when"])
    np.testing.assert_array_equal(written["temp"], frame["temp"])


def test_month_first_dates_keep_the_file_order(tmp_path):
    """11/25/2026: month first; the rows were in time order all along, and stay in file order."""
    frame, _ = sensor_frame(fmt="%m/%d/%Y %I:%M %p")
    data = tmp_path / "us.csv"
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), *FIT, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["output_order"] == "file"
    assert any("read month first ('11/25/2026 01:05 PM' is 25 November 2026)" in note
               for note in summary["notes"])
    assert not any("not in time order" in note for note in summary["notes"])
    assert list(pd.read_csv(tmp_path / "us.scores.csv")["when"]) == list(frame["when"])


def test_dates_that_read_both_ways(tmp_path):
    """Stamps within one day read both ways alike: refused before training, naming the options;
    --dayfirst or --time-format settles it."""
    frame, _ = sensor_frame(n_rows=60, start="2026-03-04", freq="min")
    data = tmp_path / "d.csv"
    frame.to_csv(data, index=False)
    result = runner.invoke(app, ["detect", str(data), *FIT])
    assert_user_error(result, "'when' read both day first and month first", "--dayfirst",
                      "--monthfirst", "--time-format")
    assert "training" not in result.stderr
    assert_user_error(runner.invoke(app, ["detect", str(data), "--dayfirst", "--time-format",
                                          "%d/%m/%Y %H:%M"]), "not both")
    assert_user_error(runner.invoke(app, ["detect", str(data), "--dayfirst", "--monthfirst"]),
                      "not both")
    result = runner.invoke(app, ["detect", str(data), *FIT, "--time-format", "%d/%m/%Y %H:%M",
                                 "--train-until", "04/03/2026 00:30"])
    assert result.exit_code == 0, result.output
    assert "the first 31 rows" in result.stdout


def test_european_file(tmp_path):
    """An Excel export: byte-order mark, CRLF, semicolons, decimal commas, 01.12.2026 dates. The
    numbers are features, and the scores are written with decimal commas too."""
    frame, _ = sensor_frame(start="2026-12-01 13:05", fmt="%d.%m.%Y %H:%M")
    data = tmp_path / "Messung.csv"
    text = frame.to_csv(sep=";", decimal=",", index=False, lineterminator="\r\n")
    data.write_bytes(("\ufeff" + text).encode("utf-8"))
    result = runner.invoke(app, ["detect", str(data), *FIT])
    assert result.exit_code == 0, result.output
    assert "(240 rows, 3 columns, semicolon-separated, decimal comma)" in result.stdout
    assert "features (2): temp, flow" in result.stdout
    # 1-11 December: every value reads both ways; only day first gives hourly steps throughout.
    assert "read day first ('01.12.2026 13:05' is 1 December 2026)" in result.stdout
    assert "at the more regular steps" in result.stdout
    written = pd.read_csv(tmp_path / "Messung.scores.csv", sep=";", decimal=",")
    assert list(written.columns) == ["when", "temp", "flow", "anomaly_score", "is_anomaly",
                                     "top_columns"]
    assert written["anomaly_score"].dtype == float
    np.testing.assert_array_equal(written["temp"], frame["temp"])
    result = runner.invoke(app, ["detect", str(data), "--decimal", ".", "-o",
                                 str(tmp_path / "o.csv")])
    assert_user_error(result, "no numeric feature columns", "--decimal ,")


def test_gzip_file_and_gzip_on_standard_input(tmp_path, monkeypatch):
    """A semicolon-separated .csv.gz with decimal commas is read decompressed, from a file or
    from standard input; the scores are written uncompressed, beside it as FILE.scores.csv."""
    import gzip

    monkeypatch.chdir(tmp_path)
    frame, _ = sensor_frame(start="2026-12-01 13:05", fmt="%Y-%m-%d %H:%M")
    packed = gzip.compress(frame.to_csv(sep=";", decimal=",", index=False).encode("utf-8"))
    data = tmp_path / "plant.csv.gz"
    data.write_bytes(packed)
    result = runner.invoke(app, ["detect", str(data), *FIT])
    assert result.exit_code == 0, result.output
    assert "(240 rows, 3 columns, semicolon-separated, decimal comma)" in result.stdout
    written = pd.read_csv(tmp_path / "plant.scores.csv", sep=";", decimal=",")
    np.testing.assert_array_equal(written["temp"], frame["temp"])
    result = runner.invoke(app, ["detect", "-", *FIT], input=packed)
    assert result.exit_code == 0, result.output
    assert "input: standard input (240 rows, 3 columns, semicolon-separated" in result.stderr
    written = pd.read_csv(io.StringIO(result.stdout), sep=";", decimal=",")
    np.testing.assert_array_equal(written["flow"], frame["flow"])


def tabular_csv(n_rows=60):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(n_rows, 3)).round(5), columns=["a", "b", "c"])
    return frame, frame.to_csv(index=False, lineterminator="\r\n")


def test_standard_input_to_standard_output(tmp_path, monkeypatch):
    """- reads standard input and, by default, writes the scores to standard output, which then
    holds nothing but the CSV; the summary (text or JSON) goes to standard error."""
    monkeypatch.chdir(tmp_path)
    frame, text = tabular_csv()
    for args in ([], ["-o", "-"], ["--json"]):
        result = runner.invoke(app, ["detect", "-", "--epochs", "1", *args],
                               input=("\ufeff" + text).encode("utf-8"))
        assert result.exit_code == 0, result.output
        written = pd.read_csv(io.StringIO(result.stdout))
        assert list(written.columns) == ["a", "b", "c", "anomaly_score", "is_anomaly",
                                         "top_columns"]
        np.testing.assert_array_equal(written[["a", "b", "c"]], frame)
        if args == ["--json"]:
            summary = json.loads(result.stderr[result.stderr.index("{"):])
            assert summary["input"] == "-" and summary["output"] == "-"
        else:
            assert "input: standard input (60 rows" in result.stderr
            assert "wrote the scores to standard output (rows in the input's order)" in \
                result.stderr
    assert list(tmp_path.iterdir()) == []  # no file named "-", nothing else


def test_file_to_standard_output_and_what_cannot_go_there(tmp_path):
    """-o - with a file input; a model or a figure cannot go to standard output; --order time and
    the date options need a time series."""
    frame, text = tabular_csv()
    data = tmp_path / "t.csv"
    data.write_text(text)
    result = runner.invoke(app, ["detect", str(data), "--epochs", "1", "-o", "-", "--quiet"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert len(pd.read_csv(io.StringIO(result.stdout))) == len(frame)
    assert not (tmp_path / "t.scores.csv").exists()
    for args, fragment in (
        (["--save-model", "-"], "--save-model cannot be standard output"),
        (["--plot", "-"], "--plot cannot be standard output"),
        (["--order", "time"], "--order time needs a time series"),
        (["--dayfirst"], "--dayfirst needs a time series"),
        (["--time-format", "%Y"], "--time-format needs a time series"),
        (["--order", "sideways"], "--order"),
        (["--decimal", ";"], "--decimal"),
    ):
        assert_user_error(runner.invoke(app, ["detect", str(data), *args]), fragment)


@pytest.mark.parametrize("args", [["--window", "20"], ["--window", "20", "--time-column", "x"]])
def test_date_options_need_a_time_column(tmp_path, args):
    """On the series path without a time column (--window alone), --dayfirst has nothing to
    read."""
    frame, text = tabular_csv()
    data = tmp_path / "t.csv"
    data.write_text(text)
    result = runner.invoke(app, ["detect", str(data), *args, "--monthfirst"])
    fragment = "--monthfirst needs a time column" if len(args) == 2 else "--time-column 'x'"
    assert_user_error(result, fragment)
