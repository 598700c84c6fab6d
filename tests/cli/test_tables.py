"""Tests for the CLI's CSV reading and column selection."""

import gzip

import pandas as pd
import pytest

from aeguard.cli.errors import InputError
from aeguard.cli.tables import (
    default_output_path,
    is_label_like,
    read_table,
    select_features,
    sniff_delimiter,
)


@pytest.mark.parametrize(
    "text, expected",
    [("a,b\n1,2\n", ","), ("a;b\n1.5;2\n", ";"), ("a\tb\n1\t2\n", "\t"), ("a\n1\n2\n", ",")],
)
def test_sniff_delimiter(tmp_path, text, expected):
    """Comma, semicolon and tab are recognised; a single column falls back to a comma."""
    path = tmp_path / "f.csv"
    path.write_text(text)
    assert sniff_delimiter(path)[0] == expected


def test_select_features_default_rule():
    """Numbers are features; text, booleans, unnamed and label-like columns are not."""
    frame = pd.DataFrame({
        "Unnamed: 0": [0, 1], "t": ["x", "y"], "v": [1.0, 2.0], "n": [1, 2],
        "flag": [True, False], "Anomaly": [0, 1], " Class ": [0, 1], "y": [3.0, 4.0],
    })
    selection = select_features(frame)
    assert selection.features == ["v", "n", "y"]
    assert selection.ignored == {
        "Unnamed: 0": "no header name", "t": "not numeric", "flag": "true/false",
        "Anomaly": "named like a label", " Class ": "named like a label",
    }
    # Chosen explicitly, a label-like or boolean column is used.
    assert select_features(frame, ["flag", "Class"]).features == ["flag", " Class "]
    for name in ("is_changepoint", "anomaly_label", "OutlierFlag", "labels-2024"):
        assert is_label_like(name), name
    for name in ("target_temperature", "class_b_pressure", "labelled", "outlet_pressure"):
        assert not is_label_like(name), name
    with pytest.raises(InputError, match="'t' is not numeric"):
        select_features(frame, ["t"])


def test_default_output_path(tmp_path):
    """FILE.csv becomes FILE.scores.csv beside it, and so does FILE.csv.gz."""
    assert default_output_path(tmp_path / "run.CSV") == tmp_path / "run.scores.csv"
    assert default_output_path(tmp_path / "run.txt") == tmp_path / "run.txt.scores.csv"
    assert default_output_path(tmp_path / "run.csv.gz") == tmp_path / "run.scores.csv"


EXCEL_TEXT = "zeit;wert;b\r\n01.12.2026 13:05;1,5;3\r\n02.12.2026 13:05;2,25;4\r\n"


@pytest.mark.parametrize("name", ["m.csv.gz", "m.csv"])
def test_gzip_file_is_sniffed_decompressed(tmp_path, name):
    """A gzip file (known by its first bytes, whatever its name) is sniffed and read
    decompressed: its semicolons and decimal commas are found."""
    path = tmp_path / name
    path.write_bytes(gzip.compress(EXCEL_TEXT.encode("utf-8")))
    assert sniff_delimiter(path)[0] == ";"
    table = read_table(path)
    assert (table.delimiter, table.decimal) == (";", ",")
    assert table.frame["wert"].tolist() == [1.5, 2.25]
    assert table.frame["zeit"].tolist() == ["01.12.2026 13:05", "02.12.2026 13:05"]


@pytest.mark.parametrize("name", ["plain.csv.gz", "plain.csv.zip", "plain.csv.bz2"])
def test_compression_is_known_by_the_first_bytes_not_the_name(tmp_path, name):
    """A plain CSV file named like an archive is read as the text it is."""
    path = tmp_path / name
    path.write_text(EXCEL_TEXT)
    assert read_table(path).frame["wert"].tolist() == [1.5, 2.25]


def test_points_between_thousands_in_a_decimal_comma_file(tmp_path):
    """1.234,5 is one thousand two hundred and thirty-four and a half, not text."""
    path = tmp_path / "eu.csv"
    path.write_text("t;a;b\nx;1.234,5;3\ny;999,5;4\nz;2.000,0;5\n")
    table = read_table(path)
    assert table.frame["a"].tolist() == [1234.5, 999.5, 2000.0]
    plain = tmp_path / "plain.csv"
    plain.write_text("t;a\nx;12,5\ny;3\n")  # no thousands: nothing else changes
    assert "thousands" not in read_table(plain).read_options


def test_damaged_gzip_file(tmp_path):
    """A cut-off gzip file is one clear error, not a traceback."""
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress(EXCEL_TEXT.encode("utf-8") * 50)[:40])
    with pytest.raises(InputError, match="'.*cut.csv.gz' is a damaged or cut-off gzip file"):
        read_table(path)


@pytest.mark.parametrize(
    "text, decimal",
    [
        ("t;a;b\nx;12,5;3\ny;-0,25;4\n", ","),     # decimal commas
        ("t\ta\nx\t1,5e3\ny\t2\n", ","),           # tab-separated too
        ("t;a;b\nx;12.5;3\ny;1;4\n", "."),          # decimal points
        ("t;a;b\nx;12,5;1.5\ny;1;2\n", "."),        # both marks: left as written
        ("t;a\npressure,flow;1\nx,y;2\n", "."),     # commas between words are not decimals
        ("a,b\n\"12,5\",3\n", "."),                # a comma-separated file: never sniffed
    ],
)
def test_decimal_mark_sniffed(tmp_path, text, decimal):
    """Decimal commas are recognised when the delimiter is not a comma and no column uses points."""
    path = tmp_path / "f.csv"
    path.write_text(text)
    table = read_table(path)
    assert table.decimal == decimal
    if decimal == ",":
        assert table.frame["a"].dtype == float


def test_decimal_given_and_hint(tmp_path):
    """--decimal overrides the guess; numbers left as text say how to read them."""
    path = tmp_path / "f.csv"
    path.write_text("a;b\n12,5;x\n3,25;y\n")
    assert read_table(path, decimal=",").frame["a"].tolist() == [12.5, 3.25]
    table = read_table(path, decimal=".")
    with pytest.raises(InputError, match="decimal commas .* need --decimal ,"):
        select_features(table.frame)
    with pytest.raises(InputError, match="'a' is not numeric .* need --decimal ,"):
        select_features(table.frame, ["a"])


def test_bom_crlf_and_spaces_in_the_path(tmp_path):
    """A UTF-8 byte-order mark and Windows line ends are read as the text they stand for."""
    path = tmp_path / "my data" / "Messung 1.csv"
    path.parent.mkdir()
    path.write_bytes("\ufeffzeit;wert\r\n01.12.2026 13:05;1,5\r\n02.12.2026 13:05;2\r\n"
                     .encode("utf-8"))
    table = read_table(path)
    assert list(table.frame.columns) == ["zeit", "wert"]
    assert table.frame["wert"].tolist() == [1.5, 2.0]
    assert table.frame["zeit"].tolist() == ["01.12.2026 13:05", "02.12.2026 13:05"]


def test_standard_input(monkeypatch):
    """- reads standard input (kept to be read again); a terminal is refused, not waited on."""
    import io

    class Stdin(io.TextIOWrapper):
        def isatty(self):
            return self.tty

    stdin = Stdin(io.BytesIO(b"a;b\r\n1,5;2\r\n"), encoding="utf-8")
    stdin.tty = False
    monkeypatch.setattr("sys.stdin", stdin)
    table = read_table("-")
    assert table.name == "standard input" and table.frame["a"].tolist() == [1.5]
    assert table.source().read() == b"a;b\r\n1,5;2\r\n"
    stdin.tty = True
    with pytest.raises(InputError, match="standard input is a terminal"):
        read_table("-")


def test_gzip_standard_input(monkeypatch):
    """gzip on standard input is decompressed (kept decompressed, to be read again)."""
    import io

    stdin = io.TextIOWrapper(io.BytesIO(gzip.compress(EXCEL_TEXT.encode("utf-8"))))
    stdin.isatty = lambda: False
    monkeypatch.setattr("sys.stdin", stdin)
    table = read_table("-")
    assert (table.delimiter, table.decimal) == (";", ",")
    assert table.frame["wert"].tolist() == [1.5, 2.25]
    assert table.source().read() == EXCEL_TEXT.encode("utf-8")


def test_default_output_of_standard_input():
    """Read from a pipe, the scores go on down the pipe."""
    assert str(default_output_path("-")) == "-"
