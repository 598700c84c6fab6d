"""aeguard: anomaly detection and denoising with autoencoders.

scikit-learn-style estimators on Keras 3 networks. The public names below are
imported on first use, and Keras on the first fit, score or load, so that
``import aeguard`` and ``aeguard --help`` stay quick.
"""

import importlib

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_PUBLIC = {
    "AEDetector": "aeguard.estimators.autoencoder",
    "Denoiser": "aeguard.estimators.denoise",
    "Detection": "aeguard.estimators._detection",
    "FleetDetection": "aeguard.estimators.fleet",
    "FleetDetector": "aeguard.estimators.fleet",
    "GANGenerator": "aeguard.estimators.gan",
    "SeriesDetector": "aeguard.estimators.series",
    "VAEDetector": "aeguard.estimators.variational",
    "VAEGAN": "aeguard.estimators.vaegan",
    "load": "aeguard.persistence",
    "save": "aeguard.persistence",
}

__all__ = sorted(_PUBLIC) + ["__version__"]


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    raise AttributeError(f"module 'aeguard' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
