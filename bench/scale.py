"""Beyond one series: a fleet of assets in one file, through ``aeguard detect --group-by``.

``fleet``: a synthetic plant export, ``--assets`` machines (100) x ``--rows`` rows (1,000)
each, 5-minute steps, the machines' rows interleaved in time as an export has them. Each
machine has four sensors with a daily cycle of its own phase and amplitude: ``load``;
``temp``, which follows the load with a lag; ``vibration``, noisier; and ``pressure``, white
noise about a set point (a sensor no window predicts). Faults of known kind and column go
into the second half of ``--faulty`` machines (5), sizes in the column's standard deviations
(sd) over the machine's fault-free rows:

* ``spike``: 3 rows, +8 sd;
* ``level shift``: 150 rows, +4 sd;
* ``drift``: 200 rows, a ramp to +6 sd;
* ``frozen``: 150 rows, held at the first value;
* ``noise burst``: 100 rows, Gaussian noise of 3 sd added.

The file goes through ``aeguard detect FILE --group-by machine --json`` as a user would run
it (a subprocess, defaults), and the report gives: where each faulty machine lands in the
summary's ranking, whether its first top column is the faulty one, the wall time and the
subprocess's peak resident memory. Peer in the same run, on the same file: a per-machine
z-score (each column against the machine's first half; a machine's score is its largest
|z|, its column the one behind it), ranked the same way.

``engines``: ``--rows`` (1,000,000) rows drawn from ADBench's shuttle set, scored by one
saved ``AEDetector`` (fitted at its defaults on the first 20,000 rows) in-process (one
``detect`` call), through Dask (``aeguard.engines.dask_score``, 8 partitions, its threads
and processes schedulers) and through Spark ``local[2]`` (``spark_score``, 8 partitions;
the session is started before the clock runs). Rows/s of each, and the largest relative
difference of its scores to the in-process ones.

Run from the repository root::

    python bench/scale.py fleet                   # 100 machines x 1,000 rows, 5 faulty
    python bench/scale.py fleet --assets 20 --seed 1 -- --train-rows 500
    python bench/scale.py engines                 # 1,000,000 rows: in-process, Dask, Spark
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SENSORS = ("load", "temp", "vibration", "pressure")
KINDS = ("spike", "level shift", "drift", "frozen", "noise burst")
STEPS_PER_DAY = 288  # 5-minute steps


def make_fleet(n_assets, n_rows, n_faulty, rng):
    """The fleet's frame (rows interleaved in time) and the faults: machine -> (kind, column, start, end)."""
    t = np.arange(n_rows)
    parts, faults = [], {}
    faulty = rng.choice(n_assets, size=n_faulty, replace=False)
    for k in range(n_assets):
        phase = rng.uniform(0, 2 * np.pi)
        cycle = np.sin(2 * np.pi * t / STEPS_PER_DAY + phase)
        load = 50 + rng.uniform(10, 20) * cycle + rng.normal(0, 1, n_rows)
        temp = 40 + 0.3 * np.roll(load - 50, 6) + rng.normal(0, 0.3, n_rows)
        vibration = 2 + 0.02 * (load - 50) + rng.normal(0, 0.2, n_rows)
        pressure = 6 + rng.normal(0, 0.05, n_rows)
        values = np.column_stack([load, temp, vibration, pressure])
        name = f"m{k:03d}"
        if k in faulty:
            kind = KINDS[len(faults) % len(KINDS)]
            column = int(rng.integers(len(SENSORS)))
            faults[name] = (kind, SENSORS[column], *_inject(values, kind, column, rng))
        part = pd.DataFrame(values.round(4), columns=SENSORS)
        part.insert(0, "machine", name)
        part.insert(0, "time", pd.date_range("2026-03-01", periods=n_rows, freq="5min"))
        parts.append(part)
    frame = pd.concat(parts).sort_values("time", kind="stable").reset_index(drop=True)
    frame["time"] = frame.time.dt.strftime("%Y-%m-%d %H:%M")
    return frame, faults


def _inject(values, kind, column, rng):
    """Alter ``values[:, column]`` in place in the second half; returns (start, end)."""
    n = len(values)
    x = values[:, column]
    sd = x[: n // 2].std()
    length = {"spike": 3, "level shift": 150, "drift": 200, "frozen": 150, "noise burst": 100}[kind]
    start = int(rng.integers(n // 2, n - length))
    end = start + length
    if kind == "spike":
        x[start:end] += 8 * sd
    elif kind == "level shift":
        x[start:end] += 4 * sd
    elif kind == "drift":
        x[start:end] += np.linspace(0, 6 * sd, length)
    elif kind == "frozen":
        x[start:end] = x[start]
    else:
        x[start:end] += rng.normal(0, 3 * sd, length)
    return start, end - 1


def zscore_ranking(frame):
    """Per machine: the largest |z| of its second half against its first half, and its column."""
    rows = []
    for machine, part in frame.groupby("machine", sort=False):
        X = part[list(SENSORS)].to_numpy()
        half = len(X) // 2
        z = np.abs((X[half:] - X[:half].mean(0)) / X[:half].std(0))
        row, column = np.unravel_index(np.argmax(z), z.shape)
        rows.append({"asset": machine, "peak_score": float(z[row, column]),
                     "top_columns": SENSORS[column]})
    return pd.DataFrame(rows).sort_values("peak_score", ascending=False, kind="stable")


def fleet_report(ranking, faults):
    """Each faulty machine's place in a ranking (1 = first) and whether its column came first."""
    places = {asset: i + 1 for i, asset in enumerate(ranking.asset)}
    tops = dict(zip(ranking.asset, ranking.top_columns))
    return {machine: (places.get(machine), str(tops.get(machine) or "").split(",")[0] == column)
            for machine, (kind, column, start, end) in faults.items()}


def run_fleet(args):
    rng = np.random.default_rng(args.seed)
    frame, faults = make_fleet(args.assets, args.rows, args.faulty, rng)
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "fleet.csv"
        frame.to_csv(data, index=False)
        command = [sys.executable, "-m", "aeguard", "detect", str(data), "--group-by",
                   "machine", "--json", "-q", "--seed", str(args.seed), *args.detect_args]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"aeguard detect failed ({done.returncode}): {done.stderr.strip()}")
        summary = json.loads(done.stdout)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    ours = pd.DataFrame(summary["assets"])
    methods = {"aeguard": fleet_report(ours, faults),
               "zscore": fleet_report(zscore_ranking(frame), faults)}
    print(f"fleet: {args.assets} machines x {args.rows:,} rows ({len(frame):,} rows), "
          f"{len(faults)} faulty, seed {args.seed}")
    print(f"aeguard detect --group-by machine {' '.join(args.detect_args)}".rstrip()
          + f": {wall:.1f} s wall, peak memory {peak_mb:,.0f} MB, "
          f"{len(summary['skipped'])} skipped, {summary['flagged']:,} rows flagged")
    print()
    lines = [("machine", "fault", "column", "rows", "aeguard place", "column first",
              "z-score place", "column first")]
    for machine, (kind, column, start, end) in faults.items():
        a, z = methods["aeguard"][machine], methods["zscore"][machine]
        lines.append((machine, kind, column, f"{start}-{end}", str(a[0]), "yes" if a[1] else "no",
                      str(z[0]), "yes" if z[1] else "no"))
    widths = [max(len(row[j]) for row in lines) for j in range(len(lines[0]))]
    for row in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print()
    n = len(faults)
    for name, found in methods.items():
        in_top = sum(place is not None and place <= n for place, _ in found.values())
        first = sum(ok for _, ok in found.values())
        print(f"{name}: {in_top} of {n} faulty machines ranked in the first {n}; "
              f"faulty column named first for {first} of {n}")
    ok = all(place is not None and place <= n for place, _ in methods["aeguard"].values())
    print(f"target: the faulty machines ranked first: {'met' if ok else 'not met'}")


def run_engines(args):
    import os

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    import aeguard
    from aeguard.engines import dask_score, spark_score

    data = np.load(DATA / "adbench" / "32_shuttle.npz")
    X = pd.DataFrame(data["X"].astype(np.float64),
                     columns=[f"f{j}" for j in range(data["X"].shape[1])])
    rng = np.random.default_rng(args.seed)
    rows = X.iloc[rng.integers(0, len(X), size=args.rows)].reset_index(drop=True)
    detector = aeguard.AEDetector(random_state=args.seed).fit(X.iloc[:20000])
    results = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "shuttle.aeg"
        aeguard.save(detector, path)
        start = time.perf_counter()
        reference = detector.detect(rows).scores
        results.append(("in-process (one detect call)", time.perf_counter() - start, reference))

        import dask.dataframe as dd

        ddf = dd.from_pandas(rows, npartitions=8)
        for scheduler in ("threads", "processes"):
            start = time.perf_counter()
            out = dask_score(ddf, path).compute(scheduler=scheduler)
            results.append((f"dask, {scheduler} scheduler", time.perf_counter() - start,
                            out.anomaly_score.to_numpy()))

        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
                 .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
        spark.sparkContext.setLogLevel("ERROR")
        sdf = spark.createDataFrame(rows.assign(row=np.arange(len(rows)))).repartition(8).cache()
        sdf.count()  # materialised before the clock runs: the scoring is timed, not the copy
        start = time.perf_counter()
        out = spark_score(sdf, path).select("row", "anomaly_score").toPandas()
        elapsed = time.perf_counter() - start
        spark.stop()
        results.append(("spark local[2], mapInPandas", elapsed,
                        out.sort_values("row").anomaly_score.to_numpy()))
    print(f"engines: {args.rows:,} shuttle rows, AEDetector fitted on 20,000, seed {args.seed}")
    print()
    print(f"{'method':32s} {'seconds':>8s} {'rows/s':>12s} {'max rel. diff':>14s}")
    for name, seconds, scores in results:
        diff = float(np.max(np.abs(scores - reference) / np.maximum(np.abs(reference), 1e-12)))
        print(f"{name:32s} {seconds:8.1f} {args.rows / seconds:12,.0f} {diff:14.1e}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parts = parser.add_subparsers(dest="part", required=True)
    fleet = parts.add_parser("fleet", help="a fleet file through aeguard detect --group-by")
    fleet.add_argument("--assets", type=int, default=100)
    fleet.add_argument("--rows", type=int, default=1000)
    fleet.add_argument("--faulty", type=int, default=5)
    fleet.add_argument("--seed", type=int, default=0)
    fleet.add_argument("detect_args", nargs="*", metavar="-- DETECT_OPTION",
                       help="options passed on to aeguard detect (after --), e.g. -- "
                       "--train-rows 500")
    engines = parts.add_parser("engines", help="table rows in-process, on Dask and on Spark")
    engines.add_argument("--rows", type=int, default=1_000_000)
    engines.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.part == "fleet":
        if not 1 <= args.faulty <= args.assets:
            parser.error("--faulty must be between 1 and --assets")
        if args.rows < 100:
            parser.error("--rows must be at least 100")
    print(f"# bench/scale.py {args.part}")
    for line in environment_lines([("dask", "dask"), ("pyspark", "pyspark")]):
        print("# " + line)
    run_fleet(args) if args.part == "fleet" else run_engines(args)


if __name__ == "__main__":
    main()
