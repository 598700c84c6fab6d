"""The VAE-GAN: a (conditional) VAE with a discriminator on its outputs, for sharper samples."""

from numbers import Real

import numpy as np

from ._params import Interval, Options
from .variational import VAEDetector


class VAEGAN(VAEDetector):
    """Variational autoencoder trained against a discriminator (a VAE-GAN): sharper samples.

    A VAE's decoder, trained on the likelihood alone, draws the average of
    the items a code could stand for: blurred strokes. Here a discriminator
    network learns to tell real items from the VAE's reconstructions and
    from decodings of prior draws, and the VAE is also rewarded for
    outputs it takes for real (Larsen et al. 2016, with the likelihood kept
    on pixels). Everything else is :class:`VAEDetector`'s: with
    ``conditional=True``, ``fit(X, y)``, :meth:`sample` with ``y``,
    :meth:`transfer` between classes, ``transform``, anomaly scores.

    Parameters
    ----------
    adversarial_weight : float, default=0.03
        Weight of the adversarial term per value of an item: the VAE's
        objective adds ``adversarial_weight * n_values`` times the
        cross-entropy of "real" on its outputs, so the balance against the
        likelihood (a sum over the values) does not change with the image
        size. 0 trains a plain VAE (with the discriminator watching).
    discriminator_filters : tuple of int, default=None
        Filters of the discriminator's strided convolutions (images); None:
        ``(32, 64)``. Rows get a dense discriminator of widths
        ``(128, 128)``.
    label_smoothing : float, default=0.1
        The discriminator's target for real items is ``1 - label_smoothing``.
    epochs : int or "auto", default="auto"
        Epochs; every one runs (an adversarial objective has no validation
        loss to stop on, so ``validation_fraction`` and ``patience`` are not
        used). "auto": about 3,000 steps, 5 to 300 epochs.
    **VAEDetector parameters
        ``architecture``, ``latent_dim``, ``hidden_units``, ``filters``,
        ``batch_size``, ``learning_rate``, ``dropout``, ``preprocessing``,
        ``contamination``, ``beta``, ``free_nats``, ``likelihood``, ``anomaly_score``,
        ``n_draws``, ``conditional``, ``augment``, ``random_state``, ``verbose``: as in
        :class:`VAEDetector`. ``learning_rate`` (default 1e-3, the VAE's)
        serves both networks, Adam with ``beta_1=0.5`` as for GANs (at 2e-4,
        a GAN's usual rate, the VAE's loss stalled within 4 epochs on MNIST
        and the samples were less often of the class asked for: see the
        API docs); ``trim_fraction``
        must stay "auto" or 0 (every item is trained on);
        ``validation_fraction`` and ``patience`` are ignored.

    Attributes
    ----------
    discriminator_ : keras.Model
        The trained discriminator, after ``fit``. It is not stored in model
        files or pickles (sampling, scoring and transfer do not need it).
    history_ : dict of str -> list of float
        ``"vae_loss"`` (the VAE's whole objective) and ``"d_loss"`` per epoch.
    **VAEDetector attributes
        ``model_``, ``encoder_``, ``decoder_``, ``classes_``, ``likelihood_``,
        ``threshold_``, ``latent_dim_``, ...

    See Also
    --------
    VAEDetector : the same without the discriminator.
    GANGenerator : a GAN, with no encoder.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aeguard import VAEGAN
    >>> X, y = load_digits(return_X_y=True)
    >>> images = X.reshape(-1, 8, 8) / 16.0
    >>> model = VAEGAN(conditional=True, latent_dim=4, epochs=2, random_state=0).fit(images, y)
    >>> model.sample(5, y=3, random_state=0).shape
    (5, 8, 8)
    >>> model.transfer(images[:2], y_target=[7, 7]).shape
    (2, 8, 8)
    """

    _constraints = {
        **VAEDetector._constraints,
        "adversarial_weight": [Interval(Real, 0, None, closed="left")],
        "discriminator_filters": VAEDetector._constraints["filters"],
        "label_smoothing": [Interval(Real, 0, 0.5, closed="left")],
        "trim_fraction": [Options("auto"), Interval(Real, 0, 0)],
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
        adversarial_weight=0.03,
        discriminator_filters=None,
        label_smoothing=0.1,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            architecture=architecture, latent_dim=latent_dim, hidden_units=hidden_units,
            filters=filters, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            dropout=dropout, validation_fraction=validation_fraction, patience=patience,
            preprocessing=preprocessing, contamination=contamination,
            trim_fraction=trim_fraction, beta=beta, free_nats=free_nats, likelihood=likelihood,
            anomaly_score=anomaly_score, n_draws=n_draws, conditional=conditional,
            augment=augment, random_state=random_state, verbose=verbose,
        )
        self.adversarial_weight = adversarial_weight
        self.discriminator_filters = discriminator_filters
        self.label_smoothing = label_smoothing

    def _trim_fraction(self):
        return 0.0

    def _epochs_rule(self):
        return 3000, 5, 300

    def _train_network(self, inputs, target, rng, seed):
        """Build the VAE and a discriminator, and train them against each other."""
        from ..networks import training
        from ..networks.gan import conv2d_discriminator, dense_discriminator, train_vaegan
        from ..networks.vae import LIKELIHOODS

        X, labels = inputs if isinstance(inputs, tuple) else (inputs, None)
        n_classes = 0 if labels is None else labels.shape[1]
        if self.verbose:
            import sys

            print(f"training a VAE-GAN on {self._describe_training_data(inputs)} ...",
                  file=sys.stderr, flush=True)
        self.batch_size_ = min(len(X), 128 if self.batch_size == "auto" else self.batch_size)
        steps = -(-len(X) // self.batch_size_)
        if self.epochs == "auto":
            total, low, high = self._epochs_rule()
            self.n_epochs_ = int(np.clip(round(total / steps), low, high))
        else:
            self.n_epochs_ = int(self.epochs)
        with training.seeded(seed):
            self.model_, self.encoder_, self.decoder_ = training.build_networks(self._network)
            if self.architecture_ == "conv2d":
                filters = tuple(self.discriminator_filters or (32, 64))
                self.discriminator_ = conv2d_discriminator(X.shape[1:], filters,
                                                           n_classes=n_classes)
            else:
                self.discriminator_ = dense_discriminator(X.shape[1], (128, 128),
                                                          n_classes=n_classes)
            self.history_ = train_vaegan(
                self.encoder_, self.decoder_, self.discriminator_, X, labels,
                latent_dim=self.latent_dim_, likelihood=LIKELIHOODS[self.likelihood_],
                beta=float(self.beta), free_nats=float(self.free_nats),
                adversarial_weight=float(self.adversarial_weight) * int(np.prod(X.shape[1:])),
                epochs=self.n_epochs_, batch_size=self.batch_size_,
                learning_rate=self.learning_rate, label_smoothing=self.label_smoothing,
                seed=seed, verbose=self.verbose, augment=self._augmenter(),
            )
        self.best_epoch_ = self.n_epochs_
