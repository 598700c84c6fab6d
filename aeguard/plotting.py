"""Matplotlib figures. Functions return a Figure and never call ``plt.show()``."""

import numpy as np
import pandas as pd

#: Sensor panels drawn at most; the rest are named in the title.
MAX_PANELS = 8


#: The score axis turns symmetric-logarithmic when the highest score is this many times the
#: threshold: linear from 0 to the threshold, logarithmic above it.
SYMLOG_ABOVE = 10

#: Intervals numbered on the score panel at most (1, 2, ... in time order, as in the report).
MAX_NUMBERED_INTERVALS = 30


def plot_series_scores(frame, scores, threshold, intervals=None, *, n_train_rows=None,
                       max_panels=MAX_PANELS):
    """Draw a sensor series, its anomaly score with the threshold, and anomalous intervals.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        The series in time order (its index is the x axis). Timestamps are
        labelled with matplotlib's concise date format: ticks say only what
        changes (``06:00``, ``Mar 02``), and the axis' corner gives the rest
        (``2024-Mar-01``), so the year and month are always written.
    scores : ndarray of shape (n_rows,)
        Anomaly score of each row (higher = more anomalous).
    threshold : float
        Rows scoring above it are anomalies; drawn as a dashed line, on a
        score axis that starts at 0. When the highest score is more than 10 times the threshold, the score axis
        is symmetric-logarithmic: linear from 0 to the threshold, where the
        normal rows are and where a score reads as "how close to an alarm",
        and logarithmic above it, so that one huge spike neither flattens the
        rest nor squeezes the threshold against zero. Scores of 0 stay on
        the axis, which a plain logarithmic axis would drop.
    intervals : DataFrame, optional
        ``start`` and ``end`` index labels of anomalous intervals (as from
        :meth:`aeguard.SeriesDetector.anomaly_intervals`), shaded in every
        panel, each widened on both sides by half a time step, or by a
        thousandth of the time axis if that is more, so that a one-row
        interval shows even on a long series. Up to 30 intervals are
        numbered 1, 2, ... in the score panel, in the order given.
    n_train_rows : int, optional
        The detector learned from the first ``n_train_rows`` rows
        (:attr:`aeguard.SeriesDetector.n_train_rows_`): that part is shaded
        grey and labelled "training". When it is every row, the title says so
        instead. None (a detector trained on other data) draws nothing.
    max_panels : int, default=8
        At most this many sensor panels. With more columns, those named in
        the intervals' ``top_columns`` come first (highest ``peak_score``
        first), then the others; the panels keep the frame's column order and
        the title says how many were left out.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aeguard.plotting import plot_series_scores
    >>> frame = pd.DataFrame({"a": np.zeros(48)},
    ...                      index=pd.date_range("2024-03-01", periods=48, freq="h"))
    >>> figure = plot_series_scores(frame, np.r_[np.zeros(47), 50.0], 1.0, n_train_rows=24)
    >>> figure.axes[-1].get_yscale()
    'symlog'
    """
    from matplotlib.figure import Figure

    columns = _panel_columns(frame.columns, intervals, max_panels)
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
    _scale_score_axis(score_ax, scores, threshold)
    _label_dates(score_ax.xaxis, x)
    if x.name is not None:
        score_ax.set_xlabel(str(x.name) + (f" ({x.tz})" if getattr(x, "tz", None) else ""))
    half = _half_step(x)
    title = "anomalous intervals shaded"
    if n_train_rows is not None and n_train_rows >= len(x):
        title += f"; trained on all {len(x):,} rows"
    elif n_train_rows is not None and n_train_rows > 0:
        label = f"training: first {n_train_rows:,} rows"
        for ax in axes:
            ax.axvspan(x[0] - half, x[n_train_rows - 1] + half, color="0.5", alpha=0.15, lw=0,
                       label=label if ax is score_ax else None, zorder=0)
        axes[0].text(x[0], 0.97, " training", transform=axes[0].get_xaxis_transform(),
                     ha="left", va="top", fontsize="small", color="0.3")
    if intervals is not None and len(intervals):
        for number, (start, end) in enumerate(zip(intervals["start"], intervals["end"]), 1):
            for ax in axes:
                ax.axvspan(start - half, end + half, color="tab:red", alpha=0.2, lw=0)
            if len(intervals) <= MAX_NUMBERED_INTERVALS:
                score_ax.text(start + (end - start) / 2, 0.97, str(number), ha="center",
                              va="top", transform=score_ax.get_xaxis_transform(),
                              fontsize="x-small", color="tab:red")
    score_ax.legend(loc="upper left", fontsize="small")
    left_out = len(frame.columns) - len(columns)
    if left_out:
        title += f"; {left_out} more column(s) not drawn"
    figure.suptitle(title, fontsize="medium")
    return figure


#: Assets drawn at most by :func:`plot_fleet_scores`.
MAX_ASSETS = 6


def plot_fleet_scores(frame, group_by, detection, *, max_assets=MAX_ASSETS):
    """Draw the most anomalous assets of a fleet: each one's score, threshold and intervals.

    One panel per asset, in the order of ``detection.assets`` (the most
    anomalous first), each with the asset's anomaly score over its own rows,
    its threshold (dashed) and its anomalous intervals (shaded), and, on a
    second axis in grey, the values of the first of its ``top_columns``.

    Parameters
    ----------
    frame : DataFrame
        The fleet's rows as scored: the ``group_by`` column and the feature
        columns, each asset's rows in time order, the index their time (or
        row) labels, which the intervals' ``start`` and ``end`` refer to.
    group_by : str
        The asset column.
    detection : FleetDetection
        What :meth:`aeguard.FleetDetector.detect` returned for ``frame``.
    max_assets : int, default=6
        At most this many assets are drawn (skipped assets never are); the
        title says how many of the scored assets were left out.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aeguard import FleetDetector, SeriesDetector
    >>> from aeguard.plotting import plot_fleet_scores
    >>> t = np.arange(400)
    >>> a = pd.DataFrame({"machine": "a", "temp": np.sin(2 * np.pi * t / 40)})
    >>> b = a.assign(machine="b")
    >>> b.loc[350, "temp"] += 3
    >>> X = pd.concat([a, b], ignore_index=True)
    >>> fleet = FleetDetector("machine", SeriesDetector(epochs=2, train_size=200,
    ...                                                  random_state=0)).fit(X)
    >>> figure = plot_fleet_scores(X, "machine", fleet.detect(X))
    >>> len(figure.axes) >= 2
    True
    """
    from matplotlib.figure import Figure

    if max_assets < 1:
        raise ValueError(f"max_assets must be at least 1; got {max_assets}")
    scored = detection.assets[detection.assets.skipped == ""]
    if not len(scored):
        raise ValueError("no asset of the detection was scored: nothing to draw")
    shown = list(scored.asset[:max_assets])
    figure = Figure(figsize=(11, 1.9 * len(shown) + 0.8), layout="constrained")
    axes = figure.subplots(len(shown), 1, squeeze=False)[:, 0]
    ids = frame[group_by].to_numpy()
    intervals = detection.intervals
    for ax, asset, row in zip(axes, shown, scored.head(len(shown)).itertuples()):
        rows = np.flatnonzero(ids == asset)
        x = frame.index[rows]
        scores = detection.scores[rows]
        threshold = detection.detections[asset].threshold
        column = row.top_columns.split(",")[0] if row.top_columns else None
        if column in frame.columns:
            values = ax.twinx()
            values.plot(x, frame[column].to_numpy()[rows], lw=0.6, color="0.6")
            values.set_ylabel(str(column), color="0.45", fontsize="small")
            values.tick_params(labelsize="x-small", colors="0.45")
            ax.set_zorder(values.get_zorder() + 1)  # the score drawn over the values
            ax.patch.set_visible(False)
        ax.plot(x, scores, lw=0.7, color="black")
        ax.axhline(threshold, ls="--", color="tab:red", lw=1)
        _scale_score_axis(ax, scores, threshold)
        ax.set_ylabel("anomaly\nscore", rotation=0, ha="right", va="center", fontsize="small")
        peer = getattr(row, "peer_score", np.nan)
        ax.set_title(f"{group_by} {asset}: peak {row.peak_score:.3g}"
                     + ("" if np.isnan(peer) else f", peer {peer:.3g}")
                     + (f", {column}" if column else "")
                     + f"; {row.n_flagged:,} of {row.n_rows:,} rows flagged",
                     loc="left", fontsize="small")
        half = _half_step(x)
        if len(intervals) and "asset" in intervals:
            mine = intervals[intervals.asset == asset]
            for start, end in zip(mine["start"], mine["end"]):
                ax.axvspan(start - half, end + half, color="tab:red", alpha=0.2, lw=0)
        _label_dates(ax.xaxis, x, maxticks=8)
        ax.tick_params(labelsize="x-small")
    title = (f"the {len(shown)} assets ranked first; score in black, "
             f"threshold dashed, anomalous intervals shaded, the top column in grey")
    if len(scored) > len(shown):
        title += f"; {len(scored) - len(shown)} more asset(s) not drawn"
    figure.suptitle(title, fontsize="medium")
    return figure


def plot_interval_columns(frame, start, end, columns, *, context=None):
    """Draw the columns behind one anomalous interval, with the rows around it.

    Parameters
    ----------
    frame : DataFrame of shape (n_rows, n_columns)
        The series in time order, as for :func:`plot_series_scores`.
    start, end : index labels
        The interval's first and last rows (``start`` and ``end`` of
        :meth:`aeguard.SeriesDetector.anomaly_intervals`).
    columns : sequence of str
        The columns to draw, one small panel each (e.g. the interval's
        ``top_columns``).
    context : int, optional
        Rows drawn on each side of the interval. Default: as many as the
        interval has, at least 20.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aeguard.plotting import plot_interval_columns
    >>> frame = pd.DataFrame({"a": np.arange(100.0), "b": np.zeros(100)})
    >>> len(plot_interval_columns(frame, 40, 45, ["a", "b"]).axes)
    2
    """
    from matplotlib.figure import Figure

    x = frame.index
    first, last = x.searchsorted(start, "left"), x.searchsorted(end, "right") - 1
    context = max(last - first + 1, 20) if context is None else context
    shown = frame.iloc[max(first - context, 0):last + context + 1]
    figure = Figure(figsize=(5, 0.9 * len(columns) + 0.7), layout="constrained")
    axes = figure.subplots(len(columns), 1, sharex=True, squeeze=False)[:, 0]
    half = _half_step(x)
    for ax, name in zip(axes, columns):
        ax.plot(shown.index, shown[name].to_numpy(), lw=0.8, color="tab:blue")
        ax.axvspan(start - half, end + half, color="tab:red", alpha=0.2, lw=0)
        ax.set_ylabel(str(name), rotation=0, ha="right", va="center", fontsize="small")
        ax.tick_params(labelsize="x-small")
    _label_dates(axes[-1].xaxis, x, maxticks=6)
    return figure


def _scale_score_axis(ax, scores, threshold):
    """A score axis from 0, symmetric-logarithmic above the threshold when the scores reach
    far beyond it (see :func:`plot_series_scores`)."""
    if threshold > 0 and np.nanmax(scores) > SYMLOG_ABOVE * threshold:
        ax.set_yscale("symlog", linthresh=threshold, linscale=1)
        ax.yaxis.set_major_formatter("{x:g}")  # 1, 10, 100 rather than 10^0, 10^1
    # From 0, so that the threshold is seen against the whole range, not at the bottom edge.
    ax.set_ylim(bottom=min(0.0, float(np.nanmin(scores))))


def _label_dates(axis, x, **locator_options):
    """Concise date ticks (the year and month in the corner) in the index's time zone, if
    the index holds timestamps."""
    from matplotlib import dates

    if isinstance(x, pd.DatetimeIndex):
        locator = dates.AutoDateLocator(tz=x.tz, **locator_options)
        axis.set_major_locator(locator)
        axis.set_major_formatter(dates.ConciseDateFormatter(locator, tz=x.tz))


def _half_step(x):
    """Half a time step of an axis, or a thousandth of its length if more: a one-row span's
    half width."""
    steps = pd.Series(x).diff().dropna()
    if not len(steps):
        return pd.Timedelta(seconds=0.5) if isinstance(x, pd.DatetimeIndex) else 0.5
    return max(steps.median() / 2, (x[-1] - x[0]) / 1000)


def _panel_columns(columns, intervals, max_panels):
    """The columns to draw: all if they fit, else the blamed ones first, in frame order."""
    columns = list(columns)
    if len(columns) <= max_panels:
        return columns
    by_name = {str(c): c for c in columns}
    chosen = []
    if intervals is not None and "top_columns" in intervals:
        ranked = intervals.sort_values("peak_score", ascending=False, kind="stable")
        for names in ranked["top_columns"]:
            for name in str(names).split(","):
                column = by_name.get(name)
                if column is not None and column not in chosen:
                    chosen.append(column)
    chosen += [c for c in columns if c not in chosen]
    keep = set(chosen[:max_panels])
    return [c for c in columns if c in keep]


def plot_image_grid(images, n_cols=8, *, row_labels=None, title=None, cell_size=1.0):
    """Draw images in a grid, row by row.

    Parameters
    ----------
    images : array-like of shape (n, h, w) or (n, h, w, c)
        Grey-scale or colour (c = 3 or 4) images; each image is drawn on the
        value range of the whole set, so grids stay comparable.
    n_cols : int, default=8
        Images per row.
    row_labels : sequence of str, optional
        One label per row, written at its left.
    title : str, optional
        Figure title.
    cell_size : float, default=1.0
        Size of one image in inches.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.plotting import plot_image_grid
    >>> figure = plot_image_grid(np.random.default_rng(0).uniform(size=(12, 8, 8)), n_cols=6)
    >>> len(figure.axes)
    12
    """
    from matplotlib.figure import Figure

    images = _as_images(images)
    n_cols = max(1, min(int(n_cols), len(images)))
    n_rows = -(-len(images) // n_cols)
    if row_labels is not None and len(row_labels) != n_rows:
        raise ValueError(f"row_labels has {len(row_labels)} labels for {n_rows} rows.")
    label_width = 0.9 if row_labels is not None else 0.0
    figure = Figure(
        figsize=(cell_size * n_cols + label_width, cell_size * n_rows + (0.4 if title else 0.0)),
        layout="constrained",
    )
    axes = figure.subplots(n_rows, n_cols, squeeze=False)
    lo, hi = float(np.nanmin(images)), float(np.nanmax(images))
    for i, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= len(images):
            ax.set_axis_off()
            continue
        image = images[i]
        if image.shape[-1] == 1:
            ax.imshow(image[..., 0], cmap="gray", vmin=lo, vmax=hi)
        else:
            ax.imshow((image - lo) / (hi - lo or 1.0))
        for spine in ax.spines.values():
            spine.set_visible(False)
    if row_labels is not None:
        for ax, label in zip(axes[:, 0], row_labels):
            ax.set_ylabel(str(label), rotation=0, ha="right", va="center")
    if title:
        figure.suptitle(title, fontsize="medium")
    return figure


def plot_image_rows(rows, *, title=None, cell_size=1.0):
    """Draw labelled rows of images, e.g. originals above reconstructions, or a row per class.

    Parameters
    ----------
    rows : dict of str -> array-like of shape (n, h, w[, c])
        Row label -> the images of that row, drawn left to right. Rows may
        hold different numbers of images.
    title : str, optional
        Figure title.
    cell_size : float, default=1.0
        Size of one image in inches.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.plotting import plot_image_rows
    >>> X = np.random.default_rng(0).uniform(size=(5, 8, 8))
    >>> figure = plot_image_rows({"original": X, "reconstruction": X.clip(0.2, 0.8)})
    >>> len([ax for ax in figure.axes if ax.images])
    10
    """
    if not rows:
        raise ValueError("rows is empty: give at least one row of images.")
    parts = [_as_images(images) for images in rows.values()]
    width = max(len(part) for part in parts)
    # Pad short rows with blank cells: NaN draws nothing.
    padded = [
        np.concatenate([part, np.full((width - len(part),) + part.shape[1:], np.nan)])
        for part in parts
    ]
    if len({part.shape[1:] for part in parts}) > 1:
        raise ValueError("every row must hold images of the same shape.")
    return plot_image_grid(
        np.concatenate(padded), n_cols=width, row_labels=list(rows), title=title,
        cell_size=cell_size,
    )


def plot_neighbors(queries, neighbors, distances=None, *, query_names=None, title=None):
    """Draw each query image beside its nearest neighbours, one row per query.

    Parameters
    ----------
    queries : array-like of shape (n_queries, h, w[, c])
        The query images.
    neighbors : array-like of shape (n_queries, k, h, w[, c])
        Each query's neighbours, nearest first (e.g. ``gallery[indices]``
        from ``kneighbors``).
    distances : array-like of shape (n_queries, k), optional
        Written above each neighbour.
    query_names : sequence of str, optional
        Row labels (default "query 0", "query 1", ...).
    title : str, optional
        Figure title.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.plotting import plot_neighbors
    >>> gallery = np.random.default_rng(0).uniform(size=(20, 8, 8))
    >>> figure = plot_neighbors(gallery[:2], gallery[[[1, 2, 3], [4, 5, 6]]])
    >>> len(figure.axes)
    8
    """
    queries = _as_images(queries)
    neighbors = np.asarray(neighbors, dtype=np.float64)
    if neighbors.ndim == queries.ndim and queries.shape[-1] == 1:
        neighbors = neighbors[..., None]
    if neighbors.shape[0] != len(queries) or neighbors.shape[2:] != queries.shape[1:]:
        raise ValueError(
            f"neighbors must have shape (n_queries, k) + the image shape {queries.shape[1:]}; "
            f"got {neighbors.shape}."
        )
    k = neighbors.shape[1]
    grid = np.concatenate([queries[:, None], neighbors], axis=1).reshape((-1,) + queries.shape[1:])
    names = query_names if query_names is not None else [f"query {i}" for i in range(len(queries))]
    figure = plot_image_grid(grid, n_cols=k + 1, row_labels=list(names), title=title)
    axes = np.asarray(figure.axes).reshape(len(queries), k + 1)
    axes[0, 0].set_title("query", fontsize="small")
    for i in range(len(queries)):
        for j in range(k):
            label = f"{distances[i][j]:.3g}" if distances is not None else f"#{j + 1}"
            axes[i, j + 1].set_title(label, fontsize="x-small")
    return figure


def plot_latent_map(codes, labels=None, *, title=None, max_legend=20):
    """Scatter latent codes in 2-D, coloured by label (PCA when they have more than 2 dimensions).

    Parameters
    ----------
    codes : array-like of shape (n, latent_dim)
        Latent codes, e.g. ``detector.transform(X)``.
    labels : array-like of shape (n,), optional
        Class labels (a colour and legend entry each) or numbers (a colour bar).
    title : str, optional
        Figure title.
    max_legend : int, default=20
        Classes beyond this many share the colour map without a legend.

    Returns
    -------
    figure : matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.plotting import plot_latent_map
    >>> codes = np.random.default_rng(0).normal(size=(100, 5))
    >>> figure = plot_latent_map(codes, labels=np.arange(100) % 3)
    >>> figure.axes[0].get_xlabel()[:3]
    'PC1'
    """
    import matplotlib
    from matplotlib.figure import Figure

    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or codes.shape[1] < 1:
        raise ValueError(f"codes must have shape (n, latent_dim); got {codes.shape}.")
    if codes.shape[1] > 2:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2).fit(codes)
        xy = pca.transform(codes)
        share = 100 * pca.explained_variance_ratio_
        axis_names = [f"PC{i + 1} ({share[i]:.0f} % of variance)" for i in range(2)]
    else:
        xy = np.column_stack([codes, np.zeros(len(codes))]) if codes.shape[1] == 1 else codes
        axis_names = ["z1", "z2" if codes.shape[1] == 2 else ""]
    figure = Figure(figsize=(6.5, 5.5), layout="constrained")
    ax = figure.subplots()
    if labels is None:
        ax.scatter(xy[:, 0], xy[:, 1], s=4, alpha=0.6)
    else:
        labels = np.asarray(labels)
        if len(labels) != len(codes):
            raise ValueError(f"labels has {len(labels)} entries for {len(codes)} codes.")
        classes = np.unique(labels)
        if labels.dtype.kind == "f" and len(classes) > max_legend:
            points = ax.scatter(xy[:, 0], xy[:, 1], c=labels, s=4, alpha=0.6, cmap="viridis")
            figure.colorbar(points, ax=ax)
        else:
            cmap = matplotlib.colormaps["tab10" if len(classes) <= 10 else "tab20"]
            for i, cls in enumerate(classes):
                mask = labels == cls
                ax.scatter(xy[mask, 0], xy[mask, 1], s=4, alpha=0.6, color=cmap(i % cmap.N),
                           label=str(cls) if i < max_legend else None)
            ax.legend(markerscale=3, fontsize="small", loc="best")
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    if title:
        ax.set_title(title, fontsize="medium")
    return figure


def _as_images(images):
    """Images as an array of shape (n, h, w, c)."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 3:
        images = images[..., None]
    if images.ndim != 4 or images.shape[-1] not in (1, 3, 4):
        raise ValueError(
            f"images must have shape (n, h, w) or (n, h, w, c) with c in (1, 3, 4); got {images.shape}."
        )
    if len(images) == 0:
        raise ValueError("no images to draw.")
    return images
