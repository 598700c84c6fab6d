"""Anomaly detectors: reconstruction error of an autoencoder as the anomaly score."""

import math
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassNamePrefixFeaturesOutMixin, OutlierMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..retrieval import NeighborsMixin
from . import _augment
from ._base import COMMON_CONSTRAINTS, BaseAutoencoder, _channel_last
from ._detection import Detection, column_names, index_of, quantile_rule, top_columns
from ._params import Interval, Options

#: A tabular feature's squared errors are divided by this quantile of its own
#: training errors (its error scale), so each feature's errors count in units of
#: what is usual for that feature.
ERROR_SCALE_QUANTILE = 0.9

#: Floor of an error scale, as a fraction of the median scale over features: a
#: feature reconstructed (almost) perfectly in training does not divide by zero.
#: The floor of an image's contrast is the same fraction of the training median.
MIN_ERROR_SCALE = 1e-3

#: An image's residual is blurred with a Gaussian of this standard deviation, as a
#: fraction of the image's shorter side (1 pixel on 28 x 28 images) before it is squared,
#: and at most ``MAX_BLUR`` pixels: the blur forgives strokes a pixel aside, and a wider
#: one would hide small defects on large images (measured on 8 x 8 and 28 x 28 only).
BLUR_FRACTION = 1 / 28
MAX_BLUR = 1.0


class AEDetector(
    NeighborsMixin, ClassNamePrefixFeaturesOutMixin, OutlierMixin, TransformerMixin,
    BaseAutoencoder,
):
    """Autoencoder anomaly detector for tabular rows and images.

    An autoencoder is trained to reproduce the training data through a narrow
    code layer; samples it reconstructs badly are unlike the training data.
    ``score_samples`` returns that reconstruction error: **higher means more
    anomalous**, the opposite sign of scikit-learn's
    ``IsolationForest.score_samples``, so ``roc_auc_score(y_is_anomaly,
    det.score_samples(X))`` is the natural use. ``decision_function`` and
    ``predict`` keep scikit-learn's signs (negative / -1 = outlier).

    Parameters
    ----------
    architecture : {"auto", "dense", "conv2d"}, default="auto"
        Network family. "auto" uses a dense network for (n, d) input and a
        2-D convolutional one for images of shape (n, h, w) or (n, h, w, c).
        "dense" on images flattens them.
    latent_dim : int, default=None
        Width of the code. None: ceil(d / 4) for tabular data, 16 for images.
    hidden_units : tuple of int, default=None
        Dense encoder widths, outermost first (the decoder mirrors them).
        None: ``(clip(2d, 16, 128), clip(d, 8, 64))``.
    filters : tuple of int, default=None
        Convolutional encoder filters, each block halving the image size.
        None: ``(32, 64)``.
    epochs : int or "auto", default="auto"
        Maximum training epochs; early stopping may end sooner. "auto"
        allows about 300 optimizer steps (10 to 30 epochs): a short run
        ranks anomalies better when the training data holds some.
    batch_size : int or "auto", default="auto"
        Training batch size. "auto": a tenth of the training rows, between
        16 and 256. Capped at the number of training rows.
    learning_rate : float or "auto", default="auto"
        Adam's learning rate. "auto": 3e-3 for the convolutional network
        (images), 1e-3 for the dense one. Within the default epochs the
        convolutional network learns a better code at the larger step
        (one-class MNIST, one-class 8x8 digits and latent retrieval on
        MNIST all rank better), while table rows gain nothing from it.
    dropout : float, default=0.2
        Dropout rate after each hidden layer of the dense network, during
        training only (scoring is deterministic). It keeps the network from
        memorising individual rows, anomalies included.
    validation_fraction : float or None, default=0.1
        Fraction of the training data held out (shuffled) to monitor early
        stopping; None or 0 monitors the training loss instead.
    patience : int, default=10
        Epochs without improvement before training stops; the best epoch's
        weights are restored.
    preprocessing : {"auto", "standard", "minmax", "unit"} or None, default="auto"
        Scaling learned in ``fit`` and applied before the network. "auto" is
        "standard" (zero mean, unit variance per column) for tabular data and
        "unit" for images (kept as they are when within [0, 1], else mapped
        into [0, 1] by the training minimum and maximum, e.g. 0-255 pixels
        become x / 255). Constant columns never produce NaN.
    contamination : float, default=0.1
        Expected fraction of outliers in the training data, in (0, 0.5]. It
        sets ``threshold_`` (and, through ``trim_fraction="auto"``, how many
        tabular rows robust training leaves out).
    trim_fraction : float or "auto", default="auto"
        Robust training: after the first epoch, this fraction of the rows the
        network reconstructs worst is left out of each epoch (and of the
        validation loss), so anomalies in the training data are not learned.
        Every epoch re-ranks all rows, so a normal row left out early comes
        back once it is fitted. "auto" is ``contamination`` for tabular rows
        and 0 for images: an image's reconstruction error grows with its
        complexity (thick or many strokes), so trimming would leave out the
        unusual but normal images of the class, which then score like
        anomalies. 0 trains on every row. Rows are ranked by their plain mean
        squared error (standardised scale), not by the score.
    n_estimators : int, default=1
        Autoencoders trained side by side, each from its own random
        initialisation (and its own dropout), as one network: the errors
        behind the score are the members' squared errors averaged, and
        ``reconstruct`` gives the members' mean. A single small autoencoder's
        ranking varies with its seed; averaging several steadies it, at
        about ``n_estimators`` times the fitting and scoring work (one pass
        of the network still scores all members). ``transform`` returns the
        members' codes side by side.
    jitter : int, default=0
        Images only: during training each input image is moved by up to
        this many pixels up or down and left or right (a fresh shift per
        image and batch, the edge repeated), while the target stays the
        unmoved image. The code then holds what an image shows more than
        where: on 28 x 28 digits, 2 pixels make latent neighbours
        (``kneighbors``) more often of the same class, while on 8 x 8 images
        one pixel is an eighth of the image and makes them less so. The
        anomaly scores rank worse: the network learns to redraw an image at
        its usual place, which costs every image some error. So it is for
        fitting a detector to search by, and 0 (the images as they are) is
        the default.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling and the validation split. An
        int gives identical scores run after run on the same machine.
    verbose : int, default=0
        0 silent; 1 a line naming the training data, then a progress line
        redrawn on stderr; 2 the same line, then one line per epoch.

    Attributes
    ----------
    model_, encoder_, decoder_ : keras.Model
        The trained autoencoder and its two halves.
    threshold_ : float
        The (1 - contamination) quantile of the training scores; samples
        scoring above it are predicted outliers.
    history_ : dict of str -> list of float
        Training (and validation) loss per epoch.
    n_epochs_ : int
        Epochs run before early stopping.
    best_epoch_ : int
        The epoch whose weights were kept (1-based).
    latent_dim_ : int
        Width of each member's code actually used (``transform`` returns
        ``n_estimators * latent_dim_`` values per sample).
    architecture_ : str
        The network family actually used ("dense" or "conv2d").
    trim_fraction_ : float
        Fraction of worst-reconstructed training rows left out of each epoch.
    learning_rate_ : float
        Adam's learning rate the network was trained with.
    error_scale_ : ndarray of shape (n_features_in_,) or None
        Tabular data: each feature's error scale, the 0.9 quantile of its
        squared errors on the training rows (floored at 1e-3 times the median
        scale); ``feature_scores`` are squared errors divided by it. None for
        images.
    contrast_floor_ : float or None
        Images: the smallest contrast an image's errors are divided by (1e-3
        times the median contrast of the training images). None for tabular
        data.
    preprocessing_ : str or None
        The scaling actually used.
    input_shape_ : tuple of int
        Shape of one sample: (n_features,) or the image shape.
    n_features_in_ : int
        Number of features (values per image for images).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X had string column names.

    See Also
    --------
    sklearn.ensemble.IsolationForest : tree-based detector (opposite score sign).

    Notes
    -----
    The score is the mean over features of :meth:`feature_scores`. For
    tabular rows, a feature's score is its squared reconstruction error (in
    the standardised scale) divided by that feature's error scale, the 0.9
    quantile of its errors on the training rows: 1 means as large as the
    largest tenth of that feature's training errors, whatever its unit and
    however well the network learned it. A noisy column, badly
    reconstructed in many training rows, then no longer drowns the others,
    and a column reconstructed precisely in training counts when it is not.
    So does a value that a discrete column takes in fewer than a tenth of
    the training rows: such a column's scale is set by its common values, and
    its rare value dominates the score of the rows that hold it. For images,
    the residual (image minus reconstruction) is blurred with a Gaussian of
    1/28 of the shorter side, at most one pixel (one pixel on 28 x 28
    images), squared, and divided by the image's contrast (the mean of its
    and its reconstruction's pixel variance): a stroke drawn a pixel aside
    costs less than a missing one, and an image with much ink is not
    anomalous for having more to reconstruct. Scoring is a pure function of
    the fitted detector and the batch: chunked scoring equals scoring at
    once.

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard import AEDetector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 4))
    >>> det = AEDetector(epochs=5, random_state=0).fit(X)
    >>> det.score_samples(X).shape
    (200,)
    >>> det.transform(X).shape
    (200, 1)
    >>> int((det.predict(X) == -1).sum())  # contamination=0.1 of 200 training rows
    20
    """

    _constraints = {
        **COMMON_CONSTRAINTS,
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
        "trim_fraction": [Options("auto"), Interval(Real, 0, 0.9, closed="both")],
        "n_estimators": [Interval(Integral, 1, None)],
        "learning_rate": [Options("auto"), Interval(Real, 0, None, closed="neither")],
        "jitter": [Interval(Integral, 0, None)],
    }

    def __init__(
        self,
        *,
        architecture="auto",
        latent_dim=None,
        hidden_units=None,
        filters=None,
        epochs="auto",
        batch_size="auto",
        learning_rate="auto",
        dropout=0.2,
        validation_fraction=0.1,
        patience=10,
        preprocessing="auto",
        contamination=0.1,
        trim_fraction="auto",
        n_estimators=1,
        jitter=0,
        random_state=None,
        verbose=0,
    ):
        self.architecture = architecture
        self.latent_dim = latent_dim
        self.hidden_units = hidden_units
        self.filters = filters
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.dropout = dropout
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.preprocessing = preprocessing
        self.contamination = contamination
        self.trim_fraction = trim_fraction
        self.n_estimators = n_estimators
        self.jitter = jitter
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Train the autoencoder on X and set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Training data; it may contain some anomalies (see ``contamination``).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        from ..networks.training import forward, mean_per_row

        Xs = self._fit_autoencoder(X)
        self.trim_fraction_ = self._trim_fraction()
        self.learning_rate_ = self._learning_rate()
        self.error_scale_ = self.contrast_floor_ = None
        if self._fitted_on_images():
            images = self._as_images(Xs)
            recs = [self._as_images(r) for r in self._member_reconstructions(Xs)]
            self.contrast_floor_ = relative_floor(
                np.concatenate([image_contrast(images, r) for r in recs]))
            errors = self._squared_errors(Xs)
        else:
            errors = self._squared_errors(Xs)
            self.error_scale_ = error_scales(errors)
            errors = errors / self.error_scale_
        train_scores = mean_per_row(errors)
        self.threshold_ = float(np.quantile(train_scores, 1.0 - self.contamination))
        self._set_gallery(forward(self.encoder_, Xs))
        return self

    def _network_spec(self, X, output_activation):
        """One member's network; ``n_estimators`` of them side by side when more than one."""
        if self.jitter and self.architecture_ != "conv2d":
            raise ValueError(
                f"jitter={self.jitter} moves images by whole pixels: it needs images of shape "
                "(n_samples, height, width[, channels]) and the convolutional network "
                f"(architecture 'auto' or 'conv2d'); got architecture_='{self.architecture_}' "
                f"for X of shape {X.shape}. Use jitter=0."
            )
        member = super()._network_spec(X, output_activation)
        if self.n_estimators == 1:
            return member
        return {"builder": "ensemble", "kwargs": {"member": member,
                                                  "n_members": self.n_estimators}}

    def _n_members(self):
        """Autoencoders in the fitted network (detectors saved before ensembles have one)."""
        spec = self._network
        return spec["kwargs"]["n_members"] if spec["builder"] == "ensemble" else 1

    def _training_target(self, target):
        """Each member is trained to reproduce the input: the target once per member."""
        k = self._n_members()
        return target if k == 1 else np.concatenate([target] * k, axis=-1)

    def _member_reconstructions(self, Xs):
        """Each member's reconstruction of scaled input: a list of arrays of Xs's shape."""
        from ..networks.training import forward

        return np.split(forward(self.model_, Xs), self._n_members(), axis=-1)

    def _reconstruction(self, Xs):
        """The members' mean reconstruction."""
        recs = self._member_reconstructions(Xs)
        return recs[0] if len(recs) == 1 else np.mean(recs, axis=0, dtype=np.float32)

    def _latent(self, X, y=None):
        """Latent codes of X, for the gallery and the queries of :meth:`kneighbors`."""
        return self._encode(X)

    def _training_options(self):
        options = super()._training_options()
        if self.jitter:
            options["corrupt"] = partial(_augment.shifted, pixels=self.jitter)
        return options

    def _learning_rate(self):
        if self.learning_rate == "auto":
            # Measured on 2026-12-07: at 3e-3 instead of 1e-3 the convolutional network
            # ranked one-class MNIST 0.985 against 0.984, one-class 8x8 digits 0.991
            # against 0.988, and its 16 values retrieved MNIST neighbours at p@10 0.9425
            # against 0.9325; the ADBench tables ranked 0.8956 against 0.8961.
            return 3e-3 if self.architecture_ == "conv2d" else 1e-3
        return self.learning_rate

    def _trim_fraction(self):
        if self.trim_fraction == "auto":
            # Measured over 68 tabular tasks (ADBench sets, sets derived from
            # scikit-learn's, injected anomalies): 1x contamination ranked as well
            # as 2x on ADBench and better elsewhere; images rank best untrimmed.
            return 0.0 if self._fitted_on_images() else self.contamination
        return self.trim_fraction

    def _squared_errors(self, Xs):
        """Per-value errors behind the score (see the Notes); in the network's input shape."""
        # Detectors fitted before these rules existed (None) keep the one they were fitted with.
        floor = getattr(self, "contrast_floor_", None)
        recs = self._member_reconstructions(Xs)
        if self._fitted_on_images() and floor is not None:
            images = self._as_images(Xs)
            errors = _member_mean([relative_image_errors(images, self._as_images(r), floor)
                                   for r in recs])
            return errors.reshape(Xs.shape)
        errors = _member_mean([np.square(r - Xs, dtype=np.float32) for r in recs])
        scale = getattr(self, "error_scale_", None)
        return errors if scale is None else errors / scale.astype(np.float32)

    def _as_images(self, Xs):
        """Network input or output as channel-last images (a dense network's rows are flat)."""
        return Xs.reshape((len(Xs),) + _channel_last(self.input_shape_))

    def transform(self, X):
        """Encode X into latent codes.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.

        Returns
        -------
        codes : ndarray of shape (n_samples, n_estimators * latent_dim_)
            The encoder's output for each sample, the members' codes side by
            side (a DataFrame with columns ``aedetector0, ...`` after
            ``set_output(transform="pandas")``).
        """
        # Defined here, not in the base class, so that scikit-learn's
        # set_output wraps it (it wraps only methods a class defines itself).
        return self._encode(X)

    @property
    def _n_features_out(self):
        return self.latent_dim_ * self._n_members()

    def score_samples(self, X):
        """Anomaly score of each sample: its reconstruction error.

        HIGHER = MORE ANOMALOUS (the opposite sign of scikit-learn's
        ``IsolationForest.score_samples``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            The row means of :meth:`feature_scores`: for tabular rows, squared
            errors in units of each feature's error scale; for images, the
            blurred squared residual relative to the image's contrast.
        """
        return self._scores_from_scaled(self._scaled(X))

    def feature_scores(self, X):
        """Per-feature reconstruction error: which features made a sample anomalous.

        :meth:`score_samples` is its mean over features, so a row's largest
        entries name the features that drove its score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_features) or X's image shape
            Tabular rows: each feature's squared error (standardised scale)
            divided by its error scale ``error_scale_``, so 1 is as large as
            the largest tenth of that feature's training errors. Images: each
            pixel's blurred residual, squared, over the image's contrast (see
            the Notes). Higher = more anomalous.
        """
        return super().feature_scores(X)

    def detect(self, X, *, threshold=None):
        """Score X and report what is anomalous, in one call.

        What ``aeguard detect`` prints and writes for independent rows,
        without the command line.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        threshold : float, default=None
            Flag samples above this score instead of ``threshold_``.

        Returns
        -------
        detection : Detection
            Scores, flags, ``feature_scores`` (one column per feature, or
            per value of an image), top columns, and the threshold with its
            rule; ``intervals`` is None, as samples have no order.

        Examples
        --------
        >>> import numpy as np
        >>> from aeguard import AEDetector
        >>> X = np.random.default_rng(0).normal(size=(300, 3))
        >>> result = AEDetector(epochs=2, random_state=0).fit(X).detect(X)
        >>> result.n_flagged, result.threshold_rule
        (30, "the 0.9 quantile of the training rows' scores (contamination 0.1)")
        """
        from ..networks.training import mean_per_row

        errors, feature_scores = self._errors_and_feature_scores(X)
        return self._detection(X, mean_per_row(errors), feature_scores, threshold)

    def _detection(self, X, scores, errors, threshold):
        """The :class:`Detection` of already computed scores and feature scores."""
        if threshold is None:
            threshold, rule = self.threshold_, quantile_rule(self.contamination)
        else:
            threshold, rule = float(threshold), "given by the caller"
        errors = errors.reshape(len(errors), math.prod(errors.shape[1:]))
        names = column_names(self)
        return Detection(
            scores=scores, is_anomaly=scores > threshold, feature_scores=errors, columns=names,
            top_columns=top_columns(errors, names), threshold=threshold, threshold_rule=rule,
            index=index_of(X),
        )

    def decision_function(self, X):
        """``threshold_ - score_samples(X)``: negative for outliers (scikit-learn's sign).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            Positive for inliers, negative for outliers.
        """
        check_is_fitted(self)
        return self.threshold_ - self.score_samples(X)

    def predict(self, X):
        """Label each sample +1 (inlier) or -1 (outlier, score above ``threshold_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.

        Returns
        -------
        is_inlier : ndarray of shape (n_samples,)
            +1 for inliers, -1 for outliers.
        """
        return np.where(self.decision_function(X) < 0, -1, 1)


def _member_mean(errors):
    """The members' errors averaged (one member's as they are), float32."""
    if len(errors) == 1:
        return errors[0]
    return np.mean(errors, axis=0, dtype=np.float32)


def image_contrast(images, reconstructions):
    """Each image's contrast: the mean of its and its reconstruction's pixel variance.

    Parameters
    ----------
    images, reconstructions : ndarray of shape (n, h, w, c)
        Network input and output.

    Returns
    -------
    contrast : ndarray of shape (n,), float64
    """
    axes = tuple(range(1, images.ndim))
    return 0.5 * (images.var(axis=axes, dtype=np.float64)
                  + reconstructions.var(axis=axes, dtype=np.float64))


def relative_image_errors(images, reconstructions, floor):
    """Per-pixel errors of images: the blurred residual squared, over the image's contrast.

    The residual ``images - reconstructions`` is blurred in the two spatial
    axes with a Gaussian of ``BLUR_FRACTION`` times the shorter side, at
    most ``MAX_BLUR`` pixels (zero beyond the border), so a stroke drawn a
    pixel aside costs less than a stroke that is missing; it is squared and
    divided by the image's contrast (:func:`image_contrast`, at least
    ``floor``), so an image with much ink
    is not anomalous for having more to reconstruct.

    Returns
    -------
    errors : ndarray of shape (n, h, w, c), float32
    """
    from scipy.ndimage import gaussian_filter

    sigma = min(BLUR_FRACTION * min(images.shape[1:3]), MAX_BLUR)
    residual = (images - reconstructions).astype(np.float32)
    if len(residual):
        residual = gaussian_filter(residual, sigma=(0, sigma, sigma, 0), mode="constant")
    contrast = np.maximum(image_contrast(images, reconstructions), floor)
    return (np.square(residual) / contrast.reshape((-1,) + (1,) * (images.ndim - 1))
            ).astype(np.float32)


def error_scales(errors):
    """Each feature's error scale: the ``ERROR_SCALE_QUANTILE`` of its training errors.

    Parameters
    ----------
    errors : ndarray of shape (n_samples, n_features)
        Squared reconstruction errors of the training rows.

    Returns
    -------
    scale : ndarray of shape (n_features,), float32
        Positive: floored at ``MIN_ERROR_SCALE`` times the median positive
        scale (1 when every training error is 0).
    """
    scale = np.quantile(errors, ERROR_SCALE_QUANTILE, axis=0).astype(np.float64)
    return np.maximum(scale, relative_floor(scale)).astype(np.float32)


def relative_floor(values):
    """``MIN_ERROR_SCALE`` times the median of the positive ``values`` (1.0 if none is positive).

    The smallest error scale, or image contrast, that errors are divided by.
    """
    positive = values[values > 0]
    return MIN_ERROR_SCALE * float(np.median(positive)) if positive.size else 1.0
