"""CSV input and output for the command line: reading, choosing feature columns, writing scores.

Everything here raises :class:`InputError` (a ``ValueError``) for problems
the user can fix, with a one-line message that names the file, column or
option involved; the CLI prints it and exits with status 2.
"""

import csv
import gzip
import io
import re
import sys
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..estimators.validation import is_numeric_or_bool
from ._common import is_stdio
from .errors import InputError, one_line

#: Column names (compared case-insensitively, spaces trimmed) that hold
#: ground truth or earlier results rather than measurements. Fitting on a label
#: would make the detector learn the answer, so they are never features unless
#: chosen with ``--columns``. "y" is not among them: in sensor files it is
#: usually an axis (x, y, z), not a label.
LABEL_LIKE_NAMES = frozenset(
    {
        "anomaly", "anomalies", "is_anomaly", "outlier", "is_outlier", "label", "labels",
        "changepoint", "target", "class", "ground_truth", "anomaly_score",
    }
)

#: Words that mark a column as ground truth wherever they stand in its name
#: (``is_changepoint``, ``anomaly_label``, ``OutlierFlag``). "target" and
#: "class" count only as the whole name: ``target_temperature`` is a set point.
LABEL_WORDS = frozenset(
    {"anomaly", "anomalies", "outlier", "outliers", "label", "labels", "changepoint",
     "changepoints"}
)

#: Bytes read to guess the delimiter: enough for many rows of a wide file,
#: and constant time however large the file is.
SNIFF_BYTES = 64 * 1024

#: Rows per chunk when the output is streamed, bounding memory on large files.
WRITE_CHUNK_ROWS = 100_000

#: Column names listed in full in an error message before it abbreviates.
MAX_NAMES_SHOWN = 20

#: Rows read (as text) to tell whether numbers are written with decimal commas.
DECIMAL_SNIFF_ROWS = 1000

#: A number written with a decimal comma (``12,5``, ``-0,25``, ``1,5e3``, ``1.234,5`` with
#: points between thousands) or a whole number.
COMMA_NUMBER = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+(,\d*)?|\d+(,\d*)?|,\d+)([eE][+-]?\d+)?")

#: A number with points between its thousands and a decimal comma: ``1.234,5``.
POINT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(\.\d{3})+,\d*")

#: A number written with a decimal point (``12.5``) or a whole number.
POINT_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

#: The first two bytes of every gzip file, whatever its name.
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class Table:
    """A CSV file read for scoring.

    Attributes
    ----------
    path : Path
        The file read (``-`` for standard input).
    frame : DataFrame
        Its rows, with pandas' type inference (numbers as numbers, text and
        dates as strings); the index is the 0-based data row number.
    read_options : dict
        The ``pandas.read_csv`` options used (delimiter, decimal mark and
        friends), so the file can be read again the same way when the output
        is written.
    data : bytes or None
        Standard input's bytes, kept to be read again; None for a file.
    """

    path: Path
    frame: pd.DataFrame
    read_options: dict
    data: object = None

    @property
    def delimiter(self):
        return self.read_options["sep"]

    @property
    def decimal(self):
        """The decimal mark, ``.`` or ``,``."""
        return self.read_options.get("decimal", ".")

    @property
    def name(self):
        """The input as the summary names it."""
        return "standard input" if self.data is not None else str(self.path)

    def source(self):
        """Something ``pandas.read_csv`` reads the input from, from its start."""
        return io.BytesIO(self.data) if self.data is not None else self.path


@dataclass
class FeatureSelection:
    """Which columns of a table are features, and why the others are not.

    Attributes
    ----------
    features : list of str
        Feature column names, in the order the detector sees them.
    ignored : dict of str -> str
        Every other column, mapped to the reason it is not a feature.
    """

    features: list
    ignored: dict


def sniff_delimiter(path):
    """Guess a CSV file's delimiter (``,``, ``;`` or tab) from its first bytes.

    Parameters
    ----------
    path : path-like or bytes
        The CSV file, or its contents; a gzip-compressed file is read
        decompressed.

    Returns
    -------
    delimiter : str
        The delimiter; ``,`` when the sample is ambiguous (e.g. a single column).
    skipinitialspace : bool
        Whether fields are followed by a space after the delimiter (``a, b``).
    """
    if isinstance(path, bytes):
        raw = path[:SNIFF_BYTES]
    else:
        with (gzip.open if is_gzip(path) else open)(path, "rb") as f:
            raw = f.read(SNIFF_BYTES)
    # Sniff whole lines only: a line cut in the middle has fewer fields.
    if len(raw) == SNIFF_BYTES and b"\n" in raw:
        raw = raw[: raw.rindex(b"\n")]
    sample = raw.decode("utf-8", errors="ignore")
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        return ",", False
    return dialect.delimiter, bool(dialect.skipinitialspace)


def is_gzip(path):
    """Whether a file is gzip-compressed, by its first bytes (not by its name)."""
    with open(path, "rb") as f:
        return f.read(len(GZIP_MAGIC)) == GZIP_MAGIC


def read_table(path, decimal=None):
    """Read a CSV file with a header row, guessing its delimiter and decimal mark.

    Parameters
    ----------
    path : path-like
        The CSV file, UTF-8 encoded, with column names in its first line;
        ``-`` reads standard input (kept in memory, to be read again when
        the output is written). A gzip-compressed file or standard input
        (``.csv.gz``, recognised by its first bytes) is read decompressed.
    decimal : {".", ","}, optional
        The decimal mark (``--decimal``). Default: ``,`` when the delimiter
        is not a comma and numbers are written with commas (see
        :func:`sniff_decimal`), else ``.``.

    Returns
    -------
    table : Table
        The parsed file.

    Raises
    ------
    InputError
        If the file is missing, not a regular file, not UTF-8, empty, has no
        data rows, cannot be parsed or is a damaged gzip file; or if standard
        input is a terminal.
    """
    path = Path(path)
    data = _read_stdin() if is_stdio(path) else None
    name = "standard input" if data is not None else repr(str(path))
    if data is None and not path.exists():
        raise InputError(f"no such file: {name}")
    if data is None and not path.is_file():
        raise InputError(f"{name} is not a file")
    table = Table(path=path, frame=None, read_options={}, data=data)
    try:
        if data is not None and data.startswith(GZIP_MAGIC):
            table.data = data = gzip.decompress(data)  # held in memory anyway
        sep, skipinitialspace = sniff_delimiter(data if data is not None else path)
        # index_col=False: pandas would otherwise turn the first column into
        # the index when rows end with a trailing delimiter.
        table.read_options = {"sep": sep, "skipinitialspace": skipinitialspace,
                              "index_col": False}
        # pandas goes by the name (.gz, .zip, ...) unless told; the first bytes decide here.
        table.read_options["compression"] = "gzip" if data is None and is_gzip(path) else None
        with warnings.catch_warnings():
            # With index_col=False, pandas drops the extra fields of a row
            # longer than the header and only warns; that is a broken file.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table.read_options["decimal"] = decimal or sniff_decimal(table)
            if table.read_options["decimal"] == "," and _points_between_thousands(table):
                table.read_options["thousands"] = "."
            table.frame = pd.read_csv(table.source(), **table.read_options)
    except pd.errors.ParserWarning:
        raise InputError(
            f"cannot parse {name} as CSV: some rows have more fields than the header"
        ) from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{name} is empty") from None
    except pd.errors.ParserError as err:
        raise InputError(f"cannot parse {name} as CSV: {one_line(err)}") from None
    except UnicodeDecodeError as err:
        raise InputError(
            f"{name} is not UTF-8 text (byte {err.object[err.start]:#04x} at position "
            f"{err.start}); save it as UTF-8"
        ) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise InputError(f"{name} is a damaged or cut-off gzip file ({one_line(err)})") from None
    if len(table.frame) == 0:
        raise InputError(f"{name} has a header but no data rows")
    return table


def _read_stdin():
    """All of standard input, as bytes; a terminal is refused rather than waited on."""
    stream = sys.stdin
    if stream is None or stream.closed:
        raise InputError("standard input is closed: pipe a CSV file in "
                         "(aeguard detect - < data.csv) or name the file")
    if stream.isatty():
        raise InputError("standard input is a terminal, not a file: pipe a CSV file in "
                         "(aeguard detect - < data.csv) or name the file")
    data = getattr(stream, "buffer", stream).read()
    return data.encode("utf-8") if isinstance(data, str) else data


def sniff_decimal(table):
    """Guess the decimal mark of a table's numbers from its first rows.

    The mark is ``,`` when the delimiter is not a comma, some column holds
    only numbers written with a decimal comma (``12,5``) or whole numbers,
    at least one of them with a comma, and no column holds numbers written
    with a decimal point (``12.5``). Otherwise it is ``.``.

    Parameters
    ----------
    table : Table
        The table, with its delimiter known (``read_options``).

    Returns
    -------
    decimal : str
        ``","`` or ``"."``.
    """
    if table.delimiter == ",":
        return "."
    sample = pd.read_csv(table.source(), nrows=DECIMAL_SNIFF_ROWS, dtype=str,
                         keep_default_na=False, na_filter=False, **table.read_options)
    marks = {_number_mark(sample[name]) for name in sample.columns}
    return "," if "," in marks and "." not in marks else "."


def _points_between_thousands(table):
    """Whether some first-rows value of a decimal-comma table is written like ``1.234,5``."""
    sample = pd.read_csv(table.source(), nrows=DECIMAL_SNIFF_ROWS, dtype=str,
                         keep_default_na=False, na_filter=False, **table.read_options)
    return any(sample[name].str.strip().str.fullmatch(POINT_THOUSANDS).any()
               for name in sample.columns)


def _number_mark(column):
    """``","`` or ``"."`` if a text column holds numbers with that decimal mark, else None."""
    values = column.str.strip()
    values = values[values != ""]
    for mark, pattern in ((",", COMMA_NUMBER), (".", POINT_NUMBER)):
        if len(values) and values.str.fullmatch(pattern).all() and values.str.contains(
                mark, regex=False).any():
            return mark
    return None


def is_label_like(name):
    """Whether a column name looks like ground truth or a score (``label``, ``is_anomaly``, ...).

    The whole name (case and surrounding spaces ignored) is one of
    :data:`LABEL_LIKE_NAMES`, or one of its words (split at anything but
    letters and digits, and between camelCase humps) is one of
    :data:`LABEL_WORDS`.
    """
    text = str(name).strip()
    if text.lower() in LABEL_LIKE_NAMES:
        return True
    words = re.split(r"[^0-9a-z]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text).lower())
    return any(word in LABEL_WORDS for word in words)


def select_features(frame, columns=None, required=None, exclude=None):
    """Choose the feature columns of a table.

    Without ``columns``, the features are the columns that hold numbers
    (integers or floats) and have a name, except those named like labels
    (see :data:`LABEL_LIKE_NAMES`). Columns of ``true``/``false`` values are
    left out too: they are usually flags or labels rather than measurements.
    Text and date columns are never features.

    Parameters
    ----------
    frame : DataFrame
        The table.
    columns : list of str, default=None
        Columns chosen by the user (``--columns``), in order; they must exist
        and hold numbers or booleans. Label-like names are allowed here.
    required : list of str, default=None
        The features a saved model was fitted on; all must exist, and
        ``columns``, if given, must name the same set.
    exclude : dict of str -> str, default=None
        Columns that are never features, each with its role (``"time
        column"``, ``"asset column"``).

    Returns
    -------
    selection : FeatureSelection

    Raises
    ------
    InputError
        For an unknown or non-numeric chosen column, missing model columns,
        or no feature columns at all.
    """
    names = [str(c) for c in frame.columns]
    if columns is not None:
        columns = [_resolve_column(c, names) for c in columns]
        duplicated = sorted({c for c in columns if columns.count(c) > 1})
        if duplicated:
            raise InputError(f"--columns names {_join(duplicated)} more than once")
    if required is not None:
        required = [str(c) for c in required]
        missing = [c for c in required if c not in names]
        if missing:
            raise InputError(
                f"the data lacks the model's feature column(s) {_join(missing)} "
                f"(the model was fitted on {_join(required)})"
            )
        if columns is not None and set(columns) != set(required):
            raise InputError(
                f"--columns ({_join(columns)}) differs from the model's feature columns "
                f"({_join(required)}); leave --columns out to use the model's"
            )
        columns = required
    not_chosen = "not a model feature" if required is not None else "not chosen"

    ignored = {}
    features = []
    for name in names:
        dtype = frame[name].dtype
        numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        if name in (exclude or {}):
            if columns is not None and name in columns:
                raise InputError(f"column {name!r} is the {exclude[name]}; it cannot be a feature")
            ignored[name] = exclude[name]
        elif columns is not None:
            if name not in columns:
                ignored[name] = not_chosen
            elif not is_numeric_or_bool(dtype):
                raise InputError(
                    f"column {name!r} is not numeric (first value {frame[name].iloc[0]!r}); "
                    "only columns of numbers can be features" + _decimal_hint(frame, [name])
                )
        elif not numeric:
            ignored[name] = "true/false" if pd.api.types.is_bool_dtype(dtype) else "not numeric"
        elif is_label_like(name):
            ignored[name] = "named like a label"
        elif name.startswith("Unnamed: "):
            # pandas' name for a column with an empty header, typically a saved index.
            ignored[name] = "no header name"
        else:
            features.append(name)
    if columns is not None:
        features = list(columns)
    if not features:
        described = _join(f"{name} ({why})" for name, why in ignored.items())
        raise InputError(
            f"no numeric feature columns (columns: {described}); "
            "choose some with --columns" + _decimal_hint(frame, list(ignored))
        )
    return FeatureSelection(features=features, ignored=ignored)


def text_column(table, name):
    """One column of the input as the text written in the file (``007`` stays ``007``)."""
    options = {k: v for k, v in table.read_options.items() if k != "decimal"}
    column = pd.read_csv(table.source(), usecols=[name], dtype=str, keep_default_na=False,
                         na_filter=False, **options)[name]
    if len(column) != len(table.frame):
        raise _changed_error(table.path)
    return column.str.strip()


def check_finite(frame, features):
    """Raise :class:`InputError` if a feature column has missing or infinite values.

    Parameters
    ----------
    frame : DataFrame
        The table.
    features : list of str
        Its feature columns.
    """
    values = frame[features].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    counts = bad.sum(axis=0)
    described = _join(
        f"{name} ({n} row{'s' if n > 1 else ''})" for name, n in zip(features, counts) if n
    )
    first_row = int(np.flatnonzero(bad.any(axis=1))[0]) + 1
    raise InputError(
        f"missing or infinite values in feature column(s) {described}, first in data row "
        f"{first_row}; fill or drop those rows, or leave the columns out with --columns"
    )


def default_output_path(input_path):
    """``data.csv`` -> ``data.scores.csv``, beside the input; ``-`` (standard input) -> ``-``.

    ``data.csv.gz`` -> ``data.scores.csv`` too: the scores are written
    uncompressed. Read from a pipe, the scores go on down the pipe, to
    standard output.
    """
    input_path = Path(input_path)
    if is_stdio(input_path):
        return input_path
    stem = input_path.name
    for suffix in (".gz", ".csv"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    return input_path.with_name(f"{stem}.scores.csv")


def write_scores(table, path, new_columns, order=None):
    """Write the input rows with extra columns appended, atomically.

    The input columns are copied as the text they were in the file (read
    again as strings), so ids with leading zeros, dates and number formats
    come out exactly as they went in. The file is written in chunks under a
    temporary name and renamed into place; on any error the previous ``path``
    (if any) is left untouched. Uses the input's delimiter and decimal mark.

    Parameters
    ----------
    table : Table
        The table the scores belong to.
    path : path-like
        The output file; ``-`` writes to standard output.
    new_columns : dict of str -> array-like
        Columns to append, each with one value per row of ``table``, in the
        file's row order. An input column of the same name (from scoring an
        earlier output) is replaced.
    order : array-like of int, optional
        The rows to write, by input position, in the order to write them
        (time order); by default the file's order. The whole table is then
        held in memory.
    """
    from .._files import atomic_write

    n_rows = len(table.frame)
    new_columns = {name: np.asarray(values) for name, values in new_columns.items()}
    for name, values in new_columns.items():
        if len(values) != n_rows:
            raise ValueError(f"column {name!r} has {len(values)} values for {n_rows} rows")

    def write(f):
        chunks = _output_chunks(table, new_columns)
        if order is not None:
            rows = pd.concat(list(chunks)).iloc[np.asarray(order)]
            chunks = (rows.iloc[start:start + WRITE_CHUNK_ROWS]
                      for start in range(0, n_rows, WRITE_CHUNK_ROWS))
        for i, chunk in enumerate(chunks):
            chunk.to_csv(f, sep=table.delimiter, decimal=table.decimal, index=False,
                         header=i == 0)

    if is_stdio(path):
        sys.stdout.flush()
        stream = getattr(sys.stdout, "buffer", sys.stdout)
        write(stream)
        stream.flush()
    else:
        # Binary mode: pandas then writes UTF-8 whatever the locale, with "\n" line ends.
        atomic_write(path, write, mode="wb")


def _output_chunks(table, new_columns):
    """The input's rows, read again as text, with ``new_columns`` appended, in chunks."""
    n_rows = len(table.frame)
    reader = pd.read_csv(
        table.source(),
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        chunksize=WRITE_CHUNK_ROWS,
        **table.read_options,
    )
    start = 0
    with reader:
        for chunk in reader:
            stop = start + len(chunk)
            if stop > n_rows:
                raise _changed_error(table.path)
            chunk = chunk.drop(columns=[c for c in new_columns if c in chunk.columns])
            for name, values in new_columns.items():
                chunk[name] = values[start:stop]
            yield chunk
            start = stop
    if start != n_rows:
        raise _changed_error(table.path)


def _decimal_hint(frame, names):
    """Advice for text columns that hold numbers written with decimal commas, or ``""``."""
    if any(pd.api.types.is_string_dtype(frame[name]) and _number_mark(frame[name].astype(str)) == ","
           for name in names):
        return "; numbers written with decimal commas (12,5) need --decimal ,"
    return ""


def _changed_error(path):
    # The input is read a second time when the output is written; if it
    # changed meanwhile, refuse rather than write scores beside the wrong rows.
    return InputError(f"{str(path)!r} changed while it was being scored; run again")


def _resolve_column(name, names):
    """Match a ``--columns`` entry to a column, ignoring surrounding spaces."""
    if name in names:
        return name
    stripped = {n.strip(): n for n in names}
    if name.strip() in stripped:
        return stripped[name.strip()]
    raise InputError(f"unknown column {name!r}; the columns are {_join(names)}")


def _join(names, limit=MAX_NAMES_SHOWN):
    """Comma-separated names, abbreviated after ``limit`` so a message stays one readable line."""
    names = [str(n) for n in names]
    if len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + f", ... ({len(names) - limit} more)"
