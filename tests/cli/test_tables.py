"""Tests for the CLI's CSV reading and column selection."""

import pandas as pd
import pytest

from aeguard.cli.errors import InputError
from aeguard.cli.tables import default_output_path, is_label_like, select_features, sniff_delimiter


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
    """FILE.csv becomes FILE.scores.csv beside it."""
    assert default_output_path(tmp_path / "run.CSV") == tmp_path / "run.scores.csv"
    assert default_output_path(tmp_path / "run.txt") == tmp_path / "run.txt.scores.csv"
