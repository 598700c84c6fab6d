"""Tests for ``aeguard detect --group-by``: a fleet of assets in one file."""

import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from .helpers import assert_user_error, invoke

#: Small and quick, yet enough to learn the waves: about a second per asset.
TRAINING = ("--train-rows", "200", "--window", "20", "--epochs", "8")


def make_fleet_file(path, assets=("pump1", "pump2", "pump3"), faulty="pump2", short="pump9"):
    """Assets interleaved in time, one timestamp column; a 5-unit fault on ``faulty``'s flow."""
    rng = np.random.default_rng(0)
    parts = []
    for k, asset in enumerate(assets):
        n = 400
        phase = 2 * np.pi * np.arange(n) / 20 + k
        part = pd.DataFrame({
            "time": pd.date_range("2026-01-01", periods=n, freq="1min"),
            "pump": asset,
            "temp": np.sin(phase) + 0.05 * rng.normal(size=n),
            "flow": np.cos(phase) + 0.05 * rng.normal(size=n),
        })
        if asset == faulty:
            part.loc[300:305, "flow"] += 5.0
        parts.append(part)
    if short is not None:
        parts.append(parts[0].iloc[:12].assign(pump=short))
    frame = pd.concat(parts).sort_values("time", kind="stable").reset_index(drop=True)
    frame["time"] = frame.time.dt.strftime("%Y-%m-%d %H:%M")
    frame.to_csv(path, index=False)
    return frame


@pytest.fixture(scope="module")
def fleet_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fleet")
    data = folder / "fleet.csv"
    frame = make_fleet_file(data)
    files = SimpleNamespace(model=folder / "fleet.aeg", plot=folder / "fleet.png",
                            report=folder / "fleet.html")
    result = invoke("detect", data, "--group-by", "pump", *TRAINING, "--save-model",
                    files.model, "--plot", files.plot, "--report", files.report)
    assert result.exit_code == 0, result.output
    return SimpleNamespace(data=data, frame=frame, result=result, folder=folder, files=files,
                           scores=pd.read_csv(folder / "fleet.scores.csv"))


def test_fleet_scores_every_row_in_file_order(fleet_run):
    scores, frame = fleet_run.scores, fleet_run.frame
    assert list(scores.columns) == [*frame.columns, "anomaly_score", "is_anomaly", "top_columns"]
    assert (scores.pump == frame.pump).all() and (scores.time == frame.time).all()
    short = scores.pump == "pump9"
    assert scores.loc[short, ["anomaly_score", "is_anomaly"]].isna().all().all()
    assert scores.loc[~short, "anomaly_score"].notna().all()
    top = scores.loc[scores.anomaly_score.idxmax()]
    assert top.pump == "pump2" and top.top_columns.startswith("flow") and top.is_anomaly == 1


def test_fleet_summary_ranks_the_faulty_asset_first(fleet_run):
    out = fleet_run.result.stdout
    assert "fleet: 4 assets by 'pump'" in out
    assert "pump (asset column)" in out and "time (time column)" in out
    assert "skipped: pump pump9 (12 rows): fewer rows than --train-rows 200" in out
    ranked = out.split("assets by peer score (each asset's worst column against the median of "
                       "that column over the fleet):")[1].splitlines()
    assert ranked[2].split()[0] == "pump2" and ranked[2].split()[-1].startswith("flow")
    assert "anomalous intervals:" in out
    table = out.split("anomalous intervals:")[1].splitlines()
    assert table[1].split() == ["asset", "start", "end", "rows", "flagged", "peak_score",
                                "top_columns"]
    assert "  rows: from start to end; flagged: those in the alarm" in table
    assert "fitting asset pump1 (1 of 4" in fleet_run.result.stderr


def test_fleet_json_summary(fleet_run, tmp_path):
    result = invoke("detect", fleet_run.data, "--group-by", "pump", *TRAINING, "--json",
                    "-o", tmp_path / "out.csv", "-q")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["group_by"] == "pump" and summary["path"] == "fleet of time series"
    assert [a["asset"] for a in summary["assets"]][0] == "pump2"
    assert summary["assets"][-1]["asset"] == "pump9" and summary["assets"][-1]["skipped"]
    assert "pump9" in summary["skipped"]
    assert {i["asset"] for i in summary["intervals"]} >= {"pump2"}


def test_fleet_shared_saved_model(fleet_run, tmp_path):
    """--model: one detector saved from one asset's file scores every asset."""
    frame = fleet_run.frame
    one = tmp_path / "pump1.csv"
    frame[frame.pump == "pump1"].drop(columns="pump").to_csv(one, index=False)
    model = tmp_path / "pump.aeg"
    saved = invoke("detect", one, *TRAINING, "--save-model", model, "-q")
    assert saved.exit_code == 0, saved.output
    result = invoke("detect", fleet_run.data, "--group-by", "pump", "--model", model,
                    "-o", tmp_path / "shared.csv")
    assert result.exit_code == 0, result.output
    assert "shared by every asset" in result.stdout
    scores = pd.read_csv(tmp_path / "shared.csv")
    assert scores.loc[scores.anomaly_score.idxmax(), "pump"] == "pump2"


def test_fleet_saved_with_group_by_scores_each_asset_with_its_own(fleet_run, tmp_path):
    """--save-model with --group-by keeps every asset's detector; --model scores with them."""
    model, saved = fleet_run.files.model, fleet_run.result
    assert f"saved the model to {model}" in saved.stdout and "--group-by pump" in saved.stdout
    again = invoke("detect", fleet_run.data, "--group-by", "pump", "--model", model,
                   "-o", tmp_path / "again.csv", "--json")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert summary["model"].startswith("one SeriesDetector per asset, loaded from")
    assert summary["assets"][0]["asset"] == "pump2" and "pump9" in summary["skipped"]
    pd.testing.assert_frame_equal(fleet_run.scores, pd.read_csv(tmp_path / "again.csv"))
    # An asset far from what its detector learnt is named in a warning.
    moved = fleet_run.frame.copy()
    moved.loc[moved.pump == "pump3", ["temp", "flow"]] += 10
    moved_file = tmp_path / "moved.csv"
    moved.to_csv(moved_file, index=False)
    drifted = invoke("detect", moved_file, "--group-by", "pump", "--model", model)
    assert drifted.exit_code == 0, drifted.output
    warnings = [line for line in drifted.stdout.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "pump pump3's rows" in warnings[0], drifted.stdout
    assert "warning:" not in again.stdout and summary["warnings"] == []
    # A fleet's file needs --group-by, and is not a table detector for aeguard score.
    alone = invoke("detect", fleet_run.data, "--model", model, "-o", tmp_path / "x.csv")
    assert_user_error(alone, "fleet", "--group-by pump")
    score = invoke("score", fleet_run.data, "--model", model, "-o", tmp_path / "y.csv")
    assert_user_error(score, "fleet", "--group-by pump")


def test_fleet_plot_and_report(fleet_run):
    """--plot draws the most anomalous assets, --report ranks them on one page."""
    plot, report, result = fleet_run.files.plot, fleet_run.files.report, fleet_run.result
    assert f"drew {plot}" in result.stdout and f"wrote the report to {report}" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = report.read_text()
    assert page.index(">pump2<") < page.index(">pump1<") < page.index(">pump9<")
    assert "fewer rows than --train-rows 200" in page  # pump9's reason for being skipped


def test_fleet_order_time_groups_rows_by_asset(fleet_run, tmp_path):
    out = tmp_path / "by_asset.csv"
    result = invoke("detect", fleet_run.data, "--group-by", "pump", *TRAINING, "--order",
                    "time", "-o", out, "-q")
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert list(pd.unique(scores.pump)) == ["pump1", "pump2", "pump3", "pump9"]
    assert scores[scores.pump == "pump2"].time.is_monotonic_increasing


def test_fleet_of_table_rows(tmp_path):
    """No time column: each asset's rows are independent samples for an AEDetector."""
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"site": np.repeat(["north", "south"], 200),
                          "a": rng.normal(size=400), "b": rng.normal(size=400)})
    frame["c"] = frame.a + frame.b + 0.05 * rng.normal(size=400)
    frame.loc[250, "c"] += 8
    data = tmp_path / "sites.csv"
    frame.to_csv(data, index=False)
    result = invoke("detect", data, "--group-by", "site", "--epochs", "20", "--report",
                    tmp_path / "sites.html")
    assert result.exit_code == 0, result.output
    assert "each a table of independent rows" in result.stdout
    assert ">south<" in (tmp_path / "sites.html").read_text()
    plotted = invoke("detect", data, "--group-by", "site", "--plot", tmp_path / "sites.png",
                     "-o", tmp_path / "again.csv")
    assert_user_error(plotted, "--plot needs a time series")
    scores = pd.read_csv(tmp_path / "sites.scores.csv")
    assert scores.anomaly_score.idxmax() == 250


@pytest.mark.parametrize("args, fragments", [
    (("--group-by", "machine"), ("--group-by", "unknown column 'machine'")),
    (("--group-by", "pump", "--plot", "p.txt"), ("--plot",)),
    (("--group-by", "pump", "--train-until", "2026-01-01"), ("--train-rows",)),
    (("--group-by", "time", "--time-column", "time"), ("both name 'time'",)),
    (("--group-by", "pump", "--columns", "pump,flow"), ("asset column",)),
])
def test_fleet_user_errors(fleet_run, tmp_path, args, fragments):
    result = invoke("detect", fleet_run.data, "-o", tmp_path / "x.csv", *args)
    assert_user_error(result, *fragments)


def test_fleet_where_no_asset_can_be_scored(tmp_path):
    data = tmp_path / "tiny.csv"
    make_fleet_file(data, assets=("p",), faulty=None, short=None)
    result = invoke("detect", data, "--group-by", "pump", "--train-rows", "300", "--window",
                    "350", "-o", tmp_path / "x.csv", "-q")
    assert_user_error(result, "no asset of 'pump' could be fitted")


def test_fleet_asset_that_cannot_be_read_is_skipped_and_its_rows_kept(tmp_path):
    """A long run of missing values in one asset: that asset is reported, the rest scored."""
    frame = make_fleet_file(tmp_path / "clean.csv", short=None)
    broken = frame.pump == "pump3"
    frame.loc[frame.index[broken][50:150], "temp"] = np.nan
    data = tmp_path / "gap.csv"
    frame.to_csv(data, index=False)
    for order in ("file", "time"):
        out = tmp_path / f"{order}.csv"
        result = invoke("detect", data, "--group-by", "pump", *TRAINING, "--order", order,
                        "-o", out)
        assert result.exit_code == 0, result.output
        scores = pd.read_csv(out)
        assert len(scores) == len(frame)
        assert scores.loc[scores.pump == "pump3", "anomaly_score"].isna().all()
    assert f"input: {data} ({len(frame):,} rows" in result.stdout
    assert "skipped: pump pump3 (400 rows): missing values" in result.stdout


def test_fleet_shared_model_that_scores_no_asset(fleet_run, tmp_path):
    frame = fleet_run.frame
    one = tmp_path / "one.csv"
    frame[frame.pump == "pump1"].drop(columns="pump").to_csv(one, index=False)
    model = tmp_path / "wide.aeg"
    saved = invoke("detect", one, "--train-rows", "300", "--window", "100", "--epochs", "2",
                   "--save-model", model, "-q")
    assert saved.exit_code == 0, saved.output
    tiny = tmp_path / "tiny.csv"
    frame.groupby("pump").head(50).to_csv(tiny, index=False)
    out = tmp_path / "none.csv"
    result = invoke("detect", tiny, "--group-by", "pump", "--model", model, "-o", out, "-q")
    assert_user_error(result, "no asset of 'pump' could be scored")
    assert not out.exists()


def test_fleet_asset_ids_keep_their_text(tmp_path):
    frame = make_fleet_file(tmp_path / "named.csv", short=None)
    frame["pump"] = frame.pump.map({"pump1": "007", "pump2": "07", "pump3": "7"})
    data = tmp_path / "ids.csv"
    frame.to_csv(data, index=False)
    result = invoke("detect", data, "--group-by", "pump", *TRAINING, "--json", "-q",
                    "-o", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    assets = [a["asset"] for a in json.loads(result.stdout)["assets"]]
    assert sorted(assets) == ["007", "07", "7"] and assets[0] == "07"


def test_fleet_time_options_need_a_time_column(fleet_run, tmp_path):
    result = invoke("detect", fleet_run.data, "--group-by", "pump", "--window", "1",
                    "--order", "time", "-o", tmp_path / "x.csv")
    assert_user_error(result, "--order time needs a time series")
