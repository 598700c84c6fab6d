"""Denoising MNIST: the seeds' denoising autoencoder, as a U-Net Denoiser.

Adds Gaussian noise (sigma ``--sigma``, clipped to [0, 1]) to MNIST digits, trains a
``Denoiser`` supervised on (noisy, clean) training pairs, as the seeds'
``denoise_AE.fit(noisy, clean)`` did, reports the PSNR and SSIM of the noisy and the
denoised test images, and saves a grid of noisy / denoised / clean digits.

Run from the repository root (about 3 minutes on 2 CPU cores with the defaults)::

    python examples/mnist_denoise.py ../shared/data/mnist
    python examples/mnist_denoise.py ../shared/data/mnist --sigma 0.5 --out denoised.png
"""

import argparse
from pathlib import Path

import numpy as np

from aeguard import Denoiser
from aeguard.datasets import load_mnist
from aeguard.metrics import psnr, ssim
from aeguard.plotting import plot_image_rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mnist", type=Path, help="folder with the four MNIST IDX files")
    parser.add_argument("--sigma", type=float, default=0.3)
    parser.add_argument("--train-size", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("mnist_denoise.png"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    train = load_mnist(args.mnist, "train")[0][: args.train_size] / 255.0
    test = load_mnist(args.mnist, "test")[0] / 255.0

    def noisy(images):
        return np.clip(images + rng.normal(scale=args.sigma, size=images.shape), 0, 1)

    denoiser = Denoiser(epochs=args.epochs, random_state=args.seed, verbose=1)
    denoiser.fit(noisy(train), train)
    noisy_test = noisy(test)
    cleaned = denoiser.transform(noisy_test)
    for name, images in (("noisy", noisy_test), ("denoised", cleaned)):
        print(f"{name:9s} PSNR {psnr(test, images, data_range=1.0):6.2f} dB   "
              f"SSIM {ssim(test, images, data_range=1.0):.4f}")

    figure = plot_image_rows({"noisy": noisy_test[:10], "denoised": cleaned[:10],
                              "clean": test[:10]},
                             title=f"Gaussian noise, sigma {args.sigma:g}")
    figure.savefig(args.out, dpi=100)
    print(f"figure written to {args.out}")


if __name__ == "__main__":
    main()
