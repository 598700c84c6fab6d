"""Collections of items named on the command line: .npy arrays, folders of images, CSV rows.

Shared by the commands that take items rather than a sensor series
(``aeguard retrieve``; ``aeguard denoise`` to come).
"""

from pathlib import Path

import numpy as np

from ._tabular_io import InputError, check_finite, read_table, select_features

#: Image files read from a folder (by Pillow, which matplotlib requires).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")


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
    X : ndarray or DataFrame
        The items, ready for the model (a DataFrame of the model's columns
        for a CSV file and a model fitted with column names).
    names : list of str
        One name per item: the file name (folders) or the 0-based position.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"no such file or folder: {str(path)!r}")
    images = len(model.input_shape_) > 1
    if path.is_dir():
        if not images:
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
        return X, [str(i) for i in range(len(X))]
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
        if required is None:
            X = X.to_numpy()
        if required is None and X.shape[1] != model.n_features_in_:
            raise InputError(f"{str(path)!r} has {X.shape[1]} numeric columns; the model takes "
                             f"{model.n_features_in_}")
        return X, [str(i) for i in range(len(X))]
    raise InputError(f"{str(path)!r}: give a .npy array, a folder of images or a .csv file")


def _read_image_folder(folder, model):
    from PIL import Image

    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise InputError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) in {str(folder)!r}")
    channels = model.input_shape_[2] if len(model.input_shape_) == 3 else 1
    arrays = []
    for file in files:
        try:
            with Image.open(file) as image:
                image = image.convert("L" if channels == 1 else "RGB")
                arrays.append(np.asarray(image, dtype=np.float32))
        except OSError as err:
            raise InputError(f"cannot read the image {str(file)!r}: {err}") from None
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise InputError(f"the images in {str(folder)!r} differ in size: {sorted(shapes)[:3]}")
    X = np.stack(arrays)
    if _fitted_on_unit_range(model):
        X = X / 255.0
    return X.reshape((len(X),) + tuple(model.input_shape_)), [p.name for p in files]


def _fitted_on_unit_range(model):
    """Whether the model saw pixel values in [0, 1] (its scaler is the identity on "unit" images)."""
    scaler = model.scaler_
    return (
        getattr(model, "preprocessing_", None) == "unit"
        and np.all(scaler.center == 0) and np.all(scaler.scale == 1)
    )
