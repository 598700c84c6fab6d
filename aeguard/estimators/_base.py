"""Machinery shared by the aeguard estimators.

The training set-up and pickling of every estimator (:class:`KerasStateMixin`),
and, for the estimators of independent rows and images
(:class:`BaseAutoencoder`), data validation, preprocessing, network sizing and
batched scoring. Each estimator's own module adds only what differs.
"""

import math
import sys
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._params import Interval, Options, PositiveInts, RandomState, validate_params
from ._preprocessing import AUTO_PREPROCESSING, Scaler
from .validation import reject_non_numeric_columns

#: Attributes holding Keras models: rebuilt from ``_network`` + weights when
#: unpickling or loading, never serialised as Keras objects.
KERAS_ATTRIBUTES = ("model_", "encoder_", "decoder_", "generator_", "discriminator_")

COMMON_CONSTRAINTS = {
    "architecture": [Options("auto", "dense", "conv2d")],
    "latent_dim": [Options(None), Interval(Integral, 1, None)],
    "hidden_units": [Options(None), PositiveInts()],
    "filters": [Options(None), PositiveInts()],
    "epochs": [Options("auto"), Interval(Integral, 1, None)],
    "batch_size": [Options("auto"), Interval(Integral, 1, None)],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "dropout": [Interval(Real, 0, 1, closed="left")],
    "validation_fraction": [Options(None), Interval(Real, 0, 1, closed="left")],
    "patience": [Interval(Integral, 1, None)],
    "preprocessing": [Options("auto", "standard", "minmax", "unit", None)],
    "random_state": [RandomState()],
    "verbose": [Interval(Integral, 0, 2)],
}


def auto_dense_sizes(n_features):
    """Hidden widths and code width for a dense autoencoder on ``n_features`` columns.

    The code is about a quarter of the input width (at least 1), so the network
    must compress; the hidden layers are wider than the input (at least 16,
    at most 128) so that they can model interactions before compressing.
    """
    latent_dim = max(1, math.ceil(n_features / 4))
    first = int(np.clip(2 * n_features, 16, 128))
    second = int(np.clip(n_features, 8, 64))
    return (first, second), latent_dim


def auto_batch_size(n_train):
    """Training batch size: about a tenth of the data, between 16 and 256."""
    return int(np.clip(n_train // 10, 16, 256))


def resolve_batch_size(batch_size, n_train):
    """The batch size to train with: "auto" or ``batch_size``, capped (with a warning) at ``n_train``."""
    if batch_size == "auto":
        return min(auto_batch_size(n_train), n_train)
    if batch_size > n_train:
        warnings.warn(
            f"batch_size ({batch_size}) is greater than the number of training rows "
            f"({n_train}); batch_size_ is set to {n_train}.",
            UserWarning,
        )
    return min(batch_size, n_train)


def auto_epochs(n_train, batch_size, steps=300, low=10, high=30):
    """Maximum epochs: about ``steps`` optimizer steps, between ``low`` and ``high`` epochs.

    The detectors' default of 300 steps is short on purpose: training data
    for a detector usually holds some anomalies, and a long training run
    learns to reconstruct them too; on the ADBench tabular sets a short run
    ranked anomalies better, and is faster.
    """
    steps_per_epoch = math.ceil(n_train / batch_size)
    return int(np.clip(math.ceil(steps / steps_per_epoch), low, high))


class KerasStateMixin:
    """Training and pickling for estimators holding Keras models built from a ``_network`` spec.

    :meth:`_train_network` is the one training set-up; ``__getstate__`` swaps the Keras models (``KERAS_ATTRIBUTES``) for their
    weights; ``__setstate__`` rebuilds them with aeguard's own builders. Model
    files (:mod:`aeguard.persistence`) rely on ``_restore_networks`` too.
    """

    def __getstate__(self):
        state = super().__getstate__().copy()  # BaseEstimator records _sklearn_version
        if "model_" in state:
            state["_weights"] = [np.asarray(w) for w in state["model_"].get_weights()]
            for name in KERAS_ATTRIBUTES:
                state.pop(name, None)
        state.pop("_neighbors_index", None)  # rebuilt from gallery_codes_ on first use
        return state

    def __setstate__(self, state):
        weights = state.pop("_weights", None)
        self.__dict__.update(state)
        if weights is not None:
            self._restore_networks(weights)

    def _train_network(self, inputs, target, rng, seed):
        """Build ``self._network`` and train it on ``inputs -> target``: every estimator's set-up.

        Holds out ``validation_fraction`` of the rows for early stopping,
        resolves ``batch_size`` and ``epochs`` (``"auto"``: the estimator's
        :meth:`_epochs_rule`), seeds Keras with ``seed`` and trains with the
        estimator's :meth:`_training_options`. Sets ``model_``, ``encoder_``,
        ``decoder_``, ``batch_size_``, ``history_``, ``best_epoch_`` and
        ``n_epochs_``.
        """
        from ..networks import training

        train_idx, val_idx = split_validation(training.n_rows(inputs), self.validation_fraction,
                                              rng)
        options = self._training_options()
        validation = None
        if len(val_idx):
            val_inputs = training.take_rows(inputs, val_idx)
            if options.get("corrupt") is not None:  # one fixed draw of noise
                val_inputs = options["corrupt"](val_inputs, np.random.default_rng(seed))
            validation = (val_inputs, target[val_idx])
        n_train = len(train_idx)
        if self.verbose:
            print(f"training on {self._describe_training_data(inputs)} ...", file=sys.stderr,
                  flush=True)
        self.batch_size_ = resolve_batch_size(self.batch_size, n_train)
        if self.epochs == "auto":
            max_epochs = auto_epochs(n_train, self.batch_size_, *self._epochs_rule())
        else:
            max_epochs = self.epochs
        with training.seeded(seed):
            self.model_, self.encoder_, self.decoder_ = training.build_networks(self._network)
            self.history_, self.best_epoch_ = training.train(
                self.model_,
                training.take_rows(inputs, train_idx),
                target[train_idx],
                validation=validation,
                epochs=max_epochs,
                batch_size=self.batch_size_,
                learning_rate=self._learning_rate(),
                patience=self.patience,
                verbose=self.verbose,
                seed=seed,
                **options,
            )
        self.n_epochs_ = len(self.history_["loss"])

    def _learning_rate(self):
        """Adam's learning rate for this fit: ``learning_rate`` (estimators may resolve "auto")."""
        return self.learning_rate

    def _restore_networks(self, weights):
        """Rebuild the Keras models from ``_network`` and set their weights."""
        from ..networks import training as _training

        self.model_, self.encoder_, self.decoder_ = _training.build_networks(self._network)
        self.model_.set_weights(weights)


class ItemsMixin:
    """Input handling of the estimators of independent rows and images.

    Validation (rows, or channel-last images), the fitted scaler applied and
    undone, and the choice of architecture. Needs ``scaler_`` and
    ``architecture_`` once fitted.
    """

    # ------------------------------------------------------------------ data
    def _validate_X(self, X, *, reset):
        """Validate X; return it as float32 rows (n, d) or channel-last images (n, h, w, c).

        Grey-scale images of shape (n, h, w) get a channel axis, so scaling
        and networks always see (n, h, w, c). Sets ``n_features_in_``,
        ``feature_names_in_`` (tabular input with column names) and
        ``input_shape_`` (one sample's shape as given) when ``reset`` is true;
        otherwise checks X against them. Outside ``fit``, an empty X is valid
        (scoring an empty partition returns empty results).
        """
        reject_non_numeric_columns(X, type(self).__name__)
        min_samples = 2 if reset else 0
        image = _ndim(X) in (3, 4) if reset else self._fitted_on_images()
        if not image:
            X = validate_data(self, X, reset=reset, dtype=np.float32, ensure_min_samples=min_samples)
            if reset:
                self.input_shape_ = (X.shape[1],)
            return X

        X = check_array(
            X, allow_nd=True, dtype=np.float32, ensure_min_samples=min_samples, input_name="X"
        )
        if X.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} was fitted on images of shape {self.input_shape_}; "
                f"X must have shape (n_samples, {', '.join(map(str, self.input_shape_))}), "
                f"got an array of shape {X.shape}."
            )
        if reset:
            self.input_shape_ = tuple(int(s) for s in X.shape[1:])
            self.n_features_in_ = int(np.prod(self.input_shape_))
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        elif _channel_last(X.shape[1:]) != _channel_last(self.input_shape_):
            # (h, w) and (h, w, 1) are the same grey-scale images.
            raise ValueError(
                f"X has images of shape {X.shape[1:]}, but {type(self).__name__} was "
                f"fitted on images of shape {self.input_shape_}."
            )
        return X.reshape((len(X),) + _channel_last(X.shape[1:]))

    def _fitted_on_images(self):
        return len(self.input_shape_) > 1

    def _to_network(self, X):
        """Scale validated X and give it the network's input shape."""
        Xs = self.scaler_.transform(X)
        if self.architecture_ == "dense":
            return Xs.reshape(len(Xs), math.prod(Xs.shape[1:]))
        return Xs

    def _from_network(self, Xs, shape):
        """Undo :meth:`_to_network` on the network's output; return it with ``shape``."""
        if self._fitted_on_images():
            Xs = Xs.reshape((len(Xs),) + _channel_last(self.input_shape_))
        return self.scaler_.inverse_transform(Xs).reshape(shape)

    def _augmenter(self):
        """The per-batch augmentation of the ``augment`` parameter (None: none)."""
        from ._augment import augmenter

        shape = _channel_last(self.input_shape_) if self._fitted_on_images() else None
        return augmenter(self.augment, shape, flat=self.architecture_ == "dense")

    # ---------------------------------------------------------------- sizing
    def _resolve_architecture(self, X):
        image = self._fitted_on_images()
        if self.architecture == "auto":
            return "conv2d" if image else "dense"
        if self.architecture == "conv2d" and not image:
            raise ValueError(
                "architecture='conv2d' needs images of shape (n_samples, height, width) or "
                f"(n_samples, height, width, channels); got X of shape {X.shape}. "
                "Use architecture='dense' (or 'auto') for tabular rows."
            )
        return self.architecture


class BaseAutoencoder(ItemsMixin, KerasStateMixin, BaseEstimator):
    """Base class of the autoencoder estimators; not for direct use.

    Subclasses define ``__init__`` (storing parameters only) and extend
    ``_constraints``, the table of parameter constraints checked in ``fit``.
    """

    _constraints = COMMON_CONSTRAINTS

    # ---------------------------------------------------------------- sizing
    def _network_spec(self, X, output_activation):
        """Choose the builder and its sizes for validated input X."""
        if self.architecture_ == "dense":
            n_features = int(np.prod(X.shape[1:]))
            hidden, latent = auto_dense_sizes(n_features)
            self.latent_dim_ = self.latent_dim if self.latent_dim is not None else latent
            self.hidden_units_ = tuple(self.hidden_units) if self.hidden_units else hidden
            kwargs = {
                "n_features": n_features,
                "hidden_units": self.hidden_units_,
                "latent_dim": self.latent_dim_,
                "output_activation": output_activation,
                "dropout": float(getattr(self, "dropout", 0.0)),
            }
            return {"builder": "dense", "kwargs": kwargs}
        shape = X.shape[1:]
        self.latent_dim_ = self.latent_dim if self.latent_dim is not None else 16
        self.filters_ = tuple(self.filters) if self.filters else (32, 64)
        kwargs = {
            "input_shape": tuple(int(s) for s in shape),
            "filters": self.filters_,
            "latent_dim": self.latent_dim_,
            "output_activation": output_activation,
        }
        return {"builder": "conv2d", "kwargs": kwargs}

    def _output_activation(self, Xs):
        """Activation of the reconstruction layer for scaled training data ``Xs``."""
        return "sigmoid" if self.preprocessing_ in ("unit", "minmax") else None

    # ------------------------------------------------------------------- fit
    def _fit_autoencoder(self, X, labels=None, clean=None):
        """Validate, preprocess, build and train; return the scaled network input.

        The network learns to reproduce X, or, given ``clean`` (same shape as
        X), to map X to ``clean``; the scaling is then learned from
        ``clean``. ``labels`` (one-hot, aligned with X) become the network's
        second input when given: a conditional network's class.
        """
        validate_params(self, self._constraints)
        for name in ("hidden_units_", "filters_"):  # from an earlier fit of another architecture
            self.__dict__.pop(name, None)
        X = self._validate_X(X, reset=True)
        C = X if clean is None else self._validate_clean(clean, X)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))

        self.architecture_ = self._resolve_architecture(X)
        method = self.preprocessing
        image = self._fitted_on_images()
        if method == "auto":
            method = AUTO_PREPROCESSING["image" if image else "tabular"]
        self.scaler_ = Scaler.fit(C, method, image=image)
        self.preprocessing_ = method
        Xs = self._to_network(X)
        target = Xs if clean is None else self._to_network(C)
        self._before_training(C, target)
        self._network = self._network_spec(X, self._output_activation(target))

        inputs = Xs if labels is None else (Xs, labels)
        self._train_network(inputs, self._training_target(target), rng, seed)
        return Xs

    def _validate_clean(self, clean, X):
        """Clean targets of validated X: same samples, same shape, finite."""
        C = check_array(clean, allow_nd=True, dtype=np.float32, ensure_min_samples=0,
                        ensure_2d=False, input_name="y")
        if len(C) != len(X) or C.size != X.size:
            raise ValueError(
                f"y must hold the clean version of each sample of X, with X's shape; X has "
                f"{len(X)} samples of {X.size // max(len(X), 1)} values, y has shape {C.shape}."
            )
        return C.reshape(X.shape)

    def _training_target(self, target):
        """Hook: what the network's output is trained against, given the scaled clean data."""
        return target

    def _before_training(self, C, target):
        """Hook: see the clean training data (raw and scaled) before the network is built."""

    def _describe_training_data(self, inputs):
        """What the network trains on, in words, for the progress display."""
        from ..networks.training import n_rows

        X = inputs[0] if isinstance(inputs, tuple) else inputs
        if self._fitted_on_images():
            shape = " x ".join(str(s) for s in self.input_shape_)
            return f"{n_rows(inputs):,} images of {shape}"
        return f"{n_rows(inputs):,} rows x {X.shape[1]} columns"

    def _epochs_rule(self):
        """``(steps, low, high)`` of ``epochs="auto"``: see :func:`auto_epochs`."""
        return 300, 10, 30

    def _training_options(self):
        """Keyword arguments of :func:`aeguard.networks.training.train` that differ by estimator."""
        return {"trim": self._trim_fraction()}

    def _trim_fraction(self):
        """Fraction of worst-reconstructed training rows to leave out of each epoch."""
        return 0.0

    # --------------------------------------------------------------- outputs
    def _squared_errors(self, Xs):
        """Per-value squared reconstruction error of scaled network input."""
        from ..networks.training import squared_errors

        return squared_errors(self.model_, Xs, Xs)

    def _scores_from_scaled(self, Xs):
        from ..networks.training import mean_per_row

        return mean_per_row(self._squared_errors(Xs))

    def _scaled(self, X):
        """Check the estimator is fitted; validate X and scale it into the network's input."""
        check_is_fitted(self)
        return self._to_network(self._validate_X(X, reset=False))

    def _encode(self, X):
        """Latent codes of X (``transform`` in the public classes)."""
        from ..networks.training import forward

        Xs = self._scaled(X)  # first: it raises NotFittedError before encoder_ is read
        return forward(self.encoder_, Xs).astype(np.float64)

    def reconstruct(self, X):
        """Reconstruct X through the autoencoder, in X's own shape and scale.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.

        Returns
        -------
        X_rec : ndarray of the same shape as X
            Reconstructions with the preprocessing undone.
        """
        shape = given_shape(X)
        Xs = self._scaled(X)  # first: it raises NotFittedError before model_ is read
        return self._from_network(self._reconstruction(Xs), shape)

    def _reconstruction(self, Xs):
        """The network's reconstruction of scaled input, in the input's shape."""
        from ..networks.training import forward

        return forward(self.model_, Xs)

    def feature_scores(self, X):
        """Per-feature reconstruction error: which features made a sample anomalous.

        The squared difference between each (preprocessed) value and its
        reconstruction. :meth:`score_samples` is its mean over features, so
        a row's largest entries name the features that drove its score.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or (n_samples, h, w[, c])
            Data of the kind seen in ``fit``.

        Returns
        -------
        errors : ndarray of shape (n_samples, n_features) or X's image shape
            Squared errors in the preprocessed scale; higher = more anomalous.
        """
        return self._errors_and_feature_scores(X)[1]

    def _errors_and_feature_scores(self, X):
        """One pass of the network: the per-row errors scores average (float32, one row per
        sample) and the same errors as :meth:`feature_scores` returns them (X's shape, float64)."""
        shape = given_shape(X)
        errors = self._squared_errors(self._scaled(X))
        return errors, errors.reshape(shape).astype(np.float64)

    @property
    def _n_features_out(self):
        return self.latent_dim_


def given_shape(X):
    """The shape of X as the caller gave it (array, DataFrame, list or array-like)."""
    shape = getattr(X, "shape", None)
    return tuple(shape) if shape is not None else np.asarray(X).shape


def _channel_last(shape):
    """One image's shape with its channel axis: (h, w) -> (h, w, 1)."""
    return tuple(shape) if len(shape) == 3 else tuple(shape) + (1,)


def _ndim(X):
    ndim = getattr(X, "ndim", None)
    # np.asarray, not np.ndim: array-likes may implement only __array__.
    return ndim if ndim is not None else np.asarray(X).ndim


def split_validation(n_samples, fraction, rng):
    """Shuffled train/validation indices; no validation set if either side would be empty."""
    order = rng.permutation(n_samples)
    n_val = int(round((fraction or 0.0) * n_samples))
    if n_val < 1 or n_samples - n_val < 1:
        return order, order[:0]
    return order[n_val:], order[:n_val]
