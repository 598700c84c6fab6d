"""FleetDetector: one detector per asset of a fleet, scored and ranked in one call."""

import sys
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from ._detection import N_TOP_COLUMNS

#: Columns of :attr:`FleetDetection.assets`, in order.
ASSET_COLUMNS = ("asset", "n_rows", "n_flagged", "n_intervals", "peak_score", "peer_score",
                 "top_columns", "skipped")
#: Fewest scored assets whose median is a reference for the others (of two, it is their mean).
MIN_PEERS = 3


@dataclass
class FleetDetection:
    """What :meth:`FleetDetector.detect` found: per row, per interval and per asset.

    Every per-row array is in the order of the rows of X; rows of a skipped
    asset have a NaN score, are not flagged and name no column.

    Attributes
    ----------
    scores : ndarray of shape (n_rows,)
        Each row's score from its asset's detector (higher = more anomalous).
    is_anomaly : ndarray of shape (n_rows,), dtype bool
        Flagged rows.
    top_columns : list of str
        For each row, the columns behind its score, most important first.
    intervals : DataFrame
        The anomalous intervals of every asset (series detectors only;
        empty otherwise): the columns of :attr:`aeguard.Detection.intervals`
        after an ``asset`` column, assets in the order of :attr:`assets`.
    assets : DataFrame
        One row per asset, the most anomalous first: ``asset``, ``n_rows``,
        ``n_flagged``, ``n_intervals``, ``peak_score`` (the asset's highest
        score), ``peer_score`` (how far the asset's worst column stands out
        from the same column of the other assets; see
        :class:`FleetDetector`), ``top_columns`` (the columns behind the
        ranking, most first) and ``skipped`` (why the asset was not scored,
        or empty). Ranked by ``peer_score`` when at least
        :data:`MIN_PEERS` assets were scored (else by ``peak_score``, and
        ``peer_score`` is NaN), then by ``peak_score`` and ``n_flagged``;
        skipped assets last.
    detections : dict
        Asset -> its :class:`aeguard.Detection`, for everything else.
    skipped : dict
        Asset -> why it was not scored (too few rows, no model), in words.
    """

    scores: np.ndarray
    is_anomaly: np.ndarray
    top_columns: list
    intervals: pd.DataFrame
    assets: pd.DataFrame
    detections: dict = field(repr=False)
    skipped: dict

    @property
    def n_flagged(self):
        """Number of flagged rows over the fleet."""
        return int(self.is_anomaly.sum())

    @property
    def by_peers(self):
        """Whether :attr:`assets` are ranked by ``peer_score`` (else by ``peak_score``)."""
        return bool(self.assets.peer_score.notna().any())

    @property
    def ranking(self):
        """How :attr:`assets` are ranked, in words."""
        if self.by_peers:
            return ("peer score (each asset's worst column against the median of that column "
                    "over the fleet)")
        return "peak score"

    def to_frame(self):
        """Per-row results as a DataFrame: ``anomaly_score``, ``is_anomaly`` (0/1), ``top_columns``."""
        return pd.DataFrame({
            "anomaly_score": self.scores,
            "is_anomaly": self.is_anomaly.astype(np.int8),
            "top_columns": self.top_columns,
        })


class FleetDetector(BaseEstimator):
    """One detector per asset: a fleet's rows in one table, split, scored and ranked.

    A plant's export often holds many machines in one file, told apart by an
    asset column. ``fit`` splits the rows by that column and fits a clone of
    ``estimator`` on each asset's rows; ``detect`` scores each asset with its
    own detector and ranks the assets, the most anomalous first. Each
    asset's rows must be in time order within the table (they may be
    interleaved with other assets' rows). An asset whose rows are too few
    for its detector is reported in ``skipped_``, not fatal for the others.

    Assets are ranked against their peers. For each asset and column, the
    column's largest error before calibration (``feature_scores`` times the
    row's ``alarm_level`` for a series; for rows, ``feature_scores``, each
    feature's error in units of its training level on that asset) is
    divided by the median of that column's largest errors over the fleet;
    an asset's ``peer_score`` is its largest such ratio, and its
    ``top_columns`` the columns with the largest ratios. A sensor that is
    noisy on every machine then stands out on none, and a fault in a column
    the detectors predict well is not hidden behind it; and an asset whose
    detector learnt its own fault (trained on all its rows) still stands out
    from machines that had none. This assumes the assets are of one kind,
    their columns alike. Each row's ``scores`` and ``is_anomaly`` stay the
    asset's own: in units of its alarm level, 1 where an alarm opens.
    A fitted fleet is saved to one file, every asset's detector in it, with
    :func:`aeguard.save`.

    Parameters
    ----------
    group_by : str
        The column naming each row's asset. It is not a feature.
    estimator : estimator, default=None
        The detector to use: anything with ``fit``, ``detect`` and
        ``score_samples``. None: ``SeriesDetector()``.
    per_asset : bool, default=True
        True: a clone of ``estimator`` is fitted on each asset's rows. False:
        ``estimator``, already fitted (e.g. loaded with :func:`aeguard.load`),
        scores every asset, one model shared by the fleet; ``fit`` then only
        checks it, and ``detect`` scores assets ``fit`` never saw. (``clone``
        un-fits the nested estimator, as for any scikit-learn meta-estimator:
        a cloned shared fleet needs its fitted estimator set again.)
    verbose : int, default=0
        1: a line on stderr as each asset's detector is fitted.

    Attributes
    ----------
    detectors_ : dict
        Asset -> its fitted detector (per_asset=False: the shared one).
    skipped_ : dict
        Asset -> why no detector was fitted for it, in words.
    feature_names_in_ : ndarray of str
        The feature columns: every column of X but ``group_by`` (per_asset=False:
        the shared estimator's; X's other columns are not used).
    n_features_in_ : int
        Number of feature columns.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from aeguard import FleetDetector, SeriesDetector
    >>> t = np.arange(600)
    >>> wave = np.sin(2 * np.pi * t / 40)
    >>> a = pd.DataFrame({"machine": "a", "temp": wave, "load": np.cos(2 * np.pi * t / 40)})
    >>> b = a.assign(machine="b")
    >>> b.loc[500:505, "load"] += 3  # a fault on machine b
    >>> fleet = FleetDetector("machine", SeriesDetector(epochs=5, train_size=300,
    ...                                                  random_state=0))
    >>> X = pd.concat([a, b], ignore_index=True)
    >>> worst = fleet.fit(X).detect(X).assets.iloc[0]
    >>> worst.asset, worst.top_columns.split(",")[0]
    ('b', 'load')
    """

    def __init__(self, group_by=None, estimator=None, *, per_asset=True, verbose=0):
        self.group_by = group_by
        self.estimator = estimator
        self.per_asset = per_asset
        self.verbose = verbose

    def fit(self, X, y=None):
        """Fit a detector on each asset's rows (or check the shared one).

        Parameters
        ----------
        X : DataFrame
            The fleet's rows: the ``group_by`` column and the feature columns.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        groups = self._groups(X)
        features = X.drop(columns=[self.group_by])
        self.detectors_, self.skipped_ = {}, {}
        if not self.per_asset:
            if self.estimator is None:
                raise ValueError("per_asset=False needs a fitted estimator to share; give one "
                                 "(e.g. aeguard.load of a saved detector)")
            check_is_fitted(self.estimator)
            names = getattr(self.estimator, "feature_names_in_", None)
            if names is None:
                raise ValueError("the shared estimator was fitted without column names; fit "
                                 "it on a DataFrame so that its columns can be found in X")
            self.feature_names_in_ = np.asarray(names, dtype=object)
            self.n_features_in_ = len(names)
            self._check_features(features)
            self.detectors_ = {asset: self.estimator for asset in groups}
            return self
        self.feature_names_in_ = np.asarray(features.columns, dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        template = self._template()
        for number, (asset, rows) in enumerate(groups.items(), start=1):
            if self.verbose:
                print(f"fitting asset {asset} ({number} of {len(groups)}, {len(rows):,} rows)",
                      file=sys.stderr, flush=True)
            detector = clone(template)
            try:
                detector.fit(features.iloc[rows])
            except ValueError as error:  # too few rows for a window, and the like
                self.skipped_[asset] = str(error)
                continue
            self.detectors_[asset] = detector
        if not self.detectors_:
            raise ValueError(
                f"no asset of {self.group_by!r} could be fitted; the first said: "
                f"{next(iter(self.skipped_.values()))}"
            )
        return self

    def detect(self, X, *, threshold=None):
        """Score every asset's rows with its detector and rank the assets.

        Parameters
        ----------
        X : DataFrame
            The fleet's rows, with the columns ``fit`` saw.
        threshold : float, default=None
            Flag rows above this score instead of each detector's ``threshold_``.

        Returns
        -------
        detection : FleetDetection
        """
        check_is_fitted(self, "detectors_")
        groups = self._groups(X)
        features = self._check_features(X.drop(columns=[self.group_by]))
        n_rows = len(X)
        scores = np.full(n_rows, np.nan)
        flags = np.zeros(n_rows, dtype=bool)
        top = np.full(n_rows, "", dtype=object)
        detections, skipped, intervals = {}, {}, []
        for asset, rows in groups.items():
            detector = self._detector_for(asset)
            if detector is None:
                skipped[asset] = self.skipped_.get(
                    asset, "no detector: fit saw no rows of this asset")
                continue
            window = getattr(detector, "window_", 1)
            if len(rows) < window:
                skipped[asset] = (f"{len(rows)} rows, fewer than one window of the detector "
                                  f"({window} rows)")
                continue
            result = detector.detect(features.iloc[rows], threshold=threshold)
            detections[asset] = result
            scores[rows], flags[rows] = result.scores, result.is_anomaly
            top[rows] = result.top_columns
        if not detections:
            raise ValueError(f"no asset of {self.group_by!r} could be scored; the first said: "
                             f"{next(iter(skipped.values()))}")
        assets = self._ranking(groups, detections, skipped)
        for asset in assets.asset:
            found = getattr(detections.get(asset), "intervals", None)
            if found is not None and len(found):
                intervals.append(found.assign(asset=asset)[["asset", *found.columns]])
        intervals = (pd.concat(intervals, ignore_index=True) if intervals
                     else pd.DataFrame(columns=["asset"]))
        return FleetDetection(scores=scores, is_anomaly=flags, top_columns=list(top),
                              intervals=intervals, assets=assets, detections=detections,
                              skipped=skipped)

    def score_samples(self, X):
        """Each row's score from its asset's detector; NaN for rows of skipped assets.

        Parameters
        ----------
        X : DataFrame
            The fleet's rows.

        Returns
        -------
        scores : ndarray of shape (n_rows,)
        """
        return self.detect(X).scores

    # -------------------------------------------------------------- helpers
    def _template(self):
        if self.estimator is not None:
            return self.estimator
        from .series import SeriesDetector

        return SeriesDetector()

    def _check_features(self, features):
        """X's feature columns in the order the detectors were fitted on, or an error."""
        missing = [name for name in self.feature_names_in_ if name not in features.columns]
        if missing:
            raise ValueError(f"X lacks the feature column(s) {', '.join(map(str, missing))} "
                             "the detectors were fitted on")
        return features[list(self.feature_names_in_)]

    def _detector_for(self, asset):
        if not self.per_asset:
            return self.estimator
        return self.detectors_.get(asset)

    def _groups(self, X):
        """Asset -> positions of its rows in X, assets in order of first appearance."""
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"FleetDetector takes a DataFrame with the asset column "
                            f"{self.group_by!r}; got {type(X).__name__}")
        if self.group_by is None:
            raise ValueError("group_by names the column of asset ids; got None")
        if self.group_by not in X.columns:
            raise ValueError(f"X has no column {self.group_by!r} (group_by); its columns are "
                             f"{', '.join(map(str, X.columns))}")
        ids = X[self.group_by]
        if ids.isna().any():
            first = int(np.flatnonzero(ids.isna().to_numpy())[0])
            raise ValueError(f"the asset column {self.group_by!r} is empty in {int(ids.isna().sum())}"
                             f" row(s), first at position {first}; fill or drop them")
        codes, uniques = pd.factorize(ids, sort=False)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
        return {asset: order[bounds[i]:bounds[i + 1]] for i, asset in enumerate(uniques)}

    @staticmethod
    def _ranking(groups, detections, skipped):
        """The per-asset table, the most anomalous first (skipped assets last)."""
        peers = _peer_ratios(detections)
        rows = []
        for asset, positions in groups.items():
            result = detections.get(asset)
            if result is None:
                rows.append({"asset": asset, "n_rows": len(positions), "n_flagged": 0,
                             "n_intervals": 0, "peak_score": np.nan, "peer_score": np.nan,
                             "top_columns": "", "skipped": skipped[asset]})
                continue
            peak = int(np.argmax(result.scores))
            found = result.intervals
            ratios = peers.get(asset)
            if ratios is None:
                peer, top = np.nan, result.top_columns[peak]
            else:
                order = np.argsort(-ratios, kind="stable")[:N_TOP_COLUMNS]
                peer = float(ratios[order[0]])
                top = ",".join(str(result.columns[j]) for j in order)
            rows.append({"asset": asset, "n_rows": len(positions),
                         "n_flagged": result.n_flagged,
                         "n_intervals": 0 if found is None else len(found),
                         "peak_score": float(result.scores[peak]), "peer_score": peer,
                         "top_columns": top, "skipped": ""})
        table = pd.DataFrame(rows, columns=list(ASSET_COLUMNS))
        keys = (["peer_score", "peak_score", "n_flagged"] if peers
                else ["peak_score", "n_flagged"])
        table = table.sort_values(keys, ascending=False, na_position="last", kind="stable")
        return table.reset_index(drop=True)


def _peer_ratios(detections):
    """Asset -> each column's largest uncalibrated error over the fleet's median of it.

    Empty when fewer than :data:`MIN_PEERS` assets have finite per-column
    errors to compare; an asset whose errors are not all finite gets no
    ratios (it is ranked by its peak).
    """
    peaks = {}
    for asset, result in detections.items():
        errors = getattr(result, "feature_scores", None)
        if errors is None or np.ndim(errors) != 2:
            return {}
        errors = np.asarray(errors, dtype=np.float64)
        level = getattr(result, "alarm_level", None)
        if level is not None:
            errors = errors * np.asarray(level, dtype=np.float64)[:, None]
        peak = errors.max(axis=0)
        if np.isfinite(peak).all():
            peaks[asset] = peak
    if len(peaks) < MIN_PEERS or len({len(p) for p in peaks.values()}) != 1:
        return {}
    reference = np.median(np.stack(list(peaks.values())), axis=0)
    # A column every asset reconstructs exactly (median 0) is measured against a trace of
    # the others' reference, so that any error in it stands out, but by a finite ratio.
    floor = max(1e-6 * float(reference.max()), 1e-12)
    reference = np.maximum(reference, floor)
    return {asset: peak / reference for asset, peak in peaks.items()}
