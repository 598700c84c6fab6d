"""Keras side of the estimators: seeding, the fit loop and batched inference.

Imported lazily (from ``fit``, scoring and loading), so that ``import aeguard``
and ``aeguard --help`` do not pay Keras's multi-second import.
"""

import contextlib
import math
import logging
import random
import sys

import numpy as np

logger = logging.getLogger(__name__)

#: Rows (or windows) per forward pass at inference, for every estimator. A
#: direct model call on a large batch is far faster than ``model.predict`` at
#: its default batch of 32, and the chunk bounds memory.
INFERENCE_CHUNK = 4096
#: Small rows go in larger chunks, up to this many input values per pass: each
#: call costs milliseconds of its own, which dominate for narrow tables (100,000
#: rows of 9 values score several times faster in one call than in 25).
INFERENCE_VALUES = 1 << 20

#: Below this many optimizer steps, tracing a tf.function (~0.5-1 s) costs more
#: than it saves (an eager step costs ~30 ms), so training runs eagerly.
EAGER_MAX_STEPS = 16


@contextlib.contextmanager
def seeded(seed):
    """Seed Keras (and TensorFlow) for one fit, restoring Python's and NumPy's global RNGs.

    ``keras.utils.set_random_seed`` also reseeds the ``random`` and
    ``numpy.random`` global generators; the caller's state of those is put back
    on exit so fitting never perturbs user code. TensorFlow's global seed cannot
    be read back, so it stays set.
    """
    import keras

    py_state, np_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(int(seed))
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def build_networks(spec):
    """Build ``(autoencoder, encoder, decoder)`` from a network spec dict."""
    from . import BUILDERS

    return BUILDERS[spec["builder"]](**spec["kwargs"])


def train(
    model,
    X,
    target,
    *,
    validation,
    epochs,
    batch_size,
    learning_rate,
    patience,
    verbose,
    seed,
    trim=0.0,
    loss="mse",
    row_loss=None,
    corrupt=None,
    augment=None,
    again=False,
):
    """Compile and train ``model`` on ``X -> target`` with early stopping.

    A plain loop over ``train_on_batch`` with NumPy shuffling: for the small
    networks used here it is several times faster than ``model.fit``, whose
    per-epoch dataset and validation set-up dominates (measured ~180 ms per
    epoch against ~25 ms).

    Parameters
    ----------
    X : ndarray or tuple of ndarray
        Network input; a tuple for a network with several inputs (rows
        aligned), such as a conditional VAE's images and one-hot labels.
    validation : tuple (X_val, target_val) or None
        Held-out data monitored for early stopping; without it the training
        loss is monitored.
    patience : int
        Epochs without improvement before stopping; the best epoch's weights
        are restored.
    verbose : int
        0 silent; 1 a progress line updated in place on stderr; 2 one line per
        epoch on stderr.
    seed : int
        Seeds the shuffling order.
    trim : float, default=0.0
        Fraction of the worst-reconstructed rows left out of each epoch after
        the first (and of the validation loss), so that anomalies in the
        training data are not learned. Each epoch re-ranks all rows, so a
        normal row dropped early comes back once the model fits it.
    loss : str or callable, default="mse"
        The training loss, as ``keras.Model.compile`` takes it.
    row_loss : callable, default=None
        ``row_loss(model, X, target)`` -> loss of each row, as float64: what
        trimming ranks and the validation loss averages. None: :func:`row_errors`
        (the mean squared error, the autoencoders' anomaly score).
    corrupt : callable, default=None
        ``corrupt(inputs, rng)`` -> corrupted copy of a batch's inputs, applied
        afresh to every batch of every epoch (a denoising autoencoder trained
        on its own data); ``rng`` is the fit's seeded NumPy generator.
    augment : callable, default=None
        ``augment(images, rng)`` -> transformed copy of a batch's images
        (rotated, mirrored), applied afresh to every batch of every epoch, to
        the input images and to the target alike (the same draw for both).
    again : bool, default=False
        The model is trained many times with the same settings (the online
        updates of an adaptive series detector). The first call compiles it
        in graph mode however short the run; later calls reuse that compiled
        step, with the optimizer's state reset (a fresh Adam each time, as a
        new compile would give) instead of tracing the step anew.

    Returns
    -------
    history : dict of str -> list of float
        ``"loss"`` (mean training batch loss) and, with validation data,
        ``"val_loss"``, per epoch.
    best_epoch : int
        1-based epoch whose weights were kept.
    """
    import keras

    row_loss = row_loss or row_errors
    n_samples = n_rows(X)
    n_steps = epochs * -(-n_samples // batch_size)
    if again and model.compiled and not model.run_eagerly:
        _fresh_optimizer_state(model.optimizer, learning_rate)
    else:
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss=loss,
            run_eagerly=not again and n_steps <= EAGER_MAX_STEPS,
        )
        # Create the optimizer's slots now: created inside the first compiled step,
        # they make TensorFlow trace that step twice.
        model.optimizer.build(model.trainable_variables)
    rng = np.random.default_rng(seed)
    history = {"loss": []}
    if validation is not None:
        history["val_loss"] = []
    best, best_epoch, best_weights, waited = np.inf, 0, None, 0
    for epoch in range(1, epochs + 1):
        if trim and epoch > 1:
            keep = _trimmed(row_loss(model, X, target), trim)
        else:
            keep = np.arange(n_samples)
        order = _full_batches(keep, batch_size, rng)
        total = 0.0
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            inputs, batch_target = take_rows(X, batch), target[batch]
            if augment is not None:
                inputs, batch_target = _augmented(augment, inputs, batch_target, rng)
            if corrupt is not None:
                inputs = corrupt(inputs, rng)
            batch_loss = model.train_on_batch(
                _keras_input(inputs), batch_target, return_dict=True
            )["loss"]
            total += float(batch_loss) * len(batch)
        history["loss"].append(total / len(order))
        if validation is not None:
            val_errors = row_loss(model, *validation)
            history["val_loss"].append(float(val_errors[_trimmed(val_errors, trim)].mean()))
        current = history["val_loss" if validation is not None else "loss"][-1]
        _report(epoch, epochs, history, verbose)
        if current < best:
            best, best_epoch, waited = current, epoch, 0
            best_weights = [np.array(w) for w in model.get_weights()]
        else:
            waited += 1
            if waited >= patience:
                break
    if verbose == 1:
        print(file=sys.stderr)
    if best_weights is not None:
        model.set_weights(best_weights)
    return history, max(best_epoch, 1)


def _fresh_optimizer_state(optimizer, learning_rate):
    """Reset a built optimizer to the state of a new one: step count and moments zero."""
    for variable in optimizer.variables:
        variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    optimizer.learning_rate = learning_rate


def _augmented(augment, inputs, target, rng):
    """The batch's images (the first input, and the target) transformed by one draw of ``augment``."""
    seed = int(rng.integers(2**63))
    images = inputs[0] if isinstance(inputs, tuple) else inputs
    images = augment(images, np.random.default_rng(seed))
    target = augment(target, np.random.default_rng(seed))
    return ((images,) + inputs[1:] if isinstance(inputs, tuple) else images), target


def _full_batches(rows, batch_size, rng):
    """Shuffle ``rows`` and top them up with random repeats to a multiple of ``batch_size``.

    Every step then sees a batch of the same shape, so the compiled train
    step is traced once per fit; a ragged last batch (whose size changes from
    epoch to epoch when rows are trimmed) would retrace it, at ~0.5 s a time.
    """
    order = rows[rng.permutation(len(rows))]
    short = -len(order) % batch_size
    if short:
        order = np.concatenate([order, rng.choice(rows, size=short, replace=True)])
    return order


def n_rows(X):
    """Number of rows of a network input (an array, or a tuple of aligned arrays)."""
    return len(X[0]) if isinstance(X, tuple) else len(X)


def take_rows(X, rows):
    """Rows ``rows`` (an index array or a slice) of a network input (array or tuple of arrays)."""
    if isinstance(X, tuple):
        return tuple(part[rows] for part in X)
    return X[rows]


def squared_errors(model, X, target):
    """Per-value squared error of the model's output against ``target`` (float32)."""
    return np.square(forward(model, X) - target, dtype=np.float32)


def mean_per_row(errors):
    """Mean of each row's errors over all its values, as float64."""
    # Not reshape(n, -1): that is ambiguous for an empty batch.
    return errors.reshape(len(errors), math.prod(errors.shape[1:])).mean(axis=1, dtype=np.float64)


def row_errors(model, X, target):
    """Mean squared error of each row: the anomaly score, and what trimming ranks."""
    return mean_per_row(squared_errors(model, X, target))


def _trimmed(errors, trim):
    """Indices of the rows whose error is within the (1 - trim) quantile."""
    if not trim:
        return np.arange(len(errors))
    return np.flatnonzero(errors <= np.quantile(errors, 1.0 - trim))


def _report(epoch, epochs, history, verbose):
    if not verbose:
        return
    parts = [f"epoch {epoch}/{epochs}"] + [f"{k} {v[-1]:.4g}" for k, v in history.items()]
    line = "  ".join(parts)
    if verbose == 1:
        # Clear the rest of the line: the previous one may have been longer.
        print("\r" + line + "\033[K", end="", file=sys.stderr, flush=True)
    else:
        print(line, file=sys.stderr, flush=True)


def forward(model, X, chunk_size=None):
    """Run ``model`` on ``X`` (an array, or a tuple for several inputs) in chunks.

    Each row's output depends only on that row, so chunking never changes a
    result. A chunk of a single row is padded to two rows, because oneDNN
    picks a different convolution kernel for a batch of one, which changes
    the last bit of some outputs. ``chunk_size`` rows per chunk; None:
    :func:`chunk_rows`.

    Returns
    -------
    output : ndarray of float32, or list of them for a model with several outputs
    """
    chunk_size = chunk_rows(X, model) if chunk_size is None else chunk_size
    chunks = []
    for start in range(0, n_rows(X), chunk_size):
        chunk = take_rows(X, slice(start, start + chunk_size))
        size = n_rows(chunk)
        if size == 1:
            chunk = take_rows(chunk, np.array([0, 0]))
        out = _as_list(model(_keras_input(chunk), training=False))
        chunks.append([np.asarray(o)[:size] for o in out])
    outputs = model.outputs
    if not chunks:  # an empty batch, e.g. an empty Spark or Dask partition
        result = [np.zeros((0,) + tuple(o.shape[1:]), dtype=np.float32) for o in outputs]
    else:
        result = [
            np.concatenate([c[i] for c in chunks]).astype(np.float32, copy=False)
            for i in range(len(outputs))
        ]
    return result if len(outputs) > 1 else result[0]


def chunk_rows(X, model=None):
    """Rows per inference chunk for ``X``: :data:`INFERENCE_CHUNK`, more for small rows.

    At least ``INFERENCE_CHUNK`` rows, and as many as hold
    :data:`INFERENCE_VALUES` values when rows are small: the input's values
    per row, or ``model``'s outputs' when they are wider (a decoder's small
    codes become whole images, and one pass over 32,768 of them is slower
    than eight of 4,096).
    """
    first = X[0] if isinstance(X, tuple) else X
    shapes = [first.shape] + ([o.shape for o in model.outputs] if model is not None else [])
    values = max(int(np.prod([d for d in shape[1:] if d is not None])) for shape in shapes)
    return max(INFERENCE_CHUNK, INFERENCE_VALUES // max(values, 1))


def _as_list(output):
    return list(output) if isinstance(output, (list, tuple)) else [output]


def _keras_input(X):
    """Several inputs go to Keras as a list (it reads a tuple as one structured input)."""
    return list(X) if isinstance(X, tuple) else X
