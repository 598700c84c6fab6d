"""Matplotlib figures. Functions return a Figure and never call ``plt.show()``."""

import numpy as np

#: Sensor panels drawn at most; the rest are named in the title.
MAX_PANELS = 8


def plot_series_scores(frame, scores, threshold, intervals=None, *, max_panels=MAX_PANELS):
    """Draw a sensor series, its anomaly score with the threshold, and anomalous intervals.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        The series in time order (its index is the x axis).
    scores : ndarray of shape (n_rows,)
        Anomaly score of each row (higher = more anomalous).
    threshold : float
        Rows scoring above it are anomalies; drawn as a dashed line.
    intervals : DataFrame, optional
        ``start`` and ``end`` index labels of anomalous intervals (as from
        :meth:`aeguard.SeriesDetector.anomaly_intervals`), shaded in every panel.
    max_panels : int, default=8
        At most this many sensor panels, the first columns; the title says how
        many were left out.

    Returns
    -------
    figure : matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    columns = list(frame.columns[:max_panels])
    n_panels = len(columns) + 1
    figure = Figure(figsize=(11, 1.6 * n_panels + 0.8), layout="constrained")
    axes = figure.subplots(n_panels, 1, sharex=True, squeeze=False)[:, 0]
    x = frame.index
    for ax, name in zip(axes, columns):
        ax.plot(x, frame[name].to_numpy(), lw=0.7, color="tab:blue")
        ax.set_ylabel(str(name), rotation=0, ha="right", va="center")
    score_ax = axes[-1]
    score_ax.plot(x, scores, lw=0.7, color="black")
    score_ax.axhline(threshold, ls="--", color="tab:red", lw=1, label=f"threshold {threshold:.3g}")
    score_ax.set_ylabel("anomaly\nscore", rotation=0, ha="right", va="center")
    if np.nanmax(scores) > 50 * max(threshold, 1e-12):
        score_ax.set_yscale("log")  # one huge spike would flatten everything else
    score_ax.legend(loc="upper left", fontsize="small")
    if intervals is not None:
        for start, end in zip(intervals["start"], intervals["end"]):
            for ax in axes:
                ax.axvspan(start, end, color="tab:red", alpha=0.2, lw=0)
    left_out = len(frame.columns) - len(columns)
    title = "anomalous intervals shaded"
    if left_out:
        title += f"; {left_out} more column(s) not drawn"
    figure.suptitle(title, fontsize="medium")
    return figure
