"""The affine scaling that estimators learn in ``fit`` and undo in ``reconstruct``."""

import numpy as np

#: What preprocessing="auto" picks, by kind of input.
AUTO_PREPROCESSING = {"tabular": "standard", "image": "unit"}


class Scaler:
    """Affine map ``x -> (x - center) / scale`` with broadcastable arrays.

    Every preprocessing option is one such map, so a fitted scaler is just two
    arrays, which is what model files store.

    Parameters
    ----------
    center, scale : ndarray
        Arrays broadcastable against one sample (tabular: shape (n_features,);
        images: shape (channels,) or ()).
    """

    def __init__(self, center, scale):
        self.center = np.asarray(center, dtype=np.float32)
        self.scale = np.asarray(scale, dtype=np.float32)

    @classmethod
    def fit(cls, X, method, *, image):
        """Learn the scaling ``method`` from training data ``X``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features) or (n_samples, h, w, c)
            Training data, already validated.
        method : {"standard", "minmax", "unit", None}
            ``"standard"``: zero mean, unit variance per feature (per channel for
            images). ``"minmax"``: [0, 1] per feature (per channel). ``"unit"``:
            images kept as they are when already within [0, 1], otherwise
            divided into [0, 1] by the training minimum and maximum (so uint8
            pixels become x / 255 for a typical image set). ``None``: identity.
        image : bool
            Whether X holds images (statistics per channel, not per pixel).
        """
        axes = tuple(range(X.ndim - 1)) if image else (0,)
        if method is None:
            return cls(0.0, 1.0)
        if method == "standard":
            center = X.mean(axis=axes, dtype=np.float64)
            scale = X.std(axis=axes, dtype=np.float64)
        elif method == "minmax":
            center = X.min(axis=axes)
            scale = X.max(axis=axes).astype(np.float64) - center
        elif method == "unit":
            lo, hi = float(X.min()), float(X.max())
            if lo >= 0.0 and hi <= 1.0:
                return cls(0.0, 1.0)
            center, scale = lo, hi - lo
        else:  # pragma: no cover - parameters are validated before this
            raise ValueError(f"unknown preprocessing {method!r}")
        # A constant feature gets scale 1: it maps to a constant, never to NaN.
        scale = np.where(np.asarray(scale) > np.finfo(np.float32).tiny * 1e6, scale, 1.0)
        return cls(center, scale)

    def transform(self, X):
        return ((X - self.center) / self.scale).astype(np.float32, copy=False)

    def inverse_transform(self, X):
        return (X * self.scale + self.center).astype(np.float32, copy=False)
