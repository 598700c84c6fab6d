"""VAEDetector: what it learns, generation, the conditional VAE, and its contracts."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import aeguard
from aeguard import VAEDetector


@pytest.fixture(scope="module")
def cvae(digits_images):
    """A conditional convolutional VAE on the 8x8 digits, labels as strings."""
    images, target = digits_images
    labels = np.array([f"d{k}" for k in target])
    vae = VAEDetector(
        conditional=True, latent_dim=4, epochs=40, trim_fraction=0, random_state=0
    ).fit(images, labels)
    return vae, images, labels


@pytest.fixture(scope="module")
def image_vae(digits_images):
    images, _ = digits_images
    return VAEDetector(latent_dim=4, epochs=40, trim_fraction=0, random_state=0).fit(images)


@pytest.fixture(scope="module")
def tabular_vae(manifold_data):
    X_train, _, _ = manifold_data
    return VAEDetector(epochs=60, random_state=0).fit(X_train)


def fitted_copy(estimator, **params):
    """A copy of a fitted estimator with scoring-time parameters changed (fit is not rerun)."""
    return pickle.loads(pickle.dumps(estimator)).set_params(**params)


def class_means(images, labels, classes):
    return np.stack([images[labels == c].mean(axis=0) for c in classes])


def nearest_class(items, means, classes):
    distances = ((items[:, None] - means[None]) ** 2).reshape(len(items), len(means), -1).sum(-1)
    return np.asarray(classes)[distances.argmin(axis=1)]


# ------------------------------------------------------------------ learning
def test_tabular_vae_ranks_anomalies_above_normals(tabular_vae, manifold_data):
    _, X_test, y_test = manifold_data
    assert tabular_vae.likelihood_ == "gaussian"
    assert roc_auc_score(y_test, tabular_vae.score_samples(X_test)) > 0.9


def test_elbo_of_digits_beats_that_of_noise(digits_images):
    images, _ = digits_images
    vae = VAEDetector(latent_dim=4, epochs=40, anomaly_score="elbo", trim_fraction=0, random_state=0)
    vae.fit(images[:1500])
    noise = np.random.default_rng(0).uniform(size=(200, 8, 8))
    held_out = vae.score_samples(images[1500:])
    assert held_out.mean() < 0.5 * vae.score_samples(noise).mean()
    y = np.r_[np.zeros(len(held_out)), np.ones(len(noise))]
    assert roc_auc_score(y, np.r_[held_out, vae.score_samples(noise)]) > 0.99


def test_elbo_score_is_negative_elbo_in_nats(image_vae, digits_images):
    """anomaly_score="elbo" = NLL + KL; for Bernoulli pixels it is bounded below by 0."""
    images, _ = digits_images
    elbo = fitted_copy(image_vae, anomaly_score="elbo")
    scores = elbo.score_samples(images[:50])
    assert np.all(scores > 0)
    assert np.all(scores > image_vae.score_samples(images[:50]))  # nats vs a mean squared error


def test_samples_have_the_input_shape_and_range(image_vae):
    samples = image_vae.sample(64, random_state=0)
    assert samples.shape == (64, 8, 8)
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    assert samples.std(axis=0).mean() > 0.01  # different draws give different items


def test_tabular_samples_are_in_the_input_scale(tabular_vae, manifold_data):
    X_train, _, _ = manifold_data
    samples = tabular_vae.sample(2000, random_state=0)
    assert samples.shape == (2000, X_train.shape[1])
    # Generated rows share the data's location and spread column by column.
    assert np.allclose(samples.mean(axis=0), X_train.mean(axis=0), atol=0.3 * X_train.std(axis=0))
    ratio = samples.std(axis=0) / X_train.std(axis=0)
    assert np.all((ratio > 0.5) & (ratio < 1.5))


def test_sample_is_reproducible_with_random_state(image_vae):
    a = image_vae.sample(5, random_state=3)
    assert np.array_equal(a, image_vae.sample(5, random_state=3))
    assert not np.array_equal(a, image_vae.sample(5, random_state=4))
    assert image_vae.sample(0).shape == (0, 8, 8)


def test_conditional_samples_look_like_their_class(cvae):
    vae, images, labels = cvae
    means = class_means(images, labels, vae.classes_)
    for label in vae.classes_:
        samples = vae.sample(50, y=label, random_state=0)
        assert np.mean(nearest_class(samples, means, vae.classes_) == label) >= 0.8, label
    mixed = np.array(["d1", "d7"] * 25)
    samples = vae.sample(50, y=mixed, random_state=0)
    assert np.mean(nearest_class(samples, means, vae.classes_) == mixed) >= 0.9


def test_conditional_sample_without_y_draws_every_class(cvae):
    vae, images, labels = cvae
    means = class_means(images, labels, vae.classes_)
    found = nearest_class(vae.sample(300, random_state=0), means, vae.classes_)
    assert len(set(found)) == len(vae.classes_)


def test_transfer_redraws_items_as_the_target_class(cvae):
    vae, images, labels = cvae
    means = class_means(images, labels, vae.classes_)
    sources = images[labels == "d1"][:40]
    moved = vae.transfer(sources, "d8", y="d1")
    assert moved.shape == sources.shape
    assert np.mean(nearest_class(moved, means, vae.classes_) == "d8") >= 0.8
    # Without source labels the class is inferred; the result is the same
    # whenever the inference is right, which it is for most digits.
    inferred = vae.transfer(sources, "d8")
    assert np.mean(np.all(np.isclose(inferred, moved), axis=(1, 2))) >= 0.8


def test_transfer_keeps_the_style(cvae):
    """Two items redrawn as the same class stay closer to their own redrawings than to each other's."""
    vae, images, labels = cvae
    sources = images[labels == "d0"][:30]
    a = vae.transfer(sources, "d5", y="d0")
    b = vae.transfer(sources, "d5", y="d0")
    assert np.array_equal(a, b)  # deterministic: posterior means
    codes = vae.transform(sources, "d0")
    # Items with different codes get different redrawings.
    assert np.corrcoef(
        np.linalg.norm(codes[:, None] - codes[None], axis=-1).ravel(),
        np.linalg.norm((a[:, None] - a[None]).reshape(30, 30, -1), axis=-1).ravel(),
    )[0, 1] > 0.5


def test_conditional_scores_use_the_labels(cvae):
    vae, images, labels = cvae
    right = vae.score_samples(images[:300], labels[:300])
    shifted = np.roll(vae.classes_, 1)[np.searchsorted(vae.classes_, labels[:300])]
    wrong = vae.score_samples(images[:300], shifted)
    assert np.mean(wrong > right) > 0.9


# ----------------------------------------------------------------- contracts
def test_transform_gives_posterior_means(cvae, tabular_vae, manifold_data):
    vae, images, labels = cvae
    codes = vae.transform(images[:20], labels[:20])
    assert codes.shape == (20, 4) and codes.dtype == np.float64
    assert np.array_equal(codes, vae.transform(images[:20], labels[:20]))
    X_train, _, _ = manifold_data
    frame = fitted_copy(tabular_vae).set_output(transform="pandas")
    out = frame.transform(X_train[:3])
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == [f"vaedetector{i}" for i in range(tabular_vae.latent_dim_)]


def test_reconstruct_has_the_input_shape_and_scale(tabular_vae, manifold_data, cvae):
    X_train, _, _ = manifold_data
    rec = tabular_vae.reconstruct(X_train)
    assert rec.shape == X_train.shape
    assert np.mean((rec - X_train) ** 2) < 0.5 * X_train.var(axis=0).mean()
    vae, images, labels = cvae
    assert vae.reconstruct(images[:5], labels[:5]).shape == (5, 8, 8)


def test_reconstruction_score_is_the_mean_feature_score(tabular_vae, manifold_data):
    _, X_test, _ = manifold_data
    assert np.allclose(
        tabular_vae.feature_scores(X_test).mean(axis=1), tabular_vae.score_samples(X_test)
    )


def test_predict_and_threshold(tabular_vae, manifold_data):
    X_train, X_test, y_test = manifold_data
    train_scores = tabular_vae.score_samples(X_train)
    assert tabular_vae.threshold_ == pytest.approx(np.quantile(train_scores, 0.9))
    decision = tabular_vae.decision_function(X_test)
    assert np.allclose(decision, tabular_vae.threshold_ - tabular_vae.score_samples(X_test))
    predicted = tabular_vae.predict(X_test)
    assert set(np.unique(predicted)) <= {-1, 1}
    assert np.mean(predicted[y_test == 1] == -1) > np.mean(predicted[y_test == 0] == -1)


def test_scoring_in_chunks_equals_scoring_at_once(cvae):
    vae, images, labels = cvae
    elbo = fitted_copy(vae, anomaly_score="elbo")
    for det in (vae, elbo):
        X, y = images[:301], labels[:301]
        whole = det.score_samples(X, y)
        parts = [det.score_samples(X[i : i + 97], y[i : i + 97]) for i in range(0, 301, 97)]
        # To float32 rounding: kernels may round differently in a batch of another size.
        np.testing.assert_allclose(np.concatenate(parts), whole, rtol=1e-5)
    assert vae.score_samples(images[:0], labels[:0]).shape == (0,)


def test_random_state_gives_identical_results(manifold_data):
    X_train, X_test, _ = manifold_data
    a = VAEDetector(epochs=3, random_state=7).fit(X_train)
    b = VAEDetector(epochs=3, random_state=7).fit(X_train)
    assert np.array_equal(a.score_samples(X_test), b.score_samples(X_test))
    assert np.array_equal(a.sample(4, random_state=0), b.sample(4, random_state=0))


def test_save_load_conditional_vae(cvae, tmp_path):
    vae, images, labels = cvae
    path = tmp_path / "cvae.aeg"
    aeguard.save(vae, path)
    loaded = aeguard.load(path)
    assert isinstance(loaded, VAEDetector)
    assert list(loaded.classes_) == list(vae.classes_)
    assert np.array_equal(loaded.score_samples(images, labels), vae.score_samples(images, labels))
    assert np.array_equal(loaded.sample(8, y="d4", random_state=1), vae.sample(8, y="d4", random_state=1))
    assert np.array_equal(loaded.transfer(images[:5], "d2"), vae.transfer(images[:5], "d2"))


def test_pickle_round_trip(tabular_vae, manifold_data):
    _, X_test, _ = manifold_data
    copy = pickle.loads(pickle.dumps(tabular_vae))
    assert np.array_equal(copy.score_samples(X_test), tabular_vae.score_samples(X_test))


# -------------------------------------------------------------------- errors
def test_conditional_fit_needs_labels(digits_images):
    images, target = digits_images
    with pytest.raises(ValueError, match=r"needs class labels: call fit\(X, y\)"):
        VAEDetector(conditional=True, epochs=1).fit(images)
    with pytest.raises(ValueError, match="y has 10 labels but X has"):
        VAEDetector(conditional=True, epochs=1).fit(images, target[:10])


def test_conditional_scoring_needs_known_labels(cvae):
    vae, images, labels = cvae
    with pytest.raises(ValueError, match="conditional: score_samples needs the class labels y"):
        vae.score_samples(images[:3])
    with pytest.raises(ValueError, match="Unknown class label.*'d42'"):
        vae.sample(2, y="d42")
    with pytest.raises(ValueError, match="y has 2 labels but 3 were needed"):
        vae.predict(images[:3], labels[:2])


def test_unconditional_vae_rejects_class_requests(image_vae, digits_images):
    images, _ = digits_images
    with pytest.raises(ValueError, match="fitted without class labels"):
        image_vae.sample(2, y=3)
    with pytest.raises(ValueError, match="transfer needs a conditional VAE"):
        image_vae.transfer(images[:2], 3)


def test_bernoulli_likelihood_needs_unit_range_data(manifold_data):
    X_train, _, _ = manifold_data
    with pytest.raises(ValueError, match="likelihood='bernoulli' needs data in \\[0, 1\\]"):
        VAEDetector(likelihood="bernoulli", epochs=1).fit(X_train)
    vae = VAEDetector(likelihood="bernoulli", preprocessing="minmax", epochs=1).fit(X_train)
    assert vae.likelihood_ == "bernoulli"


@pytest.mark.parametrize(
    "params, match",
    [
        ({"beta": -1.0}, "'beta' parameter"),
        ({"anomaly_score": "likelihood"}, "'anomaly_score' parameter"),
        ({"n_draws": 0}, "'n_draws' parameter"),
        ({"conditional": "yes"}, "'conditional' parameter"),
    ],
)
def test_invalid_parameters(params, match, manifold_data):
    X_train, _, _ = manifold_data
    with pytest.raises(ValueError, match=match):
        VAEDetector(epochs=1, **params).fit(X_train)


def test_sample_rejects_a_bad_count(image_vae):
    with pytest.raises(TypeError, match="n_samples must be an int"):
        image_vae.sample(2.5)
    with pytest.raises(ValueError, match="n_samples must be >= 0"):
        image_vae.sample(-1)
