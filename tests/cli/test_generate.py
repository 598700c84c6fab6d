"""``aeguard generate``: samples from a saved VAE, as images, arrays or rows."""

import numpy as np
import pandas as pd
import pytest

import aeguard
from aeguard import AEDetector, GANGenerator, VAEDetector
from aeguard.cli import app

from .helpers import assert_user_error, runner


@pytest.fixture(scope="module")
def models(tmp_path_factory, digits_images, manifold_data):
    """Saved models: a conditional image VAE, a tabular VAE, an AEDetector, a conditional GAN."""
    folder = tmp_path_factory.mktemp("models")
    images, target = digits_images
    cvae = VAEDetector(conditional=True, latent_dim=4, epochs=15, trim_fraction=0, random_state=0)
    aeguard.save(cvae.fit(images, target), folder / "cvae.aeg")
    X_train, _, _ = manifold_data
    frame = pd.DataFrame(X_train, columns=[f"s{i}" for i in range(X_train.shape[1])])
    aeguard.save(VAEDetector(epochs=5, random_state=0).fit(frame), folder / "rows.aeg")
    aeguard.save(AEDetector(epochs=2, random_state=0).fit(X_train), folder / "ae.aeg")
    gan = GANGenerator(architecture="dense", epochs=70, random_state=0)
    aeguard.save(gan.fit(images, target), folder / "cgan.aeg")
    return folder


def test_generate_a_png_grid(models, tmp_path):
    out = tmp_path / "grid.png"
    result = runner.invoke(app, ["generate", str(models / "cvae.aeg"), "--n", "16", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote 16 samples to {out}" in result.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_generate_an_array_of_one_class(models, tmp_path, digits_images):
    images, target = digits_images
    out = tmp_path / "sevens.npy"
    args = ["generate", str(models / "cvae.aeg"), "--n", "40", "--label", "7", "--seed", "3",
            "-o", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    samples = np.load(out)
    assert samples.shape == (40, 8, 8)
    assert samples.min() >= 0 and samples.max() <= 1
    means = np.stack([images[target == k].mean(axis=0) for k in range(10)])
    nearest = ((samples[:, None] - means[None]) ** 2).sum(axis=(2, 3)).argmin(axis=1)
    assert np.mean(nearest == 7) >= 0.8
    # The same seed gives the same samples.
    again = tmp_path / "again.npy"
    assert runner.invoke(app, args[:-1] + [str(again)]).exit_code == 0
    assert np.array_equal(np.load(again), samples)


def test_generate_from_a_conditional_gan(models, tmp_path, digits_images):
    images, target = digits_images
    out = tmp_path / "threes.npy"
    args = ["generate", str(models / "cgan.aeg"), "--n", "40", "--label", "3", "--seed", "0",
            "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    samples = np.load(out)
    assert samples.shape == (40, 8, 8)
    means = np.stack([images[target == k].mean(axis=0) for k in range(10)])
    nearest = ((samples[:, None] - means[None]) ** 2).sum(axis=(2, 3)).argmin(axis=1)
    assert np.mean(nearest == 3) >= 0.8
    grid = tmp_path / "grid.png"
    assert runner.invoke(app, ["generate", str(models / "cgan.aeg"), "-o", str(grid)]).exit_code == 0
    assert grid.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_generate_rows_keep_the_column_names(models, tmp_path):
    out = tmp_path / "rows.csv"
    result = runner.invoke(app, ["generate", str(models / "rows.aeg"), "--n", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = pd.read_csv(out)
    assert list(rows.columns) == [f"s{i}" for i in range(8)] and len(rows) == 5


def test_generate_keeps_an_existing_output(models, tmp_path):
    out = tmp_path / "grid.npy"
    out.write_bytes(b"mine")
    result = runner.invoke(app, ["generate", str(models / "cvae.aeg"), "-o", str(out)])
    assert_user_error(result, "exists; use --force")
    assert out.read_bytes() == b"mine"
    result = runner.invoke(app, ["generate", str(models / "cvae.aeg"), "-o", str(out), "--force"])
    assert result.exit_code == 0 and np.load(out).shape == (64, 8, 8)


@pytest.mark.parametrize(
    "model, extra, fragments",
    [
        ("cvae.aeg", ["--label", "12"], ["unknown --label '12'", "0, 1, 2"]),
        ("rows.aeg", ["--label", "1"], ["--label needs a conditional model"]),
        ("ae.aeg", [], ["holds a AEDetector", "needs a VAEDetector or a GANGenerator"]),
        ("missing.aeg", [], ["no model file"]),
        ("cvae.aeg", ["--n", "0"], ["--n", "greater than or equal to 1"]),
        ("cvae.aeg", ["--seed", "-1"], ["--seed", "greater than or equal to 0"]),
    ],
)
def test_generate_user_errors(models, tmp_path, model, extra, fragments):
    out = tmp_path / "out.npy"
    result = runner.invoke(app, ["generate", str(models / model), "-o", str(out), *extra])
    assert_user_error(result, *fragments)
    assert not out.exists()


@pytest.mark.parametrize(
    "model, name, fragment",
    [
        ("cvae.aeg", "out.txt", "--output must end in"),
        ("cvae.aeg", "out.csv", "a .csv holds table rows"),
        ("rows.aeg", "out.png", "a figure needs a model of images"),
    ],
)
def test_generate_rejects_an_unsuitable_output(models, tmp_path, model, name, fragment):
    result = runner.invoke(app, ["generate", str(models / model), "-o", str(tmp_path / name)])
    assert_user_error(result, fragment)
