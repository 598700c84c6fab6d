"""Collections of items named on the command line: .npy arrays, folders of images, CSV rows.

Shared by the commands that take items rather than a sensor series
(``aeguard retrieve``, ``aeguard denoise``).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._files import atomic_write
from ._common import check_writable
from .errors import InputError
from .tables import check_finite, read_table, select_features

#: Image files read from a folder (by Pillow, which matplotlib requires).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")


@dataclass
class Items:
    """Items read from a file or folder, with what is needed to write results the same way.

    Attributes
    ----------
    X : ndarray or DataFrame
        The items.
    names : list of str
        One name per item: the file name (folders) or the 0-based position.
    kind : {"npy", "images", "csv"}
        Where they came from.
    pixel_scale : float
        Folders of images: what 8-bit pixel values were divided by (255 or 1).
    table, features : Table and list of str, or None
        CSV files: the parsed file and its feature columns.
    """

    X: object
    names: list
    kind: str
    pixel_scale: float = 1.0
    table: object = None
    features: list = None


def read_items(path, model):
    """Read the items in ``path`` in the form ``model`` was fitted on.

    Parameters
    ----------
    path : Path
        A ``.npy`` array (one item per first-axis entry), a folder of image
        files (read in name order), or a ``.csv`` file of rows.
    model : fitted estimator
        Its ``input_shape_`` says whether items are images; its
        ``feature_names_in_`` (if any) picks a CSV's columns; its scaler says
        whether 8-bit image files are divided by 255 (a model fitted on
        values within [0, 1]).

    Returns
    -------
    items : Items
        ``items.X`` is ready for the model (a DataFrame of the model's
        columns for a CSV file and a model fitted with column names).
    """
    return _read(path, model)


def read_new_items(path):
    """Read items for a model still to be fitted: arrays and images as they are, CSV numeric columns.

    Images from a folder keep their 8-bit values (0-255); the model learns
    that scale.
    """
    return _read(path, None)


def _read(path, model):
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file or folder: {str(path)!r}")
    images = None if model is None else len(model.input_shape_) > 1
    if path.is_dir():
        if images is False:
            raise InputError(f"{str(path)!r} is a folder, but the model takes table rows; give a "
                             ".csv or .npy file")
        return _read_image_folder(path, model)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            X = np.load(path, allow_pickle=False)
        except ValueError as err:
            raise InputError(f"cannot read {str(path)!r} as a NumPy array: {err}") from None
        if X.ndim < 2:
            raise InputError(f"{str(path)!r} holds an array of shape {X.shape}; items need at "
                             "least two axes (n_items, ...)")
        return Items(X, [str(i) for i in range(len(X))], "npy")
    if suffix == ".csv":
        if images:
            raise InputError(f"the model takes images of shape {model.input_shape_}; give a .npy "
                             "array or a folder of images, not a CSV file")
        table = read_table(path)
        names = getattr(model, "feature_names_in_", None)
        required = None if names is None else [str(n) for n in names]
        selection = select_features(table.frame, required=required)
        check_finite(table.frame, selection.features)
        X = table.frame[selection.features].astype(np.float64)  # keeps the names the model knows
        if model is not None and required is None:
            X = X.to_numpy()
            if X.shape[1] != model.n_features_in_:
                raise InputError(f"{str(path)!r} has {X.shape[1]} numeric columns; the model "
                                 f"takes {model.n_features_in_}")
        return Items(X, [str(i) for i in range(len(X))], "csv", table=table,
                     features=selection.features)
    raise InputError(f"{str(path)!r}: give a .npy array, a folder of images or a .csv file")


def _read_image_folder(folder, model):
    from PIL import Image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {str(folder)!r}")
    if model is None:
        colour = None  # as the files are: grey stays grey, colour becomes RGB
    else:
        colour = len(model.input_shape_) == 3 and model.input_shape_[2] == 3
    arrays = []
    for file in files:
        try:
            with Image.open(file) as image:
                rgb = colour if colour is not None else image.mode not in ("L", "1", "I", "LA")
                image = image.convert("RGB" if rgb else "L")
                arrays.append(np.asarray(image, dtype=np.float32))
        except OSError as err:
            raise InputError(f"cannot read the image {str(file)!r}: {err}") from None
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise InputError(f"the images in {str(folder)!r} differ in size: {sorted(shapes)[:3]}")
    X = np.stack(arrays)
    scale = 255.0 if model is not None and _fitted_on_unit_range(model) else 1.0
    X = X / scale
    if model is not None:
        X = X.reshape((len(X),) + tuple(model.input_shape_))
    return Items(X, [p.name for p in files], "images", pixel_scale=scale)


def default_output(path, kind):
    """``photos/`` -> ``photos_denoised/``, ``x.npy`` -> ``x.denoised.npy``, ``t.csv`` -> ``t.denoised.csv``."""
    path = Path(path)
    if kind == "images":
        return path.with_name(path.name.rstrip("/") + "_denoised")
    return path.with_name(f"{path.stem}.denoised{path.suffix}")


def check_output(path, kind, *, force):
    """Refuse to replace an existing output without ``force``; a folder output must be a folder."""
    path = Path(path)
    if kind == "images":
        if path.exists() and not path.is_dir():
            raise InputError(f"--output {str(path)!r} must be a folder for a folder of images")
        if path.is_dir() and any(path.iterdir()) and not force:
            raise InputError(f"{str(path)!r} is not empty; use --force to write into it")
        return
    suffix = ".npy" if kind == "npy" else ".csv"
    if path.suffix.lower() != suffix:
        raise InputError(f"--output must end in {suffix}, like the input; got {path.name!r}")
    check_writable(path, force=force, option="--output")


def write_items(path, items, X_new):
    """Write ``X_new`` (one result per item) the way ``items`` were read.

    A ``.npy`` array; a folder of 8-bit PNG files named like the inputs (values
    multiplied back by ``pixel_scale`` and rounded); or the input CSV with its
    feature columns replaced (other columns, such as ids, kept). Every file is
    written to a temporary name first.
    """
    path = Path(path)
    if items.kind == "npy":
        atomic_write(path, lambda f: np.save(f, X_new, allow_pickle=False))
    elif items.kind == "csv":
        frame = items.table.frame.copy()
        frame[items.features] = np.asarray(X_new, dtype=np.float64)
        sep = items.table.delimiter
        atomic_write(path, lambda f: frame.to_csv(f, index=False, sep=sep), mode="w")
    else:
        from PIL import Image

        path.mkdir(parents=True, exist_ok=True)
        pixels = np.clip(np.rint(np.asarray(X_new) * items.pixel_scale), 0, 255).astype(np.uint8)
        for name, image in zip(items.names, pixels):
            image = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
            target = path / (Path(name).stem + ".png")
            atomic_write(target, lambda f, im=image: Image.fromarray(im).save(f, format="PNG"))


def _fitted_on_unit_range(model):
    """Whether the model saw pixel values in [0, 1] (its scaler is the identity on "unit" images)."""
    scaler = model.scaler_
    return (
        getattr(model, "preprocessing_", None) == "unit"
        and np.all(scaler.center == 0) and np.all(scaler.scale == 1)
    )
