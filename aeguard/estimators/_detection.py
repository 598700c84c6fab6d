"""The result of ``detect``: everything one detection run found, for a notebook or the CLI."""

from dataclasses import dataclass, field

import numpy as np

#: Columns named per row in ``top_columns`` and per interval.
N_TOP_COLUMNS = 3


@dataclass
class Detection:
    """What a detector's ``detect(X)`` found: per-row scores, flags, causes and intervals.

    Returned by :meth:`aeguard.AEDetector.detect`,
    :meth:`aeguard.VAEDetector.detect` and :meth:`aeguard.SeriesDetector.detect`;
    ``aeguard detect`` only formats it. Every per-row array is in the order of
    the rows of X.

    Attributes
    ----------
    scores : ndarray of shape (n_rows,)
        ``score_samples(X)``: higher = more anomalous.
    is_anomaly : ndarray of shape (n_rows,), dtype bool
        Flagged rows: scoring above ``threshold``; for a series, the rows in an
        alarm, which opens above ``threshold`` and is held while the recent
        scores stay high.
    feature_scores : ndarray of shape (n_rows, n_columns)
        ``feature_scores(X)``: the per-column errors behind each score.
    columns : list of str
        The column names (``x0``, ``x1``, ... when X had none).
    top_columns : list of str
        For each row, the columns with the largest ``feature_scores``, most
        important first, comma-separated (at most three).
    threshold : float
        The threshold the flags were set with.
    threshold_rule : str
        How ``threshold`` was set, in words.
    intervals : DataFrame or None
        Series only (None for independent rows): one row per anomalous
        interval, with ``start``, ``end`` (X's index labels, or row
        positions), ``n_rows`` (rows from start to end, flagged or in a
        short gap between flagged rows), ``n_flagged`` (rows
        flagged), ``peak_score``, ``peak_at``, ``top_columns`` (the columns
        with the largest peak errors in the interval, the first being the
        column behind ``peak_score``) and ``is_open``
        (the interval runs to the last row: the anomaly had not ended when
        the data did).
    index : pandas.Index or None
        X's index when X was a DataFrame, else None.
    alarm_level : ndarray of shape (n_rows,) or None
        Series only (None for independent rows): each row's alarm level, the
        unit ``scores`` and ``feature_scores`` are in. ``feature_scores *
        alarm_level[:, None]`` are the row's errors before calibration, in
        units of the series' own standardised training data (what
        :class:`aeguard.FleetDetector` compares across assets).

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard import AEDetector
    >>> X = np.random.default_rng(0).normal(size=(300, 4))
    >>> result = AEDetector(epochs=2, random_state=0).fit(X).detect(X)
    >>> result.scores.shape, result.is_anomaly.dtype, len(result.top_columns)
    ((300,), dtype('bool'), 300)
    >>> list(result.to_frame().columns)
    ['anomaly_score', 'is_anomaly', 'top_columns']
    """

    scores: np.ndarray
    is_anomaly: np.ndarray
    feature_scores: np.ndarray
    columns: list
    top_columns: list
    threshold: float
    threshold_rule: str
    intervals: object = None
    index: object = field(default=None, repr=False)
    alarm_level: object = field(default=None, repr=False)

    @property
    def n_flagged(self):
        """Number of flagged rows."""
        return int(self.is_anomaly.sum())

    def to_frame(self):
        """Per-row results as a DataFrame: ``anomaly_score``, ``is_anomaly`` (0/1), ``top_columns``.

        Indexed like X when X was a DataFrame.
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "anomaly_score": self.scores,
                "is_anomaly": self.is_anomaly.astype(np.int8),
                "top_columns": self.top_columns,
            },
            index=self.index,
        )


def top_columns(errors, names, k=N_TOP_COLUMNS):
    """Name the columns with the largest errors in each row, most important first.

    Parameters
    ----------
    errors : ndarray of shape (n_rows, n_columns)
        Per-column errors, e.g. ``feature_scores``.
    names : list of str
        Column names, one per column of ``errors``.
    k : int, default=3
        How many names per row (fewer when there are fewer columns).

    Returns
    -------
    top : list of str
        For each row, up to ``k`` names joined by commas, e.g. ``"b,a,c"``.
    """
    names = np.asarray(names, dtype=object)
    # A stable sort breaks ties by column order, so the output is deterministic.
    order = np.argsort(-np.asarray(errors), axis=1, kind="stable")[:, : min(k, len(names))]
    return [",".join(row) for row in names[order]]


def column_names(estimator):
    """The fitted estimator's column names as str (``x0``, ``x1``, ... without names)."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return [f"x{i}" for i in range(estimator.n_features_in_)]
    return [str(n) for n in names]


def quantile_rule(contamination):
    """The words for a threshold at the (1 - contamination) quantile of the training scores."""
    return (f"the {1 - contamination:g} quantile of the training rows' scores "
            f"(contamination {contamination:g})")


def index_of(X):
    """X's index (a pandas Index) when X is a DataFrame or Series, else None."""
    return getattr(X, "index", None)
