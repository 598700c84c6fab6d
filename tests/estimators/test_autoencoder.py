"""AEDetector behaviour: learning, conventions, sklearn integration and bad input."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from aeguard import AEDetector
from aeguard.estimators._base import auto_batch_size, auto_dense_sizes, auto_epochs
from aeguard.estimators.autoencoder import relative_image_errors

# Clean training data with subtle (off-manifold) anomalies: no dropout, so the
# network learns the manifold precisely (see AEDetector's `dropout`).
FAST = dict(epochs=30, dropout=0.0, random_state=0)


@pytest.fixture(scope="module")
def fitted(manifold_data):
    X_train, _, _ = manifold_data
    return AEDetector(**FAST).fit(X_train)


@pytest.fixture(scope="module")
def fitted_images(digits_images):
    images, _ = digits_images
    return AEDetector(
        epochs=40, filters=(16, 32), latent_dim=8, learning_rate=3e-3, random_state=0
    ).fit(images[:1000])


# ------------------------------------------------------------------ learning
def test_aedetector_ranks_anomalies(fitted, manifold_data):
    """Off-manifold rows score higher than normal rows."""
    _, X_test, y_test = manifold_data
    assert roc_auc_score(y_test, fitted.score_samples(X_test)) > 0.95


def test_aedetector_default_config_ranks_anomalies(manifold_data):
    """AEDetector() with no tuning at all ranks off-manifold rows above normal ones."""
    X_train, X_test, y_test = manifold_data
    det = AEDetector(random_state=1).fit(X_train)
    # Dropout (on by default, for contaminated real data) blurs the manifold a
    # little, so this is well above chance (0.5) but below the tuned 0.95.
    assert roc_auc_score(y_test, det.score_samples(X_test)) > 0.7


def test_aedetector_images_flag_noise(fitted_images, digits_images):
    """The convolutional detector scores noise images above held-out digits."""
    images, _ = digits_images
    assert fitted_images.architecture_ == "conv2d"
    noise = np.random.default_rng(0).random((50, 8, 8)).astype(np.float32)
    X = np.concatenate([images[1000:1200], noise])
    y = np.r_[np.zeros(200), np.ones(50)]
    assert roc_auc_score(y, fitted_images.score_samples(X)) > 0.95


def test_aedetector_image_outputs(fitted_images, digits_images):
    """Images keep their shape through reconstruct; codes have latent_dim_ columns."""
    images, _ = digits_images
    X = images[1000:1010]
    assert fitted_images.reconstruct(X).shape == X.shape
    assert fitted_images.transform(X).shape == (10, 8)
    # (n, h, w, 1) is accepted for a model fitted on (n, h, w).
    np.testing.assert_array_equal(
        fitted_images.score_samples(X[..., None]), fitted_images.score_samples(X)
    )
    rec = fitted_images.reconstruct(X)
    assert rec.min() >= 0.0 and rec.max() <= 1.0
    # Reconstructions are closer to their own inputs than to other digits.
    own = np.mean((rec - X) ** 2)
    other = np.mean((rec - images[1010:1020]) ** 2)
    assert own < other


def test_aedetector_uint8_images_reconstructed_in_input_scale(digits_images):
    """0-255 images are scaled into [0, 1] inside and reconstructed back in 0-255."""
    images, _ = digits_images
    X = (images[:300] * 255).astype(np.uint8)
    det = AEDetector(epochs=5, filters=(8,), latent_dim=4, random_state=0).fit(X)
    assert det.preprocessing_ == "unit"
    rec = det.reconstruct(X)
    assert rec.max() > 100  # 0-255 scale, not [0, 1]
    assert np.isfinite(det.score_samples(X)).all()


def test_aedetector_dense_on_images(digits_images):
    """architecture='dense' flattens images and still returns image-shaped reconstructions."""
    images, _ = digits_images
    det = AEDetector(architecture="dense", epochs=3, random_state=0).fit(images[:200])
    assert det.architecture_ == "dense"
    assert det.reconstruct(images[:5]).shape == (5, 8, 8)


def test_aedetector_feature_scores_name_the_broken_column(fitted, manifold_data):
    """A value pushed off the manifold in one column gets that column the largest feature score."""
    _, X_test, _ = manifold_data
    X = X_test[:20].copy()
    X[:, 5] += 6 * X_test[:, 5].std()
    errors = fitted.feature_scores(X)
    assert errors.shape == X.shape
    assert (errors.argmax(axis=1) == 5).mean() >= 0.9
    np.testing.assert_allclose(errors.mean(axis=1), fitted.score_samples(X), rtol=1e-6)


# --------------------------------------------------------------- conventions
def test_aedetector_sign_conventions(fitted, manifold_data):
    """decision_function = threshold_ - score_samples; predict is -1 exactly where it is negative."""
    _, X_test, _ = manifold_data
    scores = fitted.score_samples(X_test)
    decision = fitted.decision_function(X_test)
    np.testing.assert_allclose(decision, fitted.threshold_ - scores)
    np.testing.assert_array_equal(fitted.predict(X_test), np.where(scores > fitted.threshold_, -1, 1))
    assert set(np.unique(fitted.predict(X_test))) == {-1, 1}


@pytest.mark.parametrize("contamination", [0.05, 0.2])
def test_aedetector_threshold_matches_contamination(manifold_data, contamination):
    """About a `contamination` fraction of the training rows is flagged."""
    X_train, _, _ = manifold_data
    det = AEDetector(epochs=3, contamination=contamination, random_state=0).fit(X_train)
    flagged = np.mean(det.predict(X_train) == -1)
    assert abs(flagged - contamination) < 0.01
    assert det.threshold_ == pytest.approx(np.quantile(det.score_samples(X_train), 1 - contamination))


def test_aedetector_fit_predict_equals_fit_then_predict(manifold_data):
    """fit_predict gives the labels predict gives after fit."""
    X_train, _, _ = manifold_data
    labels = AEDetector(epochs=3, random_state=0).fit_predict(X_train)
    det = AEDetector(epochs=3, random_state=0).fit(X_train)
    np.testing.assert_array_equal(labels, det.predict(X_train))


def test_aedetector_random_state_reproducible(manifold_data):
    """The same random_state gives identical scores; another gives different ones."""
    X_train, X_test, _ = manifold_data
    a = AEDetector(epochs=3, random_state=7).fit(X_train).score_samples(X_test)
    b = AEDetector(epochs=3, random_state=7).fit(X_train).score_samples(X_test)
    c = AEDetector(epochs=3, random_state=8).fit(X_train).score_samples(X_test)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_aedetector_fit_leaves_global_rngs_alone(manifold_data):
    """Fitting with a seed does not reset the user's numpy and random global state."""
    import random

    X_train, _, _ = manifold_data
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    AEDetector(epochs=2, random_state=0).fit(X_train)
    assert np.random.random() == expected_np
    assert random.random() == expected_py


@pytest.mark.parametrize("chunk", [1, 7, 64])
def test_aedetector_chunked_scoring_is_identical(fitted, fitted_images, manifold_data,
                                                 digits_images, chunk):
    """Scoring in chunks gives the scores of one call (dense and conv), to float32 rounding.

    The network's kernels may round a row's output differently in a batch of another
    size (seen on some CPUs), so equality is to rtol 1e-5, far below any score difference.
    """
    _, X_test, _ = manifold_data
    images, _ = digits_images
    for det, X in ((fitted, X_test[:100]), (fitted_images, images[:100])):
        whole = det.score_samples(X)
        parts = np.concatenate([det.score_samples(X[i : i + chunk]) for i in range(0, len(X), chunk)])
        np.testing.assert_allclose(parts, whole, rtol=1e-5)


def test_aedetector_early_stopping_keeps_best_epoch(manifold_data):
    """Training stops after `patience` epochs without improvement and keeps the best epoch."""
    X_train, _, _ = manifold_data
    det = AEDetector(epochs=400, patience=3, learning_rate=0.01, random_state=0).fit(X_train)
    val = det.history_["val_loss"]
    assert det.n_epochs_ < 400
    assert det.best_epoch_ == int(np.argmin(val)) + 1
    assert det.n_epochs_ - det.best_epoch_ == 3


def test_aedetector_without_validation_monitors_training_loss(manifold_data):
    """validation_fraction=None trains on every row and records only the training loss."""
    X_train, _, _ = manifold_data
    det = AEDetector(epochs=3, validation_fraction=None, random_state=0).fit(X_train)
    assert set(det.history_) == {"loss"}
    assert len(det.history_["loss"]) == det.n_epochs_ == 3


def test_aedetector_auto_sizes_follow_data():
    """The default network, batch size and epoch budget scale with the data."""
    hidden, latent = auto_dense_sizes(40)
    assert latent == 10 and hidden[0] > 40 > latent
    assert auto_dense_sizes(1)[1] == 1
    assert auto_batch_size(100) == 16 and auto_batch_size(10**6) == 256
    assert auto_epochs(100, 16) == 30 and auto_epochs(10**6, 256) == 10


@pytest.mark.parametrize("preprocessing, shift", [("standard", 1000), ("minmax", 1000), (None, 0)])
def test_aedetector_preprocessing_options(manifold_data, preprocessing, shift):
    """Every preprocessing option trains and reconstructs in the input's scale."""
    X_train, _, _ = manifold_data
    X = X_train * (1 + shift / 10) + shift
    det = AEDetector(**FAST, preprocessing=preprocessing).fit(X)
    rec = det.reconstruct(X[:50])
    # Reconstructions land near the data, far closer than the data's own spread.
    assert np.mean(np.abs(rec - X[:50])) < 0.5 * np.mean(np.abs(X - X.mean(axis=0)))


def test_aedetector_constant_column_gives_finite_scores(manifold_data):
    """A constant column does not produce NaN scores."""
    X_train, X_test, _ = manifold_data
    X = np.column_stack([X_train, np.full(len(X_train), 3.0)])
    det = AEDetector(epochs=3, random_state=0).fit(X)
    scores = det.score_samples(np.column_stack([X_test, np.full(len(X_test), 3.0)]))
    assert np.isfinite(scores).all()


# ------------------------------------------------------------ sklearn citizen
def test_aedetector_clone_is_unfitted_with_same_params(fitted):
    """clone copies the parameters and not the fitted state."""
    copy = clone(fitted)
    assert copy.get_params() == fitted.get_params()
    with pytest.raises(NotFittedError):
        copy.score_samples(np.zeros((2, 8)))


@pytest.mark.parametrize("dumps, loads", [(pickle.dumps, pickle.loads), ("joblib", "joblib")])
def test_aedetector_pickle_round_trip(fitted, manifold_data, tmp_path, dumps, loads):
    """pickle and joblib round trips give identical scores and codes."""
    _, X_test, _ = manifold_data
    if dumps == "joblib":
        joblib.dump(fitted, tmp_path / "det.joblib")
        restored = joblib.load(tmp_path / "det.joblib")
    else:
        restored = loads(dumps(fitted))
    np.testing.assert_array_equal(restored.score_samples(X_test), fitted.score_samples(X_test))
    np.testing.assert_array_equal(restored.transform(X_test), fitted.transform(X_test))
    assert restored.threshold_ == fitted.threshold_


def test_aedetector_in_pipeline(manifold_data):
    """AEDetector works as the last step of a Pipeline."""
    X_train, X_test, y_test = manifold_data
    pipe = make_pipeline(StandardScaler(), AEDetector(**FAST)).fit(X_train)
    assert roc_auc_score(y_test, pipe.score_samples(X_test)) > 0.95
    assert pipe.predict(X_test).shape == (len(X_test),)


def test_aedetector_grid_search_with_auroc_scorer(manifold_data):
    """GridSearchCV tunes AEDetector with a labelled AUROC scorer."""
    X_train, X_test, y_test = manifold_data
    X = np.vstack([X_train[:300], X_test])
    y = np.r_[np.zeros(300), y_test]

    def auroc(estimator, X, y):
        return roc_auc_score(y, estimator.score_samples(X))

    search = GridSearchCV(
        AEDetector(**FAST),
        {"latent_dim": [1, 2]},
        scoring=auroc,
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
    ).fit(X, y)
    assert search.best_params_["latent_dim"] in (1, 2)
    assert search.best_score_ > 0.8


def test_aedetector_dataframe_feature_names_and_pandas_output(manifold_data):
    """DataFrames set feature_names_in_; set_output gives latent codes as a DataFrame."""
    X_train, X_test, _ = manifold_data
    columns = [f"sensor_{i}" for i in range(X_train.shape[1])]
    df = pd.DataFrame(X_train, columns=columns)
    det = AEDetector(epochs=3, latent_dim=3, random_state=0).fit(df)
    np.testing.assert_array_equal(det.feature_names_in_, columns)
    det.set_output(transform="pandas")
    codes = det.transform(pd.DataFrame(X_test, columns=columns))
    assert isinstance(codes, pd.DataFrame)
    assert list(codes.columns) == ["aedetector0", "aedetector1", "aedetector2"]
    with pytest.raises(ValueError, match="feature names"):
        det.score_samples(pd.DataFrame(X_test, columns=columns[::-1]))


def test_aedetector_unfitted_raises():
    """Every method raises NotFittedError before fit."""
    det = AEDetector()
    for method in ("score_samples", "decision_function", "predict", "transform", "reconstruct",
                   "feature_scores"):
        with pytest.raises(NotFittedError):
            getattr(det, method)(np.zeros((3, 2)))


# ----------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.array([[1.0, np.nan], [2.0, 3.0], [1.0, 1.0]]), ValueError, "NaN"),
        (np.array([[1.0, np.inf], [2.0, 3.0], [1.0, 1.0]]), ValueError, "infinity"),
        (np.zeros((0, 3)), ValueError, "0 sample"),
        (np.zeros((1, 3)), ValueError, "1 sample"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "convert"),
        (pd.DataFrame({"x": [1.0, 2.0, 3.0], "name": ["a", "b", "c"]}), TypeError, r"non-numeric columns \['name'\]"),
    ],
)
def test_aedetector_fit_rejects_bad_data(X, error, match):
    """Bad training data gets a clear error naming the problem."""
    with pytest.raises(error, match=match):
        AEDetector(epochs=1).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"contamination": 0.7}, r"'contamination' parameter of AEDetector must be a float in the range \(0, 0.5\]"),
        ({"contamination": 0.0}, "contamination"),
        ({"architecture": "transformer"}, "'architecture' parameter"),
        ({"epochs": 0}, "'epochs' parameter"),
        ({"hidden_units": [0, 3]}, "'hidden_units' parameter"),
        ({"preprocessing": "zscore"}, "'preprocessing' parameter"),
    ],
)
def test_aedetector_rejects_bad_params(manifold_data, params, match):
    """Bad parameters are reported in scikit-learn's wording at fit time."""
    X_train, _, _ = manifold_data
    with pytest.raises(ValueError, match=match):
        AEDetector(**params).fit(X_train)


def test_aedetector_conv2d_on_tabular_rows_is_an_error(manifold_data):
    """Asking for a convolutional network on 2-D rows says to use a dense one."""
    X_train, _, _ = manifold_data
    with pytest.raises(ValueError, match="architecture='dense'"):
        AEDetector(architecture="conv2d").fit(X_train)


def test_aedetector_wrong_width_at_predict(fitted):
    """Scoring rows of another width names both widths."""
    with pytest.raises(ValueError, match="X has 3 features, but AEDetector is expecting 8"):
        fitted.score_samples(np.zeros((4, 3)))


def test_aedetector_wrong_image_shape_at_predict(fitted_images):
    """Scoring images of another size names both shapes."""
    with pytest.raises(ValueError, match=r"images of shape \(7, 8\).*\(8, 8\)"):
        fitted_images.score_samples(np.zeros((4, 7, 8)))
    with pytest.raises(ValueError, match="fitted on images"):
        fitted_images.score_samples(np.zeros((4, 64)))


def test_aedetector_nan_at_predict(fitted):
    """NaN in data to score is a ValueError, not NaN scores."""
    X = np.zeros((3, 8))
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fitted.score_samples(X)


@pytest.mark.parametrize("preprocessing", ["standard", "minmax", "unit"])
@pytest.mark.parametrize("architecture", ["conv2d", "dense"])
def test_aedetector_image_scaling_is_per_channel(digits_images, preprocessing, architecture):
    """Grey-scale images get one scaling statistic, whichever form (n, h, w[, 1]) is scored."""
    images, _ = digits_images
    det = AEDetector(architecture=architecture, preprocessing=preprocessing, epochs=2,
                     filters=(4,), latent_dim=3, random_state=0).fit(images[:100])
    assert det.scaler_.center.size == 1 and det.scaler_.scale.size == 1
    X = images[100:105]
    np.testing.assert_array_equal(det.score_samples(X[..., None]), det.score_samples(X))
    assert det.reconstruct(X[..., None]).shape == (5, 8, 8, 1)
    assert det.reconstruct(X).shape == (5, 8, 8)


def test_aedetector_scores_an_empty_batch(fitted, fitted_images):
    """An empty batch (an empty Spark or Dask partition) gives empty results, not an error."""
    assert fitted.score_samples(np.zeros((0, 8))).shape == (0,)
    assert fitted.predict(np.zeros((0, 8))).shape == (0,)
    assert fitted.transform(np.zeros((0, 8))).shape == (0, fitted.latent_dim_)
    assert fitted.feature_scores(np.zeros((0, 8))).shape == (0, 8)
    assert fitted_images.reconstruct(np.zeros((0, 8, 8))).shape == (0, 8, 8)


def test_aedetector_batch_size_larger_than_data_warns(manifold_data):
    """An integer batch_size above the training rows is capped, with a warning, in batch_size_."""
    X_train, _, _ = manifold_data
    with pytest.warns(UserWarning, match="batch_size \\(5000\\) is greater"):
        det = AEDetector(epochs=1, batch_size=5000, random_state=0).fit(X_train)
    assert det.batch_size == 5000 and det.batch_size_ == 540
    tiny = AEDetector(epochs=1, validation_fraction=0.9, random_state=0).fit(X_train[:50])
    assert tiny.batch_size_ <= 5


def test_aedetector_refit_with_other_architecture_drops_stale_attributes(manifold_data,
                                                                         digits_images):
    """Refitting after set_params leaves only the fitted attributes of the new network."""
    X_train, _, _ = manifold_data
    images, _ = digits_images
    det = AEDetector(epochs=1, random_state=0).fit(X_train)
    assert hasattr(det, "hidden_units_")
    det.set_params(filters=(4,)).fit(images[:50])
    assert det.architecture_ == "conv2d" and det.filters_ == (4,)
    assert not hasattr(det, "hidden_units_") and not hasattr(det, "feature_names_in_")


def test_aedetector_rejects_negative_seed(manifold_data):
    """A random_state NumPy cannot use is reported as a parameter error."""
    X_train, _, _ = manifold_data
    with pytest.raises(ValueError, match="'random_state' parameter"):
        AEDetector(random_state=-1).fit(X_train)


def test_aedetector_trimming_resists_anomalies_in_training_data(manifold_data):
    """A cluster of anomalies in the training rows is learned by plain training, not by robust training."""
    X_clean, X_test, y_test = manifold_data
    rng = np.random.default_rng(0)
    centre = 3 * X_clean.std(axis=0) * rng.choice([-1, 1], size=X_clean.shape[1])
    cluster = centre + 0.05 * rng.normal(size=(48, X_clean.shape[1]))  # ~7 % of training rows
    X_train = np.vstack([X_clean, cluster[:40]])
    X_eval = np.vstack([X_test[y_test == 0], cluster[40:]])
    y_eval = np.r_[np.zeros(int((y_test == 0).sum())), np.ones(8)]
    aucs = {}
    for trim in (0.0, "auto"):
        det = AEDetector(epochs=60, dropout=0.0, latent_dim=3, trim_fraction=trim,
                         random_state=0).fit(X_train)
        aucs[trim] = roc_auc_score(y_eval, det.score_samples(X_eval))
    assert aucs["auto"] > aucs[0.0] + 0.05, aucs


def test_aedetector_trim_fraction_auto_depends_on_the_kind_of_data(manifold_data, digits_images):
    """'auto' trims the expected anomaly fraction of tabular rows and no image."""
    X_train, _, _ = manifold_data
    images, _ = digits_images
    assert AEDetector(epochs=1, contamination=0.05).fit(X_train).trim_fraction_ == 0.05
    assert AEDetector(epochs=1, filters=(4,)).fit(images[:64]).trim_fraction_ == 0.0
    assert AEDetector(epochs=1, trim_fraction=0.3).fit(X_train).trim_fraction_ == 0.3


def test_aedetector_feature_scores_are_in_each_features_training_units(manifold_data):
    """Tabular feature scores are squared errors over each feature's 0.9 training quantile."""
    X_train, X_test, _ = manifold_data
    det = AEDetector(epochs=5, random_state=0).fit(X_train)
    assert det.error_scale_.shape == (X_train.shape[1],)
    q = np.quantile(det.feature_scores(X_train), 0.9, axis=0)
    np.testing.assert_allclose(q, 1.0, rtol=1e-3)
    raw = (det.scaler_.transform(X_test) - det.scaler_.transform(det.reconstruct(X_test))) ** 2
    np.testing.assert_allclose(det.feature_scores(X_test) * det.error_scale_, raw,
                               rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(det.score_samples(X_test), det.feature_scores(X_test).mean(axis=1),
                               rtol=1e-6)


def test_aedetector_broken_relation_counts_beside_an_unpredictable_column():
    """A column that breaks a tight relation is found although a noisy column has larger errors.

    The pure-noise column cannot be reconstructed, so its squared errors are
    the largest in training; measured in its own units it no longer drowns
    the small but unusual error of the broken column.
    """
    rng = np.random.default_rng(0)

    def rows(n):
        t = rng.normal(size=n)
        return np.column_stack([t, t + 0.05 * rng.normal(size=n), -t + 0.05 * rng.normal(size=n),
                                rng.normal(size=n)])

    X_train, normal, broken = rows(1000), rows(200), rows(40)
    broken[:, 1] += 0.6  # a 12-sigma break of column 1's relation to column 0
    X = np.vstack([normal, broken])
    y = np.r_[np.zeros(200), np.ones(40)]
    det = AEDetector(epochs=100, dropout=0.0, latent_dim=1, random_state=0).fit(X_train)
    assert det.error_scale_[3] > 10 * det.error_scale_[1]
    raw = ((det.scaler_.transform(X) - det.scaler_.transform(det.reconstruct(X))) ** 2).mean(axis=1)
    auc, auc_raw = roc_auc_score(y, det.score_samples(X)), roc_auc_score(y, raw)
    assert auc > 0.9 and auc > auc_raw + 0.1, (auc, auc_raw)


def test_aedetector_error_scale_of_a_perfect_column_is_floored():
    """A column reconstructed perfectly in training gets a positive scale: finite scores."""
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.normal(size=(300, 3)), np.zeros(300)])
    det = AEDetector(epochs=3, random_state=0).fit(X)
    assert (det.error_scale_ > 0).all()
    X_new = X[:5].copy()
    X_new[:, 3] = 1.0
    assert np.isfinite(det.score_samples(X_new)).all()
    assert (det.score_samples(X_new) > det.score_samples(X[:5])).all()


def test_aedetector_image_scores_are_relative_blurred_errors(fitted_images, digits_images):
    """Image scores are the row means of their pixel scores, with a positive contrast floor."""
    images, _ = digits_images
    assert fitted_images.error_scale_ is None and fitted_images.contrast_floor_ > 0
    X = images[1000:1010]
    np.testing.assert_allclose(fitted_images.score_samples(X),
                               fitted_images.feature_scores(X).mean(axis=(1, 2)), rtol=1e-5)


def test_relative_image_errors_forgive_a_shifted_stroke_and_ignore_contrast():
    """A stroke drawn one pixel aside costs less than a missing one; scaling both images changes nothing."""
    image = np.zeros((1, 28, 28, 1), dtype=np.float32)
    image[0, 4:24, 12:14] = 1.0  # a vertical stroke two pixels wide
    shifted = np.roll(image, 1, axis=2)
    missing = image.copy()
    missing[0, 4:24, 12:14] = 0.0
    missing[0, 4:24, 20:22] = 1.0  # the same ink, drawn elsewhere
    plain = [float(np.square(image - r).mean()) for r in (shifted, missing)]
    rel = [float(relative_image_errors(image, r, 1e-6).mean()) for r in (shifted, missing)]
    assert plain[0] < plain[1] and rel[0] < 0.5 * rel[1] * plain[0] / plain[1]
    np.testing.assert_allclose(relative_image_errors(2 * image, 2 * shifted, 1e-6),
                               relative_image_errors(image, shifted, 1e-6), rtol=1e-5)


@pytest.mark.parametrize(
    ("shape", "learning_rate", "expected"),
    [((40, 8, 8), "auto", 3e-3), ((40, 64), "auto", 1e-3), ((40, 8, 8), 0.02, 0.02)],
)
def test_aedetector_learning_rate_auto_is_larger_for_the_convolutional_network(
    shape, learning_rate, expected
):
    """"auto" trains images (conv2d) at 3e-3 and table rows at 1e-3; a number is used as given."""
    X = np.random.default_rng(0).random(shape)
    det = AEDetector(learning_rate=learning_rate, epochs=1, random_state=0).fit(X)
    assert det.learning_rate_ == pytest.approx(expected)
    assert float(det.model_.optimizer.learning_rate) == pytest.approx(expected)
    assert det.get_params()["learning_rate"] == learning_rate


def test_aedetector_learning_rate_must_be_auto_or_positive():
    with pytest.raises(ValueError, match="learning_rate"):
        AEDetector(learning_rate="fast").fit(np.zeros((20, 3)))
    with pytest.raises(ValueError, match="learning_rate"):
        AEDetector(learning_rate=0.0).fit(np.zeros((20, 3)))


def test_aedetector_defaults_tell_held_out_ones_from_eights(digits_images):
    """At its defaults, a detector trained on half of the 8x8 1s ranks the other 1s below the 8s."""
    images, target = digits_images
    ones = np.random.default_rng(0).permutation(np.flatnonzero(target == 1))
    half = len(ones) // 2
    det = AEDetector(random_state=0).fit(images[ones[:half]])
    X = np.concatenate([images[ones[half:]], images[target == 8]])
    y = np.r_[np.zeros(len(ones) - half), np.ones(int((target == 8).sum()))]
    assert roc_auc_score(y, det.score_samples(X)) >= 0.90


def test_relative_image_errors_blur_at_most_one_pixel_on_large_images():
    """A small defect on a large image keeps its error: the blur does not grow past one pixel."""
    image = np.full((1, 112, 112, 1), 0.5, dtype=np.float32)
    image[0, ::2] = 0.0  # stripes, so the image has contrast
    defect = image.copy()
    defect[0, 50:52, 50:52] += 0.5
    plain = float(np.square(image - defect).sum())
    contrast = 0.5 * (image.var() + defect.var())
    blurred = float(relative_image_errors(image, defect, 1e-6).sum()) * contrast
    assert blurred > 0.2 * plain  # a quarter at one pixel; 2 % at the 4 pixels of 112 / 28


# ----------------------------------------------------------------- ensembles
@pytest.fixture(scope="module")
def ensemble(manifold_data):
    X_train, _, _ = manifold_data
    return AEDetector(n_estimators=3, **FAST).fit(X_train)


def test_aedetector_ensemble_ranks_anomalies(ensemble, manifold_data):
    """Three members trained side by side rank off-manifold rows as one does."""
    _, X_test, y_test = manifold_data
    assert ensemble._network["builder"] == "ensemble"
    assert roc_auc_score(y_test, ensemble.score_samples(X_test)) > 0.95


def test_aedetector_ensemble_members_differ_and_are_averaged(ensemble, manifold_data):
    """Each member has its own weights; reconstruct is their mean, the errors their mean error."""
    _, X_test, _ = manifold_data
    Xs = ensemble._scaled(X_test)
    members = ensemble._member_reconstructions(Xs)
    assert len(members) == 3 and all(m.shape == Xs.shape for m in members)
    assert not np.allclose(members[0], members[1], atol=1e-3)
    np.testing.assert_allclose(ensemble.reconstruct(X_test),
                               ensemble.scaler_.inverse_transform(np.mean(members, axis=0)),
                               rtol=1e-4, atol=1e-5)
    errors = np.mean([np.square(m - Xs) for m in members], axis=0) / ensemble.error_scale_
    np.testing.assert_allclose(ensemble.feature_scores(X_test), errors, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ensemble.score_samples(X_test), errors.mean(axis=1), rtol=1e-4)


def test_aedetector_ensemble_codes_side_by_side(ensemble, manifold_data):
    """transform returns every member's code, and the feature names count them all."""
    _, X_test, _ = manifold_data
    codes = ensemble.transform(X_test)
    assert codes.shape == (len(X_test), 3 * ensemble.latent_dim_)
    assert len(ensemble.get_feature_names_out()) == codes.shape[1]
    np.testing.assert_allclose(
        ensemble.decoder_(codes.astype(np.float32)).numpy()[:, : X_test.shape[1]],
        ensemble._member_reconstructions(ensemble._scaled(X_test))[0], rtol=1e-4, atol=1e-5)


def test_aedetector_ensemble_is_reproducible_and_saved(ensemble, manifold_data, tmp_path):
    """The same seed gives the same ensemble, and a model file gives back the same scores."""
    import aeguard

    X_train, X_test, _ = manifold_data
    again = AEDetector(n_estimators=3, **FAST).fit(X_train)
    np.testing.assert_array_equal(again.score_samples(X_test), ensemble.score_samples(X_test))
    aeguard.save(ensemble, tmp_path / "ensemble.aeg")
    loaded = aeguard.load(tmp_path / "ensemble.aeg")
    assert loaded.n_estimators == 3
    np.testing.assert_array_equal(loaded.score_samples(X_test), ensemble.score_samples(X_test))


def test_aedetector_ensemble_of_images(digits_images):
    """Convolutional members side by side score images, and noise above digits."""
    images, _ = digits_images
    det = AEDetector(n_estimators=2, epochs=20, filters=(16, 32), latent_dim=8,
                     learning_rate=3e-3, random_state=0).fit(images[:600])
    noise = np.random.default_rng(0).random((50, 8, 8)).astype(np.float32)
    scores = det.score_samples(np.concatenate([images[600:800], noise]))
    assert roc_auc_score(np.r_[np.zeros(200), np.ones(50)], scores) > 0.95
    assert det.reconstruct(images[:5]).shape == (5, 8, 8)
    assert det.transform(images[:5]).shape == (5, 16)


def test_aedetector_rejects_zero_estimators(manifold_data):
    X_train, _, _ = manifold_data
    with pytest.raises(ValueError, match="'n_estimators' parameter"):
        AEDetector(n_estimators=0).fit(X_train)
