"""Checks on the data given to the estimators, shared with the command line's column selection."""


def is_numeric_or_bool(dtype):
    """Whether a pandas column dtype can be a feature (numbers, or true/false)."""
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def reject_non_numeric_columns(X, estimator_name):
    """A DataFrame with text or other non-numeric columns gets a TypeError naming them."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    bad = [str(name) for name, dtype in dtypes.items() if not is_numeric_or_bool(dtype)]
    if bad:
        raise TypeError(
            f"{estimator_name} needs numeric columns, but X has non-numeric columns {bad}. "
            "Drop them or encode them as numbers first."
        )
