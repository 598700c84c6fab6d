"""Content-based image retrieval on MNIST: nearest neighbours in an autoencoder's latent space.

Fits a convolutional ``AEDetector`` on the 60,000 MNIST training images, which become the
gallery (the training data is the gallery by default), queries it with test images, prints
the precision of the 10 nearest neighbours (the share showing the query's digit) and saves
a figure of the first queries beside their neighbours.

Run from the repository root (a few minutes on 2 CPU cores)::

    python examples/mnist_retrieval.py ../shared/data/mnist
    python examples/mnist_retrieval.py ../shared/data/mnist --epochs 10 --out neighbours.png
"""

import argparse
from pathlib import Path

import numpy as np

from aeguard import AEDetector
from aeguard.datasets import load_mnist
from aeguard.plotting import plot_neighbors


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mnist", type=Path, help="folder with the four MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--queries", type=int, default=1000, help="test images to look up")
    parser.add_argument("--out", type=Path, default=Path("mnist_neighbours.png"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train, train_labels = load_mnist(args.mnist, "train")
    test, test_labels = load_mnist(args.mnist, "test")
    gallery, queries = train / 255.0, test[: args.queries] / 255.0

    detector = AEDetector(latent_dim=32, epochs=args.epochs, trim_fraction=0,
                          random_state=args.seed, verbose=1).fit(gallery)
    # backend="auto" uses faiss (pip install "aeguard[fast]") for this 60,000-image gallery.
    detector.index(metric="euclidean", backend="auto")
    distances, indices = detector.kneighbors(queries, n_neighbors=10)
    same_digit = train_labels[indices] == test_labels[: args.queries, None]
    print(f"precision@10 over {args.queries} queries: {same_digit.mean():.3f}")

    figure = plot_neighbors(queries[:8], gallery[indices[:8]], distances[:8],
                            query_names=[f"digit {d}" for d in test_labels[:8]],
                            title="test digits and their 10 nearest training images")
    figure.savefig(args.out, dpi=100)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
