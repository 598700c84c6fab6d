"""NAB benchmark: aeguard's SeriesDetector next to the rolling z-score baseline, NAB scoring.

Runs the Numenta Anomaly Benchmark protocol on the univariate series in
``../shared/data/nab/<category>/*.csv`` (columns ``timestamp,value``; the labelled anomaly
windows are in ``combined_windows.json`` beside them) and scores two detectors, in the same
run, with the shared NAB scorer ``../shared/tools/nab_score.py``:

1. ``aeguard`` -- per file, ``aeguard.SeriesDetector(train_size=P, random_state=seed)`` at
   its defaults, fitted on the file's ``value`` column (a one-column DataFrame indexed by the
   parsed timestamp, rows in the file's order), where P is NAB's probationary period:
   ``P = min(floor(0.15 * n_rows), 750)``, exactly the rows nab_score.py never scores. The
   model and ``threshold_`` are learnt from those P rows only; then ``score_samples`` scores
   every row. Scoring is online (row t's score uses only the window ending at t), so the
   scored rows get exactly the scores a live stream would, as NAB requires of its detectors.
   The 750-row cap matters: on the five files longer than 5,000 rows the uncapped 15 % would
   reach into scored rows, and on machine_temperature_system_failure.csv into the first
   labelled anomaly window (rows 2126-2692, while 15 % is 3404 rows).
2. ``zscore`` -- ``nab_baseline_zscore.py`` (the bundled causal rolling z-score, window 100
   rows, squashed by z / (1 + z)), run as a subprocess on the same data folder.

Score mapping. nab_score.py reads an ``anomaly_score`` per row, thresholds it (a row fires
when anomaly_score >= threshold) and, with ``--optimize``, picks for each profile the ONE
threshold that maximises the summed raw score over all files. Within a file any strictly
increasing mapping gives the same result; across files the scores must share a scale,
because one threshold serves them all. So each file's scores are expressed in units of its
own alarm level and squashed into [0, 1) like the baseline's:

    r             = score_samples(row) / threshold_
    anomaly_score = r / (1 + r)          (0.5 exactly at the detector's own threshold_)

This keeps every row's order (no clipping: ``min(1, r / 2)`` would tie all rows above
2 x threshold_, and ``1 - exp(-r)`` rounds to 1.0 in float64 from r ~ 37, so the optimiser
could no longer separate large deviations) and makes a score of 0.5 mean the same thing,
"at the alarm level learnt on this file's clean part", in every file. A non-positive
``threshold_`` (a perfectly reconstructed flat training part) maps a positive score to 1.0
and a zero score to 0.

Scoring. Both detectors' results are scored by ``nab_score.py --optimize`` (its default,
written out), all three profiles (standard, reward_low_FP_rate, reward_low_FN_rate), on the
same files. The aeguard results are written in NAB's own layout
(``RESULTS/aeguard/<category>/aeguard_<file>.csv``, read with ``--nab-detector aeguard``);
the baseline writes the flat layout (``RESULTS/zscore/<category>/<file>.csv``). Only these
location arguments differ between the two scorer calls. Scores are NAB-normalised
(null detector = 0, perfect = 100). On this 18-file subset the optimised threshold is tuned
on the subset itself: an in-sample best case, comparable within this run only, not with
NAB's published 58-file scoreboard (see nab_score.py's docstring).

Output (stdout): a header (protocol, scorer options, library versions, threads, load
average), the table profile x method (score, optimised threshold, windows hit, false-positive
rows), the aeguard/zscore ratio for the standard profile, aeguard's fit + score seconds, the
target line, and a per-file table (rows, training rows, ``window_`` chosen, epochs,
seconds, % of scored rows above ``threshold_``, and for both methods the standard-profile
windows hit / FP rows / per-file normalised score at the optimised threshold -- nab_score's
per-file diagnostic, not a NAB number). Progress and per-file lines go to stderr.

Run from the repository root::

    python bench/nab.py                                   # all labelled files
    python bench/nab.py --files 'realKnownCause/*'        # a subset (scored as a subset)
    python bench/nab.py --results /tmp/nab_run --csv /tmp/nab.csv --seed 1
    python bench/nab.py --data /path/to/nab               # default: ../shared/data/nab

``seconds`` are wall seconds (``time.perf_counter``) of ``fit`` + ``score_samples``, after one
untimed 1-epoch warm-up fit on the first file (``--no-warmup`` turns it off).
Exit status: 0; 1 if aeguard failed on a file or a scorer/baseline run failed (its column is
left blank); 2 for bad arguments or unreadable data.

Data: NAB subset, MIT licence, Numenta (see ``shared/data/README.md``).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np
from _common import environment_lines, format_table, write_flat_csv

logger = logging.getLogger("nab")

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEFAULT_DATA = SHARED / "data/nab"
DEFAULT_TOOLS = SHARED / "tools"
LABELS_NAME = "combined_windows.json"
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
DETECTOR = "aeguard"  # the detector name in NAB's results layout
ZSCORE_WINDOW = 100  # nab_baseline_zscore.py's default history length
SCORER_MODE = ["--optimize"]  # nab_score.py's default, written out; same for both methods

#: NAB's probationary period: the first 15 % of a file's rows, at most 15 % of 5000 rows.
PROBATION_FRACTION = 0.15
PROBATION_CAP = 750

TARGET_LINE = ("target: SeriesDetector standard-profile score >= 45 and low-FP score >= 35 "
               "(rolling z-score in the same run for comparison)")
TARGET_STANDARD, TARGET_LOW_FP = 45.0, 35.0


def probation_rows(n_rows: int) -> int:
    """Rows NAB never scores, as nab_score.py counts them: min(floor(0.15 n), 750)."""
    return int(min(math.floor(PROBATION_FRACTION * n_rows), PROBATION_CAP))


# --------------------------------------------------------------------------- data


@dataclass
class NabFile:
    rel: str  # path relative to the data folder, e.g. realKnownCause/nyc_taxi.csv
    frame: Any  # pandas DataFrame, column "value", indexed by the parsed timestamp

    @property
    def n(self) -> int:
        return len(self.frame)

    @property
    def n_train(self) -> int:
        return probation_rows(self.n)


def read_file(path: Path, rel: str) -> NabFile:
    """One NAB CSV, rows kept in the file's order (NAB matches results to rows by position)."""
    import pandas as pd

    try:
        df = pd.read_csv(path, parse_dates=["timestamp"], index_col="timestamp")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{rel}: cannot read it as a NAB CSV (timestamp,value): {exc}") from None
    if "value" not in df.columns:
        raise ValueError(f"{rel}: no 'value' column (columns: {', '.join(map(str, df.columns))})")
    if not pd.api.types.is_numeric_dtype(df["value"]):
        raise ValueError(f"{rel}: the 'value' column is not numeric")
    if df["value"].isna().any() or not np.isfinite(df["value"].to_numpy(float)).all():
        raise ValueError(f"{rel}: missing or infinite values in the 'value' column")
    return NabFile(rel, df[["value"]].astype(np.float64))


def _wanted(rel: str, patterns: Sequence[str] | None) -> bool:
    """nab_score.py's --files-glob rule: match the relative path, or the bare name for
    patterns without a '/'."""
    if not patterns:
        return True
    base = rel.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(rel, p) or ("/" not in p and fnmatch.fnmatch(base, p))
               for p in patterns)


def load_files(data_dir: Path, labels_path: Path,
               patterns: Sequence[str] | None = None) -> list[NabFile]:
    """Every ``**/*.csv`` under ``data_dir`` that the labels file names (the files the
    scorer scores), optionally only those matching ``patterns``."""
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data folder not found: {data_dir}")
    try:
        with open(labels_path) as fh:
            labels = json.load(fh)
    except FileNotFoundError:
        raise FileNotFoundError(f"labels file not found: {labels_path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{labels_path}: not a JSON file: {exc}") from None
    if not isinstance(labels, dict):
        raise ValueError(f"{labels_path}: expected a mapping file -> windows")
    on_disk = {p.relative_to(data_dir).as_posix(): p for p in data_dir.glob("**/*.csv")}
    if not on_disk:
        raise FileNotFoundError(f"no .csv files under {data_dir}")
    missing = sorted(r for r in labels if r not in on_disk and _wanted(r, patterns))
    if missing:
        raise FileNotFoundError(f"files named in {labels_path.name} are missing under "
                                f"{data_dir}: {', '.join(missing[:5])}"
                                f"{' ...' if len(missing) > 5 else ''}")
    unlabelled = sorted(r for r in on_disk if r not in labels and _wanted(r, patterns))
    if unlabelled:
        logger.warning("skipped (no entry in %s, so not scored): %s", labels_path.name,
                       ", ".join(unlabelled))
    rels = sorted(r for r in labels if _wanted(r, patterns))
    if not rels:
        raise FileNotFoundError(f"no labelled file matches --files {' '.join(patterns or [])}")
    return [read_file(on_disk[r], r) for r in rels]


# --------------------------------------------------------------------------- aeguard


def to_anomaly_score(scores: np.ndarray, threshold: float) -> np.ndarray:
    """``r / (1 + r)`` with ``r = score / threshold``: monotone, in [0, 1), 0.5 at the
    detector's own threshold, never saturating (see the module docstring)."""
    scores = np.clip(np.asarray(scores, dtype=np.float64), 0.0, None)
    if threshold > 0 and np.isfinite(threshold):
        r = scores / threshold
        return r / (1.0 + r)
    return np.where(scores > 0, 1.0, 0.0)


def aeguard_result_path(results: Path, rel: str) -> Path:
    """NAB's layout: RESULTS/<detector>/<category>/<detector>_<file>.csv."""
    folder, _, name = rel.rpartition("/")
    return results / DETECTOR / folder / f"{DETECTOR}_{name}"


def run_aeguard(f: NabFile, seed: int, smoothing: int = 1,
                adapt: int | None = None) -> dict[str, Any]:
    """Fit on the probationary rows, score every row; the scores and what was chosen."""
    import aeguard

    t0 = time.perf_counter()
    det = aeguard.SeriesDetector(train_size=f.n_train, smoothing=smoothing, adapt=adapt,
                                 random_state=seed).fit(f.frame)
    raw = det.score_samples(f.frame)
    seconds = time.perf_counter() - t0
    raw = np.asarray(raw, dtype=np.float64)
    if raw.shape != (f.n,) or not np.all(np.isfinite(raw)):
        raise ValueError(f"score_samples returned shape {raw.shape} with "
                         f"{int(np.sum(~np.isfinite(raw)))} non-finite values")
    scored = raw[f.n_train:]
    return {"raw": raw, "anomaly_score": to_anomaly_score(raw, det.threshold_),
            "threshold_": det.threshold_, "window_": det.window_, "epochs": det.n_epochs_,
            "seconds": seconds,
            "flag%": 100.0 * float(np.mean(scored > det.threshold_)) if len(scored) else np.nan}


def write_aeguard_result(results: Path, f: NabFile, r: dict[str, Any]) -> None:
    import pandas as pd

    from aeguard._files import atomic_write

    out = pd.DataFrame({
        "timestamp": f.frame.index.strftime("%Y-%m-%d %H:%M:%S"),
        "value": f.frame["value"].to_numpy(),
        "anomaly_score": r["anomaly_score"],
        "raw_score": r["raw"],  # score_samples, for diagnosis; the scorer ignores it
    })
    atomic_write(aeguard_result_path(results, f.rel),
                 lambda fh: out.to_csv(fh, index=False), mode="w")


def warm_up(f: NabFile, seed: int) -> None:
    """One untimed 1-epoch fit + scoring, so TensorFlow's start-up is not charged to the
    first file. Failures are left for the timed runs to report."""
    try:
        import aeguard

        det = aeguard.SeriesDetector(train_size=f.n_train, epochs=1, random_state=seed)
        det.fit(f.frame).score_samples(f.frame)
    except Exception as exc:
        logger.info("warm-up failed: %s: %s", type(exc).__name__, exc)


# --------------------------------------------------------------------------- scoring


def run_tool(cmd: list[str], what: str) -> bool:
    """Run a shared tool; its stdout (its own report) goes to our stderr. False on failure."""
    logger.info("running %s", " ".join(cmd))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout.splitlines():
        logger.info("  | %s", line)
    for line in proc.stderr.splitlines():
        logger.warning("  ! %s", line)
    if proc.returncode != 0:
        logger.warning("%s failed (exit status %d)", what, proc.returncode)
        return False
    return True


def score_results(tools: Path, data: Path, labels: Path, results: Path,
                  patterns: Sequence[str] | None, json_out: Path,
                  nab_detector: str | None) -> dict | None:
    """nab_score.py on one results folder; its JSON (all profiles, per file) or None."""
    cmd = [sys.executable, str(tools / "nab_score.py"), "--data", str(data),
           "--labels", str(labels), "--results", str(results), *SCORER_MODE,
           "--profile", "all", "--no-per-file", "--json", str(json_out)]
    if nab_detector:
        cmd += ["--nab-detector", nab_detector]
    if patterns:
        cmd += ["--files-glob", *patterns]
    if not run_tool(cmd, f"nab_score.py on {results}"):
        return None
    with open(json_out) as fh:
        return json.load(fh)


# --------------------------------------------------------------------------- report


def _total(scored: dict | None, profile: str) -> dict | None:
    return None if scored is None else scored[profile]["total"]


def build_table(scored: dict[str, dict | None]):
    """profile x (method, score / threshold / windows hit / FP rows)."""
    import pandas as pd

    rows = {}
    for prof in PROFILES:
        row = {}
        for name, s in scored.items():
            t = _total(s, prof)
            row[(name, "score")] = np.nan if t is None or t["normalized"] is None \
                else t["normalized"]
            thr = None if s is None else s[prof]["threshold"]
            row[(name, "threshold")] = np.nan if thr is None else thr
            row[(name, "hit")] = f"{t['windows_hit']}/{t['windows']}" if t else ""
            row[(name, "FP rows")] = np.nan if t is None else t["fp_rows"]
        rows[prof] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    table.index.name = "profile"
    return table


def build_files_table(files: list[NabFile], runs: dict[str, dict],
                      scored: dict[str, dict | None]):
    """Per file: data, what aeguard chose, and the standard-profile per-file diagnostic."""
    import pandas as pd

    per_file = {name: ({f["name"]: f for f in s["standard"]["files"]} if s else {})
                for name, s in scored.items()}
    rows = {}
    for f in files:
        r = runs.get(f.rel, {})
        row = {("data", "rows"): f.n, ("data", "train"): f.n_train,
               ("aeguard", "window_"): r.get("window_", np.nan),
               ("aeguard", "epochs"): r.get("epochs", np.nan),
               ("aeguard", "seconds"): r.get("seconds", np.nan),
               ("aeguard", "flag%"): r.get("flag%", np.nan)}
        for name in scored:
            d = per_file[name].get(f.rel)
            row[(f"{name} std", "hit")] = f"{d['windows_hit']}/{d['windows']}" if d else ""
            row[(f"{name} std", "FP rows")] = np.nan if d is None else d["fp_rows"]
            row[(f"{name} std", "raw")] = np.nan if d is None else d["raw"]
            row[(f"{name} std", "norm")] = np.nan if d is None or d["normalized"] is None \
                else d["normalized"]
        rows[f.rel] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


_FORMATS = {"score": "{:.2f}", "threshold": "{:.6g}", "FP rows": "{:.0f}", "rows": "{:.0f}",
            "train": "{:.0f}", "window_": "{:.0f}", "epochs": "{:.0f}", "seconds": "{:.1f}",
            "flag%": "{:.2f}", "raw": "{:.3f}", "norm": "{:.1f}"}


def write_csv(table, path: Path) -> None:
    """Write the profile x method table with flat ``method_column`` headers, atomically."""
    write_flat_csv(table, path)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="NAB protocol: aeguard SeriesDetector (trained on the probationary "
                    "rows, online scoring) vs the rolling z-score baseline, scored by "
                    "nab_score.py --optimize.")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help=f"NAB data folder, <category>/*.csv (default: {DEFAULT_DATA})")
    p.add_argument("--labels", type=Path, default=None,
                   help=f"labels file (default: DATA/{LABELS_NAME})")
    p.add_argument("--tools", type=Path, default=DEFAULT_TOOLS,
                   help="folder holding nab_score.py and nab_baseline_zscore.py "
                        f"(default: {DEFAULT_TOOLS})")
    p.add_argument("--files", nargs="+", metavar="PATTERN", default=None,
                   help="only these files, e.g. 'realKnownCause/*' nyc_taxi.csv (nab_score.py's "
                        "--files-glob rule; the subset is normalised and optimised on its own)")
    p.add_argument("--results", type=Path, default=None,
                   help="keep the result CSVs and scorer JSON here (DIR/aeguard, DIR/zscore; "
                        "must not exist yet); default: a temporary folder, removed at the end")
    p.add_argument("--seed", type=int, default=0, help="model seed (default: 0)")
    p.add_argument("--smoothing", type=int, default=1,
                   help="SeriesDetector(smoothing=N) instead of the default 1")
    p.add_argument("--adapt", type=int, default=None, metavar="ROWS",
                   help="SeriesDetector(adapt=ROWS): the network keeps learning from normal "
                        "rows, every ROWS rows (default: off)")
    p.add_argument("--csv", type=Path, default=None,
                   help="also write the profile x method table to this CSV file")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed 1-epoch warm-up fit on the first file")
    args = p.parse_args(argv)
    if args.labels is None:
        args.labels = args.data / LABELS_NAME
    for tool in ("nab_score.py", "nab_baseline_zscore.py"):
        if not (args.tools / tool).is_file():
            p.error(f"--tools: no {tool} in {args.tools}")
    if args.results is not None:
        taken = [d for d in (args.results / DETECTOR, args.results / "zscore") if d.exists()]
        if taken:
            p.error(f"--results: {taken[0]} already exists; give a new folder")
    if args.csv is not None and args.csv.is_dir():
        p.error(f"--csv: {args.csv} is a directory")
    if args.adapt is not None and args.adapt < 2:
        p.error(f"--adapt must be at least 2 rows; got {args.adapt}")
    if args.smoothing < 1:
        p.error(f"--smoothing must be at least 1; got {args.smoothing}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    args = parse_args(argv)

    try:
        files = load_files(args.data, args.labels, args.files)
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    if args.results is None:
        tmp = tempfile.TemporaryDirectory(prefix="aeguard-nab-")
        results = Path(tmp.name)
    else:
        tmp, results = None, args.results
    try:
        return _run(args, files, results)
    finally:
        if tmp is not None:
            tmp.cleanup()


def _run(args: argparse.Namespace, files: list[NabFile], results: Path) -> int:
    n_rows = sum(f.n for f in files)
    n_train = sum(f.n_train for f in files)
    subset = f"; SUBSET --files {' '.join(args.files)}" if args.files else ""
    smoothing = f"smoothing={args.smoothing}, " if args.smoothing != 1 else ""
    if args.adapt is not None:
        smoothing += f"adapt={args.adapt}, "
    print(f"NAB protocol, per file: aeguard.SeriesDetector({smoothing}train_size=P, "
          "random_state=seed) at its defaults, fitted on the 'value' column's first P = min(floor(0.15 n), 750) rows\n"
          "(NAB's probationary period, never scored), then every row scored online "
          "(a row's score uses only rows up to it);\n"
          "anomaly_score = r / (1 + r), r = score_samples / threshold_ (0.5 at the detector's "
          "own threshold); baseline: nab_baseline_zscore.py --window "
          f"{ZSCORE_WINDOW} (causal rolling z-score, z / (1 + z));\n"
          f"both scored by nab_score.py {' '.join(SCORER_MODE)} --profile all (one threshold per "
          "profile optimised over the scored files: an in-sample best case on this subset,\n"
          "comparable within this run only, not with NAB's published 58-file scoreboard); "
          "normalised NAB score, null detector = 0, perfect = 100;\n"
          "seconds = wall seconds of aeguard fit + score_samples"
          + (" (after one untimed warm-up fit)." if args.warmup else " (no warm-up)."))
    print(f"data: {args.data.resolve()} ({len(files)} labelled files, {n_rows} rows, "
          f"{n_train} training/probationary rows){subset}, seed {args.seed}")
    print(f"scorer: {(args.tools / 'nab_score.py').resolve()}, labels {args.labels.resolve()}")
    for line in environment_lines():
        print(line)
    sys.stdout.flush()

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    try:
        import aeguard  # noqa: F401
    except Exception as exc:
        print(f"error: cannot import aeguard: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2

    if args.warmup:
        logger.info("warming up aeguard (untimed, 1 epoch) on %s", files[0].rel)
        warm_up(files[0], args.seed)

    runs: dict[str, dict] = {}
    failures: list[str] = []
    for i, f in enumerate(files, 1):
        try:
            r = run_aeguard(f, args.seed, args.smoothing, args.adapt)
            write_aeguard_result(results, f, r)
        except Exception as exc:  # one failing file should not hide the others' figures
            logger.warning("[%d/%d] aeguard failed on %s: %s: %s", i, len(files), f.rel,
                           type(exc).__name__, exc)
            failures.append(f"aeguard on {f.rel}")
            continue
        runs[f.rel] = r
        logger.info("[%d/%d] %-55s %6d rows, train %4d, window_ %3d, %2d epochs, "
                    "threshold_ %.4g, %5.2f %% scored rows above it, %.1f s",
                    i, len(files), f.rel, f.n, f.n_train, r["window_"], r["epochs"],
                    r["threshold_"], r["flag%"], r["seconds"])

    scored: dict[str, dict | None] = {DETECTOR: None, "zscore": None}
    with tempfile.TemporaryDirectory(prefix="aeguard-nab-json-") as jtmp:
        json_dir = results if args.results is not None else Path(jtmp)
        if not failures:
            scored[DETECTOR] = score_results(args.tools, args.data, args.labels, results,
                                             args.files, json_dir / f"{DETECTOR}.json",
                                             nab_detector=DETECTOR)
        else:
            logger.warning("aeguard is not scored: it has no results for %d file(s)",
                           len(failures))
        zdir = results / "zscore"
        if run_tool([sys.executable, str(args.tools / "nab_baseline_zscore.py"), "--data",
                     str(args.data), "--out", str(zdir), "--window", str(ZSCORE_WINDOW)],
                    "nab_baseline_zscore.py"):
            scored["zscore"] = score_results(args.tools, args.data, args.labels, zdir,
                                             args.files, json_dir / "zscore.json",
                                             nab_detector=None)
    for name, s in scored.items():
        if s is None and not (name == DETECTOR and failures):
            failures.append(f"scoring {name}")

    table = build_table(scored)
    print()
    print(format_table(table, _FORMATS))
    std = {name: _total(s, "standard") for name, s in scored.items()}
    a = std[DETECTOR]["normalized"] if std[DETECTOR] else None
    z = std["zscore"]["normalized"] if std["zscore"] else None
    if a is not None and z is not None and z > 0:
        ratio = a / z
        print(f"aeguard/zscore, standard profile: {ratio:.2f}")
    else:
        ratio = None
        print("aeguard/zscore, standard profile: n/a"
              + (" (the baseline's score is not positive)" if z is not None and z <= 0 else ""))
    seconds = sum(r["seconds"] for r in runs.values())
    load = f" (load average now {os.getloadavg()[0]:.2f})" if hasattr(os, "getloadavg") else ""
    print(f"aeguard fit+score seconds over {len(runs)} files: {seconds:.1f}{load}")
    if failures:
        print(f"FAILED (blank cells): {'; '.join(failures)}")
    print(TARGET_LINE)
    low_fp = _total(scored[DETECTOR], "reward_low_FP_rate") if scored[DETECTOR] else None
    if a is not None and low_fp is not None:
        met = a >= TARGET_STANDARD and low_fp["normalized"] >= TARGET_LOW_FP
        print(f"aeguard in this run: standard {a:.2f}, low-FP {low_fp['normalized']:.2f} "
              f"(zscore standard {'n/a' if z is None else f'{z:.2f}'}) "
              f"({'met' if met else 'not met'}"
              + (f"; on a subset of {len(files)} files" if args.files else "") + ")")

    print()
    print("per file (aeguard's choices; 'std' = standard profile at the optimised threshold: "
          "windows hit, false-positive rows, raw score, per-file normalised score -- "
          "nab_score's diagnostic, n/a without windows):")
    print(format_table(build_files_table(files, runs, scored), _FORMATS))
    if args.results is not None:
        print(f"results kept in {args.results}")
    if args.csv is not None:
        write_csv(table, args.csv)
        print(f"wrote {args.csv}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
