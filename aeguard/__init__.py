"""aeguard: anomaly detection and denoising with autoencoders.

scikit-learn-style estimators on Keras 3 networks. Keras is imported lazily,
on the first fit, score or load, so importing aeguard is quick.
"""

from .estimators.denoise import Denoiser
from .estimators.autoencoder import AEDetector
from .persistence import load, save
from .estimators.series import SeriesDetector
from .estimators.variational import VAEDetector

__version__ = "0.1.0"

__all__ = ["AEDetector", "Denoiser", "SeriesDetector", "VAEDetector", "__version__", "load", "save"]
