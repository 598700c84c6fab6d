"""Denoiser: supervised and self-supervised denoising of images and rows; PSNR and SSIM."""

import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

import aeguard
from aeguard import Denoiser
from aeguard.metrics import psnr, ssim


def mse(a, b):
    return float(np.mean((np.asarray(a, dtype=np.float64) - b) ** 2))


@pytest.fixture(scope="module")
def noisy_digits(digits_images):
    images, target = digits_images
    rng = np.random.default_rng(0)
    noisy = np.clip(images + 0.25 * rng.normal(size=images.shape), 0, 1).astype(np.float32)
    return images, noisy, target


@pytest.fixture(scope="module")
def supervised_images(noisy_digits):
    clean, noisy, _ = noisy_digits
    return Denoiser(epochs=15, random_state=0).fit(noisy[:1500], clean[:1500])


def plane_rows(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 2)) @ np.array([[1.0, 0.5, -1.0, 2.0, 0.3, -0.7],
                                               [0.2, -1.5, 0.8, 0.1, 1.2, 0.9]])


# ------------------------------------------------------------------ learning
def test_supervised_denoising_of_images(supervised_images, noisy_digits):
    clean, noisy, _ = noisy_digits
    denoised = supervised_images.transform(noisy[1500:])
    assert supervised_images.architecture_ == "conv2d" and supervised_images.supervised_
    assert denoised.shape == noisy[1500:].shape and denoised.dtype == np.float32
    assert mse(denoised, clean[1500:]) < 0.5 * mse(noisy[1500:], clean[1500:])
    assert ssim(clean[1500:], denoised, data_range=1.0, win_size=3) > ssim(
        clean[1500:], noisy[1500:], data_range=1.0, win_size=3)


@pytest.mark.parametrize("noise, level", [("gaussian", 0.25), ("salt_pepper", 0.1), ("mask", 0.2)])
def test_self_supervised_denoising_of_images(digits_images, noise, level):
    images, _ = digits_images
    den = Denoiser(noise=noise, noise_level=level, epochs=15, random_state=0).fit(images[:1500])
    assert not den.supervised_
    # Corrupt held-out digits the way training did.
    noisy = den._corrupt(images[1500:, ..., None], np.random.default_rng(1))[..., 0]
    assert mse(den.transform(noisy), images[1500:]) < 0.6 * mse(noisy, images[1500:])


def test_supervised_denoising_of_rows():
    clean = plane_rows(2000, 0)
    rng = np.random.default_rng(1)
    noisy = clean + 0.3 * rng.normal(size=clean.shape)
    den = Denoiser(random_state=0).fit(noisy[:1500], clean[:1500])
    assert den.architecture_ == "dense"
    assert mse(den.transform(noisy[1500:]), clean[1500:]) < 0.5 * mse(noisy[1500:], clean[1500:])


def test_self_supervised_denoising_of_rows():
    clean = plane_rows(2000, 0)
    den = Denoiser(noise_level=0.3, random_state=0).fit(clean[:1500])
    # Noise of 0.3 standard deviations per column: what the fit injected.
    rng = np.random.default_rng(1)
    noisy = clean[1500:] + 0.3 * clean[:1500].std(axis=0) * rng.normal(size=(500, 6))
    assert mse(den.transform(noisy), clean[1500:]) < 0.6 * mse(noisy, clean[1500:])


# ----------------------------------------------------------------- contracts
def test_output_keeps_the_input_scale_and_range(noisy_digits):
    clean, noisy, _ = noisy_digits
    den = Denoiser(epochs=3, random_state=0).fit(noisy[:500] * 255, clean[:500] * 255)
    out = den.transform(noisy[500:600] * 255)
    assert den.data_range_ == (0.0, 255.0)
    assert out.min() >= 0 and out.max() <= 255 and out.max() > 50
    assert den.transform(noisy[:3].astype(np.float64)).dtype == np.float64


def test_score_is_the_mean_psnr(supervised_images, noisy_digits):
    clean, noisy, _ = noisy_digits
    expected = psnr(clean[1500:], supervised_images.transform(noisy[1500:]), data_range=1.0)
    assert supervised_images.score(noisy[1500:], clean[1500:]) == pytest.approx(expected)
    assert expected > psnr(clean[1500:], noisy[1500:], data_range=1.0) + 3
    with pytest.raises(ValueError, match="must have X's shape"):
        supervised_images.score(noisy[1500:], np.zeros(len(noisy) - 1500))


def test_grid_search_tunes_by_psnr(noisy_digits):
    clean, noisy, _ = noisy_digits
    search = GridSearchCV(Denoiser(epochs=2, random_state=0), {"filters": [(4, 8), (16, 32)]}, cv=2)
    search.fit(noisy[:400], clean[:400])
    assert search.best_params_ == {"filters": (16, 32)}  # the bigger net denoises better
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_pipeline_cleans_before_a_classifier(noisy_digits):
    clean, noisy, target = noisy_digits
    flat = noisy.reshape(len(noisy), -1)
    pipe = make_pipeline(Denoiser(noise_level=0.2, epochs=20, random_state=0),
                         LogisticRegression(max_iter=500))
    pipe.fit(flat[:1200], target[:1200])  # the labels reach Denoiser.fit: self-supervised
    assert not pipe[0].supervised_
    assert pipe.score(flat[1200:], target[1200:]) > 0.7  # chance is 0.1


def test_chunked_and_reloaded_models_denoise_identically(supervised_images, noisy_digits, tmp_path):
    X = noisy_digits[1][:300]
    whole = supervised_images.transform(X)
    parts = np.concatenate([supervised_images.transform(X[i : i + 70]) for i in range(0, 300, 70)])
    # To float32 rounding: kernels may round differently in a batch of another size.
    np.testing.assert_allclose(whole, parts, rtol=1e-5, atol=1e-6)
    aeguard.save(supervised_images, tmp_path / "den.aeg")
    for copy in (aeguard.load(tmp_path / "den.aeg"), pickle.loads(pickle.dumps(supervised_images))):
        np.testing.assert_array_equal(copy.transform(X), whole)


def test_bad_targets_and_parameters(noisy_digits):
    clean, noisy, _ = noisy_digits
    with pytest.raises(ValueError, match="y must hold the clean version of each sample"):
        Denoiser(epochs=1).fit(noisy[:100], clean[:99])
    with pytest.raises(ValueError, match="'noise' parameter"):
        Denoiser(noise="poisson").fit(clean[:100])
    with pytest.raises(ValueError, match="'noise_level' parameter"):
        Denoiser(noise_level=-0.1).fit(clean[:100])


# ------------------------------------------------------------------- metrics
def test_psnr_and_ssim_values():
    rng = np.random.default_rng(0)
    clean = rng.uniform(size=(4, 16, 16))
    assert psnr(clean, clean + 0.1, data_range=1.0) == pytest.approx(20.0)
    assert psnr(clean, clean, data_range=1.0) == 100.0
    assert ssim(clean, clean) == 1.0
    noisy = np.clip(clean + 0.3 * rng.normal(size=clean.shape), 0, 1)
    mild = np.clip(clean + 0.05 * rng.normal(size=clean.shape), 0, 1)
    assert ssim(clean, noisy, data_range=1.0) < ssim(clean, mild, data_range=1.0) < 1.0
    # Rows have a PSNR too (each row is a sample).
    rows = rng.normal(size=(10, 5))
    assert psnr(rows, rows + 0.01) > psnr(rows, rows + 0.1)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: psnr(np.zeros((2, 3)), np.zeros((2, 4))), "X_true has shape"),
        (lambda: psnr(np.zeros(3), np.zeros(3)), "a batch of samples"),
        (lambda: psnr(np.zeros((2, 3)), np.ones((2, 3))), "data_range must be positive"),
        (lambda: ssim(np.zeros((2, 5)), np.zeros((2, 5))), "ssim needs images"),
        (lambda: ssim(np.ones((2, 5, 5)), np.ones((2, 5, 5)), win_size=7), "win_size"),
    ],
)
def test_metric_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
