"""Pure Keras builders for aeguard's networks.

Each builder takes plain numbers, returns uncompiled ``keras.Model`` objects
``(autoencoder, encoder, decoder)`` (a GAN builder: ``(gan, generator,
discriminator)``) and knows nothing about scikit-learn. The
estimators rebuild a network from the builder's name and keyword arguments
(see :data:`BUILDERS`), which is how pickling and :func:`aeguard.load` restore
a model without ever executing code stored in a file.

Every path of aeguard to Keras passes through this package, which starts the
backend first (:func:`aeguard._backend.start_backend`), keeping TensorFlow's
start-up lines off the screen.
"""

from .._backend import start_backend

start_backend()  # before the builders below import Keras

from .conv1d import build_conv1d_autoencoder
from .conv2d import build_conv2d_autoencoder
from .dense import build_dense_autoencoder
from .ensemble import build_ensemble
from .gan import build_dcgan, build_dense_gan
from .recurrent import build_lstm_autoencoder
from .unet import build_unet2d
from .vae import build_conv1d_vae, build_conv2d_vae, build_dense_vae

#: Builders by the name recorded in fitted estimators and model files.
BUILDERS = {
    "dense": build_dense_autoencoder,
    "conv2d": build_conv2d_autoencoder,
    "conv1d": build_conv1d_autoencoder,
    "lstm": build_lstm_autoencoder,
    "vae_conv1d": build_conv1d_vae,
    "unet2d": build_unet2d,
    "vae_dense": build_dense_vae,
    "vae_conv2d": build_conv2d_vae,
    "gan_dense": build_dense_gan,
    "gan_conv2d": build_dcgan,
    "ensemble": build_ensemble,
}

__all__ = [
    "BUILDERS",
    "build_conv1d_autoencoder",
    "build_conv1d_vae",
    "build_conv2d_autoencoder",
    "build_conv2d_vae",
    "build_dcgan",
    "build_dense_autoencoder",
    "build_dense_gan",
    "build_dense_vae",
    "build_ensemble",
    "build_lstm_autoencoder",
    "build_unet2d",
]
