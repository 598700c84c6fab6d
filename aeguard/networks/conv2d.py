"""2-D convolutional autoencoder for images."""

import math

import keras


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
    height, width, channels = (int(s) for s in input_shape)
    inputs = keras.Input(shape=(height, width, channels), name="x")
    h = inputs
    for i, n_filters in enumerate(filters):
        h = keras.layers.Conv2D(
            n_filters, kernel_size, strides=2, padding="same", activation="relu",
            name=f"enc_conv_{i}",
        )(h)
    inner_shape = tuple(int(s) for s in h.shape[1:])
    h = keras.layers.Flatten(name="flatten")(h)
    code = keras.layers.Dense(latent_dim, name="code")(h)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(latent_dim,), name="z")
    h = keras.layers.Dense(math.prod(inner_shape), activation="relu", name="dec_dense")(code_in)
    h = keras.layers.Reshape(inner_shape, name="unflatten")(h)
    for i, n_filters in enumerate(reversed(filters)):
        h = keras.layers.Conv2DTranspose(
            n_filters, kernel_size, strides=2, padding="same", activation="relu",
            name=f"dec_conv_{i}",
        )(h)
    # Upsampling by 2 per block overshoots odd sizes; crop the excess.
    extra_h, extra_w = int(h.shape[1]) - height, int(h.shape[2]) - width
    if extra_h or extra_w:
        h = keras.layers.Cropping2D(((0, extra_h), (0, extra_w)), name="crop")(h)
    outputs = keras.layers.Conv2D(
        channels, kernel_size, padding="same", activation=output_activation, name="recon"
    )(h)
    decoder = keras.Model(code_in, outputs, name="decoder")

    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder
