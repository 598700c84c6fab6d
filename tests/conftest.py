"""Shared fixtures: small data sets and detectors fitted once per test module."""

import os

import numpy as np
import pytest

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Two test processes share the two cores: one thread each, not two apiece.
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


def make_manifold_data(n_normal=600, n_anomalies=30, n_features=8, seed=0):
    """Rows near a 2-D linear manifold in ``n_features`` dimensions, plus off-manifold anomalies.

    Anomalies have the same per-column spread as normal rows, so only the
    relations between columns (what an autoencoder learns) give them away.

    Returns
    -------
    X_train, X_test, y_test : ndarray
        Clean training rows; test rows (normals then anomalies); 1 = anomaly.
    """
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(2, n_features))

    def normal(n):
        return rng.normal(size=(n, 2)) @ mixing + 0.05 * rng.normal(size=(n, n_features))

    X_train = normal(n_normal)
    X_normal_test = normal(200)
    std = X_train.std(axis=0)
    X_anom = rng.normal(size=(n_anomalies, n_features)) * std
    X_test = np.vstack([X_normal_test, X_anom])
    y_test = np.r_[np.zeros(len(X_normal_test)), np.ones(n_anomalies)]
    return X_train, X_test, y_test


@pytest.fixture(scope="session")
def manifold_data():
    return make_manifold_data()


@pytest.fixture(scope="session")
def digits_images():
    """sklearn's 8x8 digits as images in [0, 1], and their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.images / 16.0).astype(np.float32), digits.target
