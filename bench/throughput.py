"""Scoring throughput on one thread: aeguard's AEDetector next to IsolationForest.

Protocol: ADBench's shuttle set (``32_shuttle.npz``, 9 features). Each method is fitted at
its defaults (``random_state=seed``) on the first 20,000 rows, then scores 100,000 rows
drawn with replacement from the whole set. Everything runs on ONE thread: the thread
variables of OpenMP and OpenBLAS are set to 1 before NumPy is imported, TensorFlow's intra-
and inter-op pools get one thread, and IsolationForest runs with ``n_jobs=1``. Each score
call is timed ``--repeats`` times (``time.perf_counter``) and the best is kept, after one
untimed call; the figure is rows per second. Scores are checked to be finite, and to rank
the set's anomalies above its normal rows (AUROC on the 100,000 rows), so speed is not
bought with a broken model.

Optional peer: PyOD's AutoEncoder (``pip install -e ".[bench]"``), on one torch thread,
when it can be imported.

Run from the repository root::

    python bench/throughput.py
    python bench/throughput.py --rows 1000000 --repeats 3
"""

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adbench"
TRAIN_ROWS = 20_000
TARGET_RATIO = 5.0


def best_time(score, X, repeats):
    """(best seconds, scores) over ``repeats`` timed calls after one untimed call."""
    scores = score(X)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        score(X)
        best = min(best, time.perf_counter() - start)
    return best, np.asarray(scores, dtype=np.float64)


def methods(seed):
    """(name, fit(X) -> score function) pairs: higher score = more anomalous for all."""
    from sklearn.ensemble import IsolationForest

    def fit_aeguard(X):
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        import aeguard

        return aeguard.AEDetector(random_state=seed).fit(X).score_samples

    def fit_iforest(X):
        forest = IsolationForest(random_state=seed, n_jobs=1).fit(X)
        return lambda rows: -forest.score_samples(rows)

    found = [("aeguard", fit_aeguard), ("iforest", fit_iforest)]
    try:
        import torch
        from pyod.models.auto_encoder import AutoEncoder
    except Exception as exc:  # the peer is optional
        print(f"pyod skipped: {type(exc).__name__}: {exc}", file=sys.stderr)
    else:
        def fit_pyod(X):
            torch.set_num_threads(1)
            model = AutoEncoder(random_state=seed, verbose=0)
            model.fit(X)
            return model.decision_function

        found.append(("pyod", fit_pyod))
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of ADBench .npz files")
    parser.add_argument("--rows", type=int, default=100_000, help="rows scored per call")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per method")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    path = args.data / "32_shuttle.npz"
    if not path.is_file():
        parser.exit(2, f"error: {path} not found (give the ADBench folder with --data)\n")
    if args.rows < 1 or args.repeats < 1:
        parser.exit(2, "error: --rows and --repeats must be at least 1\n")
    from sklearn.metrics import roc_auc_score

    data = np.load(path)
    X, y = data["X"].astype(np.float32), data["y"].astype(int)
    rows = np.random.default_rng(args.seed).integers(0, len(X), args.rows)
    X_score, y_score = X[rows], y[rows]

    results = []
    for name, fit in methods(args.seed):
        start = time.perf_counter()
        score = fit(X[:TRAIN_ROWS])
        fit_seconds = time.perf_counter() - start
        seconds, scores = best_time(score, X_score, args.repeats)
        if not np.isfinite(scores).all():
            raise SystemExit(f"{name}: non-finite scores")
        results.append((name, fit_seconds, seconds, args.rows / seconds,
                        roc_auc_score(y_score, scores)))

    print("\n".join(environment_lines([("pyod", "pyod"), ("torch", "torch")])))
    print(f"shuttle: fitted on the first {TRAIN_ROWS:,} rows, {args.rows:,} rows scored per "
          f"call, best of {args.repeats}, one thread, seed {args.seed}")
    print(f"{'method':8s} {'fit s':>7s} {'score s':>8s} {'rows/s':>11s} {'AUROC':>6s}")
    for name, fit_seconds, seconds, rate, auroc in results:
        print(f"{name:8s} {fit_seconds:7.2f} {seconds:8.4f} {rate:11,.0f} {auroc:6.3f}")
    rate = {name: r for name, _, _, r, _ in results}
    ratio = rate["aeguard"] / rate["iforest"]
    print(f"target: aeguard scores >= {TARGET_RATIO:g}x IsolationForest's rows/s on one thread")
    print(f"aeguard in this run: {ratio:.1f}x ({'met' if ratio >= TARGET_RATIO else 'not met'})")


if __name__ == "__main__":
    main()
