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
