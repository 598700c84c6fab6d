"""VAEGAN: sharper samples than the VAE, still of their class and varied; VAEDetector's contracts."""

import pickle

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

import aeguard
from aeguard import VAEGAN, VAEDetector
from aeguard.metrics import frechet_distance, mean_pairwise_distance


@pytest.fixture(scope="module")
def digits(digits_images):
    images, target = digits_images
    return images, np.array([f"d{k}" for k in target])


@pytest.fixture(scope="module")
def vaegan(digits):
    images, labels = digits
    model = VAEGAN(conditional=True, latent_dim=4, epochs=40, learning_rate=1e-3, random_state=0)
    return model.fit(images, labels)


@pytest.fixture(scope="module")
def classifiers(digits):
    """An SVC (which class) and an MLP (whose hidden layer gives the Fréchet distance's features)."""
    images, labels = digits
    flat = images.reshape(len(images), -1)
    return SVC(gamma=0.05).fit(flat, labels), MLPClassifier((64,), max_iter=500,
                                                            random_state=0).fit(flat, labels)


def hidden_features(mlp, items):
    return np.maximum(items.reshape(len(items), -1) @ mlp.coefs_[0] + mlp.intercepts_[0], 0)


def per_class_samples(model, classes, n=100):
    wanted = np.repeat(classes, n)
    return model.sample(len(wanted), y=wanted, random_state=1), wanted


def test_samples_are_recognised_as_their_class(vaegan, classifiers):
    samples, wanted = per_class_samples(vaegan, vaegan.classes_)
    svc, _ = classifiers
    assert (svc.predict(samples.reshape(len(samples), -1)) == wanted).mean() > 0.9


def test_samples_vary_within_each_class(vaegan, digits):
    images, labels = digits
    samples, wanted = per_class_samples(vaegan, vaegan.classes_)
    for label in vaegan.classes_:
        ratio = (mean_pairwise_distance(samples[wanted == label])
                 / mean_pairwise_distance(images[labels == label]))
        assert ratio > 0.5, (label, ratio)


def test_samples_are_closer_to_real_digits_than_the_plain_vaes(vaegan, digits, classifiers):
    images, labels = digits
    cvae = VAEDetector(conditional=True, latent_dim=4, epochs=40, trim_fraction=0,
                       random_state=0).fit(images, labels)
    _, mlp = classifiers
    real = hidden_features(mlp, images)
    ours = frechet_distance(real, hidden_features(mlp, per_class_samples(vaegan, vaegan.classes_)[0]))
    plain = frechet_distance(real, hidden_features(mlp, per_class_samples(cvae, cvae.classes_)[0]))
    assert ours < 0.7 * plain, (ours, plain)


def test_transfer_redraws_items_as_the_target_class(vaegan, digits, classifiers):
    images, labels = digits
    ones = images[labels == "d1"][:50]
    svc, _ = classifiers
    redrawn = vaegan.transfer(ones, y_target="d7", y="d1")
    assert redrawn.shape == ones.shape
    assert (svc.predict(redrawn.reshape(len(redrawn), -1)) == "d7").mean() > 0.8


def test_history_and_epochs(vaegan):
    assert vaegan.n_epochs_ == vaegan.best_epoch_ == 40
    assert set(vaegan.history_) == {"vae_loss", "d_loss"}
    assert len(vaegan.history_["d_loss"]) == 40 and np.isfinite(vaegan.history_["vae_loss"]).all()
    assert vaegan.discriminator_.output_shape == (None, 1)


def test_saved_and_pickled_models_sample_and_score_the_same(vaegan, digits, tmp_path):
    images, labels = digits
    path = tmp_path / "vaegan.aeg"
    aeguard.save(vaegan, path)
    for copy in (aeguard.load(path), pickle.loads(pickle.dumps(vaegan))):
        assert type(copy) is VAEGAN and not hasattr(copy, "discriminator_")
        np.testing.assert_array_equal(copy.sample(4, y="d5", random_state=0),
                                      vaegan.sample(4, y="d5", random_state=0))
        np.testing.assert_array_equal(copy.score_samples(images[:20], labels[:20]),
                                      vaegan.score_samples(images[:20], labels[:20]))


def test_unconditional_rows(manifold_data):
    X_train, _, _ = manifold_data
    model = VAEGAN(epochs=5, random_state=0).fit(X_train)
    assert model.likelihood_ == "gaussian" and model.sample(3, random_state=0).shape == (3, 8)
    with pytest.raises(ValueError, match="fitted without class labels"):
        model.sample(2, y=1)


def test_trimming_is_refused(digits):
    images, labels = digits
    with pytest.raises(ValueError, match="'trim_fraction' parameter of VAEGAN"):
        VAEGAN(trim_fraction=0.2).fit(images, labels)
