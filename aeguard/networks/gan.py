"""Generative adversarial networks: a dense GAN for rows, a DCGAN for images, and their training.

A builder returns ``(gan, generator, discriminator)``. The generator maps a
code ``z`` (and, when conditional, the one-hot class) to an item in the
network's scale: linear rows, or images in [-1, 1] (``tanh``). The
discriminator maps an item (and the class) to one logit, "real" being
positive. ``gan`` is a model with both as parts, ``[z, x] -> [G(z), D(x)]``
(with the class inputs when conditional): its weights are the pair's, which is
what pickling and model files store.

The image networks follow the DCGAN recipe (Radford et al. 2016): the
generator is a dense layer to a small feature map followed by transposed
convolutions that double its size, each with batch normalisation and a leaky
ReLU; the discriminator is strided convolutions with leaky ReLUs and dropout,
without batch normalisation (it sees real and generated batches apart). A
conditional network gets the class as extra input: joined to ``z`` in the
generator, and as constant extra channels of the image (or extra columns of
the row) in the discriminator, which also learns to call real items shown
with a wrong class fake.
"""

import math
import sys

import keras
import numpy as np

#: Slope of the leaky ReLUs (the DCGAN paper's).
LEAKY_SLOPE = 0.2
#: Adam's first-moment decay for both networks (the DCGAN paper's 0.5: momentum
#: at Adam's usual 0.9 makes the adversarial game oscillate).
ADAM_BETA_1 = 0.5


def _leaky(h, name):
    return keras.layers.LeakyReLU(negative_slope=LEAKY_SLOPE, name=name)(h)


def _gan(generator, discriminator, latent_dim, item_shape, n_classes):
    """The pair as one model (for its weights): ``[z, x] (+ labels) -> [G(z), D(x)]``."""
    z = keras.Input(shape=(latent_dim,), name="gan_z")
    x = keras.Input(shape=item_shape, name="gan_x")
    if n_classes:
        y = keras.Input(shape=(n_classes,), name="gan_y")
        outputs = [generator([z, y]), discriminator([x, y])]
        return keras.Model([z, x, y], outputs, name="gan")
    return keras.Model([z, x], [generator(z), discriminator(x)], name="gan")


def _label_input(n_classes, name):
    return [keras.Input(shape=(n_classes,), name=name)] if n_classes else []


def build_dense_gan(n_features, latent_dim, hidden_units, *, n_classes=0, dropout=0.3):
    """Build a dense GAN for rows of ``n_features`` standardised values.

    Parameters
    ----------
    n_features : int
        Width of a row.
    latent_dim : int
        Width of the generator's input code.
    hidden_units : sequence of int
        Hidden widths of the discriminator, outermost first; the generator
        uses them in reverse (narrow to wide).
    n_classes : int, default=0
        Classes of a conditional GAN; 0 builds an unconditional one.
    dropout : float, default=0.3
        Dropout after each hidden layer of the discriminator.

    Returns
    -------
    gan, generator, discriminator : keras.Model
        Uncompiled; see the module docstring.
    """
    z = keras.Input(shape=(latent_dim,), name="z")
    y_g = _label_input(n_classes, "y_gen")
    h = keras.layers.Concatenate(name="gen_concat")([z] + y_g) if n_classes else z
    for i, units in enumerate(reversed(tuple(hidden_units))):
        h = keras.layers.Dense(units, name=f"gen_dense_{i}")(h)
        h = keras.layers.BatchNormalization(name=f"gen_bn_{i}")(h)
        h = _leaky(h, f"gen_act_{i}")
    out = keras.layers.Dense(n_features, name="gen_out")(h)
    generator = keras.Model([z] + y_g if n_classes else z, out, name="generator")

    discriminator = dense_discriminator(n_features, hidden_units, n_classes=n_classes,
                                        dropout=dropout)
    return _gan(generator, discriminator, latent_dim, (n_features,), n_classes), generator, discriminator


def build_dcgan(input_shape, latent_dim, filters, *, n_classes=0, kernel_size=5, dropout=0.3):
    """Build a DCGAN for images of ``input_shape`` (height, width, channels), pixels in [-1, 1].

    Parameters
    ----------
    input_shape : tuple of int
        ``(height, width, channels)`` of one image; any size (the generator
        crops its doubled feature maps to it).
    latent_dim : int
        Width of the generator's input code.
    filters : sequence of int
        Filters of the discriminator's strided convolutions, outermost first
        (each halves the image); the generator mirrors them (each transposed
        convolution doubles its feature map).
    n_classes : int, default=0
        Classes of a conditional GAN; 0 builds an unconditional one.
    kernel_size : int, default=5
        Size of the square kernels.
    dropout : float, default=0.3
        Dropout after each discriminator block.

    Returns
    -------
    gan, generator, discriminator : keras.Model
        Uncompiled; see the module docstring.
    """
    height, width, channels = (int(s) for s in input_shape)
    filters = tuple(int(f) for f in filters)
    factor = 2 ** len(filters)
    inner = (math.ceil(height / factor), math.ceil(width / factor), filters[-1])

    z = keras.Input(shape=(latent_dim,), name="z")
    y_g = _label_input(n_classes, "y_gen")
    h = keras.layers.Concatenate(name="gen_concat")([z] + y_g) if n_classes else z
    h = keras.layers.Dense(math.prod(inner), use_bias=False, name="gen_dense")(h)
    h = _leaky(keras.layers.BatchNormalization(name="gen_bn_dense")(h), "gen_act_dense")
    h = keras.layers.Reshape(inner, name="gen_reshape")(h)
    for i, n_filters in enumerate(reversed(filters[:-1])):
        h = keras.layers.Conv2DTranspose(n_filters, kernel_size, strides=2, padding="same",
                                         use_bias=False, name=f"gen_deconv_{i}")(h)
        h = _leaky(keras.layers.BatchNormalization(name=f"gen_bn_{i}")(h), f"gen_act_{i}")
    h = keras.layers.Conv2DTranspose(channels, kernel_size, strides=2, padding="same",
                                     name="gen_deconv_out")(h)
    extra_h, extra_w = int(h.shape[1]) - height, int(h.shape[2]) - width
    if extra_h or extra_w:
        h = keras.layers.Cropping2D(((0, extra_h), (0, extra_w)), name="gen_crop")(h)
    out = keras.layers.Activation("tanh", name="gen_tanh")(h)
    generator = keras.Model([z] + y_g if n_classes else z, out, name="generator")

    discriminator = conv2d_discriminator((height, width, channels), filters, n_classes=n_classes,
                                         kernel_size=kernel_size, dropout=dropout)
    gan = _gan(generator, discriminator, latent_dim, (height, width, channels), n_classes)
    return gan, generator, discriminator


def dense_discriminator(n_features, hidden_units, *, n_classes=0, dropout=0.3):
    """A discriminator of rows: dense layers with leaky ReLUs and dropout, one logit ("real" > 0)."""
    x = keras.Input(shape=(n_features,), name="x")
    y_d = _label_input(n_classes, "y_disc")
    h = keras.layers.Concatenate(name="disc_concat")([x] + y_d) if n_classes else x
    for i, units in enumerate(hidden_units):
        h = _leaky(keras.layers.Dense(units, name=f"disc_dense_{i}")(h), f"disc_act_{i}")
        if dropout:
            h = keras.layers.Dropout(dropout, name=f"disc_dropout_{i}")(h)
    logit = keras.layers.Dense(1, name="disc_logit")(h)
    return keras.Model([x] + y_d if n_classes else x, logit, name="discriminator")


def conv2d_discriminator(input_shape, filters, *, n_classes=0, kernel_size=5, dropout=0.3):
    """A discriminator of images: strided convolutions with leaky ReLUs and dropout, one logit.

    A conditional one sees the one-hot class as constant extra channels of the image.
    """
    height, width, channels = (int(s) for s in input_shape)
    x = keras.Input(shape=(height, width, channels), name="x")
    y_d = _label_input(n_classes, "y_disc")
    h = x
    if n_classes:
        planes = keras.layers.RepeatVector(height * width, name="disc_repeat")(y_d[0])
        planes = keras.layers.Reshape((height, width, n_classes), name="disc_planes")(planes)
        h = keras.layers.Concatenate(name="disc_concat")([x, planes])
    for i, n_filters in enumerate(filters):
        h = keras.layers.Conv2D(n_filters, kernel_size, strides=2, padding="same",
                                name=f"disc_conv_{i}")(h)
        h = _leaky(h, f"disc_act_{i}")
        if dropout:
            h = keras.layers.Dropout(dropout, name=f"disc_dropout_{i}")(h)
    h = keras.layers.Flatten(name="disc_flatten")(h)
    logit = keras.layers.Dense(1, name="disc_logit")(h)
    return keras.Model([x] + y_d if n_classes else x, logit, name="discriminator")


def train_gan(generator, discriminator, X, labels, *, latent_dim, epochs, batch_size,
              learning_rate, label_smoothing, seed, verbose, augment=None):
    """Train the pair adversarially: one discriminator step, then one generator step, per batch.

    The discriminator minimises the cross-entropy of "real" on ``X`` (target
    ``1 - label_smoothing``: one-sided label smoothing, Salimans et al. 2016)
    and "fake" on generated items; the generator minimises the cross-entropy
    of "real" on its own items (the non-saturating loss of Goodfellow et al.
    2014). Both use Adam with ``beta_1`` = :data:`ADAM_BETA_1`. Codes are drawn
    from N(0, I) with a NumPy generator seeded by ``seed``, so a fit is
    reproducible.

    Parameters
    ----------
    X : ndarray
        Training items in the networks' scale.
    labels : ndarray of shape (n_samples, n_classes) or None
        One-hot classes of a conditional pair.
    verbose : int
        0 silent; 1 a progress line redrawn on stderr; 2 a line per epoch.
    augment : callable, default=None
        ``augment(items, rng)`` -> a transformed copy of a batch of real items
        (rotated, mirrored), applied afresh to every batch.

    Returns
    -------
    history : dict of str -> list of float
        Mean ``"d_loss"`` and ``"g_loss"`` per epoch.
    """
    import tensorflow as tf

    critic = _Critic(discriminator, learning_rate, label_smoothing, labels is not None)
    g_opt = _adam(generator.trainable_variables, learning_rate)

    def step(x, y, z_d, z_g):
        d_loss = critic.step(x, y, [generator(critic.inputs(z_d, y), training=True)])
        with tf.GradientTape() as tape:
            fake = generator(critic.inputs(z_g, y), training=True)
            g_loss = critic.fooled(fake, y, training=True)
        grads = tape.gradient(g_loss, generator.trainable_variables)
        g_opt.apply_gradients(zip(grads, generator.trainable_variables))
        return d_loss, g_loss

    return _run_epochs(step, X, labels, (latent_dim, latent_dim), epochs=epochs,
                       batch_size=batch_size, seed=seed, verbose=verbose,
                       names=("d_loss", "g_loss"), augment=augment)


def train_vaegan(encoder, decoder, discriminator, X, labels, *, latent_dim, likelihood, beta,
                 adversarial_weight, epochs, batch_size, learning_rate, label_smoothing, seed,
                 verbose, free_nats=0.0, augment=None):
    """Train a VAE and a discriminator on its outputs (a VAE-GAN, after Larsen et al. 2016).

    Per batch, the VAE (encoder and decoder) takes one step on the negative
    ELBO, ``likelihood`` of the batch under its reconstructions plus
    ``beta`` x KL(q(z | x) || N(0, I)) (counted as no less than ``free_nats``
    on average: :func:`aeguard.networks.vae.kl_term`), plus ``adversarial_weight`` x the
    cross-entropy of "real" on its reconstructions and on decodings of
    prior draws; then the discriminator takes one step on real items against
    both kinds of decoded items (target for real ``1 - label_smoothing``).
    The adversarial term rewards outputs the discriminator takes for real
    items: sharp strokes where the likelihood alone settles for the average
    of the plausible items. ``augment`` as in :func:`train_gan`.

    Returns
    -------
    history : dict of str -> list of float
        Mean ``"vae_loss"`` (the VAE's whole objective) and ``"d_loss"`` per epoch.
    """
    import tensorflow as tf

    from .vae import LOG_VAR_RANGE, gaussian_kl, kl_term

    vae_vars = encoder.trainable_variables + decoder.trainable_variables
    critic = _Critic(discriminator, learning_rate, label_smoothing, labels is not None)
    v_opt = _adam(vae_vars, learning_rate)
    with_label = critic.inputs

    def step(x, y, eps, z_prior):
        with tf.GradientTape() as tape:
            mean, log_var = encoder(with_label(x, y), training=True)
            log_var = tf.clip_by_value(log_var, *LOG_VAR_RANGE)
            recon = decoder(with_label(mean + tf.exp(0.5 * log_var) * eps, y), training=True)
            prior = decoder(with_label(z_prior, y), training=True)
            kl = gaussian_kl(mean, log_var)
            fooled = critic.fooled(recon, y) + critic.fooled(prior, y)
            vae_loss = (tf.reduce_mean(likelihood(x, recon)) + kl_term(kl, beta, free_nats)
                        + adversarial_weight * fooled)
        grads = tape.gradient(vae_loss, vae_vars)
        v_opt.apply_gradients(zip(grads, vae_vars))
        return vae_loss, critic.step(x, y, [recon, prior])

    return _run_epochs(step, X, labels, (latent_dim, latent_dim), epochs=epochs,
                       batch_size=batch_size, seed=seed, verbose=verbose,
                       names=("vae_loss", "d_loss"), augment=augment)


def _adam(variables, learning_rate):
    """Adam with ``beta_1`` = :data:`ADAM_BETA_1`, its slots built for ``variables``."""
    optimizer = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=ADAM_BETA_1)
    optimizer.build(variables)
    return optimizer


class _Critic:
    """The discriminator's side of both games: its optimizer, its loss, and its inputs."""

    def __init__(self, discriminator, learning_rate, label_smoothing, conditional):
        self.network = discriminator
        self.optimizer = _adam(discriminator.trainable_variables, learning_rate)
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.real_target = 1.0 - float(label_smoothing)
        self.conditional = conditional

    def inputs(self, item, y):
        """A network's inputs: the item, and its one-hot class when conditional."""
        return [item, y] if self.conditional else item

    def fooled(self, items, y, training=False):
        """The cross-entropy of "real" on ``items``: what a generator minimises."""
        import tensorflow as tf

        logit = self.network(self.inputs(items, y), training=training)
        return self.bce(tf.ones_like(logit), logit)

    def step(self, x, y, fakes):
        """One step on real items ``x`` against the mean loss over the batches ``fakes``.

        A conditional critic also learns to call real items shown with a wrong
        class "fake" (the matching-aware discriminator of Reed et al. 2016):
        otherwise nothing in its game makes it check that an item fits its
        class, and the generator may draw good items of the wrong one.
        """
        import tensorflow as tf

        fakes = [(tf.stop_gradient(fake), y) for fake in fakes]
        if self.conditional:
            fakes.append((x, _wrong_classes(y)))
        with tf.GradientTape() as tape:
            real = self.network(self.inputs(x, y), training=True)
            loss = self.bce(tf.fill(tf.shape(real), self.real_target), real)
            for fake, fake_y in fakes:
                logit = self.network(self.inputs(fake, fake_y), training=True)
                loss += self.bce(tf.zeros_like(logit), logit) / len(fakes)
        grads = tape.gradient(loss, self.network.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.network.trainable_variables))
        return loss


def _wrong_classes(y):
    """One-hot classes ``y`` (batch, n_classes) each moved to another class.

    Row i's class moves on by ``1 + i mod (n_classes - 1)``, never back to
    itself; the batches are shuffled, so an item meets different wrong
    classes from epoch to epoch.
    """
    import tensorflow as tf

    n_classes = tf.shape(y)[1]
    shift = 1 + tf.range(tf.shape(y)[0]) % tf.maximum(n_classes - 1, 1)
    wrong = (tf.argmax(y, axis=1, output_type=tf.int32) + shift) % n_classes
    return tf.one_hot(wrong, n_classes, dtype=y.dtype)


def _run_epochs(step, X, labels, noise_widths, *, epochs, batch_size, seed, verbose, names,
                augment=None):
    """The adversarial loops' epochs: shuffled full batches, fresh N(0, I) noise per batch.

    ``step(x, y, *noise)`` takes a batch, its one-hot labels (an empty array
    when unconditional) and one standard normal array per entry of
    ``noise_widths``, and returns one loss per entry of ``names``. It is
    compiled with ``tf.function`` unless the run is too short to repay the
    tracing. ``augment(items, rng)``, if given, transforms each batch of ``X``.
    """
    import tensorflow as tf

    from .training import EAGER_MAX_STEPS, _full_batches, _report

    n_samples = len(X)
    if epochs * -(-n_samples // batch_size) > EAGER_MAX_STEPS:
        step = tf.function(step)
    rng = np.random.default_rng(seed)
    no_labels = np.zeros((batch_size, 0), dtype=np.float32)
    history = {name: [] for name in names}
    for epoch in range(1, epochs + 1):
        order = _full_batches(np.arange(n_samples), batch_size, rng)
        totals = np.zeros(len(names))
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            noise = [rng.standard_normal((batch_size, w)).astype(np.float32) for w in noise_widths]
            y = labels[batch] if labels is not None else no_labels
            items = X[batch] if augment is None else augment(X[batch], rng)
            losses = step(*(tf.convert_to_tensor(a) for a in (items, y, *noise)))
            totals += [float(v) for v in losses]
        for name, total in zip(names, totals / (len(order) // batch_size)):
            history[name].append(float(total))
        _report(epoch, epochs, history, verbose)
    if verbose == 1:
        print(file=sys.stderr)
    return history
