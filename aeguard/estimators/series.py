"""SeriesDetector: anomaly detection on multichannel sensor series, one score per row."""

import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import timeseries
from ._base import COMMON_CONSTRAINTS, KerasStateMixin
from ._detection import Detection, column_names, index_of, quantile_rule, top_columns
from ._params import Interval, Options, validate_params
from ._preprocessing import Scaler
from .validation import reject_non_numeric_columns

#: The networks of ``model``.
NETWORKS = ("conv", "dense", "lstm", "vae")

#: Rows of recent history the level term compares each value with.
LEVEL_WINDOW = 500
#: Rows of the recent spread in the spread term, its weight against the reconstruction
#: error, and the smallest unit of its squared log ratio (a 10 % change of the log spread
#: at the Gaussian 0.99 point), so that a column whose spread never varied in training
#: is not alarmed by a small change.
SPREAD_ROWS, SPREAD_WEIGHT = 32, 0.5
MIN_SPREAD_UNIT = 0.1 ** 2 * timeseries.Z99_SQUARED
#: A run of one repeated value counts once it is more than RUN_FACTOR times as long as
#: the column's longest in training, and adds at most RUN_CAP times the base alarm
#: level: enough to open an alarm, after which the score history takes a lasting
#: value as known, as it does a lasting level.
RUN_FACTOR, RUN_CAP = 2, 4.0
#: The alarm level follows this quantile of the scores of the last HISTORY_ROWS rows,
#: updated every HISTORY_BLOCK rows.
HISTORY_QUANTILE, HISTORY_ROWS, HISTORY_BLOCK = 0.999, 4000, 50
#: A row enters that history as at most this many times its own alarm level, so a
#: short fault does not hide the next one behind it.
HISTORY_CLIP = 2.0
#: An alarm stays open while the mean score of the last STAY_ROWS rows is above the
#: same rule's threshold for that mean (see ``detect``), and closes after LEVEL_WINDOW
#: rows in a row below the threshold: by then the level term has taken a lasting new
#: level as normal.
STAY_ROWS = 32

#: The share of the worst-reconstructed training windows left out of each epoch by robust
#: training: ``trim_fraction="auto"`` on a whole series (no ``train_size``), and what
#: ``aeguard detect`` uses on the leading part it chooses itself.
ROBUST_TRIM = 0.05

#: Epochs of each update of ``adapt``, over the block's normal windows.
ADAPT_EPOCHS = 2

#: At most this many training windows (the stride grows beyond it), bounding
#: the memory and time of fitting on very long series.
MAX_TRAINING_WINDOWS = 50_000


class SeriesDetector(OutlierMixin, KerasStateMixin, BaseEstimator):
    """Anomaly detector for sensor series: one score per row, and the columns behind it.

    The series (rows in time order, one column per sensor) is cut into
    sliding windows; an autoencoder (1-D convolutional by default) learns to
    reconstruct windows of the training part. Each row gets, per column, the
    squared reconstruction error of its step in the window ending at it,
    plus terms for how far the value is from the column's recent level, a
    spread fallen below the usual one, and a value held for longer than
    training ever held one; the row's score is the largest of these sums
    over the columns, divided by the row's alarm level, which follows the
    scores' own recent history (see Notes). **Higher = more anomalous**, as
    for :class:`aeguard.AEDetector`, and 1 means the same on every series:
    the alarm level. ``predict`` gives +1 / -1 per row; :meth:`detect` gives
    alarms that stay open while a fault lasts.

    Scoring is online: row ``t``'s score uses only rows up to ``t``, so a
    fitted detector can score a live stream. The first ``window_ - 1`` rows,
    which no window ends at, are scored from the first window. With
    ``smoothing > 1`` each row's values are averaged with those of the rows
    just before it. Each batch is scored as if it came right after the
    training part: a row's score equals its score in the whole series when
    the batch holds the series from its start; with only some earlier rows
    prepended, the level term and the alarm level see less history, and the
    scores are close but not identical.

    Parameters
    ----------
    window : int or "auto", default="auto"
        Rows per window. "auto": the dominant period of the training part
        (from its autocorrelation), clipped to [16, 288] and to half the
        training rows; 32 if there is none. It needs at least 32 training rows.
    stride : int, default=1
        Step between training windows (scoring always uses every window).
        It grows automatically so that at most 50,000 windows are trained on.
    smoothing : int, default=1
        Rows over which the per-row, per-column errors are averaged: row
        ``t``'s errors are the mean of rows ``t - smoothing + 1`` to ``t``
        (a trailing mean, so scoring stays online; the first rows average
        the rows there are). 1: each row scored on its own. Larger values
        suit long faults (a stuck valve, a slow leak) and blunt single-row
        spikes: see Notes.
    model : {"conv", "dense", "lstm", "vae"}, default="conv"
        "conv": 1-D convolutional autoencoder; "dense": the window flattened
        into a dense autoencoder; "lstm": an LSTM encoder-decoder (sequence
        to sequence; several times slower to train on a CPU); "vae": the
        convolutional network as a variational autoencoder (Gaussian
        likelihood with calibrated noise variance, see
        :class:`aeguard.VAEDetector`), scored by the reconstruction error of
        the posterior mean. Every model is scored the same way.
    latent_dim : int, default=None
        Width of the code. None: ``clip(window * n_columns // 8, 4, 32)``.
    filters : tuple of int, default=None
        Filters of the convolutional blocks (each halves the time axis).
        None: ``(32, 16)``.
    hidden_units : tuple of int, default=None
        Hidden widths of the dense model (None: ``(64,)``), or LSTM widths of
        the "lstm" model (None: ``(64,)``).
    epochs : int or "auto", default="auto"
        Maximum epochs; "auto" allows about 1,000 optimizer steps (10 to 50
        epochs). Early stopping may end sooner.
    batch_size : int or "auto", default="auto"
        "auto": a tenth of the training windows, between 16 and 256.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    validation_fraction : float or None, default=0.1
        Fraction of the training windows held out to monitor early stopping.
    patience : int, default=5
        Epochs without improvement before stopping (best weights kept).
    train_size : int, float or None, default=None
        The training part: the first ``train_size`` rows (int) or that
        fraction of the rows (float in (0, 1]). None: the whole series, in
        which case training is robust (see ``trim_fraction``).
    trim_fraction : float or "auto", default="auto"
        Fraction of worst-reconstructed training windows left out of each
        epoch after the first, so anomalies inside the training part are not
        learned. "auto": 0.05 when training on the whole series, 0 when a
        ``train_size`` marks a clean segment.
    adapt : int or None, default=None
        Adaptive scoring for long or drifting series: the series is scored
        in blocks of ``adapt`` rows, and after each block a copy of the
        network is trained for :data:`ADAPT_EPOCHS` more epochs on that
        block's windows judged normal (every row of the window outside the
        alarms of :meth:`detect`: a row of a long fault that scores below
        ``threshold_`` while its alarm is held is not learnt), so the next
        block is scored by a model that has seen the recent normal
        behaviour. Still online (a row is scored by the network as updated
        on earlier blocks only), and the fitted network itself never
        changes: each call starts from it. None: the fitted network scores
        every row. Costs one short training per block.
    contamination : float or None, default=None
        If given, ``threshold_`` is the (1 - contamination) quantile of the
        training rows' scores. If None, ``threshold_`` is 1: the alarm level.
    threshold_quantile : float, default=0.99
        The alarm level is at least ``threshold_margin`` times this quantile
        of the training rows' uncalibrated scores: "clearly above what normal
        training data scores", the rule of SKAB's and Keras's autoencoder
        examples.
    threshold_margin : float, default=1.5
        See ``threshold_quantile``.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, shuffling and the validation split.
    verbose : int, default=0
        0 silent; 1 a line naming the training data, then a progress line
        redrawn on stderr; 2 the same line, then one line per epoch.

    Attributes
    ----------
    window_ : int
        Rows per window actually used.
    stride_ : int
        Step between training windows actually used.
    smoothing_ : int
        Rows of the trailing mean, as fitted (the threshold was set with it).
    level_scale_ : ndarray of shape (n_features_in_,)
        Each column's 0.99 training error quantile: the unit of its level and
        spread terms.
    spread_reference_, spread_unit_ : ndarray of shape (n_features_in_,)
        Each column's usual mean squared row-to-row step, and the unit of its
        spread term (see Notes).
    run_reference_, run_rate_ : ndarray of shape (n_features_in_,)
        Each column's run term (see Notes): the run of one repeated value it
        counts beyond (twice the longest in training, plus one row; inf for a
        column whose training part ends inside its longest run, such as a
        constant one), and what each repeated row tells, in nats.
    base_threshold_ : float
        The lowest alarm level, in uncalibrated score units; never below the
        smallest column's unit of error (``level_scale_.min()``).
    stay_threshold_ : float
        An alarm stays open while the 32-row mean of the uncalibrated score is
        above this.
    score_histogram_, score_histogram_low_ : ndarray, float
        The training scores' log-scale histogram (2 % bins from
        ``exp(score_histogram_low_)``): the history before the series.
    trim_fraction_ : float
        Fraction of worst-reconstructed training windows left out of each epoch.
    threshold_ : float
        Rows scoring above it are anomalies: 1 (the alarm level) by default.
    n_train_rows_ : int
        Rows in the training part.
    scaler_ : Scaler
        Per-column standardisation learned on the training part.
    model_, encoder_, decoder_ : keras.Model
        The trained autoencoder and its halves.
    history_ : dict of str -> list of float
        Loss per epoch.
    n_features_in_ : int
        Number of columns.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X was a DataFrame.

    Notes
    -----
    The score of row ``t``, computed online:

    1. ``e[t, j]``: column ``j``'s squared reconstruction error, in
       standardised units.
    2. ``level[t, j]``: ``((x[t, j] - m) / sd)**2 / 2.576**2 * q_j``, where
       ``m`` and ``sd`` are the mean and standard deviation of column ``j``
       over the 500 rows before ``t`` (training rows fill in at the start)
       and ``q_j`` the column's 0.99 training error quantile
       (:func:`aeguard.timeseries.level_term`). A value far from recent
       behaviour counts, however smoothly it got there.
    3. ``spread[t, j]``: ``r**2 / u_j * q_j / 2``, where ``r`` is how far the
       column's recent spread (mean squared row-to-row step over the 32 rows
       ending at ``t``) is below its training spread, ``min(log ratio, 0)``,
       and ``u_j`` the 0.99 training quantile of ``r**2``
       (:func:`aeguard.timeseries.spread_term`). A sensor that stops moving
       (frozen, or a valve stuck in place) counts, although each of its
       values is ordinary and a flat window is easy to reconstruct. It
       enters at half weight (at full weight it raised the false alarms on
       the SKAB benchmark; the project's benchmark notes give the figures).
    4. ``run[t, j]``: ``min(2 * (L - R_j) * r_j / 2.576**2 * q_j, 4 * B)``
       where ``L``, the number of rows before ``t`` that hold its value, is
       more than ``R_j``, twice the column's longest such run in training plus
       one (else 0). ``r_j = -log p_j`` with ``p_j`` the share of training rows
       that repeat the row before, so ``(L - R_j) * r_j`` is how unlikely the
       extra repeats would be by chance, in nats, and 2.576**2 / 2 nats (a
       Gaussian value at its 0.99 point) adds ``q_j``, as in the level term.
       ``B`` is ``base_threshold_``: a held value opens an alarm, then the
       alarm level takes it as known, as it does a lasting level
       (:func:`aeguard.timeseries.run_term`). A sensor that never repeated a
       reading in training and holds one (stale data, a stuck valve) counts
       after three equal rows; a coarse sensor, whose readings repeat, only
       when it holds one for twice as long as it ever did.
    5. ``raw[t] = max_j (e + level + spread + run)[t, j]``: the worst column, so one
       broken sensor among hundreds is not averaged away.
    6. The alarm level ``T[t]`` is the larger of ``threshold_margin`` x the
       ``threshold_quantile`` quantile of the training rows' ``raw`` and the
       0.999 quantile of ``raw`` over the 4,000 rows before ``t`` (updated
       every 50 rows; the training rows count as the rows before the series;
       each row enters that history as at most twice its own alarm level, so
       a short fault does not hide the next). Neither is below the smallest
       column's unit of error ``min_j q_j``: on a training part the network
       reconstructs perfectly (a constant sensor) a change is news, but a
       value back at its constant after a fault, which the level term still
       sees as far from the 500 rows before, is not.
       ``feature_scores`` is ``(e + level + spread + run) / T`` and ``score_samples`` its
       row maximum: calibrated against each series' own history, so one
       threshold means the same on every file.

    :meth:`detect` opens an alarm on a row scoring above ``threshold_`` and
    keeps it open while the mean ``raw`` of the last 32 rows stays above
    ``stay_threshold_`` (the training rule applied to that mean), so a
    sustained fault is one interval and the interval closes when the data
    are normal again. It also closes after 500 rows in a row below
    ``threshold_`` (the level term's memory): a lasting change that no
    longer reaches the threshold is the new normal.

    ``smoothing`` trades point faults for long ones: on the SKAB benchmark,
    whose faults last hundreds of rows, a trailing mean over 8 rows raises F1;
    on NAB, where many anomalies are short and the earliest alarm counts, it
    lowers the score. So the default scores each row on its own; the
    project's benchmark notes give the figures.

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard import SeriesDetector
    >>> t = np.arange(2000)
    >>> X = np.column_stack([np.sin(2 * np.pi * t / 50), np.cos(2 * np.pi * t / 50)])
    >>> X[1500, 0] += 3  # a spike in the first column
    >>> det = SeriesDetector(epochs=5, train_size=1000, random_state=0).fit(X)
    >>> det.window_
    50
    >>> int(det.score_samples(X).argmax())
    1500
    """

    _constraints = {
        **{k: COMMON_CONSTRAINTS[k] for k in (
            "latent_dim", "hidden_units", "filters", "epochs", "batch_size", "learning_rate",
            "validation_fraction", "patience", "random_state", "verbose",
        )},
        "window": [Options("auto"), Interval(Integral, 2, None)],
        "stride": [Interval(Integral, 1, None)],
        "smoothing": [Interval(Integral, 1, None)],
        "model": [Options(*NETWORKS)],
        "train_size": [Options(None), Interval(Integral, 2, None),
                       Interval(Real, 0, 1, closed="right")],
        "trim_fraction": [Options("auto"), Interval(Real, 0, 0.9)],
        "adapt": [Options(None), Interval(Integral, 2, None)],
        "contamination": [Options(None), Interval(Real, 0, 0.5, closed="right")],
        "threshold_quantile": [Interval(Real, 0, 1, closed="right")],
        "threshold_margin": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        window="auto",
        stride=1,
        smoothing=1,
        model="conv",
        latent_dim=None,
        filters=None,
        hidden_units=None,
        epochs="auto",
        batch_size="auto",
        learning_rate=1e-3,
        validation_fraction=0.1,
        patience=5,
        train_size=None,
        trim_fraction="auto",
        adapt=None,
        contamination=None,
        threshold_quantile=0.99,
        threshold_margin=1.5,
        random_state=None,
        verbose=0,
    ):
        self.window = window
        self.stride = stride
        self.smoothing = smoothing
        self.model = model
        self.latent_dim = latent_dim
        self.filters = filters
        self.hidden_units = hidden_units
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.train_size = train_size
        self.trim_fraction = trim_fraction
        self.adapt = adapt
        self.contamination = contamination
        self.threshold_quantile = threshold_quantile
        self.threshold_margin = threshold_margin
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None):
        """Learn normal windows from the training part of the series and set the threshold.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            Numeric columns, rows in time order.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        validate_params(self, self._constraints)
        X = self._validate(X, reset=True)
        n_train = self._n_train_rows(len(X))
        self.n_train_rows_ = n_train
        self.scaler_ = Scaler.fit(X[:n_train], "standard", image=False)
        Xs = self.scaler_.transform(X[:n_train])  # only the training part is used below
        self.window_ = timeseries.auto_window(Xs) if self.window == "auto" else self.window
        if n_train < self.window_ + 1:
            raise ValueError(
                f"The training part has {n_train} rows, too few for a window of "
                f"{self.window_} rows; give a longer series (or train_size), or a smaller window."
            )
        self.smoothing_ = self.smoothing
        self.trim_fraction_ = self._trim_fraction()
        n_windows = n_train - self.window_ + 1
        self.stride_ = max(self.stride, math.ceil(n_windows / MAX_TRAINING_WINDOWS))
        windows = self._to_network(
            timeseries.training_windows(Xs, self.window_, self.stride_)
        )
        self._network = self._network_spec(X.shape[1])

        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        self._train_network(windows, windows, rng, seed)
        self.adapt_seed_ = seed + 1

        self._fit_scoring(Xs, self._reconstruction_errors(Xs))
        return self

    def _fit_scoring(self, Xs, errors):
        """Learn the score's units and alarm levels from the training part's errors."""
        self.level_scale_ = _error_scale(errors)
        self.spread_reference_ = timeseries.mean_squared_steps(Xs)
        log_ratio = timeseries.spread_log_ratio(Xs, SPREAD_ROWS, self.spread_reference_)
        self.spread_unit_ = np.maximum(np.quantile(np.square(log_ratio), 0.99, axis=0),
                                       MIN_SPREAD_UNIT) / SPREAD_WEIGHT
        longest, self.run_rate_ = timeseries.run_statistics(Xs)
        self.run_reference_ = RUN_FACTOR * (longest + 1) - 1
        contributions = self._contributions(errors, self._novelty(Xs))
        raw = contributions.max(axis=1)
        # Neither level is below the smallest unit of error: on a perfectly reconstructed
        # (constant) training part a change is news, but the level term's fading memory of
        # a past fault, once the value is back, is not.
        unit = float(self.level_scale_.min())
        base = float(self.threshold_margin * np.quantile(raw, self.threshold_quantile))
        self.base_threshold_ = max(base, unit)
        history = timeseries.ScoreHistory.fit(raw)
        self.score_histogram_, self.score_histogram_low_ = history.counts, history.low
        recent = timeseries.trailing_mean(raw[:, None], STAY_ROWS)[:, 0]
        stay = float(self.threshold_margin * np.quantile(recent, self.threshold_quantile))
        self.stay_threshold_ = max(stay, unit)
        train_scores = raw / self._alarm_levels(raw)
        if self.contamination is not None:
            self.threshold_ = float(np.quantile(train_scores, 1 - self.contamination))
        else:
            self.threshold_ = 1.0

    def _n_train_rows(self, n_rows):
        if self.train_size is None:
            return n_rows
        if isinstance(self.train_size, Integral):
            if self.train_size > n_rows:
                raise ValueError(
                    f"train_size={self.train_size} is more than the {n_rows} rows of X."
                )
            return int(self.train_size)
        return max(2, int(self.train_size * n_rows))

    def _trim_fraction(self):
        if self.trim_fraction == "auto":
            return ROBUST_TRIM if self.train_size is None else 0.0
        return self.trim_fraction

    def _network_spec(self, n_columns):
        window = self.window_
        self.latent_dim_ = (
            self.latent_dim if self.latent_dim is not None
            else int(np.clip(window * n_columns // 8, 4, 32))
        )
        sequence = {"window": window, "n_channels": n_columns, "latent_dim": self.latent_dim_}
        filters = tuple(self.filters) if self.filters else (32, 16)
        if self.model == "conv":
            return {"builder": "conv1d", "kwargs": {**sequence, "filters": filters}}
        if self.model == "vae":
            return {"builder": "vae_conv1d", "kwargs": {**sequence, "filters": filters}}
        if self.model == "lstm":
            units = tuple(self.hidden_units) if self.hidden_units else (64,)
            return {"builder": "lstm", "kwargs": {**sequence, "units": units}}
        kwargs = {
            "n_features": window * n_columns,
            "hidden_units": tuple(self.hidden_units) if self.hidden_units else (64,),
            "latent_dim": self.latent_dim_,
        }
        return {"builder": "dense", "kwargs": kwargs}

    def _describe_training_data(self, windows):
        part = (f"the first {self.n_train_rows_:,}" if self.train_size is not None
                else f"all {self.n_train_rows_:,}")
        return (f"{part} rows x {self.n_features_in_} columns (time series; "
                f"{len(windows):,} windows of {self.window_} rows)")

    def _epochs_rule(self):
        """``epochs="auto"``: about 1,000 optimizer steps, 10 to 50 epochs."""
        return 1000, 10, 50

    def _training_options(self):
        """Trimming, and the loss: squared error, or the negative ELBO of the "vae" model."""
        if self.model != "vae":
            return {"trim": self.trim_fraction_}
        from ..networks.vae import gaussian_nll

        return {"trim": self.trim_fraction_, "loss": gaussian_nll}

    def _to_network(self, windows):
        """Windows (n, window, n_columns) in the shape the network takes."""
        if self.model == "dense":
            return windows.reshape(len(windows), -1)
        return windows

    # -------------------------------------------------------------- scoring
    def _validate(self, X, *, reset):
        reject_non_numeric_columns(X, type(self).__name__)
        X = validate_data(self, X, reset=reset, dtype=np.float32, ensure_min_samples=2)
        if not reset and len(X) < self.window_:
            raise ValueError(
                f"X has {len(X)} rows, fewer than one window ({self.window_} rows)."
            )
        return X

    def _reconstruction_errors(self, Xs):
        """Per-row, per-column squared reconstruction error of scaled rows (online mapping)."""
        return self._errors_with(self.model_, Xs)

    def _contributions(self, errors, novelty):
        """Each column's reconstruction error plus its novelty terms, smoothed: before calibration."""
        contributions = errors + novelty
        # Models saved before smoothing existed have no smoothing_: they scored rows alone.
        return timeseries.trailing_mean(contributions, getattr(self, "smoothing_", 1))

    def _novelty(self, Xs):
        """The level, spread and run terms, per row and column, in error units."""
        novelty = timeseries.level_term(Xs, LEVEL_WINDOW, self.level_scale_)
        # Models saved before the spread term have no spread_reference_: scored without it.
        if hasattr(self, "spread_reference_"):
            novelty += timeseries.spread_term(Xs, SPREAD_ROWS, self.spread_reference_,
                                              self.spread_unit_, self.level_scale_)
        # Models saved before the run term have no run_reference_: scored without it.
        if hasattr(self, "run_reference_"):
            # No training row's run is longer than the reference, so the term is 0 there
            # and fitting can compute it before base_threshold_ exists.
            cap = RUN_CAP * getattr(self, "base_threshold_", np.inf)
            novelty += timeseries.run_term(Xs, self.run_reference_, self.run_rate_,
                                           self.level_scale_, cap)
        return novelty

    def _alarm_levels(self, raw):
        """Each row's alarm level: the base threshold, or the recent scores' high quantile."""
        history = timeseries.ScoreHistory(self.score_histogram_low_,
                                          timeseries.ScoreHistory.WIDTH, self.score_histogram_)
        recent = history.trailing_quantile(raw, HISTORY_QUANTILE, HISTORY_ROWS, HISTORY_BLOCK,
                                           floor=self.base_threshold_, clip=HISTORY_CLIP)
        return np.maximum(self.base_threshold_, recent)

    def feature_scores(self, X):
        """Per-row, per-column scores: which sensors drove each row's score.

        Each column's reconstruction error plus its level, spread and run
        terms, divided by the row's alarm level (see Notes); the largest of a
        row's values is its :meth:`score_samples`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            The series to score, rows in time order, at least ``window_`` rows.

        Returns
        -------
        contributions : ndarray of shape (n_rows, n_columns)
            In units of the alarm level: 1 is where a row starts to be anomalous.
        """
        return self._scored(X)[0]

    def _scored(self, X):
        """``(feature_scores, raw scores, alarm levels)`` of X.

        raw: the row maxima before calibration; feature_scores are the
        contributions divided by the row's alarm level.
        """
        check_is_fitted(self)
        if self.adapt is not None and not hasattr(self, "adapt_seed_"):
            raise ValueError(
                "adapt needs a SeriesDetector fitted by this aeguard version; fit it again."
            )
        if not hasattr(self, "level_scale_"):
            raise ValueError(
                "This SeriesDetector was saved by an earlier aeguard, which scored without "
                "the level term and the calibration; fit it again."
            )
        X = self._validate(X, reset=False)
        Xs = self.scaler_.transform(X)
        if self.adapt is None:
            contributions = self._contributions(self._reconstruction_errors(Xs),
                                                self._novelty(Xs))
        else:
            contributions = self._adaptive_contributions(Xs)
        raw = contributions.max(axis=1)
        levels = self._alarm_levels(raw)
        return contributions / levels[:, None], raw, levels

    def _adaptive_contributions(self, Xs):
        """``_contributions`` with the network updated after each block of ``adapt`` rows.

        Time grows with ``n_rows**2 / adapt`` (each update first scores the
        rows so far), besides one short training per block.
        """
        from ..networks import training

        window, block = self.window_, self.adapt
        novelty = self._novelty(Xs)
        errors = np.empty(Xs.shape, dtype=np.float32)
        model, seed = self.model_, self.adapt_seed_
        for first in range(0, len(Xs), block):
            stop = min(first + block, len(Xs))
            # The block's rows, each scored by the window ending at it (the series'
            # first rows by the first window), from the network as updated so far.
            # A first block shorter than a window borrows the rest of the first window.
            lo = max(0, first - window + 1)
            hi = max(stop, min(lo + window, len(Xs)))
            errors[first:stop] = self._errors_with(model, Xs[lo:hi])[first - lo:stop - lo]
            if stop == len(Xs):
                break
            raw = self._contributions(errors[:stop], novelty[:stop]).max(axis=1)
            # Normal: outside every alarm, so a long fault's rows that dip below the
            # threshold while its alarm is held are not learnt as normal.
            normal = ~self._alarms(raw / self._alarm_levels(raw), raw, self.threshold_)
            # The block's windows whose rows all scored as normal.
            all_normal = timeseries.trailing_mean(normal[:, None].astype(np.float64), window)[:, 0]
            ends = np.arange(max(first, window - 1), stop)
            ends = ends[all_normal[ends] == 1.0]
            if len(ends) == 0:
                continue
            if model is self.model_:  # a copy: the fitted network never changes
                model = training.build_networks(self._network)[0]
                model.set_weights(self.model_.get_weights())
            windows = self._to_network(np.stack([Xs[e - window + 1:e + 1] for e in ends]))
            with training.seeded(seed + first):
                training.train(model, windows, windows, validation=None, epochs=ADAPT_EPOCHS,
                               batch_size=min(self.batch_size_, len(windows)),
                               learning_rate=self.learning_rate, patience=ADAPT_EPOCHS,
                               verbose=0, seed=seed + first, again=True,
                               **{**self._training_options(), "trim": 0.0})
        return self._contributions(errors, novelty)

    def _errors_with(self, model, Xs):
        """Per-row, per-column squared errors of ``Xs`` scored by ``model`` (online mapping)."""
        from ..networks.training import INFERENCE_CHUNK, forward

        window, n_columns = self.window_, Xs.shape[1]

        def chunks():
            for first, windows in timeseries.iter_windows(Xs, window, INFERENCE_CHUNK):
                recon = forward(model, self._to_network(windows))
                yield first, np.square(recon.reshape(windows.shape) - windows)

        return timeseries.online_row_errors(chunks(), len(Xs), window, n_columns)

    def score_samples(self, X):
        """Anomaly score of each row (higher = more anomalous).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            The series to score, rows in time order, at least ``window_`` rows.

        Returns
        -------
        scores : ndarray of shape (n_rows,)
            The largest of the row's :meth:`feature_scores`: in units of the
            row's alarm level, so 1 means "as unusual as the alarm level" on
            every series.
        """
        return self.feature_scores(X).max(axis=1)

    def decision_function(self, X):
        """``threshold_ - score_samples(X)``: negative for anomalous rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            The series to score.

        Returns
        -------
        decision : ndarray of shape (n_rows,)
        """
        check_is_fitted(self)
        return self.threshold_ - self.score_samples(X)

    def predict(self, X):
        """+1 for normal rows, -1 for rows scoring above ``threshold_``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            The series to score.

        Returns
        -------
        is_inlier : ndarray of shape (n_rows,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def detect(self, X, *, threshold=None, max_gap=None):
        """Score the series and report what is anomalous, in one call.

        What ``aeguard detect`` prints and writes for a series, without the
        command line: every row's score, flag and top columns, and the
        anomalous intervals.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            The series to score, rows in time order, at least ``window_`` rows.
            A DataFrame's index labels the intervals.
        threshold : float, default=None
            Flag rows above this score instead of ``threshold_``.
        max_gap : int, default=None
            Flagged runs separated by at most this many normal rows are one
            interval. None: a quarter of ``window_``.

        Returns
        -------
        detection : Detection
            Scores, flags, ``feature_scores``, top columns, the threshold and
            its rule, and ``intervals`` (with ``is_open`` for an interval that
            runs to the last row).

        Examples
        --------
        >>> import numpy as np
        >>> from aeguard import SeriesDetector
        >>> t = np.arange(1000)
        >>> X = np.column_stack([np.sin(2 * np.pi * t / 50), np.cos(2 * np.pi * t / 50)])
        >>> X[900:905, 1] += 4  # a fault in the second column
        >>> result = SeriesDetector(epochs=5, train_size=600, random_state=0).fit(X).detect(X)
        >>> first = result.intervals.iloc[0]
        >>> int(first.start) >= 900, first.top_columns.split(",")[0]
        (True, 'x1')
        """
        errors, raw, alarm_level = self._scored(X)
        scores = errors.max(axis=1)
        if threshold is None:
            threshold, rule = self.threshold_, self._threshold_rule()
        else:
            threshold, rule = float(threshold), "given by the caller"
        flags = self._alarms(scores, raw, threshold)
        names = column_names(self)
        index = index_of(X)
        gap = self.window_ // 4 if max_gap is None else max_gap
        intervals = timeseries.describe_intervals(
            timeseries.flagged_intervals(flags, gap), scores, errors, names, flags=flags,
            index=index,
        )
        return Detection(
            scores=scores, is_anomaly=flags, feature_scores=errors, columns=names,
            top_columns=top_columns(errors, names), threshold=threshold, threshold_rule=rule,
            intervals=intervals, index=index, alarm_level=alarm_level,
        )

    def _alarms(self, scores, raw, threshold):
        """Rows in an alarm: opened above ``threshold``, held while the recent mean stays high."""
        recent = timeseries.trailing_mean(raw[:, None], STAY_ROWS)[:, 0]
        return timeseries.held_alarms(scores > threshold, recent > self.stay_threshold_,
                                      max_quiet=LEVEL_WINDOW)

    def _threshold_rule(self):
        if self.contamination is not None:
            return quantile_rule(self.contamination)
        return (f"the alarm level (scores are in its units): the larger of "
                f"{self.threshold_margin:g} x the {self.threshold_quantile:g} quantile of the "
                f"training rows' scores and the {HISTORY_QUANTILE:g} quantile of the last "
                f"{HISTORY_ROWS:,} rows' scores")

    def anomaly_intervals(self, X, max_gap=None):
        """Anomalous intervals: start, end, size, peak score and the columns that drove them.

        The ``intervals`` of :meth:`detect`.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_columns)
            The series to score.
        max_gap : int, default=None
            Flagged runs separated by at most this many normal rows are one
            interval. None: a quarter of ``window_``.

        Returns
        -------
        intervals : DataFrame
            Columns ``start``, ``end`` (index labels of X, or row positions),
            ``n_rows`` (from start to end), ``n_flagged`` (rows in the
            alarm), ``peak_score``, ``peak_at``, ``top_columns`` (up to
            three columns, most important first, comma-separated) and
            ``is_open`` (the interval runs to the last row).
        """
        return self.detect(X, max_gap=max_gap).intervals


def _error_scale(errors):
    """Each column's unit of error: its 0.99 training quantile, floored so none is zero."""
    scale = np.quantile(errors, 0.99, axis=0).astype(np.float64)
    floor = max(1e-3 * float(np.median(scale)), 1e-6)
    return np.maximum(scale, floor)
