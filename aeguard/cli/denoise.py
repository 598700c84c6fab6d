"""``aeguard denoise``: clean images or rows with a saved Denoiser, or one trained on the input."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from ._common import SEED_RANGE, check_writable, load_model, start_backend
from .errors import InputError


def denoise(
    input: Annotated[
        Path,
        typer.Argument(metavar="INPUT", help="A .npy array of images or rows, a folder of "
                       "images, or a .csv file of rows.", show_default=False),
    ],
    *,
    model: Annotated[
        Optional[Path],
        typer.Option("--model", "-m", help="A Denoiser saved with aeguard.save (or "
                     "--save-model).", show_default=False),
    ] = None,
    fit: Annotated[
        bool, typer.Option("--fit", metavar="", help="Train a Denoiser on the input itself (self-supervised: "
                           "it learns to undo --noise injected into the input).")
    ] = False,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Where to write: a .npy or .csv like the input, or a "
                     "folder of PNG files for a folder of images. Default: INPUT.denoised.npy "
                     "(.csv), or INPUT_denoised/.", show_default=False),
    ] = None,
    noise: Annotated[
        str, typer.Option("--noise", help="With --fit: gaussian, salt_pepper or mask.")
    ] = "gaussian",
    noise_level: Annotated[
        float, typer.Option("--noise-level", min=0, help="With --fit: the noise's standard deviation "
                            "(gaussian; in [0, 1] units for images, standard deviations for rows) "
                            "or the fraction of values hit.")
    ] = 0.2,
    epochs: Annotated[
        Optional[int], typer.Option("--epochs", min=1, help="With --fit: maximum training epochs.",
                                    show_default=False)
    ] = None,
    seed: Annotated[
        Optional[int], typer.Option("--seed", **SEED_RANGE, help="With --fit: seed for reproducible results.",
                                    show_default=False)
    ] = None,
    save_model: Annotated[
        Optional[Path], typer.Option("--save-model", help="With --fit: save the trained "
                                     "Denoiser here.", show_default=False)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace existing outputs.", metavar="")] = False,
):
    """Denoise images or rows with a saved Denoiser (--model) or one trained on them (--fit)."""
    from .items import check_output, default_output, read_items, read_new_items, write_items

    if (model is None) == (not fit):
        raise InputError("give either --model MODEL (a saved Denoiser) or --fit")
    if model is not None:
        for name, given in (("--epochs", epochs), ("--seed", seed), ("--save-model", save_model)):
            if given is not None:
                raise InputError(f"{name} needs --fit; a saved model is used as it is")
    if save_model is not None:
        check_writable(save_model, force=force, option="--save-model")
    if model is not None:
        denoiser = load_model(model)
        if type(denoiser).__name__ != "Denoiser":
            raise InputError(f"{str(model)!r} holds a {type(denoiser).__name__}; aeguard "
                             "denoise needs a Denoiser")
        items = read_items(input, denoiser)
    else:
        items = read_new_items(input)
    output = output if output is not None else default_output(input, items.kind)
    if output.resolve() == input.resolve():
        raise InputError("--output is the input; choose another name")
    check_output(output, items.kind, force=force)
    if fit:
        from ..estimators.denoise import Denoiser

        start_backend()
        denoiser = Denoiser(noise=noise, noise_level=noise_level,
                            epochs=epochs if epochs is not None else "auto",
                            random_state=seed).fit(items.X)
        if save_model is not None:
            from ..persistence import save

            save(denoiser, save_model)
    write_items(output, items, denoiser.transform(items.X))
    typer.echo(f"denoised {len(items.names)} items; wrote {output}")
