"""Pipeline files: a scikit-learn pipeline holding aeguard estimators, pickle-free.

The archive holds

- ``aeguard.json``: format, versions, and one entry per aeguard estimator in
  the pipeline, each with the placeholder string that stands for it;
- ``pipeline.skops``: the pipeline in skops' secure format, every aeguard
  estimator replaced by its placeholder;
- ``steps/<i>/aeguard.json`` and ``steps/<i>/arrays.npz``: each fitted aeguard
  estimator in aeguard's own model format (an unfitted one, such as the
  template a ``ColumnTransformer`` keeps in ``transformers``, is stored as its
  class and parameters in the entry).

skops (an optional dependency, ``aeguard[pipelines]``) rebuilds objects
without unpickling them and reports the types it would have to trust; loading
accepts scikit-learn's and NumPy's classes among them and refuses anything else
that the caller did not list in ``trusted``.
"""

import copy
import functools
import json
import sys
from importlib.metadata import version

from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .persistence import (
    PIPELINE_FORMAT,
    PIPELINE_FORMAT_VERSION,
    ModelFileError,
    UntrustedTypesError,
    encode_params,
    is_aeguard_estimator,
    model_members,
    read_meta,
    read_model,
    unfitted_estimator,
)

#: Top-level packages whose classes a pipeline file may name without the caller's say.
TRUSTED_PACKAGES = ("sklearn", "numpy")

#: Placeholder strings: this prefix, then the step's number.
PLACEHOLDER = "__aeguard_estimator_"

SKOPS_MEMBER = "pipeline.skops"

INSTALL = 'pip install "aeguard[pipelines]" (or pip install skops)'


def _skops(action):
    """skops.io, or an ImportError saying what to install and what works without it."""
    try:
        import skops.io
    except ImportError:
        raise ImportError(
            f"{action} needs the optional package skops: {INSTALL}. Without it, aeguard.save "
            "and aeguard.load handle one fitted aeguard estimator (AEDetector, VAEDetector, "
            "Denoiser, SeriesDetector) saved on its own, e.g. aeguard.save(pipeline[-1], path) "
            "when the pipeline's last step is one."
        ) from None
    return skops.io


def pipeline_members(pipeline):
    """The archive members (name -> bytes) that store ``pipeline``.

    Parameters
    ----------
    pipeline : sklearn.base.BaseEstimator
        A fitted scikit-learn pipeline (or other meta-estimator) containing
        aeguard estimators. It is not modified.
    """
    if not isinstance(pipeline, BaseEstimator):
        raise TypeError(
            "aeguard.save takes a fitted aeguard estimator or a scikit-learn pipeline holding "
            f"one, got {type(pipeline).__name__}."
        )
    estimators, placeholders = [], {}

    def take_out(obj):
        if not is_aeguard_estimator(obj):
            return None
        if id(obj) not in placeholders:
            placeholders[id(obj)] = f"{PLACEHOLDER}{len(estimators)}__"
            estimators.append(obj)
        return placeholders[id(obj)]

    stripped = _replace(pipeline, take_out)
    if not estimators:
        raise TypeError(
            f"aeguard.save takes a fitted aeguard estimator or a scikit-learn pipeline holding "
            f"one; this {type(pipeline).__name__} holds none (save it with skops.io.dump)."
        )
    sio = _skops(f"Saving a {type(pipeline).__name__}")
    check_is_fitted(pipeline)
    data = sio.dumps(stripped)
    # An aeguard estimator where the walk does not look (inside an object that is
    # not a scikit-learn estimator, list, tuple or dict) would reach skops whole.
    hidden = [t for t in sio.get_untrusted_types(data=data) if t.startswith("aeguard.")]
    if hidden:
        raise TypeError(
            f"cannot save this {type(pipeline).__name__}: it holds aeguard objects ({hidden}) "
            "inside something that is not a scikit-learn estimator, list, tuple or dict."
        )
    members, entries = {SKOPS_MEMBER: data}, []
    for i, estimator in enumerate(estimators):
        entry = {"placeholder": placeholders[id(estimator)]}
        if _is_fitted(estimator):
            entry["folder"] = f"steps/{i}/"
            members.update(model_members(estimator, prefix=entry["folder"]))
        else:
            entry.update({"class": type(estimator).__name__, "params": encode_params(estimator)})
        entries.append(entry)
    from . import __version__

    meta = {
        "format": PIPELINE_FORMAT,
        "format_version": PIPELINE_FORMAT_VERSION,
        "aeguard_version": __version__,
        "skops_version": version("skops"),
        "class": type(pipeline).__name__,
        "estimators": entries,
    }
    return {"aeguard.json": json.dumps(meta, indent=1).encode(), **members}


def read_pipeline(archive, meta, where, trusted):
    """Rebuild the pipeline of an open pipeline file (see :func:`aeguard.load`)."""
    sio = _skops(f"Loading the pipeline in {where}")
    allowed = _trusted_names(trusted)
    try:
        data = archive.read(SKOPS_MEMBER)
        estimators = {
            entry["placeholder"]: _read_estimator(archive, entry, where)
            for entry in meta["estimators"]
        }
        untrusted = sio.get_untrusted_types(data=data)
    except ModelFileError:
        raise
    except Exception as err:  # KeyError, TypeError...: whatever a damaged file makes skops meet
        raise ModelFileError(
            f"{where} is a damaged aeguard pipeline file ({type(err).__name__}: {err})."
        ) from err
    refused = [name for name in untrusted if name not in allowed and not _is_library_class(name)]
    if refused:
        raise UntrustedTypesError(
            f"{where} holds types that are not scikit-learn's or NumPy's classes: {refused}. "
            "Loading them could run code from the file. If you trust the file and these "
            f"types, pass them: aeguard.load(path, trusted={refused!r}).",
            refused,
        )
    pipeline = sio.loads(data, trusted=untrusted)
    found = set()

    def put_back(obj):
        if isinstance(obj, str) and obj in estimators:
            found.add(obj)
            return estimators[obj]
        return None

    pipeline = _replace(pipeline, put_back)
    if found != set(estimators):
        raise ModelFileError(
            f"{where} is a damaged aeguard pipeline file (aeguard estimators "
            f"{sorted(set(estimators) - found)} have no place in the pipeline)."
        )
    return pipeline


def _read_estimator(archive, entry, where):
    if "folder" in entry:
        folder = entry["folder"]
        return read_model(archive, read_meta(archive, folder, where), folder, where)
    return unfitted_estimator(entry["class"], entry["params"])


def _replace(obj, swap):
    """``obj`` with every part for which ``swap(part)`` is not None replaced by that value.

    Looks inside scikit-learn estimators' attributes, lists, tuples and dicts.
    Containers and estimators on the way to a replaced part are copied; the
    rest is shared with ``obj``, which is never modified.
    """
    new = swap(obj)
    if new is not None:
        return new
    if isinstance(obj, (list, tuple)):
        items = [_replace(item, swap) for item in obj]
        if all(a is b for a, b in zip(items, obj)):
            return obj
        if isinstance(obj, list):
            return items
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, dict):
        values = {key: _replace(value, swap) for key, value in obj.items()}
        if all(values[key] is value for key, value in obj.items()):
            return obj
        replaced = copy.copy(obj)  # keeps dict subclasses such as sklearn's Bunch
        replaced.update(values)
        return replaced
    if isinstance(obj, BaseEstimator) and not is_aeguard_estimator(obj):
        state = vars(obj)
        values = {key: _replace(value, swap) for key, value in state.items()}
        if all(values[key] is value for key, value in state.items()):
            return obj
        replaced = object.__new__(type(obj))
        vars(replaced).update(values)
        return replaced
    return obj


def _trusted_names(trusted):
    """The full names of the types the caller trusts (given as names or as types)."""
    if trusted is None:
        return set()
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    names = set()
    for item in trusted:
        if isinstance(item, str):
            names.add(item)
        elif hasattr(item, "__module__") and hasattr(item, "__qualname__"):
            names.add(f"{item.__module__}.{item.__qualname__}")
        else:
            raise TypeError(
                f"trusted must be a list of type names (str) or types, got an item {item!r}."
            )
    return names


def _is_library_class(name):
    """Whether ``name`` is a scikit-learn estimator class, or a class of a library module
    already imported (scikit-learn's or NumPy's, none of their test or script modules).

    Nothing named by the file is ever imported: importing a module runs its code,
    and a crafted file could name one that does harm when imported.
    """
    if name.split(".", 1)[0] not in TRUSTED_PACKAGES or "." not in name:
        return False
    if name in _estimator_class_names():
        return True
    module_name, _, attribute = name.rpartition(".")
    parts = set(module_name.split("."))
    if parts & {"tests", "testing", "__main__", "setup", "conftest", "externals"}:
        return False
    module = sys.modules.get(module_name)
    return module is not None and isinstance(getattr(module, attribute, None), type)


@functools.lru_cache(maxsize=1)
def _estimator_class_names():
    """The full names of scikit-learn's public estimator classes (its own list of them)."""
    from sklearn.utils import all_estimators

    return frozenset(f"{cls.__module__}.{cls.__qualname__}" for _, cls in all_estimators())


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True
