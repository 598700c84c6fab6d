"""LSTM sequence-to-sequence autoencoder for windows of a multichannel sensor series."""

import keras


def build_lstm_autoencoder(window, n_channels, units, latent_dim):
    """Build an LSTM encoder-decoder for windows of shape (window, n_channels).

    The encoder's stacked LSTMs read the window and its last state is
    compressed into a dense code; the decoder repeats the code at every step
    and unrolls stacked LSTMs (widths mirrored) into a linear per-step output.

    Parameters
    ----------
    window : int
        Time steps per window.
    n_channels : int
        Sensors (columns) per time step.
    units : sequence of int
        Widths of the encoder's LSTM layers, outermost first.
    latent_dim : int
        Width of the dense code layer.

    Returns
    -------
    autoencoder, encoder, decoder : keras.Model
        Uncompiled models; ``autoencoder`` chains the other two.
    """
    window, n_channels = int(window), int(n_channels)
    inputs = keras.Input(shape=(window, n_channels), name="x")
    h = inputs
    for i, width in enumerate(units):
        last = i == len(units) - 1
        h = keras.layers.LSTM(width, return_sequences=not last, name=f"enc_lstm_{i}")(h)
    code = keras.layers.Dense(latent_dim, name="code")(h)
    encoder = keras.Model(inputs, code, name="encoder")

    code_in = keras.Input(shape=(latent_dim,), name="z")
    h = keras.layers.RepeatVector(window, name="repeat")(code_in)
    for i, width in enumerate(reversed(units)):
        h = keras.layers.LSTM(width, return_sequences=True, name=f"dec_lstm_{i}")(h)
    outputs = keras.layers.Dense(n_channels, name="recon")(h)  # applied at every step
    decoder = keras.Model(code_in, outputs, name="decoder")

    autoencoder = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    return autoencoder, encoder, decoder
