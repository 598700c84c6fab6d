"""Injected faults: detection and attribution on series with faults of known kind, place and column.

The labelled benchmarks have a few dozen anomalies; this one makes hundreds, of known kind,
start, length and column, in series that have none: SKAB's ``anomaly-free/anomaly-free.csv``
(8 pump sensors, cut into segments of 1,500 rows) and NAB's ``artificialNoAnomaly`` series.

Protocol, per base series: the detector is fitted once on the first rows (400 for a SKAB
segment, as in SKAB's protocol; NAB's probationary 15 % for a NAB series), which are never
altered. Then, for each fault kind and each of ``--repeats`` random placements (start, and
column on SKAB), one copy of the series gets the fault after the training part and is scored
whole (scoring is online). Fault sizes are in units of the column's training standard
deviation (sd):

* ``spike``: one row, +6 sd;
* ``level shift``: 100 rows, +3 sd;
* ``drift``: 200 rows, a ramp from 0 to +4 sd;
* ``frozen``: 100 rows, the value held at the fault's first row;
* ``noise burst``: 100 rows, Gaussian noise of 2 sd added;
* ``stuck valve``: 150 rows, held at the column's 1 % training quantile.

A placement that leaves the series unchanged (a frozen or stuck value on a flat line) is no
fault: it is left out, and the report says how many were. Figures, per method, pooled over
all cases, then per fault kind and per base series:

* ``detected``: share of faults with a flagged row between the fault's start and 10 rows after
  its end;
* ``false alarms``: share of flagged rows among the fault-free test rows (all test rows but
  the fault and the 100 rows after it);
* ``top-1`` / ``top-3`` (SKAB, several columns): among detected faults, share whose faulty
  column is first / among the first three columns named for the first flagged interval that
  overlaps the fault: for aeguard, that interval's own ``top_columns`` from ``detect``.

Methods, in the same run on the same cases:

1. ``aeguard``: ``aeguard.SeriesDetector(train_size=n_train, random_state=seed)`` at its
   defaults; flags = ``detect(X).is_anomaly``, attribution = the intervals' ``top_columns``
   (columns ranked by their peak score in the interval).
2. ``zscore``: a per-column z-score against the training part's mean and sd, flagged when
   max |z| > 4 (attribution: columns by |z| summed over the interval). A simple, strong peer
   for faults in level; blind to faults in shape.

One sensor among many: a generated plant of ``WIDE_COLUMNS`` (200) periodic sensors x 5,000
rows (each its own phase, amplitude, offset and noise; trained on the first 2,000 rows), and
``--repeats`` copies with an 8 sd fault on one random sensor for 20 rows (the case where a
mean over the columns averaged the fault away). Reported: faults detected, top-1 (the
interval's first column is the faulty one) and false alarms, for both methods.

Generated single series of kinds the shared data lacks (see ``generated_series``: counts
with bursts, a spiky utilisation, an hourly price, a road speed with rush hours), each
trained on NAB's probationary part and given the same faults, ``--repeats`` placements per
kind from a generator of their own (so the placements above do not move). Reported apart
(detected and false alarms, per kind and per series), not in the target's figures.

Run from the repository root::

    python bench/inject.py
    python bench/inject.py --repeats 2 --seed 1
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import environment_lines  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
SEGMENT_ROWS, SKAB_TRAIN = 1500, 400
KINDS = ("spike", "level shift", "drift", "frozen", "noise burst", "stuck valve")
LENGTHS = {"spike": 1, "level shift": 100, "drift": 200, "frozen": 100, "noise burst": 100,
           "stuck valve": 150}
DETECTION_SLACK, EXCLUDED_AFTER = 10, 100
ZSCORE_LIMIT = 4.0
WIDE_COLUMNS, WIDE_ROWS, WIDE_TRAIN, WIDE_PERIOD = 200, 5000, 2000, 48
WIDE_FAULT_ROWS, WIDE_FAULT_SD = 20, 8.0


def base_series(data):
    """(name, frame, n_train): SKAB segments, then NAB's series without anomalies."""
    skab = pd.read_csv(data / "skab" / "anomaly-free" / "anomaly-free.csv", sep=";",
                       index_col="datetime", parse_dates=True)
    for i in range(len(skab) // SEGMENT_ROWS):
        frame = skab.iloc[i * SEGMENT_ROWS:(i + 1) * SEGMENT_ROWS]
        yield f"skab/anomaly-free[{i}]", frame.astype(np.float64), SKAB_TRAIN
    for path in sorted((data / "nab" / "artificialNoAnomaly").glob("*.csv")):
        frame = pd.read_csv(path, index_col="timestamp", parse_dates=True)[["value"]]
        yield f"nab/{path.name}", frame.astype(np.float64), nab_training_rows(len(frame))


def nab_training_rows(n_rows):
    """NAB's probationary part: 15 % of the rows, at most 750."""
    return min(int(0.15 * n_rows), 750)


def generated_series(rng):
    """(name, frame, n_train): single series of kinds the shared data lacks, without faults.

    * ``counts``: 8,064 rows (28 days of 5-minute counts): Poisson counts around a daily cycle
      with a weekly swing, the rate varying log-normally, and a burst of about 2 hours every
      2 days on average (heavy-tailed sizes), like mention counts;
    * ``utilisation``: 4,032 rows of a percentage near 30 with noise and short spikes on 1 %
      of the rows, clipped to [0, 100], like a server's CPU;
    * ``hourly``: 1,600 hourly rows of a price around a daily cycle, log-normal noise;
    * ``traffic``: 2,500 rows of a road speed with a morning and an evening rush-hour dip a
      day (288 rows), noise, and a reading between 10 and 40 on 0.3 % of the rows.
    """
    t = np.arange(8064)
    rate = 20 * (1.2 + np.sin(2 * np.pi * t / 288 - 1.5)) * (1 + 0.3 * np.sin(2 * np.pi * t / 2016))
    counts = rng.poisson(rate * np.exp(rng.normal(0, 0.35, t.size))).astype(np.float64)
    for start in rng.choice(t.size - 24, t.size // 600, replace=False):
        counts[start:start + 24] += rng.pareto(2.5) * 40 * np.exp(-np.arange(24) / 6)
    t = np.arange(4032)
    cpu = 30 + rng.normal(0, 1.5, t.size)
    spikes = rng.random(t.size) < 0.01
    cpu[spikes] += rng.exponential(15, spikes.sum())
    t = np.arange(1600)
    price = 0.5 * (1.3 + 0.5 * np.sin(2 * np.pi * t / 24)) * np.exp(rng.normal(0, 0.25, t.size))
    t = np.arange(2500)
    day = t % 288
    rush = np.exp(-((day - 100) / 15.0) ** 2) + np.exp(-((day - 210) / 20.0) ** 2)
    speed = 65 - 25 * rush + rng.normal(0, 3, t.size)
    drops = rng.random(t.size) < 0.003
    speed[drops] = rng.uniform(10, 40, drops.sum())
    for name, values in (("counts", counts), ("utilisation", np.clip(cpu, 0, 100)),
                         ("hourly", price), ("traffic", speed)):
        yield f"generated/{name}", pd.DataFrame({"value": values}), nab_training_rows(len(values))


def inject(frame, n_train, kind, start, column, rng):
    """A copy of ``frame`` with one fault; returns (copy, end) with end inclusive."""
    X = frame.to_numpy(copy=True)
    train = X[:n_train, column]
    sd = train.std() or 1.0
    length = LENGTHS[kind]
    rows = slice(start, start + length)
    if kind == "spike":
        X[rows, column] += 6 * sd
    elif kind == "level shift":
        X[rows, column] += 3 * sd
    elif kind == "drift":
        X[rows, column] += np.linspace(0, 4 * sd, length)
    elif kind == "frozen":
        X[rows, column] = X[start, column]
    elif kind == "noise burst":
        X[rows, column] += 2 * sd * rng.normal(size=length)
    else:  # stuck valve
        X[rows, column] = np.quantile(train, 0.01)
    return pd.DataFrame(X, index=frame.index, columns=frame.columns), start + length - 1


def wide_series(rng):
    """WIDE_COLUMNS periodic sensors with their own phase, amplitude, offset and noise."""
    t = np.arange(WIDE_ROWS)[:, None]
    phase = rng.uniform(0, 2 * np.pi, WIDE_COLUMNS)
    amplitude = rng.uniform(0.5, 2.0, WIDE_COLUMNS)
    X = (rng.uniform(-5, 5, WIDE_COLUMNS) + amplitude * np.sin(2 * np.pi * t / WIDE_PERIOD + phase)
         + rng.uniform(0.05, 0.3, WIDE_COLUMNS) * amplitude * rng.normal(size=(WIDE_ROWS, WIDE_COLUMNS)))
    return pd.DataFrame(X, columns=[f"s{j:03d}" for j in range(WIDE_COLUMNS)])


def one_among_many(repeats, rng, seed):
    """Records of the one-faulty-sensor-in-200 cases, and aeguard's fit + detect seconds."""
    import aeguard

    frame = wide_series(rng)
    t0 = time.perf_counter()
    det = aeguard.SeriesDetector(train_size=WIDE_TRAIN, random_state=seed).fit(frame)
    seconds = time.perf_counter() - t0
    print(f"wide: {WIDE_ROWS} rows, {WIDE_COLUMNS} columns, window_ {det.window_}",
          file=sys.stderr)
    records = []
    for _ in range(repeats):
        column = int(rng.integers(WIDE_COLUMNS))
        start = int(rng.integers(WIDE_TRAIN + 100, WIDE_ROWS - WIDE_FAULT_ROWS - EXCLUDED_AFTER))
        faulty = frame.copy()
        sd = frame.iloc[:WIDE_TRAIN, column].std()
        faulty.iloc[start:start + WIDE_FAULT_ROWS, column] += WIDE_FAULT_SD * sd
        end = start + WIDE_FAULT_ROWS - 1
        t0 = time.perf_counter()
        result = det.detect(faulty)
        seconds += time.perf_counter() - t0
        z_flags, z = zscore_detect(faulty, WIDE_TRAIN)
        named = interval_ranking(result, list(frame.columns))
        for method, flags, contrib, ranking_of in (
                ("aeguard", result.is_anomaly, result.feature_scores, named),
                ("zscore", z_flags, z, None)):
            d, fa, n_clean, t1, t3 = evaluate(flags, contrib, start, end, WIDE_TRAIN, column,
                                              ranking_of)
            records.append({"method": method, "series": "wide", "kind": "8 sd, 20 rows",
                            "multi": True, "detected": d, "false_rows": fa,
                            "clean_rows": n_clean, "top1": t1, "top3": t3})
    return records, seconds


def zscore_detect(frame, n_train):
    X = frame.to_numpy()
    mean, sd = X[:n_train].mean(axis=0), X[:n_train].std(axis=0)
    z = np.abs(X - mean) / np.where(sd > 0, sd, 1.0)
    return z.max(axis=1) > ZSCORE_LIMIT, z


def evaluate(flags, contributions, start, end, n_train, column, ranking_of=None):
    """(detected, n false-alarm rows, n fault-free rows, top-1 hit, top-3 hit) of one case.

    ``ranking_of(lo, hi)``: the columns named for the flagged run of rows ``lo..hi``, most
    important first; None: ranked by summed ``contributions`` over the run.
    """
    n_rows = len(flags)
    window = slice(start, min(end + DETECTION_SLACK + 1, n_rows))
    detected = bool(flags[window].any())
    clean = np.ones(n_rows, bool)
    clean[:n_train] = False
    clean[start:end + EXCLUDED_AFTER + 1] = False
    top1 = top3 = False
    if detected:
        # The flagged run that overlaps the fault: its columns ranked by summed contribution.
        first = start + int(np.argmax(flags[window]))
        lo, hi = first, first
        while lo > 0 and flags[lo - 1]:
            lo -= 1
        while hi + 1 < n_rows and flags[hi + 1]:
            hi += 1
        if ranking_of is None:
            ranking = list(np.argsort(-contributions[lo:hi + 1].sum(axis=0), kind="stable"))
        else:
            ranking = ranking_of(lo, hi)
        top1, top3 = ranking[0] == column, column in ranking[:3]
    return detected, int((flags & clean).sum()), int(clean.sum()), top1, top3


def interval_ranking(result, columns):
    """``ranking_of`` for ``evaluate``: the top_columns of the detect() interval holding a run.

    ``result`` is detect()'s on a frame indexed by row position, so intervals start and end
    at positions."""
    spans = [(int(r.start), int(r.end), r.top_columns.split(","))
             for r in result.intervals.itertuples()]

    def ranking_of(lo, hi):
        for first, last, names in spans:
            if first <= hi and last >= lo:
                return [columns.index(name) for name in names]
        raise AssertionError(f"no interval holds the flagged rows {lo}..{hi}")

    return ranking_of


def cases(series, repeats, rng, seed, adapt):
    """Every fault kind x ``repeats`` placements on each of ``series`` ((name, frame, n_train)).

    Returns the records of both methods, the placements that left a series unchanged, and
    aeguard's fit + detect seconds.
    """
    import aeguard

    records, unchanged = [], []
    seconds = 0.0
    for name, frame, n_train in series:
        t0 = time.perf_counter()
        det = aeguard.SeriesDetector(train_size=n_train, adapt=adapt,
                                     random_state=seed).fit(frame)
        seconds += time.perf_counter() - t0
        print(f"{name}: {len(frame)} rows, {frame.shape[1]} columns, window_ {det.window_}",
              file=sys.stderr)
        for kind in KINDS:
            for _ in range(repeats):
                column = int(rng.integers(frame.shape[1]))
                start = int(rng.integers(n_train + 50, len(frame) - LENGTHS[kind]
                                         - EXCLUDED_AFTER))
                faulty, end = inject(frame, n_train, kind, start, column, rng)
                if np.array_equal(faulty.to_numpy(), frame.to_numpy()):
                    # No fault at all (a frozen or stuck value on a flat line): nothing to find.
                    unchanged.append(f"{name} {kind}")
                    continue
                t0 = time.perf_counter()
                result = det.detect(faulty.reset_index(drop=True))
                seconds += time.perf_counter() - t0
                z_flags, z = zscore_detect(faulty, n_train)
                named = interval_ranking(result, list(frame.columns))
                for method, flags, contrib, ranking_of in (
                        ("aeguard", result.is_anomaly, result.feature_scores, named),
                        ("zscore", z_flags, z, None)):
                    d, fa, n_clean, t1, t3 = evaluate(flags, contrib, start, end, n_train, column,
                                                      ranking_of)
                    records.append({"method": method, "series": name, "kind": kind,
                                    "multi": frame.shape[1] > 1, "detected": d,
                                    "false_rows": fa, "clean_rows": n_clean,
                                    "top1": t1, "top3": t3})
    return records, unchanged, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--repeats", type=int, default=4, help="placements per fault kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--adapt", type=int, default=None, metavar="ROWS",
                        help="SeriesDetector(adapt=ROWS) instead of the default (off)")
    args = parser.parse_args(argv)
    if not (args.data / "skab" / "anomaly-free").is_dir():
        parser.exit(2, f"error: no SKAB anomaly-free data under {args.data}\n")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    rng = np.random.default_rng(args.seed)
    records, unchanged, seconds = cases(base_series(args.data), args.repeats, rng, args.seed,
                                        args.adapt)
    table = pd.DataFrame.from_records(records)
    wide_records, wide_seconds = one_among_many(args.repeats, rng, args.seed)
    wide = pd.DataFrame.from_records(wide_records)
    # A generator of their own, so the placements above stay those of earlier runs.
    other = np.random.default_rng([args.seed, 1])
    generated_records, generated_unchanged, generated_seconds = cases(
        generated_series(other), args.repeats, other, args.seed, args.adapt)
    generated = pd.DataFrame.from_records(generated_records)
    unchanged += generated_unchanged

    def summary(group):
        multi = group[group.multi & group.detected]
        return pd.Series({
            "cases": len(group),
            "detected %": 100 * group.detected.mean(),
            "false alarms %": 100 * group.false_rows.sum() / group.clean_rows.sum(),
            "top-1 %": 100 * multi.top1.mean() if len(multi) else np.nan,
            "top-3 %": 100 * multi.top3.mean() if len(multi) else np.nan,
        })

    print("\n".join(environment_lines()))
    print(f"seed {args.seed}, {args.repeats} placements per kind; aeguard fit + detect "
          f"seconds: {seconds:.1f} (one among {WIDE_COLUMNS}: {wide_seconds:.1f}; generated: "
          f"{generated_seconds:.1f})")
    print()
    overall = table.groupby("method").apply(summary, include_groups=False)
    print(overall.round(1).to_string())
    print()
    by_kind = table.groupby(["kind", "method"]).apply(summary, include_groups=False)
    print(by_kind.round(1).to_string())
    print()
    by_series = table.groupby(["series", "method"]).apply(summary, include_groups=False)
    print(by_series.round(1).to_string())
    print()
    print(f"one faulty sensor among {WIDE_COLUMNS} ({WIDE_ROWS} rows, trained on {WIDE_TRAIN}; "
          f"{WIDE_FAULT_SD:g} sd for {WIDE_FAULT_ROWS} rows; not in the figures above):")
    wide_summary = wide.groupby("method").apply(summary, include_groups=False)
    print(wide_summary.round(1).to_string())
    print()
    print("generated single series of kinds the shared data lacks (counts, utilisation, hourly, "
          "traffic; not in the figures above):")
    print("\n\n".join(generated.groupby(keys).apply(summary, include_groups=False)
                        .drop(columns=["top-1 %", "top-3 %"]).round(1).to_string()
                        for keys in ("method", ["kind", "method"], ["series", "method"])))
    if unchanged:
        print(f"\nleft out: {len(unchanged)} placements that left the series unchanged "
              f"({', '.join(sorted(set(unchanged)))})")
    a = overall.loc["aeguard"]
    w = wide_summary.loc["aeguard"]
    met = (a["detected %"] >= 90 and a["false alarms %"] <= 5 and a["top-1 %"] >= 80
           and a["top-3 %"] >= 95 and w["detected %"] == 100)
    print()
    print("target: >= 90 % of faults detected at <= 5 % false alarms; top-1 >= 80 %, "
          f"top-3 >= 95 %; the one faulty sensor among {WIDE_COLUMNS} flagged")
    print(f"aeguard in this run: detected {a['detected %']:.1f} %, false alarms "
          f"{a['false alarms %']:.2f} %, top-1 {a['top-1 %']:.1f} %, top-3 {a['top-3 %']:.1f} %; "
          f"one among {WIDE_COLUMNS}: {int(wide[wide.method == 'aeguard'].detected.sum())} of "
          f"{int(w['cases'])} flagged, top-1 {w['top-1 %']:.0f} %, false alarms "
          f"{w['false alarms %']:.2f} % ({'met' if met else 'not met'})")


if __name__ == "__main__":
    main()
