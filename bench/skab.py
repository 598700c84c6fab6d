"""SKAB benchmark: aeguard's SeriesDetector next to Isolation Forest and PCA T² (+Q).

Implements the outlier-detection protocol of SKAB (Skoltech Anomaly Benchmark) on the 16
``valve1`` experiments in ``../shared/data/skab/valve1/*.csv`` (``;``-separated, a
``datetime`` column used as the index, 0/1 columns ``anomaly`` and ``changepoint``; the
features are all the other columns):

* per file, every method is fitted on the first 400 rows (anomaly-free by the protocol) and
  labels each of the remaining rows (the test rows) normal or anomalous;
* the predicted labels of the test rows of ALL files are pooled, and binary F1 (positive =
  anomaly), the false-alarm rate FAR = FP / (FP + TN) and the missed-alarm rate
  MAR = FN / (FN + TP) are computed over them once, FAR and MAR in percent, as SKAB reports
  them;
* ``seconds`` is the wall time (``time.perf_counter``) of fit + detection, summed over files.

All methods run on the same files in the same run, so their figures are comparable:

1. ``aeguard`` -- ``aeguard.SeriesDetector(train_size=400, random_state=seed)`` at its
   defaults, fitted on the WHOLE file's feature frame (``train_size=400`` makes the first
   400 rows the training part; nothing after them is used for training or for the
   threshold), then ``detect`` on the whole frame, keeping the rows after the first 400;
   anomaly = the row is in one of ``detect``'s alarms (``is_anomaly``: what ``aeguard detect``
   writes; an alarm stays open while the recent scores stay high, so this can differ from
   ``predict``). This is legitimate because SeriesDetector scores online:
   a row's score uses only rows up to it (the window ending at it), so scoring the whole
   file gives the test rows exactly the scores a live stream would.
2. ``iforest`` -- ``sklearn.ensemble.IsolationForest(random_state=seed)`` at its defaults,
   fitted on the first 400 rows standardised by a ``StandardScaler`` fitted on them;
   anomaly = ``predict == -1`` on the (identically standardised) test rows.
3. ``pca_t2`` -- Hotelling's T² on PCA: ``StandardScaler`` + ``PCA(n_components=0.95)``
   (the components explaining 95 % of the variance) fitted on the first 400 rows;
   T² = sum over components of score² / explained variance; anomaly = T² above the 99th
   percentile of the training rows' T².
4. ``pca_t2q`` -- the same PCA, plus the Q statistic (SPE: squared norm of the standardised
   row's residual outside the components) with its own 99th-percentile threshold from the
   training rows; anomaly = T² above its threshold OR Q above its threshold.

The empirical 99th percentile is a common, assumption-free control limit. SKAB's own
T²+Q (``T2`` in its ControlCharts code) instead uses theoretical upper control limits:
an F-distribution UCL for T² (the small-sample form of the chi-square limit) and
the Jackson-Mudholkar UCL for Q, at p = 0.999 with 85 % explained variance, so the
``pca_*`` rows here approximate, not reproduce, SKAB's PCA T²+Q baseline.

Under the table the script prints the published SKAB leaderboard figures (F1 on all 34
SKAB files; this run uses the 16 ``valve1`` files, so they are context, not a same-run
peer) and a second table with each method's F1 and flagged fraction per file.

Run from the repository root::

    python bench/skab.py                                 # all methods, all 16 files
    python bench/skab.py --methods iforest,pca_t2q       # without aeguard
    python bench/skab.py --files 0,1,2 --seed 1 --csv /tmp/skab.csv
    python bench/skab.py --data /path/to/skab/valve1     # another folder of SKAB CSVs

``aeguard`` (and so Keras/TensorFlow) is imported only when the ``aeguard`` method is
requested. Before the timed runs each method does one untimed warm-up on the first file
(for aeguard a 1-epoch fit), so one-off start-up costs are not charged to the first file;
``--no-warmup`` turns it off. The tables go to stdout; progress and warnings go to stderr.
Exit status: 0, or 1 if a method failed on some file (its pooled figures are left blank),
2 for bad arguments or unreadable data.

Data: SKAB, GPL-3.0, waico/SKAB -- read in place, never copied into the project.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from _common import comma_list, environment_lines, format_table

logger = logging.getLogger("skab")

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared/data/skab/valve1"
ALL_METHODS = ("aeguard", "iforest", "pca_t2", "pca_t2q")
#: SeriesDetector with another network, or with its errors smoothed over 8 rows, run only
#: when asked for (--methods aeguard-lstm,...).
EXTRA_METHODS = ("aeguard-dense", "aeguard-lstm", "aeguard-vae", "aeguard-smooth8",
                 "aeguard-adapt")
#: Rows per update of the "aeguard-adapt" method (SeriesDetector(adapt=...)).
ADAPT_ROWS = 250
N_TRAIN = 400  # SKAB: the first 400 rows of each file are anomaly-free training data
LABEL_COLUMNS = ("anomaly", "changepoint")
PCA_VARIANCE = 0.95
PCA_QUANTILE = 0.99

#: Published SKAB outlier-detection leaderboard, F1 on all 34 SKAB files
#: (shared/data/README.md).
REFERENCE_F1 = (("Conv-AE", 0.78), ("PCA T²+Q", 0.76), ("LSTM-AE", 0.74),
                ("Isolation Forest", 0.29))
TARGET_LINE = ("target: SeriesDetector on valve1 with defaults better than the published "
               "Conv-AE on all three at once: F1 >= 0.80, FAR <= 13 %, MAR <= 28 %")
TARGET_F1, TARGET_FAR, TARGET_MAR = 0.80, 13.0, 28.0


# --------------------------------------------------------------------------- data


@dataclass
class SkabFile:
    name: str
    X: Any  # pandas DataFrame of the feature columns, indexed by datetime
    y: np.ndarray  # 0/1 anomaly label of every row


def _sort_key(path: Path) -> tuple[int, str]:
    return (int(path.stem), "") if path.stem.isdigit() else (sys.maxsize, path.stem.lower())


def read_file(path: Path) -> SkabFile:
    """One SKAB CSV: ``;``-separated, ``datetime`` parsed as the index, features = all
    columns but ``anomaly`` and ``changepoint``."""
    import pandas as pd

    try:
        df = pd.read_csv(path, sep=";", parse_dates=["datetime"], index_col="datetime")
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name}: cannot read it as a SKAB CSV: {exc}") from None
    if "anomaly" not in df.columns:
        raise ValueError(f"{path.name}: no 'anomaly' column (columns: {', '.join(df.columns)})")
    features = df.drop(columns=[c for c in LABEL_COLUMNS if c in df.columns])
    if features.shape[1] == 0:
        raise ValueError(f"{path.name}: no feature columns")
    bad = [c for c in features.columns if not pd.api.types.is_numeric_dtype(features[c])]
    if bad:
        raise ValueError(f"{path.name}: non-numeric feature columns: {', '.join(map(str, bad))}")
    if features.isna().any().any():
        raise ValueError(f"{path.name}: missing values in the feature columns")
    y = df["anomaly"].to_numpy()
    if np.isnan(y.astype(float)).any() or not set(np.unique(y)) <= {0, 1}:
        raise ValueError(f"{path.name}: 'anomaly' must be 0/1, got values {np.unique(y)[:10]}")
    if len(df) <= N_TRAIN:
        raise ValueError(f"{path.name}: {len(df)} rows, need more than the {N_TRAIN} training rows")
    y = y.astype(np.int64)
    if y[:N_TRAIN].any():
        logger.warning("%s: %d anomalous rows among the first %d (the protocol assumes none)",
                       path.name, int(y[:N_TRAIN].sum()), N_TRAIN)
    return SkabFile(path.stem, features.astype(np.float64), y)


def load_files(data_dir: Path, only: Sequence[str] | None = None) -> list[SkabFile]:
    """Every ``*.csv`` in ``data_dir`` in numeric order (``0.csv``, ``1.csv``, ... ``15.csv``),
    optionally only those whose stem is in ``only``."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FileNotFoundError(f"data folder not found: {data_dir}")
    paths = sorted(data_dir.glob("*.csv"), key=_sort_key)
    if not paths:
        raise FileNotFoundError(f"no .csv files in {data_dir}")
    if only:
        missing = [s for s in only if s not in {p.stem for p in paths}]
        if missing:
            raise FileNotFoundError(f"no {', '.join(s + '.csv' for s in missing)} in {data_dir}")
        paths = [p for p in paths if p.stem in only]
    return [read_file(p) for p in paths]


# --------------------------------------------------------------------------- methods


@dataclass
class Method:
    """``detect(X, n_train, seed)`` fits on the first ``n_train`` rows of the feature
    frame ``X`` and returns a boolean array, True = anomaly, for the rows after them.
    ``warm`` (same signature) is the untimed warm-up; None: ``detect`` itself."""

    name: str
    detect: Callable[[Any, int, int], np.ndarray]
    note: str = ""
    warm: Callable[[Any, int, int], Any] | None = None


def _make_aeguard(model="conv", smoothing=1, adapt=None) -> Method:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter
    import aeguard

    def detect(X, n_train, seed):
        # Fit on the whole frame: train_size marks the training part. Scoring is online,
        # so the test rows' labels depend only on rows up to each of them.
        det = aeguard.SeriesDetector(model=model, smoothing=smoothing, train_size=n_train,
                                     adapt=adapt, random_state=seed).fit(X)
        return det.detect(X).is_anomaly[n_train:]

    def warm(X, n_train, seed):
        det = aeguard.SeriesDetector(model=model, train_size=n_train, epochs=1,
                                     random_state=seed).fit(X)
        det.predict(X)

    name = "aeguard" if model == "conv" else f"aeguard-{model}"
    spec = "" if model == "conv" else f"model={model!r}, "
    if smoothing != 1:
        name, spec = f"{name}-smooth{smoothing}", f"{spec}smoothing={smoothing}, "
    if adapt is not None:
        name, spec = f"{name}-adapt", f"{spec}adapt={adapt}, "
    return Method(name, detect,
                  f"SeriesDetector({spec}train_size=400, random_state=seed), defaults otherwise; "
                  "fitted on the whole file, detect's alarms (online scoring), test rows kept",
                  warm)


def _make_iforest() -> Method:
    from sklearn.ensemble import IsolationForest
    from sklearn.preprocessing import StandardScaler

    def detect(X, n_train, seed):
        values = X.to_numpy(np.float64)
        scaler = StandardScaler().fit(values[:n_train])
        est = IsolationForest(random_state=seed).fit(scaler.transform(values[:n_train]))
        return est.predict(scaler.transform(values[n_train:])) == -1

    return Method("iforest", detect,
                  "StandardScaler + IsolationForest(random_state=seed), defaults, fitted on "
                  "the first 400 rows")


class PCAStats:
    """StandardScaler + PCA(95 % variance) on the training rows; T² and Q (SPE) with
    99th-percentile thresholds from the training rows."""

    def __init__(self, train: np.ndarray):
        from sklearn.decomposition import PCA
        from sklearn.preprocessing import StandardScaler

        self.scaler = StandardScaler().fit(train)
        Z = self.scaler.transform(train)
        self.pca = PCA(n_components=PCA_VARIANCE, svd_solver="full").fit(Z)
        # With every component kept there is no residual space: Q is identically 0.
        self.has_q = self.pca.n_components_ < Z.shape[1]
        t2, q = self._stats(Z)
        self.t2_limit = float(np.quantile(t2, PCA_QUANTILE))
        self.q_limit = float(np.quantile(q, PCA_QUANTILE))

    def _stats(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = self.pca.transform(Z)
        t2 = np.sum(scores**2 / self.pca.explained_variance_, axis=1)
        q = np.sum((Z - self.pca.inverse_transform(scores)) ** 2, axis=1)
        return t2, q

    def flags(self, X: np.ndarray, use_q: bool) -> np.ndarray:
        t2, q = self._stats(self.scaler.transform(X))
        out = t2 > self.t2_limit
        if use_q and self.has_q:
            out |= q > self.q_limit
        return out


def _make_pca(use_q: bool) -> Method:
    import sklearn.decomposition  # noqa: F401  (fail here, not per file, if sklearn is broken)

    def detect(X, n_train, seed):  # deterministic: the full SVD ignores the seed
        values = X.to_numpy(np.float64)
        return PCAStats(values[:n_train]).flags(values[n_train:], use_q)

    if use_q:
        return Method("pca_t2q", detect,
                      "StandardScaler + PCA(0.95 variance) on the first 400 rows; T² > its "
                      "99th training percentile OR Q (SPE) > its 99th training percentile")
    return Method("pca_t2", detect,
                  "StandardScaler + PCA(0.95 variance) on the first 400 rows; "
                  "T² > its 99th training percentile")


_FACTORIES: dict[str, Callable[[], Method]] = {
    "aeguard": _make_aeguard,
    "aeguard-dense": lambda: _make_aeguard("dense"),
    "aeguard-lstm": lambda: _make_aeguard("lstm"),
    "aeguard-vae": lambda: _make_aeguard("vae"),
    "aeguard-smooth8": lambda: _make_aeguard(smoothing=8),
    "aeguard-adapt": lambda: _make_aeguard(adapt=ADAPT_ROWS),
    "iforest": _make_iforest,
    "pca_t2": lambda: _make_pca(False),
    "pca_t2q": lambda: _make_pca(True),
}


def get_methods(names: Sequence[str]) -> list[Method]:
    """Import the requested methods lazily; one that cannot be imported is skipped with
    a printed reason."""
    methods = []
    for name in names:
        try:
            methods.append(_FACTORIES[name]())
        except Exception as exc:  # ImportError, or a broken install
            print(f"skipped {name}: cannot import it: {type(exc).__name__}: {exc}")
    return methods


def run_method(method: Method, f: SkabFile, seed: int) -> dict[str, Any]:
    """Fit + detect on one file; the test rows' predicted labels and the seconds."""
    t0 = time.perf_counter()
    flags = method.detect(f.X, N_TRAIN, seed)
    seconds = time.perf_counter() - t0
    flags = np.asarray(flags)
    n_test = len(f.y) - N_TRAIN
    if flags.shape != (n_test,):
        raise ValueError(f"{method.name}: {flags.shape} labels, expected ({n_test},)")
    return {"pred": flags.astype(bool), "seconds": seconds}


def warm_up(method: Method, f: SkabFile, seed: int) -> None:
    """One untimed run on the first file, so that one-off costs (importing Keras inside
    ``fit``, TensorFlow start-up) are not charged to whichever file comes first. Failures
    here are left for the timed runs to report."""
    try:
        (method.warm or method.detect)(f.X, N_TRAIN, seed)
    except Exception as exc:
        logger.info("warm-up of %s failed: %s: %s", method.name, type(exc).__name__, exc)


# --------------------------------------------------------------------------- metrics


def confusion(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, int]:
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    return {"TP": int(np.sum(y_true & y_pred)), "FP": int(np.sum(~y_true & y_pred)),
            "FN": int(np.sum(y_true & ~y_pred)), "TN": int(np.sum(~y_true & ~y_pred))}


def _ratio(num: float, den: float) -> float:
    return num / den if den else float("nan")


def scores(c: dict[str, int]) -> dict[str, float]:
    """Binary F1 (positive = anomaly), FAR % = 100 FP/(FP+TN), MAR % = 100 FN/(FN+TP)."""
    return {"F1": _ratio(2 * c["TP"], 2 * c["TP"] + c["FP"] + c["FN"]),
            "FAR %": 100 * _ratio(c["FP"], c["FP"] + c["TN"]),
            "MAR %": 100 * _ratio(c["FN"], c["FN"] + c["TP"])}


# --------------------------------------------------------------------------- report


def build_tables(files: list[SkabFile], results: dict[tuple[str, str], dict[str, Any]],
                 methods: list[Method]):
    """The per-method table (pooled over all test rows of all files; blank for a method
    that failed on any file) and the per-file table (F1 and % of test rows flagged)."""
    import pandas as pd

    cols = ["F1", "FAR %", "MAR %", "TP", "FP", "FN", "TN", "seconds"]
    rows = {}
    for m in methods:
        got = [results.get((f.name, m.name)) for f in files]
        if any(r is None for r in got):
            rows[m.name] = {k: np.nan for k in cols}
            continue
        c = confusion(np.concatenate([f.y[N_TRAIN:] for f in files]),
                      np.concatenate([r["pred"] for r in got]))
        rows[m.name] = {**scores(c), **c, "seconds": sum(r["seconds"] for r in got)}
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=cols)
    table = table.astype({k: "Int64" for k in ("TP", "FP", "FN", "TN")})  # blank stays blank
    table.index.name = "method"

    per_file = {}
    for f in files:
        y_test = f.y[N_TRAIN:]
        row = {("data", "n_test"): len(y_test), ("data", "anom%"): 100.0 * y_test.mean()}
        for m in methods:
            r = results.get((f.name, m.name))
            row[(m.name, "F1")] = scores(confusion(y_test, r["pred"]))["F1"] if r else np.nan
            row[(m.name, "flag%")] = 100.0 * r["pred"].mean() if r else np.nan
        per_file[f"{f.name}.csv"] = row
    files_table = pd.DataFrame.from_dict(per_file, orient="index")
    files_table.columns = pd.MultiIndex.from_tuples(files_table.columns)
    return table, files_table


_FORMATS = {"F1": "{:.3f}", "FAR %": "{:.2f}", "MAR %": "{:.2f}", "TP": "{:.0f}",
            "FP": "{:.0f}", "FN": "{:.0f}", "TN": "{:.0f}", "seconds": "{:.2f}",
            "n_test": "{:.0f}", "anom%": "{:.1f}", "flag%": "{:.1f}"}


def write_csv(table, path: Path) -> None:
    """Write the per-method table, atomically."""
    from aeguard._files import atomic_write

    atomic_write(Path(path), lambda fh: table.to_csv(fh), mode="w")


# --------------------------------------------------------------------------- main



def _stem(name: str) -> str:
    return name[:-4] if name.lower().endswith(".csv") else name


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="SKAB outlier-detection protocol on valve1: aeguard SeriesDetector vs "
                    "IsolationForest vs PCA T² (+Q).")
    p.add_argument("--methods", type=comma_list, default=list(ALL_METHODS),
                   help=f"comma list out of {','.join(ALL_METHODS + EXTRA_METHODS)} (default: "
                        f"{','.join(ALL_METHODS)})")
    p.add_argument("--files", type=comma_list, default=None,
                   help="comma list of file names, e.g. 0,1,2 (default: all in --data)")
    p.add_argument("--seed", type=int, default=0, help="model seed (default: 0)")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA,
                   help=f"folder of SKAB CSV files (default: {DEFAULT_DATA})")
    p.add_argument("--csv", type=Path, default=None,
                   help="also write the per-method table to this CSV file")
    p.add_argument("--no-warmup", dest="warmup", action="store_false",
                   help="skip the untimed warm-up run of each method on the first file")
    args = p.parse_args(argv)
    unknown = [m for m in args.methods if m not in ALL_METHODS + EXTRA_METHODS]
    if unknown or not args.methods:
        p.error(f"--methods: unknown {', '.join(unknown) or '(empty)'}; "
                f"choose from {','.join(ALL_METHODS + EXTRA_METHODS)}")
    args.methods = list(dict.fromkeys(args.methods))  # drop repeats, keep order
    if args.files is not None:
        if not args.files:
            p.error("--files: empty list")
        args.files = list(dict.fromkeys(_stem(s) for s in args.files))
    if args.csv is not None and args.csv.is_dir():
        p.error(f"--csv: {args.csv} is a directory")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    args = parse_args(argv)

    try:
        files = load_files(args.data, args.files)
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    n_test = sum(len(f.y) - N_TRAIN for f in files)
    n_anom = sum(int(f.y[N_TRAIN:].sum()) for f in files)
    print(f"SKAB outlier-detection protocol, per file: fit on the first {N_TRAIN} rows "
          "(anomaly-free), label the rest (the test rows);\n"
          "binary F1 (positive = anomaly), FAR % = 100 FP/(FP+TN) and MAR % = 100 FN/(FN+TP) "
          "over the test rows of ALL files pooled;\n"
          "seconds = wall seconds of fit + detection summed over files"
          + (" (after one untimed warm-up per method)." if args.warmup else " (no warm-up)."))
    print(f"data: {args.data.resolve()} ({len(files)} files, {n_test} test rows, "
          f"{n_anom} anomalous = {100.0 * n_anom / n_test:.1f} %), seed {args.seed}")
    for line in environment_lines():
        print(line)

    methods = get_methods(args.methods)
    if not methods:
        print("error: none of the requested methods can run", file=sys.stderr)
        return 2
    for m in methods:
        print(f"{m.name}: {m.note}")
    sys.stdout.flush()

    if args.warmup:
        for m in methods:
            logger.info("warming up %s (untimed) on %s.csv", m.name, files[0].name)
            warm_up(m, files[0], args.seed)

    results: dict[tuple[str, str], dict[str, Any]] = {}
    failures: list[str] = []
    for f in files:
        for m in methods:
            logger.info("%-7s %-8s fit on %d x %d, label %d", f"{f.name}.csv", m.name,
                        N_TRAIN, f.X.shape[1], len(f.y) - N_TRAIN)
            try:
                results[(f.name, m.name)] = run_method(m, f, args.seed)
            except Exception as exc:  # one failing method should not hide the others' figures
                logger.warning("%s failed on %s.csv: %s: %s", m.name, f.name,
                               type(exc).__name__, exc)
                failures.append(f"{m.name} on {f.name}.csv")

    table, files_table = build_tables(files, results, methods)
    print()
    print(format_table(table, _FORMATS))
    load = f" (load average now {os.getloadavg()[0]:.2f})" if hasattr(os, "getloadavg") else ""
    print(f"pooled over {n_test} test rows of {len(files)} files{load}")
    trivial = scores({"TP": n_anom, "FP": n_test - n_anom, "FN": 0, "TN": 0})
    print(f"trivial baseline, every test row flagged: F1 {trivial['F1']:.3f}, "
          f"FAR {trivial['FAR %']:.0f} %, MAR {trivial['MAR %']:.0f} % "
          f"({100.0 * n_anom / n_test:.1f} % of the test rows are anomalous)")
    if failures:
        print(f"FAILED (blank row for that method): {'; '.join(failures)}")
    print("published SKAB outlier-detection F1 (context, NOT a same-run peer: on all 34 SKAB "
          f"files, this run uses {len(files)} valve1 files): "
          + ", ".join(f"{name} {f1:.2f}" for name, f1 in REFERENCE_F1))
    print(TARGET_LINE)
    if "aeguard" in table.index and not np.isnan(table.loc["aeguard", "F1"]):
        f1, far, mar = (table.loc["aeguard", c] for c in ("F1", "FAR %", "MAR %"))
        met = f1 >= TARGET_F1 and far <= TARGET_FAR and mar <= TARGET_MAR
        print(f"aeguard in this run: F1 {f1:.3f}, FAR {far:.2f} %, MAR {mar:.2f} % "
              f"({'met' if met else 'not met'}"
              + ("" if len(files) == 16 else f"; on {len(files)} files only") + ")")

    print()
    print("per file: F1 and % of test rows flagged (anom% = true anomalous %)")
    print(format_table(files_table, _FORMATS))

    if args.csv is not None:
        try:
            write_csv(table, args.csv)
        except OSError as exc:
            print(f"error: cannot write {args.csv}: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.csv}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
