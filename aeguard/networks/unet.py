"""U-Net-style encoder-decoder for image-to-image tasks such as denoising.

Unlike the autoencoders, the decoder receives each encoder level's feature maps
through skip connections, so fine detail (edges, strokes) need not squeeze
through the bottleneck: the network only has to learn what to remove. This is
the architecture most used for image denoising (Ronneberger et al., 2015).
"""

import keras


def _double_conv(h, n_filters, name):
    for j in range(2):
        h = keras.layers.Conv2D(n_filters, 3, padding="same", activation="relu",
                                name=f"{name}_conv{j}")(h)
    return h


def build_unet2d(input_shape, filters, *, output_activation="sigmoid"):
    """Build a U-Net for images of shape ``(height, width, channels)``, any size.

    Each level applies two 3x3 convolutions; a strided convolution halves the
    size between levels; on the way up, a transposed convolution doubles it,
    the excess over the skip's (odd) size is cropped, and the skip is
    concatenated.

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of one image.
    filters : sequence of int
        Filters per level, outermost first; the last level is the bottleneck.
    output_activation : str or None, default="sigmoid"
        Activation of the 1x1 output convolution ("sigmoid" for pixels in
        [0, 1], None for a linear output).

    Returns
    -------
    unet, encoder, decoder : keras.Model or None
        ``unet`` maps images to images; ``encoder`` maps them to the
        bottleneck's feature maps; there is no separate decoder (it needs the
        skips), so ``decoder`` is None.
    """
    height, width, channels = (int(s) for s in input_shape)
    inputs = keras.Input(shape=(height, width, channels), name="x")
    h, skips = inputs, []
    for i, n_filters in enumerate(filters[:-1]):
        h = _double_conv(h, n_filters, f"down{i}")
        skips.append(h)
        h = keras.layers.Conv2D(n_filters, 3, strides=2, padding="same", activation="relu",
                                name=f"down{i}_pool")(h)
    h = _double_conv(h, filters[-1], "bottom")
    encoder = keras.Model(inputs, h, name="encoder")
    for i in reversed(range(len(filters) - 1)):
        skip = skips[i]
        h = keras.layers.Conv2DTranspose(filters[i], 3, strides=2, padding="same",
                                         activation="relu", name=f"up{i}_upsample")(h)
        extra_h = int(h.shape[1]) - int(skip.shape[1])
        extra_w = int(h.shape[2]) - int(skip.shape[2])
        if extra_h or extra_w:
            h = keras.layers.Cropping2D(((0, extra_h), (0, extra_w)), name=f"up{i}_crop")(h)
        h = keras.layers.Concatenate(name=f"up{i}_skip")([h, skip])
        h = _double_conv(h, filters[i], f"up{i}")
    outputs = keras.layers.Conv2D(channels, 1, activation=output_activation, name="out")(h)
    return keras.Model(inputs, outputs, name="unet"), encoder, None
