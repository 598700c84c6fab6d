"""Variational autoencoder detector: scores, generation, conditional VAEs and style transfer."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._augment import AugmentParam
from ._base import COMMON_CONSTRAINTS, BaseAutoencoder
from ._labels import fit_classes, one_hot, sample_inputs
from ._params import Interval, Options, check_n_samples
from .autoencoder import AEDetector

#: Seed of the posterior draws used in scoring. Every row gets the same
#: draws, so a score is a pure function of the fitted model and the row:
#: chunked scoring equals scoring at once, and a loaded model scores the same.
SCORING_SEED = 0


class VAEDetector(AEDetector):
    """Variational autoencoder: anomaly scores, latent codes and new samples.

    The encoder maps each sample to a Gaussian posterior q(z | x) (a mean and
    a log-variance); training draws z with the reparameterisation trick and
    minimises the reconstruction's negative log-likelihood plus ``beta``
    times the KL divergence to the standard normal prior. Everything
    :class:`AEDetector` offers works the same way (``score_samples`` is
    HIGHER = MORE ANOMALOUS, the opposite sign of scikit-learn's
    ``IsolationForest.score_samples``); in addition :meth:`sample` decodes
    draws from the prior. With ``conditional=True`` the encoder and decoder
    also receive the class: ``fit(X, y)`` takes labels, :meth:`sample`
    generates a requested class, and :meth:`transfer` redraws items as
    another class in the same style.

    Parameters
    ----------
    architecture : {"auto", "dense", "conv2d"}, default="auto"
        Network family: dense for (n, d) rows, 2-D convolutional for images
        of shape (n, h, w) or (n, h, w, c).
    latent_dim : int, default=None
        Dimension of z. None: ceil(d / 4) for tabular data, 16 for images.
    hidden_units : tuple of int, default=None
        Dense encoder widths, outermost first (the decoder mirrors them).
        None: ``(clip(2d, 16, 128), clip(d, 8, 64))``.
    filters : tuple of int, default=None
        Convolutional encoder filters, each block halving the image size.
        None: ``(32, 64)``.
    epochs : int or "auto", default="auto"
        Maximum training epochs; early stopping may end sooner. "auto":
        about 300 optimizer steps, 10 to 30 epochs (a generative model of
        clean data wants many more; set it).
    batch_size : int or "auto", default="auto"
        Training batch size. "auto": a tenth of the training rows, between
        16 and 256.
    learning_rate : float, default=1e-3
        Adam's learning rate.
    dropout : float, default=0.0
        Dropout after each hidden layer of the dense network, in training
        only. Off by default: the sampled code already regularises.
    validation_fraction : float or None, default=0.1
        Fraction held out to monitor early stopping on the negative ELBO.
    patience : int, default=10
        Epochs without improvement before training stops; the best epoch's
        weights are restored.
    preprocessing : {"auto", "standard", "minmax", "unit"} or None, default="auto"
        Scaling learned in ``fit``, as in :class:`AEDetector` ("standard" for
        tabular data, "unit" [0, 1] for images).
    contamination : float, default=0.1
        Expected fraction of outliers in the training data, in (0, 0.5]; sets
        ``threshold_``.
    trim_fraction : float or "auto", default="auto"
        Robust training as in :class:`AEDetector`, ranking rows by their
        negative ELBO. "auto" is ``min(0.5, 2 * contamination)``; use 0 for a
        generative model of clean data.
    beta : float, default=1.0
        Weight of the KL term in training (1 is the ELBO; larger values give
        smoother, more disentangled codes and blurrier reconstructions).
    free_nats : float, default=0.0
        "Free bits" for the whole code: the training loss counts the KL term
        (the batch mean) as no less than this many nats, so the code may
        carry that much information about each item at no cost. Against a
        conditional VAE's collapse onto class averages: its samples of a
        class vary more, at a small cost in how many are recognised as that
        class (measured in the API documentation). Much more than a few nats
        lets the code learn the class too, and samples drift to others.
    likelihood : {"auto", "bernoulli", "gaussian"}, default="auto"
        The decoder's likelihood p(x | z). "bernoulli" (binary cross-entropy,
        sigmoid output) needs data in [0, 1] after preprocessing;
        "gaussian" is a Gaussian in the preprocessed scale whose one noise
        variance is calibrated to the reconstruction error (its
        maximum-likelihood value, per batch in training; ``noise_variance_``
        afterwards), so the KL term never drowns the data. "auto" picks "bernoulli" when every preprocessed
        training value lies in [0, 1] (images, by default) and "gaussian"
        otherwise (standardised tabular data).
    anomaly_score : {"reconstruction", "elbo"}, default="reconstruction"
        What ``score_samples`` returns. "reconstruction": the expected mean
        squared reconstruction error over ``n_draws`` draws from the
        posterior (plain squared errors: :class:`AEDetector` divides each
        tabular feature's by its error scale and blurs images' residuals, so
        the two share the API but not the score). "elbo": the negative evidence
        lower bound (KL weight 1) in nats, a bound on -log p(x) that also
        counts how unusual a sample's code is.
    n_draws : int, default=10
        Posterior draws averaged per score. The draws are the same for every
        row (seeded), so scoring stays deterministic.
    conditional : bool, default=False
        Build a conditional VAE: ``fit(X, y)`` requires class labels, and the
        scoring methods, ``transform`` and ``reconstruct`` take the labels of
        their X as ``y``.
    augment : dict or None, default=None
        Images only: random rotations and mirror images drawn afresh for
        every training batch, for small image sets. ``{"rotation": 180,
        "mirror": True}`` turns each image by a whole number of degrees drawn
        from [-180, 180] and flips half of them left to right (see the API
        documentation). None: the images as they are.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, the validation split and the
        training draws. An int gives identical scores run after run.
    verbose : int, default=0
        0 silent; 1 a line naming the training data, then a progress line
        redrawn on stderr; 2 the same line, then one line per epoch.

    Attributes
    ----------
    model_, encoder_, decoder_ : keras.Model
        The VAE (reconstructing from the posterior mean at inference), the
        encoder (returning ``[mean, log_var]``) and the decoder.
    classes_ : ndarray of shape (n_classes,)
        The class labels of a conditional VAE, sorted.
    likelihood_ : str
        The likelihood actually used ("bernoulli" or "gaussian").
    noise_variance_ : float or None
        Gaussian likelihood: the noise variance (mean squared reconstruction
        error of the training data in the preprocessed scale) used by
        ``anomaly_score="elbo"``; None for a Bernoulli likelihood.
    threshold_ : float
        The (1 - contamination) quantile of the training scores.
    history_ : dict of str -> list of float
        Training loss (negative ELBO with KL weight ``beta``, nats per
        sample) and validation loss per epoch.
    n_epochs_, best_epoch_ : int
        Epochs run, and the epoch whose weights were kept.
    latent_dim_ : int
        Dimension of z actually used.
    architecture_, preprocessing_ : str
        The network family and scaling actually used.
    input_shape_ : tuple of int
        Shape of one sample.
    n_features_in_ : int
        Number of features (values per image for images).
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X had string column names.

    See Also
    --------
    AEDetector : the deterministic autoencoder.

    Notes
    -----
    A conditional VAE gives the one-hot class to the encoder (after the
    convolutions, for images) and to the decoder. With a wide code and
    ``beta=1`` the code tends to learn the class too (the encoder sees the
    item), the decoder then leans on the code rather than the label, and
    :meth:`sample` draws the wrong class; ``beta`` around 4 keeps the class in
    the label and the style in the code (on MNIST, far more samples are
    recognised as the requested digit with ``beta=4`` than with ``beta=1``).
    :meth:`transfer` without
    source labels infers each item's class as the one under which it has
    the best ELBO. The scoring option is named ``anomaly_score`` rather than
    ``score``: an attribute ``score`` would hide the ``score`` method that
    scikit-learn looks for on estimators.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aeguard import VAEDetector
    >>> X, y = load_digits(return_X_y=True)
    >>> images = X.reshape(-1, 8, 8) / 16.0
    >>> vae = VAEDetector(conditional=True, latent_dim=4, epochs=3, random_state=0)
    >>> vae = vae.fit(images, y)
    >>> vae.likelihood_
    'bernoulli'
    >>> vae.sample(5, y=3, random_state=0).shape
    (5, 8, 8)
    >>> vae.transform(images[:10], y[:10]).shape
    (10, 4)
    >>> vae.transfer(images[:2], y_target=[7, 7]).shape
    (2, 8, 8)
    """

    _constraints = {
        # Not offered for VAEs: ensembles, jitter, and "auto" for the learning rate.
        **{k: v for k, v in AEDetector._constraints.items()
           if k not in ("n_estimators", "jitter")},
        "learning_rate": COMMON_CONSTRAINTS["learning_rate"],
        "beta": [Interval(Real, 0, None, closed="left")],
        "free_nats": [Interval(Real, 0, None, closed="left")],
        "likelihood": [Options("auto", "bernoulli", "gaussian")],
        "anomaly_score": [Options("reconstruction", "elbo")],
        "n_draws": [Interval(Integral, 1, None)],
        "augment": [AugmentParam()],
        "conditional": [Options(True, False)],
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
        learning_rate=1e-3,
        dropout=0.0,
        validation_fraction=0.1,
        patience=10,
        preprocessing="auto",
        contamination=0.1,
        trim_fraction="auto",
        beta=1.0,
        free_nats=0.0,
        likelihood="auto",
        anomaly_score="reconstruction",
        n_draws=10,
        conditional=False,
        augment=None,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            architecture=architecture,
            latent_dim=latent_dim,
            hidden_units=hidden_units,
            filters=filters,
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            dropout=dropout,
            validation_fraction=validation_fraction,
            patience=patience,
            preprocessing=preprocessing,
            contamination=contamination,
            trim_fraction=trim_fraction,
            random_state=random_state,
            verbose=verbose,
        )
        self.beta = beta
        self.free_nats = free_nats
        self.likelihood = likelihood
        self.anomaly_score = anomaly_score
        self.n_draws = n_draws
        self.conditional = conditional
        self.augment = augment

    # ------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        """Train the VAE on X (and, if ``conditional``, the class labels y); set the threshold.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Training data.
        y : array-like of shape (n_samples,), default=None
            Class labels (any hashable values) of a conditional VAE; ignored
            otherwise.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        from ._params import validate_params

        validate_params(self, self._constraints)
        self.__dict__.pop("classes_", None)
        labels = self._fit_labels(X, y) if self.conditional else None
        Xs = self._fit_autoencoder(X, labels)
        self.trim_fraction_ = self._trim_fraction()
        self.noise_variance_, errors = None, None
        if self.likelihood_ == "gaussian":
            errors = self._squared_errors(Xs, labels)  # reused by the reconstruction score
            self.noise_variance_ = self._calibrated_variance(errors)
        train_scores = self._scores(Xs, labels, squared_errors=errors)
        self.threshold_ = float(np.quantile(train_scores, 1.0 - self.contamination))
        self._set_gallery(self._posterior(Xs, labels)[0])
        return self

    def _fit_labels(self, X, y):
        """Learn ``classes_`` from y; return y one-hot."""
        self.classes_, labels = fit_classes(X, y, "VAEDetector(conditional=True)")
        return labels

    def _network_spec(self, X, output_activation):
        # One network: ensembles (AEDetector's n_estimators) are not offered for VAEs.
        spec = BaseAutoencoder._network_spec(self, X, output_activation)
        spec["builder"] = "vae_" + spec["builder"]
        spec["kwargs"]["n_classes"] = len(self.classes_) if self.conditional else 0
        spec["kwargs"]["beta"] = float(self.beta)
        if self.free_nats:
            spec["kwargs"]["free_nats"] = float(self.free_nats)
        return spec

    def _output_activation(self, Xs):
        in_unit_range = Xs.size == 0 or (float(Xs.min()) >= 0.0 and float(Xs.max()) <= 1.0)
        if self.likelihood == "auto":
            self.likelihood_ = "bernoulli" if in_unit_range else "gaussian"
        elif self.likelihood == "bernoulli" and not in_unit_range:
            raise ValueError(
                "likelihood='bernoulli' needs data in [0, 1] after preprocessing, but the "
                f"preprocessed training data spans [{Xs.min():.3g}, {Xs.max():.3g}]. Use "
                "preprocessing='minmax' (or 'unit' for images), or likelihood='gaussian'."
            )
        else:
            self.likelihood_ = self.likelihood
        if self.likelihood_ == "bernoulli":
            return "sigmoid"
        return super()._output_activation(Xs)

    def _trim_fraction(self):
        if self.trim_fraction == "auto":
            return min(0.5, 2 * self.contamination)
        return self.trim_fraction

    def _training_options(self):
        from ..networks.vae import LIKELIHOODS

        return {
            "trim": self._trim_fraction(),
            "loss": LIKELIHOODS[self.likelihood_],
            "row_loss": self._training_loss_rows,
            "augment": self._augmenter(),
        }

    def _training_loss_rows(self, model, inputs, target):
        """Each row's training objective (one fixed posterior draw): trimming and validation.

        The Gaussian noise variance is calibrated on these rows, as in
        training (:func:`aeguard.networks.vae.gaussian_nll`).
        """
        labels = inputs[1] if isinstance(inputs, tuple) else None
        return self._neg_elbo(target, labels, self._draws(1), kl_weight=self.beta, variance="fit")

    @staticmethod
    def _calibrated_variance(squared_errors):
        """The Gaussian noise variance that fits ``squared_errors`` best: their mean (floored)."""
        from ..networks.vae import MIN_VARIANCE

        return float(np.mean(squared_errors, dtype=np.float64)) + MIN_VARIANCE

    # ------------------------------------------------------------- internals
    def _labels(self, y, n_samples, action):
        """One-hot labels for ``action`` on a conditional VAE (None when unconditional)."""
        if not self.conditional:
            return None
        return one_hot(self.classes_, y, n_samples, action, "VAEDetector")

    @staticmethod
    def _inputs(Xs, labels):
        return Xs if labels is None else (Xs, labels)

    def _posterior(self, Xs, labels):
        """Posterior means and (clipped) log-variances of scaled input."""
        from ..networks.training import forward
        from ..networks.vae import LOG_VAR_RANGE

        mean, log_var = forward(self.encoder_, self._inputs(Xs, labels))
        return mean, np.clip(log_var, *LOG_VAR_RANGE)

    def _decode(self, z, labels):
        from ..networks.training import forward

        return forward(self.decoder_, self._inputs(z.astype(np.float32, copy=False), labels))

    def _draws(self, n_draws):
        """Standard normal draws shared by every row: shape (n_draws, latent_dim_)."""
        rng = np.random.default_rng(SCORING_SEED)
        return rng.standard_normal((n_draws, self.latent_dim_)).astype(np.float32)

    def _squared_errors(self, Xs, labels=None):
        """Per-value squared reconstruction error, averaged over ``n_draws`` posterior draws."""
        mean, log_var = self._posterior(Xs, labels)
        std = np.exp(0.5 * log_var)
        total = np.zeros(Xs.shape, dtype=np.float32)
        for eps in self._draws(self.n_draws):
            total += np.square(self._decode(mean + std * eps, labels) - Xs)
        return total / self.n_draws

    def _neg_elbo(self, Xs, labels, draws, *, kl_weight=1.0, variance=None):
        """Negative ELBO of each row in nats: mean NLL over ``draws`` + ``kl_weight`` x KL.

        ``variance`` (Gaussian likelihood): None uses ``noise_variance_``;
        "fit" calibrates it on these rows and draws, as training does.
        """
        mean, log_var = self._posterior(Xs, labels)
        kl = -0.5 * np.sum(
            1.0 + log_var - np.square(mean) - np.exp(log_var), axis=1, dtype=np.float64
        )
        std = np.exp(0.5 * log_var)
        flat_x = Xs.reshape(len(Xs), -1).astype(np.float64)
        # One decoded batch at a time: all draws of a large X at once would not fit in memory.
        per_draw = []
        for eps in draws:
            decoded = self._decode(mean + std * eps, labels).reshape(len(Xs), -1)
            if self.likelihood_ == "bernoulli":
                per_draw.append(_bernoulli_nll(flat_x, decoded.astype(np.float64)))
            else:
                per_draw.append(np.square(flat_x - decoded).sum(axis=1))
        if self.likelihood_ == "bernoulli":
            nll = per_draw
        else:
            sq = per_draw
            if variance == "fit":
                variance = self._calibrated_variance(np.concatenate(sq) / max(flat_x.shape[1], 1))
            elif variance is None:
                variance = self.noise_variance_
            n_values = flat_x.shape[1]
            nll = [0.5 * s / variance + 0.5 * n_values * np.log(2 * np.pi * variance) for s in sq]
        return np.mean(nll, axis=0) + kl_weight * kl

    def _scores(self, Xs, labels, squared_errors=None):
        """Scores of scaled input (see ``anomaly_score``); ``squared_errors`` if already known."""
        from ..networks.training import mean_per_row

        if self.anomaly_score == "elbo":
            return self._neg_elbo(Xs, labels, self._draws(self.n_draws))
        if squared_errors is None:
            squared_errors = self._squared_errors(Xs, labels)
        return mean_per_row(squared_errors)

    def _latent(self, X, y=None):
        """Posterior means of X, for the gallery and the queries of :meth:`kneighbors`."""
        Xs = self._scaled(X)
        return self._posterior(Xs, self._labels(y, len(Xs), "kneighbors"))[0]

    # ---------------------------------------------------------------- public
    def transform(self, X, y=None):
        """Encode X into posterior means.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        y : array-like of shape (n_samples,) or a single label, default=None
            X's class labels; required by a conditional VAE, ignored otherwise.

        Returns
        -------
        codes : ndarray of shape (n_samples, latent_dim_)
            The mean of q(z | x) for each sample.
        """
        Xs = self._scaled(X)
        mean, _ = self._posterior(Xs, self._labels(y, len(Xs), "transform"))
        return mean.astype(np.float64)

    def reconstruct(self, X, y=None):
        """Decode each sample's posterior mean, in X's own shape and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        y : array-like of shape (n_samples,) or a single label, default=None
            X's class labels; required by a conditional VAE, ignored otherwise.

        Returns
        -------
        X_rec : ndarray of the same shape as X
            Reconstructions (Bernoulli means for a Bernoulli likelihood).
        """
        from ..networks.training import forward

        shape = np.shape(X)
        Xs = self._scaled(X)
        labels = self._labels(y, len(Xs), "reconstruct")
        return self._from_network(forward(self.model_, self._inputs(Xs, labels)), shape)

    def score_samples(self, X, y=None):
        """Anomaly score of each sample (see ``anomaly_score``); HIGHER = MORE ANOMALOUS.

        The opposite sign of scikit-learn's ``IsolationForest.score_samples``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        y : array-like of shape (n_samples,) or a single label, default=None
            X's class labels; required by a conditional VAE, ignored otherwise.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Expected mean squared reconstruction error (``anomaly_score="reconstruction"``)
            or negative ELBO in nats (``anomaly_score="elbo"``).
        """
        Xs = self._scaled(X)
        return self._scores(Xs, self._labels(y, len(Xs), "score_samples"))

    def detect(self, X, y=None, *, threshold=None):
        """Score X and report what is anomalous, in one call (see :meth:`AEDetector.detect`).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        y : array-like of shape (n_samples,), default=None
            Class labels; required for a conditional model.
        threshold : float, default=None
            Flag samples above this score instead of ``threshold_``.

        Returns
        -------
        detection : Detection
        """
        return self._detection(X, self.score_samples(X, y), self.feature_scores(X, y), threshold)

    def decision_function(self, X, y=None):
        """``threshold_ - score_samples(X, y)``: negative for outliers (scikit-learn's sign).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        y : array-like of shape (n_samples,) or a single label, default=None
            X's class labels; required by a conditional VAE, ignored otherwise.

        Returns
        -------
        decision : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        return self.threshold_ - self.score_samples(X, y)

    def predict(self, X, y=None):
        """Label each sample +1 (inlier) or -1 (outlier, score above ``threshold_``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        y : array-like of shape (n_samples,) or a single label, default=None
            X's class labels; required by a conditional VAE, ignored otherwise.

        Returns
        -------
        is_inlier : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X, y) < 0, -1, 1)

    def fit_predict(self, X, y=None):
        """Fit on X (and y, if conditional) and label the same samples +1 or -1.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Training data.
        y : array-like of shape (n_samples,), default=None
            Class labels of a conditional VAE; ignored otherwise.

        Returns
        -------
        is_inlier : ndarray of shape (n_samples,)
        """
        return self.fit(X, y).predict(X, y)

    def feature_scores(self, X, y=None):
        """Per-feature squared reconstruction error, averaged over ``n_draws`` posterior draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.
        y : array-like of shape (n_samples,) or a single label, default=None
            X's class labels; required by a conditional VAE, ignored otherwise.

        Returns
        -------
        errors : ndarray of X's shape
            Squared errors in the preprocessed scale; their row means are the
            ``anomaly_score="reconstruction"`` scores.
        """
        shape = np.shape(X)
        Xs = self._scaled(X)
        labels = self._labels(y, len(Xs), "feature_scores")
        return self._squared_errors(Xs, labels).reshape(shape).astype(np.float64)

    def sample(self, n_samples=1, y=None, random_state=None):
        """Generate new items: draw z from the prior N(0, I) and decode it.

        Parameters
        ----------
        n_samples : int, default=1
            Number of items.
        y : label or array-like of shape (n_samples,), default=None
            Conditional VAE only: the class of each item (one label for all,
            or one per item). None draws classes uniformly.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; an int gives the same items every time.

        Returns
        -------
        items : ndarray of shape (n_samples,) + input_shape_
            Decoded means in the input's space and scale (images as images;
            for a Bernoulli likelihood, pixel probabilities).
        """
        check_is_fitted(self)
        check_n_samples(n_samples)
        classes = self.classes_ if self.conditional else None
        z, labels = sample_inputs(random_state, n_samples, self.latent_dim_, classes, y,
                                  "VAEDetector")
        return self._from_network(self._decode(z, labels), (n_samples,) + tuple(self.input_shape_))

    def transfer(self, X, y_target, y=None):
        """Redraw X as another class: encode X, decode its code under ``y_target``.

        The code keeps what the class does not explain (a digit's slant and
        stroke width, say), so the result is the target class in X's style.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Items to redraw.
        y_target : label or array-like of shape (n_samples,)
            The class to draw each item as.
        y : array-like of shape (n_samples,) or a single label, default=None
            X's own classes. None infers each item's class as the one under
            which it has the best ELBO.

        Returns
        -------
        X_new : ndarray of X's shape
            The items redrawn as ``y_target``, in X's scale.
        """
        check_is_fitted(self)
        if not self.conditional:
            raise ValueError(
                "transfer needs a conditional VAE: fit VAEDetector(conditional=True) with "
                "class labels."
            )
        shape = np.shape(X)
        Xs = self._scaled(X)
        source = self._labels(y, len(Xs), "transfer") if y is not None else self._best_labels(Xs)
        target = self._labels(y_target, len(Xs), "transfer")
        mean, _ = self._posterior(Xs, source)
        return self._from_network(self._decode(mean, target), shape)

    def _best_labels(self, Xs):
        """One-hot of the class under which each row has the lowest negative ELBO."""
        eye = np.eye(len(self.classes_), dtype=np.float32)
        draws = self._draws(self.n_draws)
        losses = np.column_stack(
            [self._neg_elbo(Xs, np.repeat(row[None], len(Xs), axis=0), draws) for row in eye]
        )
        return eye[np.argmin(losses, axis=1)]


def _bernoulli_nll(x, p):
    """Negative log-likelihood of each row of ``x`` in [0, 1] under Bernoulli means ``p``."""
    from ..networks.vae import EPSILON

    p = np.clip(p, EPSILON, 1.0 - EPSILON)
    return -np.sum(x * np.log(p) + (1.0 - x) * np.log1p(-p), axis=1)
