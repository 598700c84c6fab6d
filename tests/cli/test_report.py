"""``aeguard detect --report``: the HTML page written, checked as a page and in a real browser."""

import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ..test_report import Page, assert_self_contained
from .helpers import assert_user_error, invoke
from .test_detect import make_frame, make_series_file

CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")

#: A tiny fit: these tests are about the page, not the detection.
FIT = ["--epochs", "2", "--window", "25", "--train-rows", "500"]


@pytest.fixture(scope="module")
def series_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    data = folder / "plant.csv"
    make_series_file(data, n_rows=800, shuffle=False)
    report = folder / "plant report.html"
    result = invoke("detect", data, *FIT, "--json", "--report", report)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    return SimpleNamespace(path=report, text=report.read_text(encoding="utf-8"), summary=summary)


def test_report_holds_the_summary_threshold_and_every_interval(series_report):
    """The page parses, names the file and the threshold's rule, and lists every interval the
    summary lists, in order, each with a section of the columns behind it."""
    text, summary = series_report.text, series_report.summary
    page = Page(text)
    assert page.headings[0] == f"aeguard detect: {summary['input']}"
    facts = dict((row[0], row[1]) for row in page.tables["table0"])
    assert facts["model"] == summary["model"]
    plain = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())
    assert f"threshold {summary['threshold']:.4g} : {summary['threshold_rule']}." in plain
    intervals = summary["intervals"]
    assert intervals, "the spike at row 600 makes at least one interval"
    rows = page.cells("intervals")
    assert [row[1] for row in rows] == [str(pd.Timestamp(i["start"])) for i in intervals]
    for number in range(1, len(intervals) + 1):
        assert f'id="interval-{number}"' in text and f'href="#interval-{number}"' in text
    assert summary["report"] == str(series_report.path)


def test_report_is_self_contained(series_report):
    """No address, script or style sheet from elsewhere: the figures are inline PNG images."""
    page = Page(series_report.text)
    assert_self_contained(series_report.text, page)
    assert any(ref.startswith("data:image/png;base64,") for ref in page.references)


def chromium_screenshot(page, folder):
    """Open a page in headless Chromium and take a screenshot: (screenshot, console lines, log)."""
    shot = folder / "shot.png"
    command = [
        str(CHROMIUM), "--headless=new", "--disable-gpu", "--no-sandbox",
        f"--user-data-dir={folder / 'profile'}", "--window-size=1200,2000",
        f"--screenshot={shot}", "--enable-logging=stderr", "--v=0", page.resolve().as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log
    return shot, [line for line in log.splitlines() if ":CONSOLE" in line], log


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium on the PATH "
                    "(apt-get install chromium); .ci/run installs it")
def test_report_opens_in_a_browser_without_console_errors(series_report, tmp_path):
    """Headless Chromium renders the report to a non-trivial screenshot and logs nothing to the
    page's console. The same check on a page with a script error sees the error, so a silent
    console is not a log format this Chromium does not write."""
    shot, console, log = chromium_screenshot(series_report.path, tmp_path)
    assert console == [], log
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 50_000, len(data)
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><p>x</p><script>throw new Error('deliberate')</script>")
    _, console, log = chromium_screenshot(broken, tmp_path / "control")
    assert any("deliberate" in line for line in console), log


def test_report_on_table_rows(tmp_path):
    """On the tabular path the report lists the top rows, numbered as in the summary (row 1 is
    the first data row), with the columns behind each; the page is self-contained."""
    data = tmp_path / "t.csv"
    frame = make_frame(n_rows=80)
    frame.loc[33, "a"] = 40.0
    frame.to_csv(data, index=False)
    report = tmp_path / "t.html"
    result = invoke("detect", data, "--epochs", "2", "--report", report)
    assert result.exit_code == 0, result.output
    assert f"wrote the report to {report}" in result.stdout
    text = report.read_text(encoding="utf-8")
    page = Page(text)
    assert_self_contained(text, page)
    rows = page.cells("top-rows")
    assert len(rows) == 20
    assert rows[0][0] == "34" and rows[0][2] == "yes" and rows[0][3].startswith("a (")
    assert "intervals" not in page.tables


@pytest.mark.parametrize("name, fragment", [
    ("r.txt", "--report must end in .html; got 'r.txt'"),
    ("-", "--report cannot be standard output (-); name a file"),
])
def test_report_file_name_mistakes(tmp_path, name, fragment):
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=200, shuffle=False)
    assert_user_error(invoke("detect", data, "--report", name if name == "-" else tmp_path / name),
                      fragment)


def test_existing_report_kept_without_force(tmp_path):
    """An existing report is refused before training and left as it was; --force replaces it."""
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=200, shuffle=False)
    report = tmp_path / "r.html"
    report.write_text("mine\n")
    result = invoke("detect", data, "--epochs", "1", "--window", "20", "--report", report)
    assert_user_error(result, "exists; use --force")
    assert report.read_text() == "mine\n"
    result = invoke("detect", data, "--epochs", "1", "--window", "20", "--report", report,
                    "--force", "--quiet")
    assert result.exit_code == 0, result.output
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "p.scores.csv", "r.html"]


def test_plot_shades_the_training_rows_of_this_run_only(tmp_path, monkeypatch):
    """--plot gets the detector's training rows; a loaded model learned from another file, so
    nothing is shaded as training then."""
    import aeguard.plotting

    seen = []
    draw = aeguard.plotting.plot_series_scores

    def spy(*args, **kwargs):
        seen.append(kwargs["n_train_rows"])
        return draw(*args, **kwargs)

    monkeypatch.setattr(aeguard.plotting, "plot_series_scores", spy)
    data = tmp_path / "p.csv"
    make_series_file(data, n_rows=200, shuffle=False)
    model = tmp_path / "m.aeg"
    result = invoke("detect", data, "--epochs", "1", "--window", "20", "--train-rows", "120",
                    "--save-model", model, "--plot", tmp_path / "a.png", "-q")
    assert result.exit_code == 0, result.output
    result = invoke("detect", data, "--model", model, "--plot", tmp_path / "b.png",
                    "-o", tmp_path / "b.csv", "-q")
    assert result.exit_code == 0, result.output
    assert seen == [120, None]
