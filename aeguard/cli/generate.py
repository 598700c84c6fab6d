"""``aeguard generate``: new samples from a saved generative model (a VAE or a GAN)."""

import math
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from ._common import FIGURE_SUFFIXES, SEED_RANGE, check_writable, load_model, write_figure
from .errors import InputError

#: Output suffixes besides figures (image models): arrays and rows (any model).
ARRAY_SUFFIXES = (".npy", ".csv")


def generate(
    model: Annotated[
        Path,
        typer.Argument(metavar="MODEL", help="A VAEDetector, VAEGAN or GANGenerator saved with aeguard.save.", show_default=False),
    ],
    *,
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o",
            help="Where to write the samples: a grid of images (.png, .svg, .pdf; image "
            "models), a NumPy array (.npy) or table rows (.csv; tabular models).",
            show_default=False,
        ),
    ],
    n: Annotated[int, typer.Option("--n", "-n", min=1, help="Number of samples.")] = 64,
    label: Annotated[
        Optional[str],
        typer.Option(
            "--label",
            help="Conditional model: the class to generate (as printed in the model's classes). "
            "Default: classes drawn at random.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        Optional[int],
        typer.Option("--seed", **SEED_RANGE, help="Seed of the draws: the same samples every time.",
                     show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output.", metavar="")] = False,
):
    """Generate new samples from a saved VAE or GAN: run its decoder or generator on random codes."""
    suffix = output.suffix.lower()
    if suffix not in FIGURE_SUFFIXES + ARRAY_SUFFIXES:
        raise InputError(
            f"--output must end in {', '.join(FIGURE_SUFFIXES + ARRAY_SUFFIXES)}; "
            f"got {output.name!r}"
        )
    check_writable(output, force=force, option="--output")
    vae = load_model(model)
    if not hasattr(vae, "sample"):
        raise InputError(
            f"{str(model)!r} holds a {type(vae).__name__}; aeguard generate needs a "
            "VAEDetector or a GANGenerator"
        )
    y = _label_value(vae, label)
    is_image = len(vae.input_shape_) > 1
    if suffix in FIGURE_SUFFIXES and not is_image:
        raise InputError("a figure needs a model of images; write .npy or .csv instead")
    if suffix == ".csv" and is_image:
        raise InputError("a .csv holds table rows; write images to .npy or a figure")
    samples = vae.sample(n, y=y, random_state=seed)
    _write(samples, vae, output, suffix, label)
    typer.echo(f"wrote {n} samples to {output}")


def _label_value(vae, label):
    """The class of ``vae.classes_`` written ``label`` on the command line."""
    if label is None:
        return None
    if not hasattr(vae, "classes_"):  # only a conditional model has classes
        raise InputError("--label needs a conditional model; this one was fitted without labels")
    matches = [c for c in vae.classes_.tolist() if str(c) == label]
    if not matches:
        known = ", ".join(str(c) for c in vae.classes_.tolist())
        raise InputError(f"unknown --label {label!r}; the model's classes are {known}")
    return matches[0]


def _write(samples, vae, output, suffix, label):
    from .._files import atomic_write

    if suffix == ".npy":
        atomic_write(output, lambda f: np.save(f, samples, allow_pickle=False))
    elif suffix == ".csv":
        import pandas as pd

        names = getattr(vae, "feature_names_in_", None)
        columns = [str(c) for c in names] if names is not None else None
        frame = pd.DataFrame(samples, columns=columns)
        atomic_write(output, lambda f: frame.to_csv(f, index=False), mode="w")
    else:
        from ..plotting import plot_image_grid

        title = f"{len(samples)} samples" + (f" of class {label}" if label is not None else "")
        figure = plot_image_grid(samples, n_cols=math.ceil(math.sqrt(len(samples))), title=title)
        write_figure(figure, output, dpi=110)
