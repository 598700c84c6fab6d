"""Augmentation of small image sets: random rotations and mirror images, drawn afresh per batch.

The ``augment`` parameter of the generative estimators is None or a dict with
the keys ``"rotation"`` (the largest angle of a random rotation, in degrees:
each image of each batch is turned by a whole number of degrees drawn
uniformly from ``[-rotation, rotation]``; 180 turns it by any angle) and
``"mirror"`` (True: each image is flipped left to right with probability
1/2). Twenty images seen at 360 angles and mirrored are 14,400 different
training images, drawn as the epochs go instead of stored.
"""

from numbers import Integral, Real

import numpy as np

KEYS = ("rotation", "mirror")


class AugmentParam:
    """The ``augment`` constraint: None, or a dict of ``rotation`` (degrees) and ``mirror``."""

    def is_satisfied_by(self, value):
        if value is None:
            return True
        if not isinstance(value, dict) or not value or set(value) - set(KEYS):
            return False
        rotation = value.get("rotation", 0)
        return (isinstance(rotation, (Integral, Real)) and not isinstance(rotation, bool)
                and 0 <= rotation <= 180 and isinstance(value.get("mirror", False), bool))

    def __str__(self):
        return ('None or a dict such as {"rotation": 180, "mirror": True} (rotation: degrees '
                'in [0, 180]; mirror: a bool)')


def augmenter(augment, image_shape, *, flat):
    """The per-batch function ``f(items, rng) -> items`` for ``augment``, or None.

    ``image_shape`` is one image's channel-last shape (None for table rows,
    which cannot be augmented); ``flat``: the network takes the images
    flattened into rows (a dense network), which ``f`` then takes and returns.
    """
    if augment is None:
        return None
    if image_shape is None:
        raise ValueError("augment (rotations, mirror images) needs images of shape "
                         "(n_samples, height, width[, channels]); X holds table rows.")
    rotation = int(round(augment.get("rotation", 0)))
    mirror = bool(augment.get("mirror", False))

    def apply(items, rng):
        n = len(items)
        images = items.reshape((n,) + tuple(image_shape)) if flat else items
        if mirror:
            flip = rng.random(n) < 0.5
            images = np.where(flip[:, None, None, None], images[:, :, ::-1], images)
        if rotation:
            angles = rng.integers(-rotation, rotation + 1, size=n)
            images = rotate(images, angles)
        return images.reshape(n, -1) if flat else images

    return apply


def rotate(images, degrees):
    """Turn each image (n, h, w, c) about its centre by ``degrees`` (one angle per image).

    Positive angles turn clockwise as the image is displayed (row 0 at the top).

    Bilinear interpolation; a pixel whose source lies outside the image takes
    the nearest edge pixel's value (the background, for most image sets).
    """
    n, h, w, _ = images.shape
    theta = np.deg2rad(np.asarray(degrees, dtype=np.float64))[:, None, None]
    cy, cx = (h - 1) / 2, (w - 1) / 2
    yy, xx = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")
    # Each output pixel reads the input at its position turned back by theta.
    src_y = np.clip(np.cos(theta) * yy - np.sin(theta) * xx + cy, 0, h - 1)
    src_x = np.clip(np.sin(theta) * yy + np.cos(theta) * xx + cx, 0, w - 1)
    y0, x0 = np.floor(src_y).astype(np.intp), np.floor(src_x).astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (src_y - y0)[..., None], (src_x - x0)[..., None]
    rows = np.arange(n)[:, None, None]
    top = images[rows, y0, x0] * (1 - fx) + images[rows, y0, x1] * fx
    bottom = images[rows, y1, x0] * (1 - fx) + images[rows, y1, x1] * fx
    return (top * (1 - fy) + bottom * fy).astype(images.dtype, copy=False)


def shifted(images, rng, pixels):
    """Each image (n, h, w, c) moved by up to ``pixels`` rows and columns, drawn per image.

    Each image gets its own whole-pixel shift, uniform in ``[-pixels, pixels]`` along each
    axis; the pixels moved in from outside the image repeat its edge (the background, for
    most image sets). ``pixels=0`` returns the images unchanged.
    """
    if pixels == 0:
        return images
    n, h, w, _ = images.shape
    k = int(pixels)
    padded = np.pad(images, ((0, 0), (k, k), (k, k), (0, 0)), mode="edge")
    dy = rng.integers(-k, k + 1, size=n)
    dx = rng.integers(-k, k + 1, size=n)
    # Output pixel (y, x) of image i reads padded pixel (y + k - dy, x + k - dx).
    rows = (np.arange(h)[None, :] + k - dy[:, None])[:, :, None]
    cols = (np.arange(w)[None, :] + k - dx[:, None])[:, None, :]
    return padded[np.arange(n)[:, None, None], rows, cols]
