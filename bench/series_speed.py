"""Time and memory of SeriesDetector on long series, next to IsolationForest on the same rows.

Two cases, each in a fresh process so that its peak memory is its own:

* ``20k``: 20,000 rows x 8 columns, fitted on the whole series and scored with ``detect``
  (what ``aeguard detect FILE`` does); target under 60 s;
* ``1m``: 1,000,000 rows x 8 columns, the same; target under 2 GiB peak resident memory.

The series are generated: 8 noisy periodic sensors (period 96 rows) sharing one cycle, with
a level shift in one column near the end. The peer, in the same process on the same rows, is
``IsolationForest(random_state=0)`` fitted and scoring every row (rows as independent
samples); its seconds are printed beside. Peak memory is ``ru_maxrss`` of the process
(Linux: kilobytes), which includes TensorFlow's own ~0.5 GB.

Run from the repository root::

    python bench/series_speed.py            # both cases
    python bench/series_speed.py --case 20k
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines  # noqa: E402

CASES = {"20k": 20_000, "1m": 1_000_000}
TARGETS = {"20k": ("seconds", 60.0), "1m": ("peak GiB", 2.0)}


def make_series(n_rows, n_columns=8, seed=0):
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * np.arange(n_rows) / 96
    X = np.column_stack([np.sin(phase + k) for k in range(n_columns)])
    X += 0.1 * rng.normal(size=X.shape)
    X[int(0.9 * n_rows):int(0.9 * n_rows) + 200, 3] += 2.0
    return X.astype(np.float32)


def run_case(name):
    """One case in this process: a JSON line with seconds, peak memory and the peer's seconds."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import aeguard
    from sklearn.ensemble import IsolationForest

    X = make_series(CASES[name])
    start = time.perf_counter()
    detector = aeguard.SeriesDetector(random_state=0).fit(X)
    result = detector.detect(X)
    seconds = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    start = time.perf_counter()
    IsolationForest(random_state=0).fit(X).score_samples(X)
    peer = time.perf_counter() - start
    shift = slice(int(0.9 * len(X)), int(0.9 * len(X)) + 200)
    print(json.dumps({"case": name, "rows": len(X), "seconds": seconds, "peak GiB": peak_gib,
                      "iforest seconds": peer, "window": detector.window_,
                      "epochs": detector.n_epochs_,
                      "shift flagged": bool(result.is_anomaly[shift].any()),
                      "flagged %": 100 * float(result.is_anomaly.mean())}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--case", choices=sorted(CASES), action="append",
                        help="run only this case (repeatable)")
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._child:
        run_case(args._child)
        return
    print("\n".join(environment_lines()))
    print(f"{'case':5s} {'rows':>10s} {'seconds':>8s} {'peak GiB':>9s} {'IForest s':>10s} "
          f"{'window':>6s} {'epochs':>6s} {'shift found':>11s} {'flagged %':>9s}  target")
    for name in args.case or ["20k", "1m"]:
        child = subprocess.run([sys.executable, __file__, "--_child", name],
                               capture_output=True, text=True)
        if child.returncode != 0:
            print(f"{name}: failed\n{child.stderr[-2000:]}", file=sys.stderr)
            continue
        r = json.loads(child.stdout.strip().splitlines()[-1])
        measure, limit = TARGETS[name]
        met = "met" if r[measure] < limit else "not met"
        print(f"{name:5s} {r['rows']:>10,d} {r['seconds']:8.1f} {r['peak GiB']:9.2f} "
              f"{r['iforest seconds']:10.1f} {r['window']:6d} {r['epochs']:6d} "
              f"{str(r['shift flagged']):>11s} {r['flagged %']:9.2f}  {measure} < {limit:g} "
              f"({met})")


if __name__ == "__main__":
    main()
