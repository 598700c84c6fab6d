"""Helpers shared by the benchmark scripts: the environment report and argument lists.

Imported as ``_common`` (the scripts run as ``python bench/NAME.py``, which puts
``bench/`` on the import path).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform

#: Libraries every benchmark reports, as (label, distribution name).
CORE_LIBRARIES = [("numpy", "numpy"), ("sklearn", "scikit-learn"), ("pandas", "pandas"),
                  ("tensorflow", "tensorflow"), ("keras", "keras")]


def version(dist: str) -> str | None:
    """The installed version of a distribution, or None."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment_lines(extra_libraries=()) -> list[str]:
    """Library versions and thread counts (without importing TensorFlow), for a report's header.

    Parameters
    ----------
    extra_libraries : sequence of (label, distribution name)
        Peers to report beside the core stack and aeguard, e.g. ``[("pyod", "pyod")]``.
        With torch among them, its thread count is reported too.
    """
    libs = [("python", platform.python_version())]
    for label, dist in [*CORE_LIBRARIES, *extra_libraries, ("aeguard", "aeguard")]:
        libs.append((label, version(dist) or "not installed"))
    lines = ["versions: " + ", ".join(f"{k} {v}" for k, v in libs)]

    threads = [f"os.cpu_count {os.cpu_count()}"]
    if hasattr(os, "sched_getaffinity"):
        threads.append(f"usable CPUs {len(os.sched_getaffinity(0))}")
    if any(dist == "torch" for _, dist in extra_libraries) and importlib.util.find_spec("torch"):
        try:
            import torch

            threads.append(f"torch.get_num_threads {torch.get_num_threads()}")
        except Exception as exc:  # a broken torch install should not stop the report
            threads.append(f"torch unusable ({type(exc).__name__})")
    try:
        from threadpoolctl import threadpool_info

        for info in threadpool_info():
            if info.get("user_api") == "blas":
                threads.append(f"{info.get('internal_api')} {info.get('num_threads')}")
    except Exception:
        pass
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                "TF_NUM_INTEROP_THREADS"):
        if os.environ.get(var):
            threads.append(f"{var}={os.environ[var]}")
    if hasattr(os, "getloadavg"):  # other work on the machine skews the seconds
        threads.append("load average %.2f" % os.getloadavg()[0])
    lines.append("threads: " + ", ".join(threads))
    return lines


def comma_list(text: str) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]`` (an argparse type)."""
    return [s.strip() for s in text.split(",") if s.strip()]


def format_table(table, formats) -> str:
    """A results table as text: each column formatted by ``formats[name]``, NaN shown blank.

    ``name`` is the column's last level for MultiIndex columns; columns without a
    format are shown as pandas shows them.
    """
    import pandas as pd

    shown = table.copy().astype(object)
    for col in table.columns:
        f = formats.get(col[-1] if isinstance(col, tuple) else col)
        if f is not None:
            shown[col] = ["" if pd.isna(v) else f.format(v) for v in table[col]]
    return shown.to_string()


def timed_fit_score(name, est, score, X_train, X_test):
    """Fit ``est`` on X_train and score X_test with ``score(est, X_test)``, timing each.

    Returns ``(scores, fit_s, score_s)``: the scores as float64, checked to be one finite
    value per test row (a ValueError naming ``name`` otherwise), and the wall seconds
    (``time.perf_counter``) of the fit and of the scoring.
    """
    import time

    import numpy as np

    t0 = time.perf_counter()
    est.fit(X_train)
    t1 = time.perf_counter()
    scores = score(est, X_test)
    t2 = time.perf_counter()
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (len(X_test),):
        raise ValueError(f"{name}: scores have shape {scores.shape}, expected ({len(X_test)},)")
    if not np.all(np.isfinite(scores)):
        raise ValueError(f"{name}: {np.sum(~np.isfinite(scores))} non-finite scores")
    return scores, t1 - t0, t2 - t1


def write_flat_csv(table, path, *, index_name=None, float_format=None) -> None:
    """Write a table with two-level columns as CSV with flat ``a_b`` headers, atomically.

    Spaces in the headers become underscores; nothing is left half-written if it fails.
    """
    from pathlib import Path

    from aeguard._files import atomic_write

    flat = table.copy()
    flat.columns = [f"{a}_{b}".replace(" ", "_") for a, b in table.columns]
    if index_name is not None:
        flat.index.name = index_name
    atomic_write(Path(path), lambda fh: flat.to_csv(fh, float_format=float_format), mode="w")
