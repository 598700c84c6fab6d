"""Loaders for data sets kept on local disk. Nothing here downloads anything."""

import gzip
from pathlib import Path

import numpy as np

#: File names of the MNIST splits, as distributed (gzipped IDX).
MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels).
_IMAGES_MAGIC, _LABELS_MAGIC = 2051, 2049


def load_mnist(path, split="train"):
    """Read an MNIST split from the original IDX files in folder ``path``.

    Parameters
    ----------
    path : str or path-like
        Folder holding ``train-images-idx3-ubyte.gz`` and the other three
        files (gzipped or not).
    split : {"train", "test"}, default="train"
        The 60,000 training or the 10,000 test images.

    Returns
    -------
    images : ndarray of uint8, shape (n, 28, 28)
        Pixel values 0-255.
    labels : ndarray of uint8, shape (n,)
        Digits 0-9.

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message names the folder and the file.
    ValueError
        If a file is not an IDX file of the expected kind, or the two files
        disagree on the number of items.

    Examples
    --------
    >>> from aeguard.datasets import load_mnist
    >>> images, labels = load_mnist("../shared/data/mnist", "test")  # doctest: +SKIP
    >>> images.shape, labels.shape  # doctest: +SKIP
    ((10000, 28, 28), (10000,))
    """
    if split not in MNIST_FILES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}.")
    folder = Path(path)
    images_name, labels_name = MNIST_FILES[split]
    images = _read_idx(_find(folder, images_name), _IMAGES_MAGIC)
    labels = _read_idx(_find(folder, labels_name), _LABELS_MAGIC)
    if len(images) != len(labels):
        raise ValueError(
            f"{folder}: {images_name} holds {len(images)} images but {labels_name} "
            f"holds {len(labels)} labels."
        )
    return images, labels


def _find(folder, name):
    for candidate in (folder / name, folder / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(
        f"No MNIST file {name!r} in {str(folder)!r}. Point to the folder holding the four "
        "IDX files (train-images-idx3-ubyte.gz, ...)."
    )


def _read_idx(file, magic):
    opener = gzip.open if file.suffix == ".gz" else open
    try:
        with opener(file, "rb") as handle:
            data = handle.read()
    except OSError as err:  # e.g. a file named .gz that is not gzipped
        raise ValueError(f"{file} is not a readable IDX file ({err}).") from err
    n_dims = 3 if magic == _IMAGES_MAGIC else 1
    header = 4 + 4 * n_dims
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        raise ValueError(f"{file} is not an IDX file of {'images' if n_dims == 3 else 'labels'}.")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"{file} is truncated or damaged: {len(data)} bytes, expected {expected}.")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
