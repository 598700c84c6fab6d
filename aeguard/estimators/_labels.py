"""Class labels of the conditional estimators: learnt in ``fit``, one-hot for the networks."""

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d


def fit_classes(X, y, name):
    """``(classes, one_hot)`` of the training labels y, which must match X's samples."""
    if y is None:
        raise ValueError(f"{name} needs class labels: call fit(X, y).")
    y = column_or_1d(y, warn=True)
    n_samples = np.shape(X)[0]
    if len(y) != n_samples:
        raise ValueError(f"y has {len(y)} labels but X has {n_samples} samples.")
    classes, codes = np.unique(y, return_inverse=True)
    return classes, np.eye(len(classes), dtype=np.float32)[codes]


def one_hot(classes, y, n_samples, action, name):
    """One-hot labels of y (one label for all, or one per sample) among fitted ``classes``."""
    if y is None:
        raise ValueError(
            f"This {name} is conditional: {action} needs the class labels y "
            f"(one of {classes.tolist()} per sample)."
        )
    values = [y] * n_samples if np.ndim(y) == 0 else column_or_1d(y).tolist()
    if len(values) != n_samples:
        raise ValueError(f"y has {len(values)} labels but {n_samples} were needed.")
    index = {label: i for i, label in enumerate(classes.tolist())}
    unknown = sorted({repr(v) for v in values if v not in index})
    if unknown:
        raise ValueError(
            f"Unknown class label(s) {', '.join(unknown[:5])}; this {name} knows "
            f"{classes.tolist()}."
        )
    codes = np.array([index[v] for v in values], dtype=np.intp)
    return np.eye(len(classes), dtype=np.float32)[codes]


def sample_inputs(random_state, n_samples, latent_dim, classes, y, name):
    """A ``sample`` method's codes z ~ N(0, I) and one-hot labels (None when unconditional).

    ``classes`` is None for an unconditional model, which refuses ``y``; a
    conditional one draws the labels uniformly when ``y`` is None.
    """
    rng = check_random_state(random_state)
    z = rng.standard_normal((n_samples, latent_dim)).astype(np.float32)
    if classes is None:
        if y is not None:
            raise ValueError(
                f"y chooses the class of a conditional model's samples, but this {name} "
                "was fitted without class labels."
            )
        return z, None
    if y is None:
        y = classes[rng.randint(len(classes), size=n_samples)]
    return z, one_hot(classes, y, n_samples, "sample", name)
