"""``aeguard denoise``: .npy arrays, folders of images and CSV rows, --fit or --model."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import aeguard
from aeguard import AEDetector
from aeguard.cli import app

from .helpers import assert_user_error, runner


@pytest.fixture(scope="module")
def data(tmp_path_factory, digits_images):
    folder = tmp_path_factory.mktemp("denoise")
    images, _ = digits_images
    rng = np.random.default_rng(0)
    noisy = np.clip(images + 0.2 * rng.normal(size=images.shape), 0, 1).astype(np.float32)
    np.save(folder / "noisy.npy", noisy)
    (folder / "png").mkdir()
    for i, image in enumerate(noisy[:40]):
        Image.fromarray(np.round(image * 255).astype(np.uint8)).save(folder / "png" / f"d{i:02d}.png")
    return folder, images, noisy


@pytest.fixture(scope="module")
def fitted(data):
    """One self-supervised fit on the noisy array, its model saved."""
    folder, _, _ = data
    result = runner.invoke(app, ["denoise", str(folder / "noisy.npy"), "--fit", "--epochs", "15",
                                 "--seed", "0", "--save-model", str(folder / "den.aeg")])
    return result, folder / "den.aeg"


def test_fit_on_an_array_of_images(data, fitted):
    folder, clean, noisy = data
    result, _ = fitted
    assert result.exit_code == 0, result.output
    out = np.load(folder / "noisy.denoised.npy")
    assert out.shape == noisy.shape
    assert np.mean((out - clean) ** 2) < 0.7 * np.mean((noisy - clean) ** 2)
    assert f"denoised {len(noisy)} items" in result.stdout


def test_a_saved_model_cleans_a_folder_of_images(data, fitted, tmp_path):
    folder, _, noisy = data
    _, model = fitted
    out = tmp_path / "clean"
    result = runner.invoke(app, ["denoise", str(folder / "png"), "-m", str(model), "-o", str(out)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == [f"d{i:02d}.png" for i in range(40)]
    written = np.stack([np.asarray(Image.open(out / f)) for f in files]) / 255.0
    expected = aeguard.load(model).transform(np.round(noisy[:40] * 255) / 255.0)
    assert np.abs(written - expected).max() <= 0.5 / 255 + 1e-6  # 8-bit rounding only


def test_fit_on_csv_rows_keeps_other_columns(tmp_path, manifold_data):
    X_train, _, _ = manifold_data
    frame = pd.DataFrame(X_train, columns=[f"s{i}" for i in range(8)])
    frame.insert(0, "id", [f"r{i}" for i in range(len(frame))])
    frame.to_csv(tmp_path / "rows.csv", index=False)
    result = runner.invoke(app, ["denoise", str(tmp_path / "rows.csv"), "--fit", "--epochs", "5",
                                 "--seed", "0"])
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "rows.denoised.csv")
    assert list(out.columns) == list(frame.columns)
    assert out["id"].tolist() == frame["id"].tolist()
    assert not np.allclose(out["s0"], frame["s0"])


@pytest.mark.parametrize(
    "args, fragments",
    [
        ([], ["give either --model MODEL"]),
        (["--fit", "-m", "den.aeg"], ["give either --model MODEL"]),
        (["-m", "ae.aeg"], ["holds a AEDetector", "needs a Denoiser"]),
        (["-m", "den.aeg", "--epochs", "3"], ["--epochs needs --fit"]),
        (["--fit", "-o", "out.csv"], ["--output must end in .npy"]),
        (["--fit", "--epochs", "0"], ["--epochs", "greater than or equal to 1"]),
        (["--fit", "--noise", "speckle", "-o", "out.npy"],
         ["'noise' parameter of Denoiser must be one of 'gaussian', 'salt_pepper', 'mask'"]),
        (["--fit", "--noise-level", "-1"], ["--noise-level", "greater than or equal to 0"]),
        (["-m", "missing.aeg"], ["no model file"]),
    ],
)
def test_denoise_user_errors(data, fitted, manifold_data, tmp_path, args, fragments):
    folder, _, _ = data
    X_train, _, _ = manifold_data
    aeguard.save(AEDetector(epochs=1, random_state=0).fit(X_train), tmp_path / "ae.aeg")
    (tmp_path / "den.aeg").write_bytes(fitted[1].read_bytes())
    args = [str(tmp_path / a) if a.endswith((".aeg", ".csv", ".npy")) else a for a in args]
    result = runner.invoke(app, ["denoise", str(folder / "noisy.npy"), *args])
    assert_user_error(result, *fragments)


def test_denoise_keeps_existing_outputs(data, tmp_path):
    folder, _, _ = data
    out = tmp_path / "out.npy"
    out.write_bytes(b"mine")
    result = runner.invoke(app, ["denoise", str(folder / "noisy.npy"), "--fit", "-o", str(out)])
    assert_user_error(result, "exists; use --force")
    assert out.read_bytes() == b"mine"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.png").write_bytes(b"mine")
    result = runner.invoke(app, ["denoise", str(folder / "png"), "--fit", "-o",
                                 str(tmp_path / "full")])
    assert_user_error(result, "is not empty; use --force")
