"""The HTML report: one page that holds everything and loads nothing."""

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from aeguard.estimators._detection import Detection
from aeguard.report import detection_report

#: HTML elements without an end tag.
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}


class Page(HTMLParser):
    """A parsed report: its tags checked for balance, its tables' cells, its links and sources."""

    def __init__(self, text):
        super().__init__()
        self.open, self.tables, self.references, self.headings = [], {}, [], []
        self._table = self._row = None
        self._heading = None
        self.feed(text)
        self.close()
        assert self.open == [], f"unclosed tags: {self.open}"

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.open.append(tag)
        attrs = dict(attrs)
        self.references += [attrs[name] for name in ("src", "href") if name in attrs]
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", f"table{len(self.tables)}"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("h1", "h2", "h3"):
            self._heading = ""

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()
        if tag == "table":
            self._table = None
        elif tag in ("h1", "h2", "h3"):
            self.headings.append(self._heading)
            self._heading = None

    def handle_data(self, data):
        if self._row is not None and self.open and self.open[-1] in ("td", "th", "a"):
            self._row.append(data)
        if self._heading is not None:
            self._heading += data

    def cells(self, table):
        """A table's rows after its header, as lists of cell texts."""
        return self.tables[table][1:]


def assert_self_contained(text, page):
    """Nothing is fetched from elsewhere: every source is inline data, every link a place on the
    page, and no address appears anywhere (the images' base64 left out: it may spell anything)."""
    assert all(ref.startswith("data:image/png;base64,") or ref.startswith("#")
               for ref in page.references), page.references
    bare = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]*", "", text)
    for fragment in ("http", "//", "<script", "<link", "@import", "url("):
        assert fragment not in bare, fragment


def series_detection(n_rows=300):
    index = pd.date_range("2024-03-01", periods=n_rows, freq="min", name="when")
    frame = pd.DataFrame({"a": np.sin(np.arange(n_rows) / 5), "b": np.zeros(n_rows),
                          "c": np.ones(n_rows)}, index=index)
    feature_scores = np.full((n_rows, 3), 0.1)
    feature_scores[200:205, 1] = 5.0  # interval 2: b, held across a quiet row (205)
    feature_scores[206, 1] = 5.0
    feature_scores[50, 2] = 3.0       # interval 1: c
    scores = feature_scores.max(axis=1)
    intervals = pd.DataFrame({
        "start": [index[50], index[200]], "end": [index[50], index[206]], "n_rows": [1, 7],
        "n_flagged": [1, 6], "peak_score": [3.0, 5.0], "peak_at": [index[50], index[200]],
        "top_columns": ["c,a,b", "b,a,c"], "is_open": [False, False],
    })
    result = Detection(scores=scores, is_anomaly=scores > 1, feature_scores=feature_scores,
                       columns=["a", "b", "c"], top_columns=["a"] * n_rows, threshold=1.0,
                       threshold_rule="the alarm level", intervals=intervals, index=index)
    return frame, result


def test_report_of_a_series_holds_every_interval_and_its_columns():
    """The page parses; it has the summary, the threshold and its rule, the figure, a row per
    interval, and per interval the columns behind it, largest peak first."""
    frame, result = series_detection()
    text = detection_report(result, title="plant.csv <1>", summary=[("input", "plant.csv")],
                            frame=frame, n_train_rows=100)
    page = Page(text)
    assert_self_contained(text, page)
    assert page.headings[0] == "plant.csv <1>"  # escaped, shown as written
    assert "threshold 1: the alarm level." in re.sub(r"<[^>]+>", "", text)
    intervals = page.cells("intervals")
    assert [row[0] for row in intervals] == ["1", "2"]
    assert [row[1] for row in intervals] == ["2024-03-01 00:50:00", "2024-03-01 03:20:00"]
    assert "Interval 2: 2024-03-01 03:20:00 to 2024-03-01 03:26:00" in page.headings
    detail = [rows for name, rows in page.tables.items() if name not in ("intervals", "table0")]
    assert [rows[1][0] for rows in detail] == ["c", "b"]  # the column with the largest peak
    assert detail[1][1][1] == f"{30.1 / 31.5:.0%}"  # 6 rows of b at 5, the rest at 0.1
    assert [row[3:5] for row in intervals] == [["1", "1"], ["7", "6"]]  # rows, flagged rows
    assert sum(ref.startswith("data:image/png") for ref in page.references) == 1 + 2


def test_report_of_table_rows_lists_the_top_rows():
    """Without intervals, the highest-scoring rows are listed, named as given, with their
    columns; a series' result without its frame is refused."""
    rng = np.random.default_rng(0)
    feature_scores = rng.uniform(size=(50, 2))
    feature_scores[7] = [0.0, 9.0]
    scores = feature_scores.sum(axis=1)
    result = Detection(scores=scores, is_anomaly=scores > 1.5, feature_scores=feature_scores,
                       columns=["x", "y"], top_columns=["x"] * 50, threshold=1.5,
                       threshold_rule="the 0.9 quantile")
    text = detection_report(result, title="t", row_numbers=np.arange(1, 51), top_rows=5)
    page = Page(text)
    assert_self_contained(text, page)
    rows = page.cells("top-rows")
    assert len(rows) == 5
    assert rows[0][:3] == ["8", "9", "yes"] and rows[0][3].startswith("y (100%)")
    with pytest.raises(ValueError, match="frame is required"):
        detection_report(series_detection()[1], title="t")


def fleet_detection():
    """Two assets of one fleet, each its series_detection; ``a`` quiet, ``b`` with the intervals,
    and a skipped asset ``c``."""
    from aeguard import FleetDetection, FleetDetector

    frame, loud = series_detection()
    quiet = Detection(scores=np.full(len(frame), 0.1), is_anomaly=np.zeros(len(frame), bool),
                      feature_scores=np.full((len(frame), 3), 0.1), columns=["a", "b", "c"],
                      top_columns=["a"] * len(frame), threshold=1.0,
                      threshold_rule="the alarm level", intervals=loud.intervals.iloc[:0],
                      index=frame.index)
    prepared = pd.concat([frame.assign(machine="a"), frame.assign(machine="b")])
    n = len(frame)
    groups = {"a": np.arange(n), "b": np.arange(n, 2 * n), "c": np.arange(0)}
    detections, skipped = {"a": quiet, "b": loud}, {"c": "12 rows, fewer than one window"}
    assets = FleetDetector._ranking(groups, detections, skipped)
    detection = FleetDetection(
        scores=np.r_[quiet.scores, loud.scores],
        is_anomaly=np.r_[quiet.is_anomaly, loud.is_anomaly],
        top_columns=quiet.top_columns + loud.top_columns,
        intervals=loud.intervals.assign(asset="b")[["asset", *loud.intervals.columns]],
        assets=assets, detections=detections, skipped=skipped)
    return prepared, detection


def test_report_of_a_fleet_ranks_the_assets_and_lists_their_intervals():
    from aeguard.report import fleet_report

    prepared, detection = fleet_detection()
    text = fleet_report(detection, title="fleet.csv", frame=prepared, group_by="machine",
                        summary=[("input", "fleet.csv")])
    page = Page(text)
    assert_self_contained(text, page)
    assets = page.cells("assets")
    assert [row[0] for row in assets] == ["b", "a", "c"]
    assert assets[0][1:5] == ["300", "7", "2", "5"] and assets[-1][-1].startswith("12 rows")
    intervals = page.cells("intervals")
    assert [(row[0], row[1]) for row in intervals] == [("b", "2024-03-01 03:20:00"),
                                                       ("b", "2024-03-01 00:50:00")]
    assert [row[3:5] for row in intervals] == [["7", "6"], ["1", "1"]]  # rows, flagged rows
    assert sum(ref.startswith("data:image/png") for ref in page.references) == 1
