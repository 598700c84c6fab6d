"""The estimators: scikit-learn classes around aeguard's Keras networks.

Each module holds one estimator; ``_base`` is the machinery they share
(validation, scaling, the fit set-up, batched scoring).
"""

from .autoencoder import AEDetector
from .denoise import Denoiser
from .gan import GANGenerator
from .series import SeriesDetector
from .vaegan import VAEGAN
from .variational import VAEDetector

__all__ = ["AEDetector", "Denoiser", "GANGenerator", "SeriesDetector", "VAEDetector", "VAEGAN"]
