"""ADBench benchmark: aeguard's AEDetector next to IsolationForest and PyOD's AutoEncoder.

Implements ADBench's *unsupervised* protocol on the "Classical" tabular sets in
``../shared/data/adbench/*.npz`` (arrays ``X`` and ``y``, 1 = anomaly):

* per dataset, one stratified 70/30 split with a fixed seed
  (``train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)``);
* every method is fitted on the training part WITHOUT labels (the training part
  still contains anomalies) and scores the test part;
* AUROC (``roc_auc_score``) and average precision (``average_precision_score``)
  are computed on the test part, with higher score = more anomalous;
* wall-clock seconds of ``fit`` and of scoring the test part (``time.perf_counter``).

All methods run on the same splits in the same run, so their figures are comparable:

1. ``aeguard``  -- ``aeguard.AEDetector(random_state=seed)`` at its defaults;
   ``score_samples`` is the reconstruction error (higher = more anomalous), used as is.
2. ``iforest``  -- ``sklearn.ensemble.IsolationForest(random_state=seed)``; its
   ``score_samples`` is higher = more normal, so it is negated.
3. ``pyod``     -- ``pyod.models.auto_encoder.AutoEncoder`` at its defaults (seeded, and
   silenced when its signature allows it); ``decision_function`` is higher = more anomalous.
   Skipped, with the reason printed, when pyod (or torch) cannot be imported.

Run from the repository root::

    python bench/adbench.py                                  # all methods, all 12 sets
    python bench/adbench.py --methods iforest,pyod           # without aeguard
    python bench/adbench.py --datasets cardio,thyroid --seed 1 --csv adbench.csv
    python bench/adbench.py --data /path/to/adbench          # another data folder

PyOD and torch come with the ``bench`` extra: ``pip install -e ".[bench]"``.
``aeguard`` is imported only when the ``aeguard`` method is requested, so the peers can
run without the package. The table goes to stdout; progress and warnings go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from _common import comma_list, environment_lines, format_table, timed_fit_score, write_flat_csv

logger = logging.getLogger("adbench")

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adbench"
ALL_METHODS = ("aeguard", "iforest", "pyod")
TEST_SIZE = 0.3


# --------------------------------------------------------------------------- data


@dataclass
class Dataset:
    name: str
    X: np.ndarray
    y: np.ndarray


def dataset_name(path: Path) -> str:
    """File stem without ADBench's leading number: ``6_cardio.npz`` -> ``cardio``."""
    return re.sub(r"^\d+_", "", path.stem)


def _sort_key(path: Path) -> tuple[int, str]:
    m = re.match(r"^(\d+)_", path.stem)
    return (int(m.group(1)) if m else sys.maxsize, path.stem.lower())


def load_sets(data_dir: Path, only: Sequence[str] | None = None) -> list[Dataset]:
    """Load every ``*.npz`` in ``data_dir`` (ADBench order), optionally only those whose
    name contains one of the substrings in ``only`` (case-insensitive)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data folder not found: {data_dir}")
    paths = sorted(data_dir.glob("*.npz"), key=_sort_key)
    if not paths:
        raise FileNotFoundError(f"no .npz files in {data_dir}")
    if only:
        wanted = [s.lower() for s in only]
        paths = [p for p in paths if any(w in dataset_name(p).lower() for w in wanted)]
        if not paths:
            raise FileNotFoundError(f"no dataset in {data_dir} matches {', '.join(only)}")
    sets = []
    for p in paths:
        with np.load(p, allow_pickle=False) as npz:
            X = np.asarray(npz["X"], dtype=np.float64)  # some sets are uint8 / int16
            y = np.asarray(npz["y"]).astype(np.int64).ravel()
        if X.ndim != 2 or len(X) != len(y):
            raise ValueError(f"{p.name}: expected X (n, d) and y (n,), got {X.shape} and {y.shape}")
        if not set(np.unique(y)) <= {0, 1}:
            raise ValueError(f"{p.name}: y must be 0/1, got values {np.unique(y)[:10]}")
        sets.append(Dataset(dataset_name(p), X, y))
    return sets


def split(X: np.ndarray, y: np.ndarray, seed: int):
    """ADBench's split: stratified 70/30 with a fixed seed.
    Returns ``X_train, X_test, y_train, y_test`` (y_train is never shown to a method)."""
    from sklearn.model_selection import train_test_split

    return train_test_split(X, y, test_size=TEST_SIZE, stratify=y, random_state=seed)


# --------------------------------------------------------------------------- methods


@dataclass
class Method:
    """A detector: ``build(seed)`` returns an unfitted estimator with ``fit(X)``;
    ``score(est, X)`` returns anomaly scores with HIGHER = MORE ANOMALOUS."""

    name: str
    build: Callable[[int], Any]
    score: Callable[[Any, np.ndarray], np.ndarray]
    note: str = ""


def _make_aeguard() -> Method:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    import aeguard

    return Method(
        "aeguard",
        build=lambda seed: aeguard.AEDetector(random_state=seed),
        score=lambda est, X: est.score_samples(X),  # reconstruction error, higher = worse
        note="AEDetector(random_state=seed), defaults",
    )


def _make_iforest() -> Method:
    from sklearn.ensemble import IsolationForest

    return Method(
        "iforest",
        build=lambda seed: IsolationForest(random_state=seed),
        score=lambda est, X: -est.score_samples(X),  # sklearn: higher = more normal
        note="IsolationForest(random_state=seed), defaults",
    )


def _make_pyod() -> Method:
    # pyod prints "please install torch first" on stdout when torch is missing; keep
    # stdout for the table and report the ImportError instead.
    with contextlib.redirect_stdout(io.StringIO()):
        from pyod.models.auto_encoder import AutoEncoder

    params = inspect.signature(AutoEncoder).parameters
    fixed: dict[str, Any] = {}
    if "verbose" in params:
        fixed["verbose"] = 0  # no progress bar; does not change the model
    seed_arg = next((a for a in ("random_state", "seed", "random_seed") if a in params), None)

    def build(seed: int):
        kwargs = dict(fixed)
        if seed_arg:
            kwargs[seed_arg] = seed
        return AutoEncoder(**kwargs)

    shown = ", ".join(([f"{seed_arg}=seed"] if seed_arg else []) + [f"{k}={v!r}" for k, v in fixed.items()])
    defaults = {k: params[k].default for k in ("epoch_num", "batch_size", "hidden_neuron_list",
                                               "dropout_rate", "batch_norm", "lr", "device")
                if k in params}
    note = f"AutoEncoder({shown}), defaults " + ", ".join(f"{k}={v!r}" for k, v in defaults.items())
    if defaults.get("device", "") is None:  # PyOD picks cuda:0 when torch sees a GPU
        import torch

        note += " (runs on " + ("cuda:0" if torch.cuda.is_available() else "cpu") + ")"
    return Method(
        "pyod",
        build=build,
        score=lambda est, X: est.decision_function(X),  # PyOD: higher = more anomalous
        note=note,
    )


_FACTORIES: dict[str, Callable[[], Method]] = {
    "aeguard": _make_aeguard,
    "iforest": _make_iforest,
    "pyod": _make_pyod,
}


def get_methods(names: Sequence[str]) -> list[Method]:
    """Import the requested methods lazily; one that cannot be imported is skipped with
    a printed reason."""
    methods = []
    for name in names:
        try:
            methods.append(_FACTORIES[name]())
        except Exception as exc:  # ImportError, or a broken install of a peer
            hint = ' (pip install -e ".[bench]")' if name == "pyod" else ""
            print(f"skipped {name}: cannot import it: {type(exc).__name__}: {exc}{hint}")
    return methods


def run_method(method: Method, X_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
               seed: int) -> dict[str, float]:
    """Fit ``method`` on X_train (no labels), score X_test; AUROC, AP and seconds."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores, fit_s, score_s = timed_fit_score(method.name, method.build(seed), method.score,
                                             X_train, X_test)
    return {
        "AUROC": float(roc_auc_score(y_test, scores)),
        "AP": float(average_precision_score(y_test, scores)),
        "fit_s": fit_s,
        "score_s": score_s,
    }


def warm_up(method: Method, X: np.ndarray, seed: int, n_rows: int = 256) -> None:
    """One untimed fit + score on a few rows, so that one-off costs (lazy imports such as
    Keras inside ``fit``, library start-up, JIT compilation) are not charged to whichever
    dataset happens to come first. Failures here are left for the timed runs to report."""
    try:
        est = method.build(seed)
        est.fit(X[:n_rows])
        method.score(est, X[:n_rows])
    except Exception as exc:
        logger.info("warm-up of %s failed: %s: %s", method.name, type(exc).__name__, exc)


# --------------------------------------------------------------------------- report


def build_table(sets: list[Dataset], results: dict[tuple[str, str], dict[str, float]],
                methods: list[Method]):
    """One row per dataset, (method, metric) columns, then ``mean`` and ``total seconds``."""
    import pandas as pd

    metrics = ["AUROC", "AP", "fit_s", "score_s"]
    cols = [("data", "n"), ("data", "d"), ("data", "anom%")]
    cols += [(m.name, k) for m in methods for k in metrics]
    rows = {}
    for ds in sets:
        row = {("data", "n"): len(ds.y), ("data", "d"): ds.X.shape[1],
               ("data", "anom%"): 100.0 * ds.y.mean()}
        for m in methods:
            r = results.get((ds.name, m.name), {})
            for k in metrics:
                row[(m.name, k)] = r.get(k, np.nan)
        rows[ds.name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table.reindex(columns=pd.MultiIndex.from_tuples(cols))
    body = table.copy()
    mean, total = {}, {}
    for m in methods:
        for k in ("AUROC", "AP"):  # NaN if a method failed on any set: same sets for all
            mean[(m.name, k)] = body[(m.name, k)].mean(skipna=False)
        for k in ("fit_s", "score_s"):
            total[(m.name, k)] = body[(m.name, k)].sum(skipna=False)
    table.loc["mean"] = pd.Series(mean)
    table.loc["total seconds"] = pd.Series(total)
    return table


_FORMATS = {"n": "{:.0f}", "d": "{:.0f}", "anom%": "{:.1f}", "AUROC": "{:.4f}", "AP": "{:.4f}",
            "fit_s": "{:.2f}", "score_s": "{:.3f}"}

def write_csv(table, path: Path) -> None:
    """Write the numeric table with flat ``method_metric`` headers, atomically."""
    write_flat_csv(table, path, index_name="dataset", float_format="%.6g")


# --------------------------------------------------------------------------- main



def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="ADBench unsupervised protocol: aeguard vs IsolationForest vs PyOD AutoEncoder.")
    p.add_argument("--methods", type=comma_list, default=list(ALL_METHODS),
                   help=f"comma list out of {','.join(ALL_METHODS)} (default: all available)")
    p.add_argument("--datasets", type=comma_list, default=None,
                   help="comma list of name substrings, e.g. cardio,thyroid (default: all)")
    p.add_argument("--seed", type=int, default=0, help="split and model seed (default: 0)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help=f"folder of ADBench .npz files (default: {DEFAULT_DATA})")
    p.add_argument("--csv", type=Path, default=None, help="also write the table to this CSV file")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed warm-up fit of each method on 256 rows of the first set")
    args = p.parse_args(argv)
    unknown = [m for m in args.methods if m not in ALL_METHODS]
    if unknown or not args.methods:
        p.error(f"--methods: unknown {', '.join(unknown) or '(empty)'}; choose from {','.join(ALL_METHODS)}")
    args.methods = list(dict.fromkeys(args.methods))  # drop repeats, keep order
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    args = parse_args(argv)

    try:
        sets = load_sets(args.data, args.datasets)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    print("ADBench unsupervised protocol, per dataset: one stratified 70/30 split "
          f"(train_test_split(test_size=0.3, stratify=y, random_state={args.seed}));\n"
          "each method is fitted on the training part WITHOUT labels (it contains anomalies) "
          "and scores the test part;\n"
          "AUROC and average precision (AP) on the test part, higher score = more anomalous; "
          "fit_s / score_s = wall seconds of fit / of scoring the test part"
          + (" (after one untimed warm-up fit per method)." if args.warmup else " (no warm-up)."))
    print(f"data: {args.data.resolve()} ({len(sets)} sets)")
    for line in environment_lines([("torch", "torch"), ("pyod", "pyod")]):
        print(line)

    methods = get_methods(args.methods)
    if not methods:
        print("error: none of the requested methods can run", file=sys.stderr)
        return 2
    for m in methods:
        print(f"{m.name}: {m.note}")
    sys.stdout.flush()

    if args.warmup:
        X_warm = split(sets[0].X, sets[0].y, args.seed)[0]
        for m in methods:
            logger.info("warming up %s (untimed) on 256 rows of %s", m.name, sets[0].name)
            warm_up(m, X_warm, args.seed)

    results: dict[tuple[str, str], dict[str, float]] = {}
    failures: list[str] = []
    for ds in sets:
        X_train, X_test, _y_train, y_test = split(ds.X, ds.y, args.seed)
        for m in methods:
            logger.info("%-12s %-8s fit on %d x %d, score %d", ds.name, m.name,
                        X_train.shape[0], X_train.shape[1], X_test.shape[0])
            try:
                results[(ds.name, m.name)] = run_method(m, X_train, X_test, y_test, args.seed)
            except Exception as exc:  # one failing method should not hide the others' figures
                logger.warning("%s failed on %s: %s: %s", m.name, ds.name, type(exc).__name__, exc)
                failures.append(f"{m.name} on {ds.name}")

    table = build_table(sets, results, methods)
    print()
    print(format_table(table, _FORMATS))
    totals = ", ".join(
        f"{m.name} {table.loc['total seconds', (m.name, 'fit_s')] + table.loc['total seconds', (m.name, 'score_s')]:.1f}"
        for m in methods)
    load = f" (load average now {os.getloadavg()[0]:.2f})" if hasattr(os, "getloadavg") else ""
    print(f"fit+score seconds over all sets: {totals}{load}")
    if failures:
        print(f"FAILED (blank cells; mean/total left blank for that method): {'; '.join(failures)}")
    if args.csv is not None:
        write_csv(table, args.csv)
        print(f"wrote {args.csv}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
