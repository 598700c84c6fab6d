"""The Keras side's helpers: chunked forward passes, ensembles, a model trained again and again."""

import numpy as np
import pytest

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


def test_build_ensemble_joins_independent_members():
    """Members see the same input, share no weight, and their outputs and codes sit side by side."""
    from aeguard.networks.ensemble import build_ensemble

    member = {"builder": "dense", "kwargs": {"n_features": 5, "hidden_units": (8,),
                                             "latent_dim": 2}}
    with training.seeded(0):
        model, encoder, decoder = build_ensemble(member, 3)
    X = np.random.default_rng(0).normal(size=(7, 5)).astype(np.float32)
    out = training.forward(model, X)
    assert out.shape == (7, 15) and training.forward(encoder, X).shape == (7, 6)
    np.testing.assert_allclose(out, training.forward(decoder, training.forward(encoder, X)),
                               rtol=1e-5, atol=1e-6)
    parts = np.split(out, 3, axis=1)
    assert not np.allclose(parts[0], parts[1])
    with pytest.raises(ValueError, match="n_members must be at least 1"):
        build_ensemble(member, 0)


def test_training_again_reuses_the_compiled_step_with_a_fresh_optimizer(monkeypatch):
    """train(again=True) a second time: no new compile, and the weights a new compile gives."""
    import keras

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)

    def model():
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(2), keras.layers.Dense(4)])

    options = dict(validation=None, epochs=2, batch_size=16, learning_rate=1e-2, patience=2,
                   verbose=0, seed=0)
    reused, fresh = model(), model()
    training.train(reused, X, X, again=True, **options)
    assert reused.compiled and not reused.run_eagerly  # 8 steps, yet a compiled step
    step = reused.train_function
    training.train(reused, X, X, again=True, **options)
    assert reused.train_function is step
    assert int(reused.optimizer.iterations) == 8  # counted from zero again, not 16
    # The same two trainings, each compiled anew (in graph mode, as the reused step is).
    monkeypatch.setattr(training, "EAGER_MAX_STEPS", 0)
    training.train(fresh, X, X, **options)
    training.train(fresh, X, X, **options)
    for ours, theirs in zip(reused.get_weights(), fresh.get_weights()):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)
