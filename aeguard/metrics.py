"""Metrics: image and signal quality (PSNR, SSIM), generated samples, and anomaly scorers.

PSNR and SSIM: higher is better for both. :func:`frechet_distance` and
:func:`mean_pairwise_distance` judge generated samples: lower is better for
the first, and the second should come near the real data's. The scorers :data:`anomaly_auroc`
and :data:`anomaly_average_precision` are for ``GridSearchCV(scoring=...)``
with labels 1 = anomaly, 0 = normal; see their descriptions for why the string
scorers ``"roc_auc"`` and ``"average_precision"`` rank detectors backwards.

Examples
--------
A grid search that keeps the candidate ranking labelled anomalies highest:

>>> import numpy as np
>>> from sklearn.model_selection import GridSearchCV
>>> from aeguard import AEDetector
>>> from aeguard.metrics import anomaly_auroc
>>> rng = np.random.default_rng(0)
>>> y = (np.arange(100) % 10 == 0).astype(int)  # 1 = anomaly: every tenth row
>>> X = rng.normal(size=(100, 3)) + 6 * y[:, None]
>>> search = GridSearchCV(AEDetector(epochs=2, random_state=0), {"latent_dim": [1, 2]},
...                       scoring=anomaly_auroc, cv=2).fit(X, y)
>>> float(round(search.best_score_, 2))  # the chosen candidate's AUROC: anomalies ranked first
1.0
"""

import numpy as np
from sklearn.metrics import average_precision_score, make_scorer, roc_auc_score

#: PSNR of a perfect estimate: the squared error is floored at 1e-10 of the squared range.
MAX_PSNR = 100.0


def _pair(X_true, X_pred):
    X_true = np.asarray(X_true, dtype=np.float64)
    X_pred = np.asarray(X_pred, dtype=np.float64)
    if X_true.shape != X_pred.shape:
        raise ValueError(f"X_true has shape {X_true.shape} but X_pred has shape {X_pred.shape}.")
    if X_true.ndim < 2 or len(X_true) == 0:
        raise ValueError(
            f"expected a batch of samples, shape (n_samples, ...), got {X_true.shape}."
        )
    return X_true, X_pred


def _data_range(X_true, data_range):
    if data_range is None:
        data_range = float(X_true.max() - X_true.min())
    if not data_range > 0:
        raise ValueError(f"data_range must be positive, got {data_range}; give it explicitly.")
    return float(data_range)


def psnr(X_true, X_pred, *, data_range=None):
    """Peak signal-to-noise ratio in dB, per sample, averaged over the samples.

    ``10 log10(data_range^2 / MSE)`` of each sample (row or image), then
    the mean over samples; a perfect sample counts as :data:`MAX_PSNR` dB.

    Parameters
    ----------
    X_true : array-like of shape (n_samples, ...)
        Clean samples.
    X_pred : array-like of the same shape
        Estimates (e.g. denoised samples).
    data_range : float, default=None
        The range of valid values (1 for images in [0, 1], 255 for 8-bit);
        None: ``X_true.max() - X_true.min()``.

    Returns
    -------
    psnr : float
        Mean PSNR in dB; higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.metrics import psnr
    >>> clean = np.zeros((2, 4, 4)); noisy = clean + 0.1
    >>> round(psnr(clean, noisy, data_range=1.0), 2)
    20.0
    """
    X_true, X_pred = _pair(X_true, X_pred)
    data_range = _data_range(X_true, data_range)
    mse = np.square(X_true - X_pred).reshape(len(X_true), -1).mean(axis=1)
    mse = np.maximum(mse, data_range**2 * 10 ** (-MAX_PSNR / 10))
    return float(np.mean(10 * np.log10(data_range**2 / mse)))


def ssim(X_true, X_pred, *, data_range=None, win_size=7):
    """Structural similarity of images, averaged over pixels, channels and images.

    The SSIM of Wang et al. (2004) with a ``win_size`` x ``win_size``
    uniform window, K1 = 0.01, K2 = 0.03 and sample (n - 1) covariances,
    averaged over the window positions that fit inside the image: the
    defaults of scikit-image's ``structural_similarity``.

    Parameters
    ----------
    X_true : array-like of shape (n_images, h, w) or (n_images, h, w, c)
        Clean images.
    X_pred : array-like of the same shape
        Estimates.
    data_range : float, default=None
        The range of valid values; None: ``X_true.max() - X_true.min()``.
    win_size : int, default=7
        Odd side of the window, at most the image's smaller side.

    Returns
    -------
    ssim : float
        Mean SSIM, at most 1; higher is better.

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.metrics import ssim
    >>> images = np.random.default_rng(0).uniform(size=(3, 16, 16))
    >>> ssim(images, images)
    1.0
    """
    from scipy.ndimage import uniform_filter

    X_true, X_pred = _pair(X_true, X_pred)
    if X_true.ndim == 3:
        X_true, X_pred = X_true[..., None], X_pred[..., None]
    if X_true.ndim != 4:
        raise ValueError(f"ssim needs images, shape (n, h, w) or (n, h, w, c); got {X_true.shape}.")
    if win_size % 2 == 0 or win_size > min(X_true.shape[1:3]):
        raise ValueError(
            f"win_size must be odd and at most the image size {X_true.shape[1:3]}; got {win_size}."
        )
    data_range = _data_range(X_true, data_range)
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    size = (1, win_size, win_size, 1)  # filter within each image and channel

    def mean(a):
        return uniform_filter(a, size=size, mode="reflect")

    n = win_size * win_size
    unbias = n / (n - 1)
    mu_x, mu_y = mean(X_true), mean(X_pred)
    var_x = unbias * (mean(X_true * X_true) - mu_x * mu_x)
    var_y = unbias * (mean(X_pred * X_pred) - mu_y * mu_y)
    cov = unbias * (mean(X_true * X_pred) - mu_x * mu_y)
    s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    pad = (win_size - 1) // 2
    inner = s[:, pad : s.shape[1] - pad, pad : s.shape[2] - pad, :]
    return float(inner.mean())


def frechet_distance(features_real, features_generated):
    """Fréchet distance between Gaussians fitted to two sets of feature vectors.

    ``|m1 - m2|^2 + tr(C1 + C2 - 2 (C1 C2)^(1/2))`` for the means ``m`` and
    covariances ``C`` of the two sets: the FID of Heusel et al. (2017) when
    the features are a classifier's penultimate activations. Lower is better;
    0 for two sets with the same mean and covariance. It compares the sets as
    wholes, so it rises both when samples are unlike the real items and when
    they are too alike (a collapsed generator). The figure depends on the
    feature extractor and shrinks with more samples: compare models only on
    the same features and set sizes.

    Parameters
    ----------
    features_real, features_generated : array-like of shape (n_samples, n_features)
        Feature vectors of real items and of generated ones (the sizes may
        differ; each needs at least 2 rows).

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.metrics import frechet_distance
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(size=(2000, 3)), rng.normal(size=(2000, 3))
    >>> round(frechet_distance(a, b), 2)  # two draws of one distribution: near 0
    0.01
    >>> round(frechet_distance(a, b + 1), 1)  # shifted by 1 in 3 features: about 3
    3.1
    """
    a = _feature_rows(features_real, "features_real")
    b = _feature_rows(features_generated, "features_generated")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"features_real has {a.shape[1]} features per row but features_generated has "
            f"{b.shape[1]}; give both the same features."
        )
    c1, c2 = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    # tr((C1 C2)^(1/2)) = tr((S C2 S)^(1/2)) with S = C1^(1/2): a symmetric
    # positive semi-definite matrix, whose square root is its eigenvalues'.
    w, v = np.linalg.eigh(c1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root @ c2 @ root), 0, None)).sum()
    mean_term = float(np.sum((a.mean(axis=0) - b.mean(axis=0)) ** 2))
    return float(max(mean_term + np.trace(c1) + np.trace(c2) - 2 * cross, 0.0))


def mean_pairwise_distance(X):
    """Mean Euclidean distance between two different items of X: how much a set varies.

    Generated samples of one class should vary about as much as real items
    of that class: a generator that collapsed onto the class mean gives a
    figure far below the real items'.

    Parameters
    ----------
    X : array-like of shape (n_samples, ...)
        Items (rows, or images: flattened); at least 2.

    Returns
    -------
    distance : float

    Examples
    --------
    >>> import numpy as np
    >>> from aeguard.metrics import mean_pairwise_distance
    >>> mean_pairwise_distance([[0, 0], [3, 4]])
    5.0
    """
    X = np.asarray(X, dtype=np.float64)
    X = _feature_rows(X.reshape(len(X), -1) if X.ndim > 1 else X, "X")
    # Sum of squared norms expanded, one pass per row block: no n x n x d array.
    total, n = 0.0, len(X)
    for start in range(0, n, 1024):
        block = X[start:start + 1024]
        squared = (np.sum(block ** 2, axis=1)[:, None] + np.sum(X ** 2, axis=1)[None, :]
                   - 2 * block @ X.T)
        total += np.sqrt(np.clip(squared, 0, None)).sum()
    return float(total / (n * (n - 1)))


def _feature_rows(X, name):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2:
        raise ValueError(f"{name} must have shape (n_samples, n_features) with at least 2 rows, "
                         f"got shape {X.shape}.")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} holds NaN or infinite values.")
    return X


#: The scorers' response method. make_scorer accepts "score_samples" only
#: inside a tuple (its string options are predict, predict_proba and
#: decision_function).
_SCORES = ("score_samples",)


def _anomaly_labels(y_true):
    """``y_true`` as 0/1 anomaly labels, or a ValueError if they follow another convention."""
    y_true = np.asarray(y_true)
    values = np.unique(y_true)
    if not np.isin(values, (0, 1)).all():
        raise ValueError(
            f"anomaly scorers take labels 1 = anomaly, 0 = normal; got the values "
            f"{values.tolist()[:5]}. For predict's convention (-1 = outlier) pass y == -1."
        )
    return y_true.astype(int)


def _anomaly_auroc(y_true, y_score):
    return roc_auc_score(_anomaly_labels(y_true), y_score)


def _anomaly_average_precision(y_true, y_score):
    return average_precision_score(_anomaly_labels(y_true), y_score)


#: Scorer: ROC AUC of ``score_samples`` (higher = more anomalous) against labels
#: 1 = anomaly, 0 = normal. Use it as ``GridSearchCV(..., scoring=anomaly_auroc)``
#: instead of ``scoring="roc_auc"``: the string scorer ranks by
#: ``decision_function``, which follows scikit-learn's sign (higher = more
#: normal), so with anomalies labelled 1 it scores a good detector below 0.5 and
#: the search picks the worst candidate.
anomaly_auroc = make_scorer(_anomaly_auroc, response_method=_SCORES)

#: Scorer: average precision of ``score_samples`` against labels 1 = anomaly,
#: 0 = normal (the area under the precision-recall curve of the anomaly class,
#: which weighs the few anomalies more than AUROC does). Use it instead of
#: ``scoring="average_precision"``, which ranks by ``decision_function``
#: (higher = more normal) and so rewards the wrong direction; see
#: :data:`anomaly_auroc`.
anomaly_average_precision = make_scorer(_anomaly_average_precision, response_method=_SCORES)
