"""Dense (fully connected) autoencoder for tabular rows."""

import keras


def dense_stack(h, hidden_units, *, activation="relu", dropout=0.0, prefix="enc"):
    """Apply dense layers of widths ``hidden_units`` to tensor ``h`` (dropout after each)."""
    for i, units in enumerate(hidden_units):
        h = keras.layers.Dense(units, activation=activation, name=f"{prefix}_{i}")(h)
        if dropout:
            h = keras.layers.Dropout(dropout, name=f"{prefix}_dropout_{i}")(h)
    return h


def build_dense_autoencoder(
    n_features, hidden_units, latent_dim, *, activation="relu", output_activation=None,
    dropout=0.0,
):
    """Build a symmetric dense autoencoder.

    Parameters
    ----------
    n_features : int
        Width of the input rows.
    hidden_units : sequence of int
        Widths of the encoder's hidden layers, outermost first; the decoder
        mirrors them.
    latent_dim : int
        Width of the code layer (linear activation).
    activation : str, default="relu"
        Activation of the hidden layers.
    output_activation : str or None, default=None
        Activation of the reconstruction layer (None = linear, for
        standardised data; "sigmoid" for data in [0, 1]).
    dropout : float, default=0.0
        Dropout rate after each hidden layer (training only).

    Returns
    -------
    autoencoder, encoder, decoder : keras.Model
        Uncompiled models; ``autoencoder`` chains the other two and shares
        their weights.
    """
    inputs = keras.Input(shape=(n_features,), name="x")
    h = dense_stack(inputs, hidden_units, activation=activation, dropout=dropout, prefix="enc")
    code = keras.layers.Dense(latent_dim, name="code")(h)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(latent_dim,), name="z")
    h = dense_stack(
        code_in, tuple(reversed(hidden_units)), activation=activation, dropout=dropout, prefix="dec"
    )
    outputs = keras.layers.Dense(n_features, activation=output_activation, name="recon")(h)
    decoder = keras.Model(code_in, outputs, name="decoder")

    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder
