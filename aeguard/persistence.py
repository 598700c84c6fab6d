"""Save and load fitted estimators as single, pickle-free files.

A model file is a zip archive holding ``aeguard.json`` (format version, class
name, parameters and fitted scalar attributes) and ``arrays.npz`` (network
weights and fitted arrays, read with ``allow_pickle=False``). Loading rebuilds
the network with aeguard's own builders and sets its weights: nothing stored
in the file is ever executed.

A pipeline file (a scikit-learn pipeline holding aeguard estimators, see
``_pipeline_files``) is the same kind of archive: its ``aeguard.json`` lists the
aeguard steps, each stored as above in a folder of its own, and the scikit-learn
rest is in skops' secure format. A fleet file (a ``FleetDetector``, see
``_fleet_files``) likewise holds each asset's detector in a folder of its own.
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
#: A scikit-learn pipeline holding aeguard estimators (see ``_pipeline_files``).
PIPELINE_FORMAT = "aeguard-pipeline"
PIPELINE_FORMAT_VERSION = 1
#: A FleetDetector: one model per asset (see ``_fleet_files``).
FLEET_FORMAT = "aeguard-fleet"
FLEET_FORMAT_VERSION = 1
FORMAT_VERSIONS = {FORMAT: FORMAT_VERSION, PIPELINE_FORMAT: PIPELINE_FORMAT_VERSION,
                   FLEET_FORMAT: FLEET_FORMAT_VERSION}


_FITTED_NAME = re.compile(r"[a-z][a-z0-9_]*_")


class ModelFileError(ValueError):
    """A file is not an aeguard model, or was written by an incompatible version."""


class UntrustedTypesError(ModelFileError):
    """A pipeline file holds types that loading would have to trust blindly.

    Attributes
    ----------
    types : list of str
        The refused types' full names, as ``load(path, trusted=...)`` takes them.
    """

    def __init__(self, message, types):
        super().__init__(message)
        self.types = types


def _estimator_classes():
    # The only classes a file may name: looked up here, never imported by name.
    from .estimators.denoise import Denoiser
    from .estimators.autoencoder import AEDetector
    from .estimators.gan import GANGenerator
    from .estimators.series import SeriesDetector
    from .estimators.vaegan import VAEGAN
    from .estimators.variational import VAEDetector

    classes = (AEDetector, Denoiser, GANGenerator, SeriesDetector, VAEDetector, VAEGAN)
    return {cls.__name__: cls for cls in classes}


def save(estimator, path):
    """Save a fitted aeguard estimator, or a scikit-learn pipeline holding one, to one file.

    The file is written under a temporary name beside ``path`` and renamed
    into place, so an interrupted save never leaves a half-written file.

    A scikit-learn :class:`~sklearn.pipeline.Pipeline` (or another
    scikit-learn meta-estimator such as a ``ColumnTransformer``) that contains
    aeguard estimators is saved too when the optional package skops is
    installed (``pip install "aeguard[pipelines]"``): the scikit-learn parts in
    skops' secure format, each aeguard estimator in aeguard's own format, in
    the same archive. Nothing is pickled.

    Parameters
    ----------
    estimator : AEDetector, VAEDetector, Denoiser, SeriesDetector, FleetDetector or Pipeline
        A fitted aeguard estimator (a :class:`aeguard.FleetDetector` with
        every asset's detector), or a fitted scikit-learn pipeline or
        meta-estimator containing at least one.
    path : str or path-like
        Destination file; overwritten if it exists (check first if that
        matters). The suffix ``.aeg`` is conventional but not required.

    Raises
    ------
    TypeError
        If ``estimator`` is neither an aeguard estimator nor a scikit-learn
        estimator containing one.
    ImportError
        If ``estimator`` is a pipeline and skops is not installed.

    Examples
    --------
    >>> import numpy as np, aeguard, tempfile, os
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> det = aeguard.AEDetector(epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "det.aeg")
    >>> aeguard.save(det, path)
    >>> bool(np.array_equal(aeguard.load(path).score_samples(X), det.score_samples(X)))
    True

    A pipeline (needs skops):

    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> pipe = make_pipeline(StandardScaler(), aeguard.AEDetector(epochs=2, random_state=0)).fit(X)
    >>> aeguard.save(pipe, path)
    >>> bool(np.array_equal(aeguard.load(path).score_samples(X), pipe.score_samples(X)))
    True
    """
    from .estimators.fleet import FleetDetector

    if is_aeguard_estimator(estimator):
        members = model_members(estimator)
    elif isinstance(estimator, FleetDetector):
        from ._fleet_files import fleet_members

        members = fleet_members(estimator)
    else:
        from ._pipeline_files import pipeline_members

        members = pipeline_members(estimator)
    atomic_write(Path(path), lambda f: _write_zip(f, members))


def is_aeguard_estimator(obj):
    """Whether ``obj`` is one of the estimators an aeguard model file can hold."""
    return _estimator_classes().get(type(obj).__name__) is type(obj)


def model_members(estimator, prefix=""):
    """The archive members (name -> bytes) that store a fitted aeguard estimator.

    ``prefix`` places them in a folder of a larger archive (a pipeline file).
    """
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
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "aeguard_version": __version__,
        "class": type(estimator).__name__,
        "params": encode_params(estimator),
        "network": _encode(estimator._network),
        "fitted": fitted,
    }
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return {
        f"{prefix}aeguard.json": json.dumps(meta, indent=1).encode(),
        f"{prefix}arrays.npz": buffer.getvalue(),
    }


def encode_params(estimator):
    """An estimator's parameters in JSON-ready form."""
    params = estimator.get_params(deep=False)
    if isinstance(params.get("random_state"), np.random.RandomState):
        params["random_state"] = None  # a generator's state is not part of the model
    return _encode(params)


def load(path, *, trusted=None):
    """Load an estimator or pipeline saved with :func:`save`.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`aeguard.save`.
    trusted : list of str or type, default=None
        For pipeline files only: types besides scikit-learn's and NumPy's
        classes that the pipeline may contain (your own transformers,
        functions given to a ``FunctionTransformer``), by their full name as
        the refusal lists them, or as the types themselves. Anything else in
        the file is refused.

    Returns
    -------
    estimator : AEDetector, SeriesDetector, FleetDetector, Pipeline, ...
        The fitted estimator or pipeline; it scores exactly as the saved one did.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    aeguard.persistence.ModelFileError
        (a ``ValueError``) if the file is not an aeguard model or was written
        by a newer, incompatible format version.
    aeguard.persistence.UntrustedTypesError
        (a ``ModelFileError``) if a pipeline file holds types that are not
        scikit-learn's or NumPy's classes and not listed in ``trusted``.

    Examples
    --------
    >>> import numpy as np, aeguard, tempfile, os
    >>> X = np.random.default_rng(0).normal(size=(100, 3))
    >>> path = os.path.join(tempfile.mkdtemp(), "det.aeg")
    >>> aeguard.save(aeguard.AEDetector(epochs=2, random_state=0).fit(X), path)
    >>> aeguard.load(path).score_samples(X).shape
    (100,)
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    where = repr(str(path))
    try:
        with zipfile.ZipFile(path) as archive:
            meta = read_meta(archive, "", where)
            if meta.get("format") == PIPELINE_FORMAT:
                from ._pipeline_files import read_pipeline

                return read_pipeline(archive, meta, where, trusted)
            if meta.get("format") == FLEET_FORMAT:
                from ._fleet_files import read_fleet

                return read_fleet(archive, meta, where)
            return read_model(archive, meta, "", where)
    except zipfile.BadZipFile as err:
        raise ModelFileError(f"{where} is not an aeguard model file.") from err


def read_meta(archive, prefix, where):
    """The ``aeguard.json`` of an archive (or of a folder in it), checked to be aeguard's."""
    try:
        meta = json.loads(archive.read(f"{prefix}aeguard.json"))
    except (KeyError, json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{where} is not an aeguard model file.") from err
    if not isinstance(meta, dict) or meta.get("format") not in FORMAT_VERSIONS:
        raise ModelFileError(f"{where} is not an aeguard model file.")
    version, expected = meta.get("format_version"), FORMAT_VERSIONS[meta["format"]]
    if version != expected:
        raise ModelFileError(
            f"{where} was written in {meta['format']} format {version!r} (aeguard "
            f"{meta.get('aeguard_version')}), but this aeguard reads format {expected}. "
            "Install the aeguard version that wrote it, or refit the model."
        )
    return meta


def read_model(archive, meta, prefix, where):
    """Rebuild the aeguard estimator stored under ``prefix`` of an open archive."""
    classes = _estimator_classes()
    if meta.get("format") != FORMAT or meta.get("class") not in classes:
        raise ModelFileError(f"{where} holds an unknown estimator {meta.get('class')!r}.")
    try:
        arrays_bytes = archive.read(f"{prefix}arrays.npz")
        return _rebuild(classes[meta["class"]], meta, arrays_bytes)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ModelFileError(
            f"{where} is a damaged aeguard model file ({type(err).__name__}: {err})."
        ) from err


def unfitted_estimator(class_name, params):
    """An unfitted aeguard estimator from its class name and encoded parameters."""
    classes = _estimator_classes()
    if class_name not in classes:
        raise ValueError(f"unknown estimator {class_name!r}")
    cls = classes[class_name]
    params = _decode(params)
    unknown = set(params) - set(cls().get_params(deep=False))
    if unknown:
        raise ValueError(f"unknown parameters {sorted(unknown)}")
    return cls(**params)


def _rebuild(cls, meta, arrays_bytes):
    """Make a fitted ``cls`` from a model file's metadata and arrays."""
    try:
        with np.load(io.BytesIO(arrays_bytes), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile) as err:
        raise ValueError("its arrays.npz is not an archive of plain NumPy arrays") from err
    estimator = unfitted_estimator(cls.__name__, meta["params"])
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


def _write_zip(file, members):
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


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
