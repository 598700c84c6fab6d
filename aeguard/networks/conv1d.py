"""1-D convolutional autoencoder for windows of a multichannel sensor series."""

import math

import keras


def conv1d_encoder_trunk(inputs, filters, kernel_size):
    """Strided 1-D convolution blocks (each halves the time axis), flattened.

    Returns the flat features and the shape ``(steps, channels)`` before
    flattening, which :func:`conv1d_decoder_trunk` mirrors.
    """
    h = inputs
    for i, n_filters in enumerate(filters):
        h = keras.layers.Conv1D(
            n_filters, kernel_size, strides=2, padding="same", activation="relu",
            name=f"enc_conv_{i}",
        )(h)
    inner_shape = tuple(int(s) for s in h.shape[1:])
    return keras.layers.Flatten(name="flatten")(h), inner_shape


def conv1d_decoder_trunk(code, inner_shape, filters, kernel_size, window, n_channels):
    """Mirror of :func:`conv1d_encoder_trunk`: from a code vector to windows (window, n_channels).

    The output is linear (for standardised channels); the excess of the
    doubling transposed convolutions over ``window`` steps is cropped.
    """
    h = keras.layers.Dense(math.prod(inner_shape), activation="relu", name="dec_dense")(code)
    h = keras.layers.Reshape(inner_shape, name="unflatten")(h)
    for i, n_filters in enumerate(reversed(filters)):
        h = keras.layers.Conv1DTranspose(
            n_filters, kernel_size, strides=2, padding="same", activation="relu",
            name=f"dec_conv_{i}",
        )(h)
    extra = int(h.shape[1]) - window
    if extra:
        h = keras.layers.Cropping1D((0, extra), name="crop")(h)
    return keras.layers.Conv1D(n_channels, kernel_size, padding="same", name="recon")(h)


def build_conv1d_autoencoder(window, n_channels, filters, latent_dim, *, kernel_size=5):
    """Build a strided 1-D convolutional autoencoder for windows of shape (window, n_channels).

    Each encoder block halves the time axis (stride 2, "same" padding); a dense
    code layer compresses the whole window; the decoder mirrors the encoder
    with transposed convolutions and crops back to ``window`` steps, so any
    window length works. The output is linear (for standardised channels).

    Parameters
    ----------
    window : int
        Time steps per window.
    n_channels : int
        Sensors (columns) per time step.
    filters : sequence of int
        Filters of the encoder blocks, outermost first.
    latent_dim : int
        Width of the dense code layer.
    kernel_size : int, default=5
        Length of the convolution kernels.

    Returns
    -------
    autoencoder, encoder, decoder : keras.Model
        Uncompiled models; ``autoencoder`` chains the other two.
    """
    window, n_channels = int(window), int(n_channels)
    inputs = keras.Input(shape=(window, n_channels), name="x")
    flat, inner_shape = conv1d_encoder_trunk(inputs, filters, kernel_size)
    code = keras.layers.Dense(latent_dim, name="code")(flat)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(latent_dim,), name="z")
    outputs = conv1d_decoder_trunk(code_in, inner_shape, filters, kernel_size, window, n_channels)
    decoder = keras.Model(code_in, outputs, name="decoder")

    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder
