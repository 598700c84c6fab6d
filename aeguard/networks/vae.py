"""Variational autoencoders (dense and 2-D convolutional), optionally conditioned on a class.

The encoder outputs the mean and log-variance of a diagonal Gaussian posterior
q(z | x); :class:`Sampling` draws z with the reparameterisation trick and adds
the KL divergence to the standard normal prior (times ``beta``) as a layer
loss; the decoder maps z back to the input space. Compiled with
:func:`bernoulli_nll` or :func:`gaussian_nll`, the training loss is the
negative ELBO per sample in nats (for ``beta=1``).

A conditional VAE receives the one-hot class as a second input of both the
encoder and the decoder: ``encoder([x, y]) -> [mean, log_var]`` and
``decoder([z, y]) -> x``.
"""

import math

import keras
from keras import ops

from .conv1d import conv1d_decoder_trunk, conv1d_encoder_trunk
from .conv2d import conv2d_decoder_trunk, conv2d_encoder_trunk
from .dense import dense_stack

#: Predicted probabilities are clipped to [EPSILON, 1 - EPSILON] in the Bernoulli likelihood.
EPSILON = 1e-7

#: Floor of the Gaussian likelihood's noise variance (in the preprocessed scale).
MIN_VARIANCE = 1e-6

#: Log-variances are clipped to this range before exponentiation, so an
#: untrained or diverging encoder cannot overflow.
LOG_VAR_RANGE = (-20.0, 10.0)


class Sampling(keras.layers.Layer):
    """Draw ``z = mean + exp(log_var / 2) * eps`` and add ``beta * KL(q || N(0, I))`` as a loss.

    Only in training: at inference the layer returns the posterior mean, so
    the autoencoder's reconstruction is deterministic. The KL term is the
    batch mean of each sample's KL divergence, in nats, counted as no less
    than ``free_nats``: below that the code's information is free (see
    :func:`kl_term`).
    """

    def __init__(self, beta=1.0, free_nats=0.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = float(beta)
        self.free_nats = float(free_nats)
        self.seed_generator = keras.random.SeedGenerator()

    def call(self, inputs, training=None):
        mean, log_var = inputs
        log_var = ops.clip(log_var, *LOG_VAR_RANGE)
        self.add_loss(kl_term(gaussian_kl(mean, log_var), self.beta, self.free_nats))
        if not training:
            return mean
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps


def gaussian_kl(mean, log_var):
    """Each row's KL(N(mean, exp(log_var)) || N(0, I)) in nats, the prior's standard normal."""
    return -0.5 * ops.sum(1.0 + log_var - ops.square(mean) - ops.exp(log_var), axis=-1)


def kl_term(kl, beta, free_nats):
    """The loss's KL term: ``beta`` x max(the batch mean of ``kl``, ``free_nats``).

    "Free bits" (Kingma et al. 2016) for the whole code: the first
    ``free_nats`` nats of information the code carries about an item, on
    average, cost nothing, so the encoder is not pushed to let the decoder
    ignore the code (the posterior collapse that makes every sample of a
    conditional VAE's class the class average).
    """
    if not free_nats:
        return beta * ops.mean(kl)
    return beta * ops.maximum(ops.mean(kl), free_nats)


def bernoulli_nll(y_true, y_pred):
    """Negative log-likelihood of ``y_true`` in [0, 1] under Bernoulli means ``y_pred``, per sample."""
    p = ops.clip(y_pred, EPSILON, 1.0 - EPSILON)
    nll = -(y_true * ops.log(p) + (1.0 - y_true) * ops.log(1.0 - p))
    return ops.sum(ops.reshape(nll, (ops.shape(nll)[0], -1)), axis=-1)


def gaussian_nll(y_true, y_pred):
    """Negative log-likelihood under a Gaussian centred on ``y_pred``, per sample.

    One noise variance is shared by all values: its maximum-likelihood value
    for the batch, the batch's mean squared error (held constant in the
    gradient). With a fixed unit variance the KL term would outweigh any
    detail finer than the data's own spread and the code would carry almost
    nothing; the calibrated variance lets the fit decide (the "optimal sigma"
    decoder of Rybkin, Daniilidis and Levine, 2021).
    """
    sq = ops.reshape(ops.square(y_true - y_pred), (ops.shape(y_true)[0], -1))
    n_values = ops.cast(ops.shape(sq)[1], sq.dtype)
    row_sq = ops.sum(sq, axis=-1)
    variance = ops.stop_gradient(ops.mean(row_sq) / n_values) + MIN_VARIANCE
    return 0.5 * row_sq / variance + 0.5 * n_values * ops.log(2.0 * math.pi * variance)


#: Loss functions by likelihood name.
LIKELIHOODS = {"bernoulli": bernoulli_nll, "gaussian": gaussian_nll}


def _heads(h, latent_dim):
    mean = keras.layers.Dense(latent_dim, name="z_mean")(h)
    log_var = keras.layers.Dense(latent_dim, name="z_log_var")(h)
    return [mean, log_var]


def _assemble(encoder, decoder, x_in, n_classes, beta, free_nats):
    """Chain encoder, :class:`Sampling` and decoder into the trainable VAE."""
    if n_classes:
        y_in = keras.Input(shape=(n_classes,), name="y")
        mean, log_var = encoder([x_in, y_in])
        z = Sampling(beta, free_nats, name="sampling")([mean, log_var])
        return keras.Model([x_in, y_in], decoder([z, y_in]), name="vae")
    mean, log_var = encoder(x_in)
    z = Sampling(beta, free_nats, name="sampling")([mean, log_var])
    return keras.Model(x_in, decoder(z), name="vae")


def _with_label(tensor, n_classes, name):
    """``tensor`` (and its inputs) extended with a one-hot label input when conditional."""
    if not n_classes:
        return tensor, []
    y = keras.Input(shape=(n_classes,), name=name)
    return keras.layers.Concatenate(name=f"{name}_concat")([tensor, y]), [y]


def build_dense_vae(
    n_features, hidden_units, latent_dim, *, n_classes=0, beta=1.0, free_nats=0.0,
    activation="relu", output_activation=None, dropout=0.0,
):
    """Build a dense VAE for rows of ``n_features`` values.

    Parameters
    ----------
    n_features : int
        Width of the input rows.
    hidden_units : sequence of int
        Encoder hidden widths, outermost first; the decoder mirrors them.
    latent_dim : int
        Dimension of z.
    n_classes : int, default=0
        Number of classes of a conditional VAE; 0 builds an unconditional one.
    beta : float, default=1.0
        Weight of the KL term.
    free_nats : float, default=0.0
        The KL term counts no less than this many nats (see :func:`kl_term`).
    activation : str, default="relu"
        Hidden activation.
    output_activation : str or None, default=None
        "sigmoid" for data in [0, 1] (Bernoulli means), None for a linear output.
    dropout : float, default=0.0
        Dropout after each hidden layer (training only).

    Returns
    -------
    vae, encoder, decoder : keras.Model
        Uncompiled. ``encoder`` returns ``[mean, log_var]``; ``decoder`` maps z
        (and the one-hot class) to a row; ``vae`` samples z in training and
        uses the mean at inference.
    """
    x_in = keras.Input(shape=(n_features,), name="x")
    h, y_enc = _with_label(x_in, n_classes, "y")
    h = dense_stack(h, hidden_units, activation=activation, dropout=dropout, prefix="enc")
    encoder = keras.Model([x_in] + y_enc if n_classes else x_in, _heads(h, latent_dim), name="encoder")

    z_in = keras.Input(shape=(latent_dim,), name="z")
    h, y_dec = _with_label(z_in, n_classes, "y_dec")
    h = dense_stack(
        h, tuple(reversed(hidden_units)), activation=activation, dropout=dropout, prefix="dec"
    )
    outputs = keras.layers.Dense(n_features, activation=output_activation, name="recon")(h)
    decoder = keras.Model([z_in] + y_dec if n_classes else z_in, outputs, name="decoder")
    return _assemble(encoder, decoder, x_in, n_classes, beta, free_nats), encoder, decoder


def build_conv2d_vae(
    input_shape, filters, latent_dim, *, n_classes=0, beta=1.0, free_nats=0.0, kernel_size=3,
    output_activation="sigmoid",
):
    """Build a strided convolutional VAE for images of shape ``(height, width, channels)``.

    The convolutional trunks are those of the convolutional autoencoder; the
    one-hot class (conditional VAE) joins the flattened features in the
    encoder and the code in the decoder.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of one image.
    filters : sequence of int
        Filters of the encoder blocks, outermost first.
    latent_dim : int
        Dimension of z.
    n_classes : int, default=0
        Number of classes of a conditional VAE; 0 builds an unconditional one.
    beta : float, default=1.0
        Weight of the KL term.
    free_nats : float, default=0.0
        The KL term counts no less than this many nats (see :func:`kl_term`).
    kernel_size : int, default=3
        Size of the square convolution kernels.
    output_activation : str or None, default="sigmoid"
        "sigmoid" for pixels in [0, 1], None for a linear output.

    Returns
    -------
    vae, encoder, decoder : keras.Model
        As :func:`build_dense_vae`.
    """
    image_shape = tuple(int(s) for s in input_shape)
    x_in = keras.Input(shape=image_shape, name="x")
    flat, inner_shape = conv2d_encoder_trunk(x_in, filters, kernel_size)
    h, y_enc = _with_label(flat, n_classes, "y")
    encoder = keras.Model([x_in] + y_enc if n_classes else x_in, _heads(h, latent_dim), name="encoder")

    z_in = keras.Input(shape=(latent_dim,), name="z")
    h, y_dec = _with_label(z_in, n_classes, "y_dec")
    outputs = conv2d_decoder_trunk(
        h, inner_shape, filters, kernel_size, image_shape, output_activation
    )
    decoder = keras.Model([z_in] + y_dec if n_classes else z_in, outputs, name="decoder")
    return _assemble(encoder, decoder, x_in, n_classes, beta, free_nats), encoder, decoder


def build_conv1d_vae(window, n_channels, filters, latent_dim, *, beta=1.0, free_nats=0.0,
                     kernel_size=5):
    """Build a 1-D convolutional VAE for windows of shape (window, n_channels).

    The trunks are those of :func:`aeguard.networks.conv1d.build_conv1d_autoencoder`;
    the output is linear (a Gaussian mean for standardised channels).

    Parameters
    ----------
    window : int
        Time steps per window.
    n_channels : int
        Sensors (columns) per time step.
    filters : sequence of int
        Filters of the encoder blocks, outermost first.
    latent_dim : int
        Dimension of z.
    beta : float, default=1.0
        Weight of the KL term.
    free_nats : float, default=0.0
        The KL term counts no less than this many nats (see :func:`kl_term`).
    kernel_size : int, default=5
        Length of the convolution kernels.

    Returns
    -------
    vae, encoder, decoder : keras.Model
        As :func:`build_dense_vae`.
    """
    window, n_channels = int(window), int(n_channels)
    x_in = keras.Input(shape=(window, n_channels), name="x")
    flat, inner_shape = conv1d_encoder_trunk(x_in, filters, kernel_size)
    encoder = keras.Model(x_in, _heads(flat, latent_dim), name="encoder")
    z_in = keras.Input(shape=(latent_dim,), name="z")
    outputs = conv1d_decoder_trunk(z_in, inner_shape, filters, kernel_size, window, n_channels)
    decoder = keras.Model(z_in, outputs, name="decoder")
    return _assemble(encoder, decoder, x_in, 0, beta, free_nats), encoder, decoder
