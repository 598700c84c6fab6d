"""Tests for ``detect`` and its result, on independent rows (series: test_series.py)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from aeguard import AEDetector, Detection, VAEDetector
from aeguard.estimators._detection import top_columns


@pytest.fixture(scope="module")
def fitted(manifold_data):
    X_train, X_test, _ = manifold_data
    columns = [f"c{i}" for i in range(X_train.shape[1])]
    det = AEDetector(epochs=30, dropout=0.0, random_state=0).fit(
        pd.DataFrame(X_train, columns=columns))
    return det, pd.DataFrame(X_test, columns=columns, index=np.arange(1000, 1000 + len(X_test)))


def test_detect_matches_the_separate_calls(fitted):
    """detect gives what score_samples, predict and feature_scores give, in one result."""
    det, X = fitted
    result = det.detect(X)
    assert isinstance(result, Detection)
    np.testing.assert_array_equal(result.scores, det.score_samples(X))
    np.testing.assert_array_equal(result.is_anomaly, det.predict(X) == -1)
    np.testing.assert_array_equal(result.feature_scores, det.feature_scores(X))
    assert result.columns == list(X.columns)
    assert result.top_columns == top_columns(det.feature_scores(X), list(X.columns))
    assert result.threshold == det.threshold_
    assert result.threshold_rule == (
        "the 0.9 quantile of the training rows' scores (contamination 0.1)")
    assert result.intervals is None
    assert result.n_flagged == int((det.predict(X) == -1).sum())


def test_detect_finds_the_anomalies(fitted, manifold_data):
    """Its scores rank the off-manifold anomalies first, and it flags them more often."""
    det, X = fitted
    _, _, y_test = manifold_data
    result = det.detect(X)
    assert roc_auc_score(y_test, result.scores) > 0.95
    assert result.is_anomaly[y_test == 1].mean() > 2 * result.is_anomaly[y_test == 0].mean()


def test_detect_given_threshold_and_frame(fitted):
    """A given threshold sets the flags and the rule; to_frame keeps X's index."""
    det, X = fitted
    median = float(np.median(det.score_samples(X)))
    result = det.detect(X, threshold=median)
    assert result.threshold == median and result.threshold_rule == "given by the caller"
    assert result.n_flagged == int((result.scores > median).sum())
    assert det.threshold_ != median  # the detector itself is unchanged
    frame = result.to_frame()
    assert list(frame.columns) == ["anomaly_score", "is_anomaly", "top_columns"]
    assert frame.index.equals(X.index)
    assert set(frame["is_anomaly"].unique()) <= {0, 1}


def test_detect_on_images_names_pixels(digits_images):
    """On images, feature_scores has one column per value and top_columns names them."""
    images, _ = digits_images
    det = AEDetector(epochs=2, random_state=0).fit(images[:200])
    result = det.detect(images[200:260])
    assert result.feature_scores.shape == (60, 64)
    assert result.columns[:2] == ["x0", "x1"] and len(result.columns) == 64
    assert result.index is None


def test_vae_detect_takes_labels_for_a_conditional_model(digits_images):
    """A conditional VAE's detect needs the labels, as its scores do."""
    images, labels = digits_images
    vae = VAEDetector(conditional=True, epochs=2, random_state=0).fit(images[:300], labels[:300])
    result = vae.detect(images[300:340], labels[300:340])
    np.testing.assert_array_equal(result.scores, vae.score_samples(images[300:340], labels[300:340]))
    with pytest.raises(ValueError, match="y"):
        vae.detect(images[300:340])


def test_top_columns_order():
    """Names come largest error first, ties broken by column order."""
    errors = np.array([[0.1, 3.0, 2.0, 0.0], [1.0, 1.0, 0.0, 5.0]])
    assert top_columns(errors, ["w", "x", "y", "z"]) == ["x,y,w", "z,w,x"]
    assert top_columns(errors[:, :1], ["w"]) == ["w", "w"]




def test_detect_on_an_empty_batch(fitted, digits_images):
    """An empty partition gives an empty result, as score_samples does."""
    det, X = fitted
    result = det.detect(X.iloc[:0])
    assert result.scores.shape == (0,) and result.feature_scores.shape == (0, X.shape[1])
    assert result.top_columns == [] and result.n_flagged == 0
