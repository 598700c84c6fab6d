"""``aeguard score FILE --model M.aeg``: a saved model scores a file of any size, in chunks.

``detect`` reads its whole file to fit, order and summarise; ``score`` only applies a saved
table detector, so it streams: chunks of rows are read, scored with the model's ``detect``
and appended to the output, which is written under a temporary name and renamed at the end.
Memory stays at a few chunks whatever the file's size. CSV (plain or gzip) in and plain CSV
out, and, with the optional ``pyarrow``, Parquet in and out (the output's suffix chooses).
"""

import heapq
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from .errors import InputError

#: Rows listed in the summary.
TOP_ROWS = 10


def score(
    file: Annotated[Path, typer.Argument(
        metavar="FILE", show_default=False,
        help="CSV file with a header row (gzip-compressed is fine), or a .parquet file.")],
    *,
    model: Annotated[Path, typer.Option(
        "--model", show_default=False,
        help="A table detector saved with aeguard detect --save-model (or aeguard.save).")],
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", show_default=False,
        help="Output file, .csv or .parquet: the input's columns plus anomaly_score, "
        "is_anomaly and top_columns. Default: FILE.scores.csv beside FILE.")] = None,
    chunk_rows: Annotated[int, typer.Option(
        "--chunk-rows", min=1, help="Rows read, scored and written at a time.")] = 100_000,
    decimal: Annotated[Optional[str], typer.Option(
        "--decimal", show_default=False,
        help="Decimal mark of a CSV's numbers, . or , (default .).")] = None,
    force: Annotated[bool, typer.Option(
        "--force", "-f", metavar="", help="Replace an existing output file.")] = False,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", metavar="", help="Print nothing but errors.")] = False,
):
    """Score every row of a large file with a saved model, streaming it in chunks.

    The model's feature columns are taken from each chunk; every other column is copied
    to the output as it was. The summary gives the rows flagged and the highest-scoring
    rows. For sensor series, which need their history, use aeguard detect.
    """
    from ._common import check_writable, load_model

    if decimal not in (None, ".", ","):
        raise InputError(f"--decimal must be . or ,; got {decimal!r}")
    if not file.is_file():
        raise InputError(f"no such file: {str(file)!r}")
    output = output if output is not None else file.with_name(_stem(file) + ".scores.csv")
    if output.resolve() == file.resolve():
        raise InputError("--output names the input file; choose another name")
    if output.suffix.lower() not in (".csv", ".parquet"):
        raise InputError(f"--output must end in .csv or .parquet; got {output.name!r}")
    check_writable(output, force=force, option="--output")
    detector = load_model(model)
    if hasattr(detector, "detectors_"):
        raise InputError(f"{str(model)!r} holds a fleet's detectors, one per asset of "
                         f"{detector.group_by!r}: score it with aeguard detect FILE --model "
                         f"{model} --group-by {detector.group_by}")
    if not hasattr(detector, "detect") or hasattr(detector, "window_"):
        raise InputError(f"{str(model)!r} holds a {type(detector).__name__}: aeguard score "
                         "takes a table detector (AEDetector, VAEDetector); score a series "
                         "with aeguard detect --model")
    if not hasattr(detector, "feature_names_in_"):
        raise InputError("the model was fitted without column names; aeguard score needs "
                         "one saved from a file (aeguard detect --save-model)")
    names = [str(n) for n in detector.feature_names_in_]
    with _reading(file):
        chunks, progress = _chunks(file, chunk_rows, decimal or ".")
    totals = {"rows": 0, "flagged": 0, "top": []}
    threshold = [None]

    def scored():
        for chunk in _read_checked(chunks, file):
            if len(chunk) == 0:  # a header without rows
                continue
            X = _features(chunk, names, totals["rows"], decimal or ".")
            result = detector.detect(X)
            threshold[0] = result.threshold
            _keep_top(totals["top"], result, totals["rows"])
            totals["rows"] += len(chunk)
            totals["flagged"] += result.n_flagged
            out = chunk.copy()
            out["anomaly_score"] = result.scores
            out["is_anomaly"] = result.is_anomaly.astype(np.int8)
            out["top_columns"] = result.top_columns
            if not quiet:
                progress(totals["rows"])
            yield out
        if totals["rows"] == 0:
            raise InputError(f"{str(file)!r} has a header but no data rows")
        if not quiet:
            progress(totals["rows"], final=True)

    _write(output, scored(), sep=_separator(file), decimal=decimal or ".")
    if not quiet:
        typer.echo(_summary(file, model, output, totals, threshold[0]))


@contextmanager
def _reading(file):
    """A damaged or unreadable input's errors as one line naming the file."""
    import zlib

    import pandas as pd

    try:
        yield
    except (EOFError, zlib.error) as error:
        raise InputError(f"{str(file)!r} is damaged or cut off ({error})") from None
    except UnicodeDecodeError:
        raise InputError(f"{str(file)!r} is not UTF-8 text; save it as UTF-8") from None
    except pd.errors.ParserError as error:
        raise InputError(f"cannot parse {str(file)!r} as CSV: {error}") from None


def _read_checked(chunks, file):
    """The chunks, read under :func:`_reading`."""
    iterator = iter(chunks)
    while True:
        with _reading(file):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


def _stem(path):
    name = path.name
    for suffix in (".csv.gz", ".csv", ".parquet", ".gz"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _separator(file):
    from .tables import sniff_delimiter

    return "," if file.suffix.lower() == ".parquet" else sniff_delimiter(file)[0]


def _chunks(file, chunk_rows, decimal):
    """The input's rows in chunks (every value as text for CSV), and a progress callback."""
    import pandas as pd

    if file.suffix.lower() == ".parquet":
        parquet = _pyarrow_parquet()
        reader = parquet.ParquetFile(file)
        total = reader.metadata.num_rows
        chunks = (batch.to_pandas(ignore_metadata=True)  # every stored column, index too
                  for batch in reader.iter_batches(batch_size=chunk_rows))
        return chunks, _progress_bar(lambda rows: rows / max(total, 1))
    from .tables import is_gzip, sniff_delimiter

    sep, skip_space = sniff_delimiter(file)
    handle = _CountingFile(open(file, "rb"))
    total = file.stat().st_size
    reader = pd.read_csv(handle, sep=sep, skipinitialspace=skip_space, dtype=str,
                         keep_default_na=False, na_filter=False, chunksize=chunk_rows,
                         compression="gzip" if is_gzip(file) else None)
    return reader, _progress_bar(lambda rows: handle.bytes_read / max(total, 1))


class _CountingFile:
    """A binary file that counts the bytes read from it (for the progress bar)."""

    def __init__(self, raw):
        self.raw, self.bytes_read = raw, 0

    def read(self, size=-1):
        data = self.raw.read(size)
        self.bytes_read += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.raw, name)

    def __iter__(self):
        return iter(self.raw)


def _progress_bar(share):
    """A callback drawing ``scored N rows (p %)`` on stderr: redrawn on a terminal, else
    every 10 %; ``final=True`` draws the last line."""
    tty, last = sys.stderr.isatty(), [-1]

    def draw(rows, final=False):
        # Files are read ahead in large blocks: only the last call is surely at 100 %.
        done = 1.0 if final else min(share(rows), 0.99)
        if tty:
            typer.echo(f"\rscored {rows:,} rows ({done:.0%})", err=True, nl=final)
        elif final or int(done * 10) > last[0]:
            last[0] = int(done * 10)
            typer.echo(f"scored {rows:,} rows ({done:.0%})", err=True)

    return draw


def _pyarrow_parquet():
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise InputError("Parquet files need pyarrow: pip install pyarrow") from None
    return parquet


def _features(chunk, names, first_row, decimal):
    """The model's feature columns of a chunk as numbers, or an error naming the bad value."""
    import pandas as pd

    missing = [name for name in names if name not in chunk.columns]
    if missing:
        raise InputError(f"the file lacks the model's feature column(s) {', '.join(missing)} "
                         f"(the model was fitted on {', '.join(names)})")
    X = chunk[names]
    if X.dtypes.map(pd.api.types.is_numeric_dtype).all():
        values = X.astype(np.float64)
    else:
        text = X.astype(str)
        if decimal == ",":
            text = text.apply(lambda column: column.str.replace(",", ".", regex=False))
        values = text.apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=np.float64))
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(
            f"column {names[column]!r} has a missing or non-numeric value in data row "
            f"{first_row + row + 1} ({X.iloc[row, column]!r}); fix or drop that row"
        )
    return values


def _keep_top(heap, result, first_row):
    """Keep the TOP_ROWS highest-scoring rows seen so far in ``heap``."""
    best = np.argsort(-result.scores, kind="stable")[:TOP_ROWS]
    for i in best:
        item = (float(result.scores[i]), -(first_row + int(i)), bool(result.is_anomaly[i]),
                result.top_columns[i])
        if len(heap) < TOP_ROWS:
            heapq.heappush(heap, item)
        else:
            heapq.heappushpop(heap, item)


def _write(output, chunks, *, sep, decimal):
    """Write the scored chunks to ``output`` (CSV or Parquet) atomically."""
    from .._files import atomic_write

    if output.suffix.lower() == ".parquet":
        parquet = _pyarrow_parquet()
        import pyarrow as pa

        def write(f):
            writer = None
            for chunk in chunks:
                table = pa.Table.from_pandas(chunk, preserve_index=False)
                writer = writer or parquet.ParquetWriter(f, table.schema)
                writer.write_table(table)
            if writer is not None:
                writer.close()
    else:
        def write(f):
            for i, chunk in enumerate(chunks):
                chunk.to_csv(f, sep=sep, decimal=decimal, index=False, header=i == 0)

    atomic_write(output, write, mode="wb")


def _summary(file, model, output, totals, threshold):
    rows, flagged = totals["rows"], totals["flagged"]
    lines = [
        f"input: {file} ({rows:,} rows), scored with {model}",
        f"threshold: {threshold:.4g}" if threshold is not None else "threshold: -",
        f"flagged: {flagged:,} of {rows:,} rows ({flagged / max(rows, 1):.1%})",
        "",
        f"top {min(TOP_ROWS, rows)} rows by anomaly_score (row 1 = the first data row):",
    ]
    from .summary import _table_lines, drift_warning

    top = sorted(totals["top"], reverse=True)
    table = [("row", "anomaly_score", "flagged", "top_columns")] + [
        (f"{-row + 1}", f"{s:.4g}", "yes" if flag else "no", cols) for s, row, flag, cols in top]
    lines += _table_lines(table, right_aligned={0, 1})
    lines += ["", f"wrote {output}"]
    warning = drift_warning(flagged, rows, model, "aeguard detect FILE --save-model MODEL")
    if warning is not None:
        lines.append(f"warning: {warning}")
    return "\n".join(lines)
