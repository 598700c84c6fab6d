"""Generative adversarial networks as an estimator: new rows or images, optionally by class."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._augment import AugmentParam
from ._base import COMMON_CONSTRAINTS, ItemsMixin, KerasStateMixin
from ._labels import fit_classes, sample_inputs
from ._params import Interval, check_n_samples, validate_params
from ._preprocessing import Scaler


class GANGenerator(ItemsMixin, KerasStateMixin, BaseEstimator):
    """Generative adversarial network: learns to draw new items like the training data.

    A generator network maps random codes to items and a discriminator
    network learns to tell its items from the training data; each trains
    against the other (Goodfellow et al. 2014). Images get a DCGAN
    (Radford et al. 2016: transposed convolutions with batch normalisation in
    the generator, strided convolutions with dropout in the discriminator,
    leaky ReLUs, Adam with ``beta_1=0.5``), rows a dense GAN. Given class
    labels, ``fit(X, y)`` trains a conditional GAN (Mirza and Osindero 2014):
    both networks see the class, and :meth:`sample` draws items of the
    classes asked for.

    Parameters
    ----------
    architecture : {"auto", "dense", "conv2d"}, default="auto"
        "auto": "conv2d" (a DCGAN) for images of shape (n, h, w) or
        (n, h, w, c), "dense" for rows.
    latent_dim : int, default=None
        Width of the random code. None: 64 for images; for rows, half the
        number of columns, between 4 and 32.
    filters : tuple of int, default=None
        Filters of the discriminator's strided convolutions (each halves the
        image); the generator mirrors them. None: ``(32, 64)``, which trains
        a conditional MNIST GAN in about 10 minutes on two CPU cores; twice
        as wide, ``(64, 128)``, costs about four times as much per epoch.
    hidden_units : tuple of int, default=None
        Hidden widths of the dense discriminator (the generator's in
        reverse). None: ``(128, 128)``.
    epochs : int or "auto", default="auto"
        Passes over the training data. "auto": about 3,000 steps of each
        network, between 5 and 300 epochs. A GAN has no validation loss to
        stop on, so every epoch runs.
    batch_size : int or "auto", default="auto"
        "auto": a twentieth of the training items, between 16 and 128.
    learning_rate : float, default=2e-4
        Adam's learning rate for both networks.
    label_smoothing : float, default=0.1
        One-sided label smoothing: the discriminator's target for real items
        is ``1 - label_smoothing`` (Salimans et al. 2016), which keeps it from
        growing over-confident and starving the generator of gradient.
    augment : dict or None, default=None
        Images only: random rotations and mirror images of the real images,
        drawn afresh for every batch, for small image sets:
        ``{"rotation": 180, "mirror": True}`` turns each by a whole number
        of degrees from [-180, 180] and flips half of them left to right.
        None: the images as they are.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialisation, the codes, the batch order and the
        augmentation.
    verbose : int, default=0
        0 silent; 1 a line naming the training data, then a progress line
        redrawn on stderr; 2 the same line, then one line per epoch.

    Attributes
    ----------
    generator_, discriminator_ : keras.Model
        The trained networks; ``model_`` holds both (their weights are saved).
    conditional_ : bool
        Whether the GAN was fitted with class labels.
    classes_ : ndarray
        The class labels of a conditional GAN, sorted.
    latent_dim_ : int
        Width of the code actually used.
    architecture_ : str
        "dense" or "conv2d".
    batch_size_ : int
        Batch size actually used.
    n_epochs_ : int
        Epochs trained.
    history_ : dict of str -> list of float
        ``"d_loss"`` and ``"g_loss"``: each network's mean loss per epoch.
    scaler_ : Scaler
        The map into the networks' scale: pixels into [-1, 1] (the
        generator's ``tanh`` range), rows standardised per column.
    input_shape_ : tuple of int
        Shape of one training item.
    n_features_in_ : int
        Values per item.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when X was a DataFrame.

    See Also
    --------
    VAEDetector : a variational autoencoder, which also samples, scores
        anomalies and transfers style between classes.

    Notes
    -----
    GAN training is a two-player game, not a minimisation: the losses in
    ``history_`` do not fall steadily and say little about the samples'
    quality; judge the samples (``aeguard.metrics.frechet_distance`` on
    features of a classifier, for one). A discriminator loss near 0 means the
    generator has lost the game (try a larger ``label_smoothing`` or a smaller
    discriminator); samples that all look alike mean it collapsed onto a few
    modes.

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard import GANGenerator
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(loc=[0.0, 5.0], scale=[1.0, 0.5], size=(500, 2))
    >>> gan = GANGenerator(epochs=20, random_state=0).fit(X)
    >>> gan.sample(3, random_state=0).shape
    (3, 2)
    """

    _constraints = {
        **{k: COMMON_CONSTRAINTS[k] for k in (
            "architecture", "latent_dim", "hidden_units", "filters", "epochs", "batch_size",
            "learning_rate", "random_state", "verbose",
        )},
        "label_smoothing": [Interval(Real, 0, 0.5, closed="left")],
        "augment": [AugmentParam()],
    }

    def __init__(
        self,
        *,
        architecture="auto",
        latent_dim=None,
        filters=None,
        hidden_units=None,
        epochs="auto",
        batch_size="auto",
        learning_rate=2e-4,
        label_smoothing=0.1,
        augment=None,
        random_state=None,
        verbose=0,
    ):
        self.architecture = architecture
        self.latent_dim = latent_dim
        self.filters = filters
        self.hidden_units = hidden_units
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.label_smoothing = label_smoothing
        self.augment = augment
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Train the generator and the discriminator on X (and, given y, on its classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Training items: rows, or images.
        y : array-like of shape (n_samples,), default=None
            Class labels (any hashable values): given, the GAN is conditional
            and :meth:`sample` takes the class to draw.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        from ..networks import training
        from ..networks.gan import train_gan

        validate_params(self, self._constraints)
        X = self._validate_X(X, reset=True)
        self.conditional_ = y is not None
        self.__dict__.pop("classes_", None)
        labels = None
        if self.conditional_:
            self.classes_, labels = fit_classes(X, y, "GANGenerator")
        self.architecture_ = self._resolve_architecture(X)
        self.scaler_ = self._fit_scaler(X)
        Xs = self._to_network(X)
        self._network = self._network_spec(X)

        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        n = len(Xs)
        self.batch_size_ = (int(np.clip(n // 20, 16, 128)) if self.batch_size == "auto"
                            else int(self.batch_size))
        self.batch_size_ = min(self.batch_size_, n)
        steps_per_epoch = -(-n // self.batch_size_)
        self.n_epochs_ = (int(np.clip(round(3000 / steps_per_epoch), 5, 300))
                          if self.epochs == "auto" else int(self.epochs))
        if self.verbose:
            import sys

            what = (f"{n:,} images of {' x '.join(map(str, self.input_shape_))}"
                    if self._fitted_on_images() else f"{n:,} rows x {Xs.shape[1]} columns")
            kind = f"conditional, {len(self.classes_)} classes" if self.conditional_ else "unconditional"
            print(f"training a GAN ({kind}) on {what} ...", file=sys.stderr, flush=True)
        with training.seeded(seed):
            self.model_, self.generator_, self.discriminator_ = training.build_networks(self._network)
            self.history_ = train_gan(
                self.generator_, self.discriminator_, Xs, labels,
                latent_dim=self.latent_dim_, epochs=self.n_epochs_, batch_size=self.batch_size_,
                learning_rate=self.learning_rate, label_smoothing=self.label_smoothing,
                seed=seed, verbose=self.verbose, augment=self._augmenter(),
            )
        return self

    def _fit_scaler(self, X):
        """Pixels into [-1, 1] (the ``tanh`` output); rows standardised per column."""
        if not self._fitted_on_images():
            return Scaler.fit(X, "standard", image=False)
        unit = Scaler.fit(X, "unit", image=True)  # x -> (x - c) / s in [0, 1]
        return Scaler(unit.center + unit.scale / 2, unit.scale / 2)

    def _network_spec(self, X):
        n_classes = len(self.classes_) if self.conditional_ else 0
        if self.architecture_ == "dense":
            n_features = int(np.prod(X.shape[1:]))
            self.latent_dim_ = (self.latent_dim if self.latent_dim is not None
                                else int(np.clip(n_features // 2, 4, 32)))
            self.hidden_units_ = tuple(self.hidden_units) if self.hidden_units else (128, 128)
            kwargs = {"n_features": n_features, "latent_dim": self.latent_dim_,
                      "hidden_units": self.hidden_units_, "n_classes": n_classes}
            return {"builder": "gan_dense", "kwargs": kwargs}
        self.latent_dim_ = self.latent_dim if self.latent_dim is not None else 64
        self.filters_ = tuple(self.filters) if self.filters else (32, 64)
        kwargs = {"input_shape": tuple(int(s) for s in X.shape[1:]), "latent_dim": self.latent_dim_,
                  "filters": self.filters_, "n_classes": n_classes}
        return {"builder": "gan_conv2d", "kwargs": kwargs}

    def _restore_networks(self, weights):
        from ..networks import training

        self.model_, self.generator_, self.discriminator_ = training.build_networks(self._network)
        self.model_.set_weights(weights)

    def sample(self, n_samples=1, y=None, random_state=None):
        """Generate new items: draw codes from N(0, I) and run the generator.

        Parameters
        ----------
        n_samples : int, default=1
            Number of items.
        y : label or array-like of shape (n_samples,), default=None
            Conditional GAN only: the class of each item (one label for all,
            or one per item). None draws classes uniformly.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws; an int gives the same items every time.

        Returns
        -------
        items : ndarray of shape (n_samples,) + input_shape_
            New items in the training data's shape and scale.
        """
        from ..networks.training import forward

        check_is_fitted(self)
        check_n_samples(n_samples)
        classes = self.classes_ if self.conditional_ else None
        z, labels = sample_inputs(random_state, n_samples, self.latent_dim_, classes, y,
                                  "GANGenerator")
        inputs = z if labels is None else (z, labels)
        return self._from_network(forward(self.generator_, inputs),
                                  (n_samples,) + tuple(self.input_shape_))

