"""free_nats: the KL term's floor, and the conditional VAE samples it makes vary."""

import numpy as np
import pytest
from sklearn.svm import SVC

from aeguard import VAEGAN, VAEDetector
from aeguard.metrics import mean_pairwise_distance
from aeguard.networks.vae import kl_term


def test_kl_term_counts_at_least_the_free_nats():
    kl = np.array([0.5, 1.5], dtype=np.float32)  # batch mean 1.0
    assert float(kl_term(kl, 2.0, 0.0)) == pytest.approx(2.0)
    assert float(kl_term(kl, 2.0, 3.0)) == pytest.approx(6.0)   # below the floor: the floor
    assert float(kl_term(kl, 2.0, 0.25)) == pytest.approx(2.0)  # above it: the KL itself


def test_free_nats_make_conditional_samples_vary(digits_images):
    """On 8x8 digits the free nats widen each class's samples; they stay of their class."""
    images, target = digits_images
    flat = images.reshape(len(images), -1)
    svc = SVC(gamma=0.05).fit(flat, target)
    wanted = np.repeat(np.arange(10), 60)
    spread, recognised = {}, {}
    for free_nats in (0.0, 4.0):
        vae = VAEDetector(conditional=True, latent_dim=4, epochs=40, free_nats=free_nats,
                          random_state=0).fit(images, target)
        samples = vae.sample(len(wanted), y=wanted, random_state=1)
        spread[free_nats] = np.mean([
            mean_pairwise_distance(samples[wanted == k]) / mean_pairwise_distance(images[target == k])
            for k in range(10)])
        recognised[free_nats] = np.mean(svc.predict(samples.reshape(len(samples), -1)) == wanted)
    assert spread[4.0] > 1.4 * spread[0.0], spread
    assert recognised[4.0] > 0.9, recognised


@pytest.mark.parametrize("bad", [-1.0, "a lot"])
def test_bad_free_nats(bad, digits_images):
    images, _ = digits_images
    with pytest.raises((ValueError, TypeError), match="free_nats"):
        VAEDetector(free_nats=bad, epochs=1).fit(images[:20])


def test_vaegan_takes_free_nats(digits_images):
    images, target = digits_images
    model = VAEGAN(conditional=True, latent_dim=4, epochs=1, free_nats=2.0, random_state=0)
    assert model.fit(images[:64], target[:64]).sample(3, y=target[0]).shape == (3, 8, 8)
