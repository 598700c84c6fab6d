"""One-class MNIST benchmark: aeguard's AEDetector trained on one digit, next to PCA-32.

The standard deep one-class setting on MNIST from ``../shared/data/mnist``: for each digit
d in 0..9 (``--digits``),

* every method is fitted on ALL training images of digit d (about 6,000; no other digit,
  no labels beyond the choice of d);
* it scores the 10,000 test images, higher score = more anomalous;
* the figure is the AUROC (``roc_auc_score``) of that score for "not digit d"
  (label 1 = the test image is not a d, about 90 % of the test set);
* ``fit_s`` and ``score_s`` are the wall seconds (``time.perf_counter``) of ``fit`` on the
  training digit and of scoring the 10,000 test images, after one untimed warm-up per
  method (for aeguard a 1-epoch fit on 256 images; ``--no-warmup`` turns it off), so
  TensorFlow's start-up is not charged to the first digit.

Methods, in the same run on the same images (``--methods``, comma list):

* ``aeguard`` -- ``aeguard.AEDetector(random_state=seed)`` at its defaults, given the raw
  (n, 28, 28) uint8 images: it picks the conv2d network for images and maps the pixels
  into [0, 1] itself; score = ``score_samples`` (mean squared reconstruction error);
* ``aeguard-*`` -- the same with a few parameters changed (the ``VARIANTS`` table below,
  e.g. ``aeguard-trim20`` = ``trim_fraction=0.2``); also ``aeguard:key=value:key=value``
  for any other setting, values read as Python literals
  (``aeguard:latent_dim=32:epochs=30``; a tuple such as ``filters`` cannot be written
  there, since ``--methods`` splits on commas: add a ``VARIANTS`` entry);
* ``pca32`` -- ``sklearn.decomposition.PCA(32, random_state=seed)`` fitted on the training
  digit's pixels / 255, flattened to 784 values; score = squared reconstruction error
  (sum over pixels of (x - inverse_transform(transform(x)))²).

The table has one row per digit (training images, then AUROC, fit_s, score_s per
method) and a final ``mean`` row (AUROC blank if a method failed on any digit); under it,
each method's mean AUROC and largest per-digit fit + score seconds, and the targets:

    target: aeguard mean AUROC over the 10 digits >= 0.970 and above pca32's in the same
    run, under 60 s per digit (fit + score)

Run from the repository root::

    python bench/oneclass_mnist.py                                   # aeguard, pca32, 10 digits
    python bench/oneclass_mnist.py --methods aeguard,aeguard-trim20,pca32
    python bench/oneclass_mnist.py --digits 1,8 --methods 'aeguard:epochs=40,pca32'
    python bench/oneclass_mnist.py --seed 1 --csv /tmp/oneclass_mnist.csv
    python bench/oneclass_mnist.py --data /path/to/mnist             # another IDX folder

``aeguard`` (and so Keras/TensorFlow) is imported only when an aeguard method is requested
(``aeguard.datasets`` is always used to read the IDX files). The tables go to stdout;
progress goes to stderr. Exit status: 0, or 1 if a method failed on some digit (its cells
are left blank), 2 for bad arguments or unreadable data.
"""

from __future__ import annotations

import argparse
import ast
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    comma_list, environment_lines, format_table, timed_fit_score, write_flat_csv,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
logger = logging.getLogger("oneclass_mnist")

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"
DIGITS = list(range(10))

#: Named AEDetector settings (keyword arguments on top of ``random_state=seed``).
VARIANTS: dict[str, dict[str, Any]] = {
    "aeguard": {},
    # the default before 2026-12-02: robust training left out the worst 20 % of the images
    "aeguard-trim20": {"trim_fraction": 0.2},
    "aeguard-e30": {"epochs": 30},
    "aeguard-l32": {"latent_dim": 32},
    "aeguard-l8": {"latent_dim": 8},
    # half the filters, so twice the epochs fit in about the same time
    "aeguard-f16-e30": {"filters": (16, 32), "epochs": 30},
    "aeguard-l32-f16-e30": {"latent_dim": 32, "filters": (16, 32), "epochs": 30},
}
PEERS = ("pca32",)
DEFAULT_METHODS = ["aeguard", "pca32"]

TARGET_AUROC = 0.970
TARGET_SECONDS = 60.0


# --------------------------------------------------------------------------- methods


@dataclass
class Method:
    """``build(seed)`` returns an unfitted estimator with ``fit(X)``; ``score(est, X)``
    returns anomaly scores with HIGHER = MORE ANOMALOUS; ``prepare`` maps the uint8
    (n, 28, 28) images to the method's input."""

    name: str
    build: Callable[[int], Any]
    score: Callable[[Any, np.ndarray], np.ndarray]
    prepare: Callable[[np.ndarray], np.ndarray]
    note: str
    warm_up_kwargs: dict[str, Any] | None = None


def parse_variant(name: str) -> dict[str, Any]:
    """AEDetector keyword arguments of a method name: a ``VARIANTS`` key, or
    ``aeguard:key=value:...`` with Python-literal values."""
    if name in VARIANTS:
        return dict(VARIANTS[name])
    if not name.startswith("aeguard:"):
        raise ValueError(f"unknown method {name!r}")
    kwargs = {}
    for item in name.split(":")[1:]:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{name!r}: expected key=value, got {item!r}")
        try:
            kwargs[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            kwargs[key.strip()] = value.strip()  # a bare string such as dense
    return kwargs


def _make_aeguard(name: str) -> Method:
    import aeguard

    kwargs = parse_variant(name)
    aeguard.AEDetector(**kwargs)  # an unknown keyword fails here, before any training
    shown = ", ".join(["random_state=seed"] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return Method(
        name,
        build=lambda seed: aeguard.AEDetector(**{**kwargs, "random_state": seed}),
        score=lambda est, X: est.score_samples(X),  # reconstruction error, higher = worse
        prepare=lambda images: images,  # uint8 (n, 28, 28): AEDetector scales them itself
        note=f"AEDetector({shown})" + (", defaults" if not kwargs else ""),
        warm_up_kwargs={**kwargs, "epochs": 1},
    )


def _pca_score(pca, X):
    residual = X - pca.inverse_transform(pca.transform(X))
    return np.einsum("ij,ij->i", residual, residual)


def _make_pca32(name: str) -> Method:
    from sklearn.decomposition import PCA

    return Method(
        name,
        build=lambda seed: PCA(n_components=32, random_state=seed),
        score=_pca_score,
        prepare=lambda images: images.reshape(len(images), -1).astype(np.float32) / 255.0,
        note="PCA(n_components=32, random_state=seed) on pixels / 255 (784 values); "
             "score = squared reconstruction error",
    )


def make_method(name: str) -> Method:
    if name == "pca32":
        return _make_pca32(name)
    return _make_aeguard(name)


def known_method(name: str) -> bool:
    return name in PEERS or name in VARIANTS or name.startswith("aeguard:")


# --------------------------------------------------------------------------- running


def run_method(method: Method, train: np.ndarray, test: np.ndarray, y_test: np.ndarray,
               seed: int) -> dict[str, float]:
    """Fit on the training digit, score the test images; AUROC and seconds."""
    from sklearn.metrics import roc_auc_score

    X_train, X_test = method.prepare(train), method.prepare(test)
    est = method.build(seed)
    scores, fit_s, score_s = timed_fit_score(method.name, est, method.score, X_train, X_test)
    result = {"AUROC": float(roc_auc_score(y_test, scores)), "fit_s": fit_s, "score_s": score_s}
    if hasattr(est, "n_epochs_"):
        result["epochs"] = float(est.n_epochs_)
    return result


def warm_up(method: Method, train: np.ndarray, seed: int, n_rows: int = 256) -> None:
    """One untimed fit + score on a few images (aeguard: 1 epoch), so one-off start-up
    costs (TensorFlow, graph tracing) are not charged to the first digit."""
    try:
        X = method.prepare(train[:n_rows])
        if method.warm_up_kwargs is not None:
            import aeguard

            est = aeguard.AEDetector(**{**method.warm_up_kwargs, "random_state": seed})
        else:
            est = method.build(seed)
        est.fit(X)
        method.score(est, X)
    except Exception as exc:  # left for the timed runs to report
        logger.info("warm-up of %s failed: %s: %s", method.name, type(exc).__name__, exc)


# --------------------------------------------------------------------------- report


METRICS = ["AUROC", "fit_s", "score_s"]
_FORMATS = {"n_train": "{:.0f}", "AUROC": "{:.4f}", "fit_s": "{:.1f}", "score_s": "{:.2f}",
            "epochs": "{:.0f}"}


def build_table(digits, n_train, results, methods):
    """One row per digit, (method, metric) columns, then ``mean``."""
    import pandas as pd

    aeguard_like = {m.name for m in methods if m.warm_up_kwargs is not None}
    cols = [("data", "n_train")]
    for m in methods:
        cols += [(m.name, k) for k in METRICS]
        if m.name in aeguard_like:
            cols.append((m.name, "epochs"))
    rows = {}
    for d in digits:
        row = {("data", "n_train"): n_train[d]}
        for m in methods:
            r = results.get((d, m.name), {})
            for k in METRICS + ["epochs"]:
                row[(m.name, k)] = r.get(k, np.nan)
        rows[str(d)] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table = table.reindex(columns=pd.MultiIndex.from_tuples(cols))
    mean = {col: table[col].mean(skipna=(col[1] != "AUROC")) for col in table.columns}
    table.loc["mean"] = pd.Series(mean)
    table.index.name = "digit"
    return table


def write_csv(table, path: Path) -> None:
    """Write the numeric table with flat ``method_metric`` headers, atomically."""
    write_flat_csv(table, path, float_format="%.6g")


# --------------------------------------------------------------------------- main


def digit_list(text: str) -> list[int]:
    digits = [int(s) for s in comma_list(text)]
    if not digits or any(d not in DIGITS for d in digits):
        raise argparse.ArgumentTypeError(f"digits must be in 0..9, got {text!r}")
    return list(dict.fromkeys(digits))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help=f"folder of the MNIST IDX files (default: {DEFAULT_DATA})")
    p.add_argument("--digits", type=digit_list, default=DIGITS,
                   help="comma list of training digits (default: 0..9)")
    p.add_argument("--methods", type=comma_list, default=DEFAULT_METHODS,
                   help="comma list out of " + ",".join([*VARIANTS, *PEERS])
                        + " or aeguard:key=value:... (default: aeguard,pca32)")
    p.add_argument("--seed", type=int, default=0, help="model seed (default: 0)")
    p.add_argument("--csv", type=Path, default=None, help="also write the per-digit table here")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed warm-up fit of each method")
    args = p.parse_args(argv)
    unknown = [m for m in args.methods if not known_method(m)]
    if unknown or not args.methods:
        p.error(f"--methods: unknown {', '.join(unknown) or '(empty)'}; choose from "
                + ",".join([*VARIANTS, *PEERS]) + " or aeguard:key=value:...")
    args.methods = list(dict.fromkeys(args.methods))
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    args = parse_args(argv)

    try:
        methods = [make_method(name) for name in args.methods]
    except (TypeError, ValueError) as exc:  # a bad aeguard:key=value
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from aeguard.datasets import load_mnist

    try:
        train, train_y = load_mnist(args.data, "train")
        test, test_y = load_mnist(args.data, "test")
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    print("# bench/oneclass_mnist.py: one-class MNIST; per digit d, fit on all training "
          "images of d, score the 10,000 test images,")
    print("# AUROC for 'not d' (higher score = more anomalous); fit_s / score_s = wall "
          "seconds of fit / of scoring the test images"
          + (" (after one untimed warm-up per method)" if args.warmup else " (no warm-up)"))
    print(f"# data: {Path(args.data).resolve()}; digits {','.join(map(str, args.digits))}; "
          f"seed {args.seed}")
    for line in environment_lines():
        print("# " + line)
    for m in methods:
        print(f"# {m.name}: {m.note}")
    sys.stdout.flush()

    if args.warmup:
        warm = train[train_y == args.digits[0]]
        for m in methods:
            logger.info("warming up %s (untimed) on 256 images", m.name)
            warm_up(m, warm, args.seed)

    results: dict[tuple[int, str], dict[str, float]] = {}
    n_train: dict[int, int] = {}
    failures: list[str] = []
    for d in args.digits:
        digit_train = train[train_y == d]
        y_test = (test_y != d).astype(np.int64)
        n_train[d] = len(digit_train)
        for m in methods:
            try:
                r = run_method(m, digit_train, test, y_test, args.seed)
            except Exception as exc:  # one failing method should not hide the others
                logger.warning("%s failed on digit %d: %s: %s", m.name, d, type(exc).__name__, exc)
                failures.append(f"{m.name} on digit {d}")
                continue
            results[(d, m.name)] = r
            logger.info("digit %d %-22s AUROC %.4f  fit %.1f s  score %.2f s%s", d, m.name,
                        r["AUROC"], r["fit_s"], r["score_s"],
                        f"  ({r['epochs']:.0f} epochs)" if "epochs" in r else "")

    table = build_table(args.digits, n_train, results, methods)
    print()
    print(format_table(table, _FORMATS))
    print()
    means = {}
    for m in methods:
        auroc = table.loc["mean", (m.name, "AUROC")]
        means[m.name] = auroc
        per_digit = [results[(d, m.name)]["fit_s"] + results[(d, m.name)]["score_s"]
                     for d in args.digits if (d, m.name) in results]
        worst = max(per_digit) if per_digit else float("nan")
        print(f"{m.name}: mean AUROC {auroc:.4f} over {len(args.digits)} digits; "
              f"max fit+score seconds per digit {worst:.1f}")
    if hasattr(os, "getloadavg"):  # other work on the machine skews the seconds
        print("load average at the end %.2f" % os.getloadavg()[0])
    if "aeguard" in means:
        ae = means["aeguard"]
        worst = max((results[(d, "aeguard")]["fit_s"] + results[(d, "aeguard")]["score_s"]
                     for d in args.digits if (d, "aeguard") in results), default=float("nan"))
        pca = means.get("pca32", float("nan"))
        subset = "" if len(args.digits) == 10 else f" (this run: {len(args.digits)} digits only)"
        print(f"target: aeguard mean AUROC over the 10 digits >= {TARGET_AUROC:.3f} and above "
              f"pca32's in the same run, under {TARGET_SECONDS:.0f} s per digit (fit + score)"
              f"{subset}; this run: {ae:.4f} vs pca32 {pca:.4f}, max {worst:.1f} s per digit -> "
              + ("met" if ae >= TARGET_AUROC and ae > pca and worst < TARGET_SECONDS
                 else "not met"))
    if failures:
        print(f"FAILED (blank cells, mean AUROC blank for that method): {'; '.join(failures)}")
    if args.csv is not None:
        write_csv(table, args.csv)
        print(f"wrote {args.csv}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
