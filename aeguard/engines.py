"""Scoring a saved model on Dask and Spark: the same scores as in-process, partition by partition.

Scoring is a pure function of the model and the batch, so an engine only has to hand each
worker its rows and the model file's path. Each worker process loads the model once (a
per-process cache keyed by the file's path, size and modification time) and scores every
partition it is given with it; nothing but the path travels with the tasks.

- Table rows (``AEDetector``, ``VAEDetector``): any partitioning. :func:`dask_score`,
  :func:`spark_score` (``mapInPandas``).
- Series (``SeriesDetector``): a row's score depends on the rows before it, so each asset's
  rows must be scored together and in time order. :func:`dask_score_groups` and
  :func:`spark_score_groups` (``groupBy(asset).applyInPandas``) sort each asset's rows by the
  time column and score them as one series, with the online contract of
  :meth:`aeguard.SeriesDetector.score_samples`: the same scores as scoring that asset's rows
  alone in-process. The model may be one detector for every asset, or a saved
  :class:`aeguard.FleetDetector` (``aeguard detect --group-by --save-model``), which scores
  each asset with its own detector; an asset it has none for gets NaN scores.

Every function returns the input's columns with ``anomaly_score`` (double),
``is_anomaly`` (int, 0/1) and ``top_columns`` (string) added (:data:`OUTPUT_COLUMNS`).

TensorFlow and worker processes: load the model in the workers (these functions do), never
pass a fitted detector into a task. Dask's ``processes`` scheduler starts its workers by
spawning, so a script that uses it needs the ``if __name__ == "__main__":`` guard; its
``threads`` scheduler and ``dask.distributed`` need nothing. Spark's Python workers are
separate processes that load the model themselves.
"""

import threading
from pathlib import Path

import numpy as np
import pandas as pd

#: The columns every function adds, with their pandas and Spark types.
OUTPUT_COLUMNS = {"anomaly_score": ("float64", "double"), "is_anomaly": ("int32", "int"),
                  "top_columns": ("object", "string")}

_MODELS = {}
_LOCK = threading.Lock()


def cached_model(path):
    """The detector saved at ``path``, loaded once per process (reloaded if the file changes)."""
    from .persistence import load

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    with _LOCK:
        if key not in _MODELS:
            _MODELS.clear()  # one model per process at a time: workers stay small
            _MODELS[key] = load(path)
        return _MODELS[key]


def _checked_path(model_path):
    """``model_path`` made absolute, its model loaded here first: a missing or unreadable
    file fails in the caller, not in a worker."""
    model_path = str(Path(model_path).resolve())
    cached_model(model_path)
    return model_path


def feature_frame(detector, frame):
    """The detector's feature columns of ``frame`` as floats (bare values if it has no names)."""
    from .estimators._detection import column_names

    names = column_names(detector)
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ValueError(f"the data lack the model's feature column(s) {', '.join(missing)} "
                         f"(the model was fitted on {', '.join(names)})")
    X = frame[names].astype(np.float64)
    return X if hasattr(detector, "feature_names_in_") else X.to_numpy()


def _with_outputs(frame, result):
    out = frame.copy()
    out["anomaly_score"] = np.asarray(result.scores, dtype=np.float64)
    out["is_anomaly"] = np.asarray(result.is_anomaly, dtype=np.int32)
    out["top_columns"] = np.asarray(result.top_columns, dtype=object)
    return out


def score_frame(frame, model_path):
    """A pandas frame of table rows with the three output columns added (one partition's work).

    Parameters
    ----------
    frame : DataFrame
        Rows holding the model's feature columns (other columns are carried along).
    model_path : str or path-like
        A file written by :func:`aeguard.save`.

    Returns
    -------
    scored : DataFrame
        ``frame`` with ``anomaly_score``, ``is_anomaly`` and ``top_columns``.
    """
    detector = cached_model(model_path)
    if hasattr(detector, "detectors_"):
        raise ValueError("a fleet's model scores each asset's rows as a series: use "
                         "dask_score_groups or spark_score_groups, or score_series per asset")
    if len(frame) == 0:  # an empty partition
        return _meta(frame.dtypes.items())
    return _with_outputs(frame, detector.detect(feature_frame(detector, frame)))


def score_series(frame, model_path, time_column, group_by=None):
    """One asset's rows, sorted by ``time_column``, scored as one series (one group's work).

    Parameters
    ----------
    frame : DataFrame
        One asset's rows, in any order.
    model_path : str or path-like
        A file written by :func:`aeguard.save` of a ``SeriesDetector``, or of a
        ``FleetDetector`` (then the asset's own detector scores the rows).
    time_column : str
        The column that orders the rows.
    group_by : str, default=None
        The asset column: needed with a fleet's model, to find the asset's detector.

    Returns
    -------
    scored : DataFrame
        ``frame``'s rows in time order with the three output columns added; with a
        fleet's model that has no detector for the asset, NaN scores, 0 flags and no
        columns.
    """
    model = cached_model(model_path)
    ordered = frame.sort_values(time_column, kind="stable")
    detector = (model if not hasattr(model, "detectors_")
                else _fleet_detector(model, ordered, group_by))
    if detector is None:
        out = ordered.copy()
        out["anomaly_score"], out["is_anomaly"], out["top_columns"] = np.nan, 0, ""
        return out.astype({"is_anomaly": np.int32})
    return _with_outputs(ordered, detector.detect(feature_frame(detector, ordered)))


def _fleet_detector(fleet, frame, group_by):
    """The detector of the one asset whose rows ``frame`` holds, or None if the fleet has none."""
    if group_by is None or group_by not in frame.columns:
        raise ValueError("a fleet's model needs the asset column (group_by) to find each "
                         "asset's detector")
    assets = pd.unique(frame[group_by])
    if len(assets) != 1:
        raise ValueError(f"score_series takes one asset's rows; got {len(assets)} assets")
    return fleet._detector_for(assets[0])


def _meta(columns_and_dtypes):
    """An empty pandas frame with the input's columns and the outputs: Dask's ``meta``."""
    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns_and_dtypes})
    for name, (dtype, _) in OUTPUT_COLUMNS.items():
        meta[name] = pd.Series(dtype=dtype)
    return meta


def dask_score(ddf, model_path):
    """Score a Dask DataFrame's table rows with a saved model, partition by partition.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Rows holding the model's feature columns.
    model_path : str or path-like
        A file written by :func:`aeguard.save`, readable by every worker.

    Returns
    -------
    scored : dask.dataframe.DataFrame
        Lazy: ``ddf`` with ``anomaly_score``, ``is_anomaly`` and ``top_columns``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd, tempfile, os
    >>> import aeguard
    >>> from aeguard.engines import dask_score
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(400, 3)), columns=list("abc"))
    >>> path = os.path.join(tempfile.mkdtemp(), "det.aeg")
    >>> det = aeguard.AEDetector(epochs=2, random_state=0).fit(X)
    >>> aeguard.save(det, path)
    >>> scored = dask_score(dd.from_pandas(X, npartitions=4), path).compute()
    >>> bool(np.allclose(scored.anomaly_score, det.score_samples(X), rtol=1e-5))
    True
    """
    model_path = _checked_path(model_path)
    meta = _meta(ddf.dtypes.items())
    return ddf.map_partitions(score_frame, model_path, meta=meta)


def dask_score_groups(ddf, model_path, group_by, time_column):
    """Score each asset's rows of a Dask DataFrame as one series, in time order.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Rows of many assets: ``group_by``, ``time_column`` and the features.
    model_path : str or path-like
        A file written by :func:`aeguard.save` of a ``SeriesDetector`` (every asset scored
        by it) or of a ``FleetDetector`` (each asset by its own detector).
    group_by, time_column : str
        The asset column, and the column that orders each asset's rows.

    Returns
    -------
    scored : dask.dataframe.DataFrame
        Lazy: every row with the three outputs; rows grouped by asset (Dask shuffles them
        to bring each asset's rows together), each asset in time order.
    """
    _check_columns(list(ddf.columns), group_by, time_column)
    model_path = _checked_path(model_path)
    meta = _meta(ddf.dtypes.items())
    position = list(ddf.columns).index(group_by)
    return ddf.groupby(group_by, group_keys=False).apply(
        _score_group, model_path, time_column, group_by, position, meta=meta)


def _score_group(frame, model_path, time_column, group_by, position):
    """:func:`score_series` of one group, its asset column put back first if pandas left it
    out."""
    if group_by not in frame.columns:
        asset = frame.name  # a copy would not keep it
        frame = frame.copy()
        frame.insert(position, group_by, asset)
    return score_series(frame, model_path, time_column, group_by)


def spark_schema(schema):
    """The Spark output schema: ``schema``'s fields and the three outputs, as a DDL string."""
    fields = [f"`{field.name}` {field.dataType.simpleString()}" for field in schema.fields]
    fields += [f"`{name}` {spark_type}" for name, (_, spark_type) in OUTPUT_COLUMNS.items()]
    return ", ".join(fields)


def spark_score(sdf, model_path):
    """Score a Spark DataFrame's table rows with a saved model (``mapInPandas``).

    Parameters
    ----------
    sdf : pyspark.sql.DataFrame
        Rows holding the model's feature columns.
    model_path : str or path-like
        A file written by :func:`aeguard.save`, at a path every executor can read.

    Returns
    -------
    scored : pyspark.sql.DataFrame
        Lazy: ``sdf``'s columns with ``anomaly_score``, ``is_anomaly`` and ``top_columns``.
    """
    model_path = _checked_path(model_path)

    def score_batches(batches):
        for batch in batches:
            yield score_frame(batch, model_path)

    return sdf.mapInPandas(score_batches, schema=spark_schema(sdf.schema))


def spark_score_groups(sdf, model_path, group_by, time_column):
    """Score each asset's rows of a Spark DataFrame as one series (``groupBy().applyInPandas``).

    Parameters
    ----------
    sdf : pyspark.sql.DataFrame
        Rows of many assets: ``group_by``, ``time_column`` and the features.
    model_path : str or path-like
        A file written by :func:`aeguard.save` of a ``SeriesDetector`` (every asset scored
        by it) or of a ``FleetDetector`` (each asset by its own detector).
    group_by, time_column : str
        The asset column, and the column that orders each asset's rows.

    Returns
    -------
    scored : pyspark.sql.DataFrame
        Lazy: every row with the three outputs, each asset's rows scored in time order.
    """
    _check_columns(sdf.columns, group_by, time_column)
    model_path = _checked_path(model_path)

    def score_group(frame):
        return score_series(frame, model_path, time_column, group_by)

    return sdf.groupBy(group_by).applyInPandas(score_group, schema=spark_schema(sdf.schema))


def _check_columns(columns, group_by, time_column):
    for role, name in (("group_by", group_by), ("time_column", time_column)):
        if name not in columns:
            raise ValueError(f"{role} {name!r} is not a column; the columns are "
                             f"{', '.join(map(str, columns))}")
