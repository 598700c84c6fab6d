"""aeguard: anomaly detection and denoising with autoencoders.

scikit-learn-style estimators on Keras 3 networks. Keras is imported lazily,
on the first fit, score or load, so importing aeguard is quick.
"""

from .denoise import Denoiser
from .detectors import AEDetector
from .persistence import load, save
from .series import SeriesDetector
from .variational import VAEDetector

__version__ = "0.1.0"

__all__ = ["AEDetector", "Denoiser", "SeriesDetector", "VAEDetector", "__version__", "load", "save"]
