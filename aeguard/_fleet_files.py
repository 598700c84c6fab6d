"""Fleet files: a fitted :class:`~aeguard.FleetDetector`, one detector per asset, pickle-free.

The archive holds

- ``aeguard.json``: format, versions, the fleet's parameters (``group_by``,
  ``per_asset``, ``verbose``), its feature columns, the assets ``fit`` could
  not fit and why, and one entry per asset naming the folder of its detector;
- ``detectors/<i>/aeguard.json`` and ``detectors/<i>/arrays.npz``: each
  distinct fitted detector in aeguard's own model format. A shared fleet
  (``per_asset=False``) stores its one detector once.

The fleet's ``estimator`` parameter (the template each asset's detector is a
clone of) is stored as its class and parameters, so a loaded fleet can be
fitted again; a shared fleet's ``estimator`` is its fitted detector.
"""

import json

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .persistence import (
    FLEET_FORMAT,
    FLEET_FORMAT_VERSION,
    ModelFileError,
    _decode,
    _encode,
    encode_params,
    is_aeguard_estimator,
    model_members,
    read_meta,
    read_model,
    unfitted_estimator,
)


def fleet_members(fleet):
    """The archive members (name -> bytes) that store a fitted FleetDetector."""
    check_is_fitted(fleet, "detectors_")
    folders, members, entries = {}, {}, []
    for asset, detector in fleet.detectors_.items():
        if not isinstance(asset, (str, int, float, bool, np.generic)):
            raise TypeError(f"cannot save this FleetDetector: asset id {asset!r} is a "
                            f"{type(asset).__name__}; a fleet file stores asset ids that are "
                            "strings or numbers")
        if not is_aeguard_estimator(detector):
            raise TypeError(
                f"cannot save this FleetDetector: the detector of asset {asset!r} is a "
                f"{type(detector).__name__}, not an aeguard estimator"
            )
        if id(detector) not in folders:
            folders[id(detector)] = f"detectors/{len(folders)}/"
            members.update(model_members(detector, prefix=folders[id(detector)]))
        entries.append({"asset": _encode(asset), "folder": folders[id(detector)]})
    template = fleet.estimator
    if template is None or not fleet.per_asset:
        estimator = None  # None, or the shared detector (stored above)
    elif is_aeguard_estimator(template):
        estimator = {"class": type(template).__name__, "params": encode_params(template)}
    else:
        raise TypeError(f"cannot save this FleetDetector: its estimator is a "
                        f"{type(template).__name__}, not an aeguard estimator")
    from . import __version__

    meta = {
        "format": FLEET_FORMAT,
        "format_version": FLEET_FORMAT_VERSION,
        "aeguard_version": __version__,
        "class": "FleetDetector",
        "params": _encode({"group_by": fleet.group_by, "per_asset": bool(fleet.per_asset),
                           "verbose": fleet.verbose}),
        "estimator": estimator,
        "feature_names_in": [str(name) for name in fleet.feature_names_in_],
        "skipped": [[_encode(asset), str(why)] for asset, why in fleet.skipped_.items()],
        "assets": entries,
    }
    return {"aeguard.json": json.dumps(meta, indent=1).encode(), **members}


def read_fleet(archive, meta, where):
    """Rebuild the FleetDetector of an open fleet file (see :func:`aeguard.load`)."""
    from .estimators.fleet import FleetDetector

    try:
        detectors = {}
        by_folder = {}
        for entry in meta["assets"]:
            folder = entry["folder"]
            if folder not in by_folder:
                by_folder[folder] = read_model(archive, read_meta(archive, folder, where),
                                               folder, where)
            detectors[_asset(entry["asset"])] = by_folder[folder]
        params = _decode(meta["params"])
        if not detectors:
            raise ValueError("it holds no detector")
        if params["per_asset"]:
            template = meta.get("estimator")
            estimator = (None if template is None
                         else unfitted_estimator(template["class"], template["params"]))
        else:
            estimator = next(iter(detectors.values()))
        fleet = FleetDetector(params["group_by"], estimator, per_asset=params["per_asset"],
                              verbose=params["verbose"])
        fleet.detectors_ = detectors
        fleet.skipped_ = {_asset(asset): why for asset, why in meta["skipped"]}
        fleet.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
        fleet.n_features_in_ = len(fleet.feature_names_in_)
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(
            f"{where} is a damaged aeguard fleet file ({type(err).__name__}: {err})."
        ) from err
    return fleet


def _asset(value):
    """An asset id as stored (str, int, float or bool), checked to be one."""
    value = _decode(value)
    if not isinstance(value, (str, int, float, bool)):
        raise TypeError(f"asset id {value!r} is not a plain value")
    return value
