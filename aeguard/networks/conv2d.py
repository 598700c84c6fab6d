"""2-D convolutional autoencoder for images."""

import math

import keras


def conv2d_encoder_trunk(inputs, filters, kernel_size):
    """Strided convolution blocks (each halves height and width), flattened.

    Returns the flat features and the shape ``(h, w, c)`` before flattening,
    which :func:`conv2d_decoder_trunk` mirrors.
    """
    h = inputs
    for i, n_filters in enumerate(filters):
        h = keras.layers.Conv2D(
            n_filters, kernel_size, strides=2, padding="same", activation="relu",
            name=f"enc_conv_{i}",
        )(h)
    inner_shape = tuple(int(s) for s in h.shape[1:])
    return keras.layers.Flatten(name="flatten")(h), inner_shape


def conv2d_decoder_trunk(code, inner_shape, filters, kernel_size, image_shape, output_activation):
    """Mirror of :func:`conv2d_encoder_trunk`: from a code vector to images of ``image_shape``.

    Transposed convolutions double the size per block; the excess over an odd
    size (7x7, 28x28 after two blocks of 7...) is cropped.
    """
    height, width, channels = image_shape
    h = keras.layers.Dense(math.prod(inner_shape), activation="relu", name="dec_dense")(code)
    h = keras.layers.Reshape(inner_shape, name="unflatten")(h)
    for i, n_filters in enumerate(reversed(filters)):
        h = keras.layers.Conv2DTranspose(
            n_filters, kernel_size, strides=2, padding="same", activation="relu",
            name=f"dec_conv_{i}",
        )(h)
    extra_h, extra_w = int(h.shape[1]) - height, int(h.shape[2]) - width
    if extra_h or extra_w:
        h = keras.layers.Cropping2D(((0, extra_h), (0, extra_w)), name="crop")(h)
    return keras.layers.Conv2D(
        channels, kernel_size, padding="same", activation=output_activation, name="recon"
    )(h)


def build_conv2d_autoencoder(
    input_shape, filters, latent_dim, *, kernel_size=3, output_activation="sigmoid"
):
    """Build a strided convolutional autoencoder for images of any size.

    Each encoder block halves the height and width (stride 2, "same"
    padding); the decoder mirrors it with transposed convolutions and crops
    back to the input size, so odd sizes such as 7x7 or 28x28 work.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of one image.
    filters : sequence of int
        Filters of the encoder blocks, outermost first.
    latent_dim : int
        Width of the dense code layer.
    kernel_size : int, default=3
        Size of the square convolution kernels.
    output_activation : str or None, default="sigmoid"
        Activation of the reconstruction ("sigmoid" for pixels in [0, 1],
        None for standardised pixels).

    Returns
    -------
    autoencoder, encoder, decoder : keras.Model
        Uncompiled models; ``autoencoder`` chains the other two.
    """
    image_shape = tuple(int(s) for s in input_shape)
    inputs = keras.Input(shape=image_shape, name="x")
    flat, inner_shape = conv2d_encoder_trunk(inputs, filters, kernel_size)
    code = keras.layers.Dense(latent_dim, name="code")(flat)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(latent_dim,), name="z")
    outputs = conv2d_decoder_trunk(
        code_in, inner_shape, filters, kernel_size, image_shape, output_activation
    )
    decoder = keras.Model(code_in, outputs, name="decoder")

    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder
