"""Several autoencoders side by side in one Keras model: an ensemble trained and run at once."""

import keras


def build_ensemble(member, n_members):
    """Build ``n_members`` autoencoders of one kind as one model.

    Every member sees the same input; their reconstructions are concatenated
    along the last axis (a row of ``d`` values becomes ``n_members * d``
    values, an image of ``c`` channels ``n_members * c`` channels), and so
    are their codes. Trained against the input tiled ``n_members`` times, the
    mean squared error is the mean of the members' own losses, and since the
    members share no weight each learns as if alone, from its own
    initialisation. One call runs them all, which costs far less than one call
    per member on small rows.

    Parameters
    ----------
    member : dict
        The network spec of one member: ``{"builder": name, "kwargs": {...}}``
        of an autoencoder builder (:data:`aeguard.networks.BUILDERS`).
    n_members : int
        Number of members, at least 1.

    Returns
    -------
    autoencoder, encoder, decoder : keras.Model
        Uncompiled; the encoder outputs the members' codes side by side, and
        the decoder takes them so.
    """
    from . import BUILDERS

    if n_members < 1:
        raise ValueError(f"n_members must be at least 1; got {n_members}")
    members = [BUILDERS[member["builder"]](**member["kwargs"]) for _ in range(n_members)]
    _, encoder, decoder = members[0]
    inputs = keras.Input(shape=encoder.input_shape[1:], name="x")
    latent_dim = encoder.output_shape[-1]
    codes = [keras.Model(enc.input, enc.output, name=f"encoder_{i}")(inputs)
             for i, (_, enc, _) in enumerate(members)]
    joined = _joined(codes, "codes")
    encoder = keras.Model(inputs, joined, name="encoder")

    code_in = keras.Input(shape=(n_members * latent_dim,), name="z")
    outputs = []
    for i, (_, _, dec) in enumerate(members):
        part = keras.layers.Lambda(
            lambda z, i=i: z[:, i * latent_dim:(i + 1) * latent_dim], name=f"code_{i}",
            output_shape=(latent_dim,),
        )(code_in)
        outputs.append(keras.Model(dec.input, dec.output, name=f"decoder_{i}")(part))
    decoder = keras.Model(code_in, _joined(outputs, "reconstructions"), name="decoder")

    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder


def _joined(tensors, name):
    """The tensors side by side along the last axis (one tensor: itself, under that name)."""
    if len(tensors) == 1:
        return keras.layers.Identity(name=name)(tensors[0])
    return keras.layers.Concatenate(axis=-1, name=name)(tensors)
