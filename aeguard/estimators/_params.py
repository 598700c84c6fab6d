"""Parameter validation with scikit-learn's wording, without its private API.

scikit-learn's ``_parameter_constraints`` machinery is private and changes
between releases; this small version keeps the same message template:
"The 'name' parameter of Class must be <constraint>. Got <value> instead."
"""

from numbers import Integral

import numpy as np


class Options:
    """One of a fixed set of values (strings, None, ...)."""

    def __init__(self, *values):
        self.values = values

    def is_satisfied_by(self, value):
        return any(value is v or (isinstance(v, str) and value == v) for v in self.values)

    def __str__(self):
        return "one of " + ", ".join(repr(v) for v in self.values)


class Interval:
    """A number of ``kind`` (Integral or Real) in an interval."""

    def __init__(self, kind, left, right, closed="both"):
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.kind):
            return False
        if self.left is not None:
            if value < self.left or (value == self.left and self.closed in ("right", "neither")):
                return False
        if self.right is not None:
            if value > self.right or (value == self.right and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self):
        kind = "an int" if self.kind is Integral else "a float"
        left = "-inf" if self.left is None else self.left
        right = "inf" if self.right is None else self.right
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {lb}{left}, {right}{rb}"


class PositiveInts:
    """A non-empty tuple or list of positive ints."""

    def is_satisfied_by(self, value):
        return (
            isinstance(value, (tuple, list))
            and len(value) > 0
            and all(isinstance(v, Integral) and not isinstance(v, bool) and v > 0 for v in value)
        )

    def __str__(self):
        return "a non-empty tuple of positive ints"


class RandomState:
    """None, an int seed in [0, 2**32 - 1] (NumPy's range) or a numpy RandomState."""

    def is_satisfied_by(self, value):
        return (
            value is None
            or Interval(Integral, 0, 2**32 - 1).is_satisfied_by(value)
            or isinstance(value, np.random.RandomState)
        )

    def __str__(self):
        return "an int in the range [0, 4294967295], a numpy RandomState or None"


def validate_params(estimator, constraints):
    """Raise ValueError if a parameter breaks its constraints.

    Parameters
    ----------
    estimator : BaseEstimator
        The estimator whose ``get_params(deep=False)`` is checked.
    constraints : dict
        Parameter name -> list of constraint objects; any one may be met.
    """
    params = estimator.get_params(deep=False)
    for name, options in constraints.items():
        value = params[name]
        if any(c.is_satisfied_by(value) for c in options):
            continue
        wanted = " or ".join(str(c) for c in options)
        raise ValueError(
            f"The {name!r} parameter of {type(estimator).__name__} must be {wanted}. "
            f"Got {value!r} instead."
        )


def check_n_samples(n_samples):
    """The ``n_samples`` of a ``sample`` method: a non-negative int."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral):
        raise TypeError(f"n_samples must be an int, got {n_samples!r}.")
    if n_samples < 0:
        raise ValueError(f"n_samples must be >= 0, got {n_samples}.")
