"""A detection as one self-contained HTML page, to read in a browser or send to a colleague.

:func:`detection_report` returns the page as text (:func:`fleet_report` a
fleet's, assets ranked): the summary, the
threshold and what it means, then for a series the figure and every
anomalous interval with the columns behind it, or for independent rows the
highest-scoring rows with theirs. Figures are inline PNG images and the
style sheet is in the page, so it opens anywhere, offline, as one file.
"""

import base64
import io
from html import escape

import numpy as np

from .timeseries import columns_by_peak

#: Rows listed on the tabular path, highest anomaly_score first.
TOP_ROWS = 20

#: Columns listed per interval or row, by their peak score there.
TOP_COLUMNS = 5

#: Intervals that also get a small figure of their top columns (those with the highest peaks).
MAX_INTERVAL_FIGURES = 6

#: Panels in an interval's figure.
INTERVAL_FIGURE_COLUMNS = 3

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em;
       color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; } h3 { font-size: 1em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.7em; text-align: left;
         vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
table.facts th { font-weight: normal; color: #555; white-space: nowrap; }
.columns { display: flex; flex-wrap: wrap; gap: 0 2em; align-items: flex-start; }
img { max-width: 100%; height: auto; }
.threshold { font-size: 1.1em; }
section.detail { border-top: 1px solid #eee; }
"""


def detection_report(result, *, title, summary=(), threshold_rule=None, frame=None,
                     n_train_rows=None, row_numbers=None, top_rows=TOP_ROWS):
    """Write a detection up as one self-contained HTML page.

    Parameters
    ----------
    result : Detection
        What a detector's ``detect`` returned.
    title : str
        The page's heading, e.g. the file scored.
    summary : sequence of (str, str), default=()
        Facts listed first, as label and text (``("input", "plant.csv")``).
    threshold_rule : str, optional
        How the threshold was set, in words. Default: ``result.threshold_rule``.
    frame : DataFrame, optional
        The series that was scored, in time order (its index is time), for a
        series' figures; required when ``result`` has intervals.
    n_train_rows : int, optional
        The detector learned from the first ``n_train_rows`` rows of
        ``frame``; shaded in the figure (see
        :func:`aeguard.plotting.plot_series_scores`).
    row_numbers : array-like of shape (n_rows,), optional
        How each row is named in the table of top rows (independent rows
        only). Default: ``result.index``, or the row position.
    top_rows : int, default=20
        Rows listed for independent rows.

    Returns
    -------
    html : str
        The page. It loads nothing from elsewhere: figures are base64 PNG
        images in the page, the style sheet is inline, and there is no
        script.

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard import AEDetector
    >>> from aeguard.report import detection_report
    >>> X = np.random.default_rng(0).normal(size=(200, 3))
    >>> result = AEDetector(epochs=2, random_state=0).fit(X).detect(X)
    >>> page = detection_report(result, title="example")
    >>> page.startswith("<!DOCTYPE html>"), "http" in page
    (True, False)
    """
    rule = result.threshold_rule if threshold_rule is None else threshold_rule
    parts = [f"<h1>{escape(title)}</h1>"]
    if summary:
        parts += ["<h2>Summary</h2>", _facts_table(summary)]
    parts += ["<h2>Threshold</h2>", _threshold_section(result, rule)]
    if result.intervals is not None:
        if frame is None:
            raise ValueError("frame is required for a series' report: give the series scored.")
        parts += _series_sections(result, frame, n_train_rows)
    else:
        parts += _rows_sections(result, row_numbers, top_rows)
    return _page(title, parts)


#: Intervals listed in a fleet's report, the highest peaks first.
FLEET_INTERVALS = 50


def fleet_report(detection, *, title, frame, group_by, summary=(), threshold_rule=None,
                 max_intervals=FLEET_INTERVALS):
    """Write a fleet's detection up as one self-contained HTML page.

    The summary, the threshold, the assets ranked (the most anomalous
    first, skipped ones with the reason), and for series a figure of the
    most anomalous assets (:func:`aeguard.plotting.plot_fleet_scores`) and
    the table of their worst intervals.

    Parameters
    ----------
    detection : FleetDetection
        What :meth:`aeguard.FleetDetector.detect` returned for ``frame``.
    title : str
        The page's heading.
    frame : DataFrame
        The fleet's rows as scored (the ``group_by`` column and the features,
        each asset's rows in time order, the index their labels).
    group_by : str
        The asset column.
    summary : sequence of (str, str), default=()
        Facts listed first, as label and text.
    threshold_rule : str, optional
        How the thresholds were set, in words. Default: the first scored
        asset's ``threshold_rule``.
    max_intervals : int, default=50
        Intervals listed, the highest peaks first.

    Returns
    -------
    html : str
        The page; like :func:`detection_report`'s, it loads nothing from
        elsewhere.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aeguard import FleetDetector, SeriesDetector
    >>> from aeguard.report import fleet_report
    >>> t = np.arange(400)
    >>> a = pd.DataFrame({"machine": "a", "temp": np.sin(2 * np.pi * t / 40)})
    >>> X = pd.concat([a, a.assign(machine="b")], ignore_index=True)
    >>> fleet = FleetDetector("machine", SeriesDetector(epochs=2, train_size=200,
    ...                                                  random_state=0)).fit(X)
    >>> page = fleet_report(fleet.detect(X), title="fleet", frame=X, group_by="machine")
    >>> "<h2>Assets" in page
    True
    """
    from .plotting import plot_fleet_scores

    first = next(iter(detection.detections.values()))
    rule = first.threshold_rule if threshold_rule is None else threshold_rule
    is_series = first.intervals is not None
    parts = [f"<h1>{escape(title)}</h1>"]
    if summary:
        parts += ["<h2>Summary</h2>", _facts_table(summary)]
    n_rows, n_flagged = len(detection.scores), detection.n_flagged
    parts += ["<h2>Threshold</h2>",
              f"<p class=\"threshold\">{escape(rule)}.</p>\n<p>Each asset is scored by its "
              f"own detector; higher scores are more anomalous. Flagged: {n_flagged:,} of "
              f"{n_rows:,} rows ({n_flagged / max(n_rows, 1):.1%}).</p>"]
    assets = detection.assets
    by_peers = detection.by_peers
    header = ("asset", "rows", "flagged", *(("intervals",) if is_series else ()),
              "peak score", *(("peer score",) if by_peers else ()), "top columns", "skipped")
    rows = [(str(r.asset), f"{r.n_rows:,}", f"{r.n_flagged:,}",
             *((f"{r.n_intervals}",) if is_series else ()),
             "" if np.isnan(r.peak_score) else f"{r.peak_score:.4g}",
             *(("" if np.isnan(r.peer_score) else f"{r.peer_score:.4g}",) if by_peers else ()),
             str(r.top_columns).replace(",", ", "), r.skipped)
            for r in assets.itertuples()]
    parts += [f"<h2>Assets ({len(assets)}), ranked by {escape(detection.ranking)}</h2>",
              _table(header, rows, numbers=set(range(1, len(header) - 2)),
                     table_id="assets")]
    if not is_series:
        return _page(title, parts)
    parts += ["<h2>The most anomalous assets</h2>",
              _image(plot_fleet_scores(frame, group_by, detection),
                     "the anomaly score of each of the most anomalous assets, with its "
                     "threshold, its anomalous intervals and its top column", dpi=90)]
    intervals = detection.intervals
    shown = (intervals.sort_values("peak_score", ascending=False, kind="stable")
             .head(max_intervals) if len(intervals) else intervals)
    parts.append(f"<h2>Anomalous intervals ({len(intervals)})"
                 + (f", the {len(shown)} with the highest peaks" if len(shown) < len(intervals)
                    else "") + "</h2>")
    if not len(intervals):
        parts.append("<p>None: no row's score rose above its asset's threshold.</p>")
        return _page(title, parts)
    header = ("asset", "start", "end", "rows", "flagged rows", "peak score", "top columns")
    rows = [(str(r.asset), str(r.start), str(r.end) + (" (open)" if r.is_open else ""),
             f"{r.n_rows:,}", f"{r.n_flagged:,}", f"{r.peak_score:.4g}",
             str(r.top_columns).replace(",", ", "))
            for r in shown.itertuples()]
    parts.append(_table(header, rows, numbers={3, 4, 5}, table_id="intervals"))
    if shown["is_open"].any():
        parts.append("<p>(open): still anomalous at the asset's last row.</p>")
    return _page(title, parts)


def _page(title, parts):
    """The HTML page around the sections ``parts``."""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        + "\n".join(parts) + "\n</body>\n</html>\n"
    )


def _threshold_section(result, rule):
    n_rows = len(result.scores)
    if result.intervals is not None:
        meaning = (
            "An alarm opens when a row's anomaly score rises above the threshold, and stays "
            "open while the recent scores stay high; the rows in an alarm are flagged, and "
            "each alarm is one interval below."
        )
    else:
        meaning = "Rows whose anomaly score is above the threshold are flagged."
    share = result.n_flagged / max(n_rows, 1)
    return (
        f"<p class=\"threshold\">threshold <strong>{result.threshold:.4g}</strong>: "
        f"{escape(rule)}.</p>\n<p>{escape(meaning)} Higher scores are more anomalous. "
        f"Flagged: {result.n_flagged:,} of {n_rows:,} rows ({share:.1%}).</p>"
    )


def _series_sections(result, frame, n_train_rows):
    """The figure, the table of intervals and a section per interval."""
    from .plotting import plot_series_scores

    intervals = result.intervals
    figure = plot_series_scores(frame, result.scores, result.threshold, intervals,
                                n_train_rows=n_train_rows)
    parts = ["<h2>Series</h2>",
             _image(figure, "the sensors, the anomaly score with its threshold and the "
                            "anomalous intervals (numbered as in the table below)")]
    parts.append(f"<h2>Anomalous intervals ({len(intervals)})</h2>")
    if not len(intervals):
        parts.append("<p>None: no row's score rose above the threshold.</p>")
        return parts
    header = ("#", "start", "end", "rows", "flagged rows", "peak score", "peak at",
              "top columns")
    rows = [
        (f"<a href=\"#interval-{number}\">{number}</a>", escape(str(r.start)),
         escape(str(r.end)) + (" (open)" if r.is_open else ""), f"{r.n_rows:,}",
         f"{r.n_flagged:,}", f"{r.peak_score:.4g}", escape(str(r.peak_at)),
         escape(str(r.top_columns).replace(",", ", ")))
        for number, r in enumerate(intervals.itertuples(), 1)
    ]
    parts.append(_table(header, rows, numbers={3, 4, 5}, table_id="intervals", escaped=True))
    if intervals["is_open"].any():
        parts.append("<p>(open): still anomalous at the last row.</p>")
    parts.append("<h2>The columns behind each interval</h2>")
    with_figures = set(intervals["peak_score"].to_numpy().argsort()[::-1][:MAX_INTERVAL_FIGURES])
    index = frame.index
    for number, r in enumerate(intervals.itertuples(), 1):
        rows_in = slice(index.searchsorted(r.start, "left"), index.searchsorted(r.end, "right"))
        shares = _column_shares(result.feature_scores[rows_in], result.columns)
        parts.append(
            f"<section class=\"detail\" id=\"interval-{number}\">"
            f"<h3>Interval {number}: {escape(str(r.start))} to {escape(str(r.end))}</h3>"
            "<div class=\"columns\">"
        )
        parts.append(_table(("column", "share of the interval's error", "peak column score"),
                            shares, numbers={1, 2}))
        if number - 1 in with_figures:
            from .plotting import plot_interval_columns

            columns = [name for name, _, _ in shares[:INTERVAL_FIGURE_COLUMNS]]
            parts.append(_image(plot_interval_columns(frame, r.start, r.end, columns),
                                f"interval {number}: its top columns and the rows around it",
                                dpi=80))
        parts.append("</div></section>")
    return parts


def _rows_sections(result, row_numbers, top_rows):
    """The table of the highest-scoring rows, each with the columns behind it."""
    names = (row_numbers if row_numbers is not None else
             result.index if result.index is not None else np.arange(len(result.scores)))
    names = np.asarray(names)
    order = np.argsort(-result.scores, kind="stable")[:top_rows]
    header = ("row", "anomaly score", "flagged", "columns behind it (share of the row's error)")
    rows = []
    for i in order:
        shares = _column_shares(result.feature_scores[i:i + 1], result.columns)
        behind = ", ".join(f"{name} ({share})" for name, share, _ in shares)
        rows.append((str(names[i]), f"{result.scores[i]:.4g}",
                     "yes" if result.is_anomaly[i] else "no", behind))
    return [f"<h2>Top {len(order)} rows by anomaly score</h2>",
            _table(header, rows, numbers={0, 1}, table_id="top-rows")]


def _column_shares(feature_scores, columns):
    """The columns with the largest peak errors over some rows: (name, share, peak) texts.

    Ordered by peak, as the intervals' ``top_columns`` are; the share is of the summed error.
    """
    errors = np.asarray(feature_scores, dtype=np.float64)
    totals, peaks = errors.sum(axis=0), errors.max(axis=0)
    whole = totals.sum() or 1.0
    return [(str(columns[j]), f"{totals[j] / whole:.0%}", f"{peaks[j]:.4g}")
            for j in columns_by_peak(errors)[:TOP_COLUMNS]]


def _facts_table(facts):
    rows = "".join(f"<tr><th>{escape(str(label))}</th><td>{escape(str(text))}</td></tr>"
                   for label, text in facts)
    return f"<table class=\"facts\">{rows}</table>"


def _table(header, rows, *, numbers=(), table_id=None, escaped=False):
    """An HTML table; ``numbers`` are the right-aligned columns, ``escaped`` says the cells
    are HTML already."""
    cell = (lambda text: text) if escaped else escape
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(
            f"<td class=\"number\">{cell(text)}</td>" if j in numbers else f"<td>{cell(text)}</td>"
            for j, text in enumerate(row)) + "</tr>"
        for row in rows
    )
    id_attribute = f" id=\"{table_id}\"" if table_id else ""
    return f"<table{id_attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _image(figure, alt, dpi=100):
    """A figure as an inline PNG image."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<p><img alt=\"{escape(alt)}\" src=\"data:image/png;base64,{data}\"></p>"
