"""Local MNIST loader, on small IDX files written here."""

import gzip

import numpy as np
import pytest

from aeguard.datasets import load_mnist


def write_idx(path, magic, array, *, compress=True, cut=0):
    header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    data = (header + array.astype(np.uint8).tobytes())[: len(header) + array.size - cut]
    (gzip.open if compress else open)(path, "wb").write(data)


@pytest.fixture
def mnist_folder(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 28, 28))
    labels = rng.integers(0, 10, size=5)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 2051, images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", 2049, labels)
    # The training split uncompressed: both forms are read.
    write_idx(tmp_path / "train-images-idx3-ubyte", 2051, images[:3], compress=False)
    write_idx(tmp_path / "train-labels-idx1-ubyte", 2049, labels[:3], compress=False)
    return tmp_path, images, labels


def test_load_both_splits(mnist_folder):
    folder, images, labels = mnist_folder
    X, y = load_mnist(folder, "test")
    assert X.dtype == np.uint8 and X.shape == (5, 28, 28)
    assert np.array_equal(X, images) and np.array_equal(y, labels)
    X, y = load_mnist(str(folder))
    assert np.array_equal(X, images[:3]) and np.array_equal(y, labels[:3])


def test_missing_file_names_folder_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        load_mnist(tmp_path)


def test_bad_files_are_reported(mnist_folder):
    folder, images, labels = mnist_folder
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", 2049, labels[:4])
    with pytest.raises(ValueError, match="holds 5 images but .* holds 4 labels"):
        load_mnist(folder, "test")
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", 2051, labels)
    with pytest.raises(ValueError, match="not an IDX file of labels"):
        load_mnist(folder, "test")
    write_idx(folder / "t10k-images-idx3-ubyte.gz", 2051, images, cut=10)
    with pytest.raises(ValueError, match="truncated"):
        load_mnist(folder, "test")
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="not a readable IDX file"):
        load_mnist(folder, "test")
    with pytest.raises(ValueError, match="split must be"):
        load_mnist(folder, "validation")
