"""Save and load fitted estimators as single, pickle-free files.

A model file is a zip archive holding ``aeguard.json`` (format version, class
name, parameters and fitted scalar attributes) and ``arrays.npz`` (network
weights and fitted arrays, read with ``allow_pickle=False``). Loading rebuilds
the network with aeguard's own builders and sets its weights: nothing stored
in the file is ever executed.
"""

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .estimators._base import KERAS_ATTRIBUTES
from ._files import atomic_write
from .estimators._preprocessing import Scaler

FORMAT = "aeguard-model"
#: Bumped when a file written by this version cannot be read by older ones.
FORMAT_VERSION = 1


_FITTED_NAME = re.compile(r"[a-z][a-z0-9_]*_")


class ModelFileError(ValueError):
    """A file is not an aeguard model, or was written by an incompatible version."""


def _estimator_classes():
    # The only classes a file may name: looked up here, never imported by name.
    from .estimators.denoise import Denoiser
    from .estimators.autoencoder import AEDetector
    from .estimators.series import SeriesDetector
    from .estimators.variational import VAEDetector

    classes = (AEDetector, Denoiser, SeriesDetector, VAEDetector)
    return {cls.__name__: cls for cls in classes}


def save(estimator, path):
    """Save a fitted aeguard estimator to one pickle-free file.

    The file is written under a temporary name beside ``path`` and renamed
    into place, so an interrupted save never leaves a half-written file.

    Parameters
    ----------
    estimator : AEDetector
        A fitted aeguard estimator.
    path : str or path-like
        Destination file; overwritten if it exists (check first if that
        matters). The suffix ``.aeg`` is conventional but not required.

    Examples
    --------
    >>> import numpy as np, aeguard, tempfile, os
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> det = aeguard.AEDetector(epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "det.aeg")
    >>> aeguard.save(det, path)
    >>> bool(np.array_equal(aeguard.load(path).score_samples(X), det.score_samples(X)))
    True
    """
    classes = _estimator_classes()
    if type(estimator).__name__ not in classes:
        raise TypeError(
            f"aeguard.save takes a fitted aeguard estimator, got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)
    from . import __version__

    arrays = {f"weights/{i:04d}": np.asarray(w) for i, w in enumerate(estimator.model_.get_weights())}
    fitted = {}
    for name, value in vars(estimator).items():
        if name in KERAS_ATTRIBUTES or not name.endswith("_") or name.startswith("__"):
            continue
        if isinstance(value, Scaler):
            arrays[f"{name}/center"], arrays[f"{name}/scale"] = value.center, value.scale
            fitted[name] = {"__scaler__": True}
        elif isinstance(value, np.ndarray) and value.dtype == object:
            # Column names (feature_names_in_) are an object array of str,
            # which np.save would pickle: store them as a unicode array.
            arrays[f"attr/{name}"] = value.astype(str)
            fitted[name] = {"__array__": "object"}
        elif isinstance(value, np.ndarray):
            arrays[f"attr/{name}"] = value
            fitted[name] = {"__array__": True}
        else:
            fitted[name] = _encode(value)
    params = estimator.get_params(deep=False)
    if isinstance(params.get("random_state"), np.random.RandomState):
        params["random_state"] = None  # a generator's state is not part of the model
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "aeguard_version": __version__,
        "class": type(estimator).__name__,
        "params": _encode(params),
        "network": _encode(estimator._network),
        "fitted": fitted,
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(Path(path), lambda f: _write_zip(f, meta, buffer.getvalue()))


def load(path):
    """Load an estimator saved with :func:`save`.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`aeguard.save`.

    Returns
    -------
    estimator : AEDetector
        The fitted estimator; it scores exactly as the saved one did.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    aeguard.persistence.ModelFileError
        (a ``ValueError``) if the file is not an aeguard model or was written
        by a newer, incompatible format version.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    try:
        with zipfile.ZipFile(path) as archive:
            meta = json.loads(archive.read("aeguard.json"))
            arrays_bytes = archive.read("arrays.npz")
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{str(path)!r} is not an aeguard model file.") from err
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{str(path)!r} is not an aeguard model file.")
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{str(path)!r} was written in model format {version!r} (aeguard "
            f"{meta.get('aeguard_version')}), but this aeguard reads format {FORMAT_VERSION}. "
            "Install the aeguard version that wrote it, or refit the model."
        )
    classes = _estimator_classes()
    if meta.get("class") not in classes:
        raise ModelFileError(f"{str(path)!r} holds an unknown estimator {meta.get('class')!r}.")
    try:
        return _rebuild(classes[meta["class"]], meta, arrays_bytes)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(
            f"{str(path)!r} is a damaged aeguard model file ({type(err).__name__}: {err})."
        ) from err


def _rebuild(cls, meta, arrays_bytes):
    """Make a fitted ``cls`` from a model file's metadata and arrays."""
    try:
        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError("its arrays.npz is not an archive of plain NumPy arrays") from err
    params = _decode(meta["params"])
    unknown = set(params) - set(cls().get_params(deep=False))
    if unknown:
        raise ValueError(f"unknown parameters {sorted(unknown)}")
    estimator = cls(**params)
    for name, value in meta["fitted"].items():
        # Only fitted-attribute names (lower case, trailing underscore) may be set.
        if not _FITTED_NAME.fullmatch(name) or name in KERAS_ATTRIBUTES:
            raise ValueError(f"unexpected attribute {name!r}")
        if isinstance(value, dict) and value.get("__scaler__"):
            value = Scaler(arrays[f"{name}/center"], arrays[f"{name}/scale"])
        elif isinstance(value, dict) and value.get("__array__"):
            kind = value["__array__"]
            value = arrays[f"attr/{name}"]
            if kind == "object":
                value = value.astype(object)
        else:
            value = _decode(value)
        setattr(estimator, name, value)
    estimator._network = _decode(meta["network"])
    weights = [arrays[key] for key in sorted(k for k in arrays if k.startswith("weights/"))]
    estimator._restore_networks(weights)
    return estimator


def _write_zip(file, meta, arrays_bytes):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("aeguard.json", json.dumps(meta, indent=1))
        archive.writestr("arrays.npz", arrays_bytes)


def _encode(value):
    """JSON-ready form of parameters and fitted attributes; tuples stay tuples."""
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a value of type {type(value).__name__} in a model file")


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(_decode(v) for v in value["__tuple__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value
