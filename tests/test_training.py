"""The Keras side's inference helper: chunked forward passes."""

import numpy as np

from aeguard.networks import training


def test_chunk_rows_grows_for_small_rows_only():
    assert training.chunk_rows(np.zeros((10, 9))) == training.INFERENCE_VALUES // 9
    assert training.chunk_rows(np.zeros((10, 28, 28, 1))) == training.INFERENCE_CHUNK
    assert training.chunk_rows((np.zeros((10, 784)), np.zeros((10, 10)))) == \
        training.INFERENCE_CHUNK


def test_chunk_rows_counts_a_models_wide_outputs():
    """A decoder's 8-value codes become 784-value images: chunked as images, not as codes."""
    import keras

    inputs = keras.Input((8,))
    decoder = keras.Model(inputs, keras.layers.Reshape((28, 28, 1))(keras.layers.Dense(784)(inputs)))
    codes = np.zeros((10, 8))
    assert training.chunk_rows(codes) == training.INFERENCE_VALUES // 8
    assert training.chunk_rows(codes, decoder) == training.INFERENCE_CHUNK


def test_forward_gives_the_same_outputs_in_any_chunks():
    """Chunking is invisible: one pass, many small ones and the default agree."""
    import keras

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1001, 5)).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(7, activation="relu"),
                              keras.layers.Dense(5)])
    whole = training.forward(model, X, chunk_size=len(X))
    np.testing.assert_allclose(training.forward(model, X, chunk_size=64), whole, rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_array_equal(training.forward(model, X), whole)
    assert training.forward(model, X[:0]).shape == (0, 5)
