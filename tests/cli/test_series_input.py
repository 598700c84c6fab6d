"""Tests for reading the time column: one reading of day and month for the whole column."""

import pandas as pd
import pytest

from aeguard.cli.errors import InputError
from aeguard.cli.series_input import choose_reading, find_time_column, prepare_series


def stamps(start, periods, freq, fmt):
    """Timestamps written with ``fmt``, and the instants they stand for."""
    times = pd.date_range(start, periods=periods, freq=freq)
    return pd.Series(times.strftime(fmt)), times


@pytest.mark.parametrize("fmt, dayfirst", [("%d/%m/%Y", True), ("%m/%d/%Y", False)])
@pytest.mark.parametrize(
    "start, periods, why",
    [
        # 13/12 can only be day first, so 03/12 is 3 December too (a mixed parse: 12 March).
        ("2026-11-25 13:05", 30, "the only reading that gives every value a month"),
        # Days 1-12 read both ways; only the right reading has daily steps throughout.
        ("2026-01-01", 12, "more regular steps"),
    ],
)
def test_one_reading_for_the_whole_column(fmt, dayfirst, start, periods, why):
    """Day first or month first, chosen once from the values, or from their spacing."""
    values, times = stamps(start, periods, "D", fmt + " %H:%M")
    reading = choose_reading(values, "when")
    assert reading.dayfirst is dayfirst
    assert why in reading.describe("when")
    assert list(reading.parse(values)[0]) == list(times)


def test_ambiguous_dates_without_evidence_are_refused():
    """Hourly stamps within one day read both ways equally well: the user must say."""
    values, _ = stamps("2026-03-04", 12, "h", "%d/%m/%Y %H:%M")
    with pytest.raises(InputError, match="--dayfirst or --monthfirst, or give --time-format") as e:
        choose_reading(values, "when")
    assert "4 March 2026 or 3 April 2026" in str(e.value)
    assert choose_reading(values, "when", dayfirst=True).parse(values)[0][0].month == 3
    assert choose_reading(values, "when", dayfirst=False).parse(values)[0][0].month == 4


def test_contradicting_orders_are_errors():
    """Day first in one row and month first in another, or an order the values refuse."""
    with pytest.raises(InputError, match="day first in some rows .* data row 1.* data row 2"):
        choose_reading(pd.Series(["13/01/2026", "01/13/2026"]), "when")
    with pytest.raises(InputError, match="cannot be read month first: '13/01/2026' in data row 2"):
        choose_reading(pd.Series(["01/02/2026", "13/01/2026"]), "when", dayfirst=False)


def test_iso_dates_two_digit_years_and_dots():
    """ISO values are never swapped by --dayfirst; 1.12.26 is 1 December 2026."""
    iso = pd.Series(["2026-01-12 10:00", "2026-01-13 10:00"])
    assert choose_reading(iso, "t", dayfirst=True).parse(iso)[0][0] == pd.Timestamp("2026-01-12 10:00")
    dotted = pd.Series(["1.12.26 10:00", "13.12.99 10:00"])
    parsed, _ = choose_reading(dotted, "t").parse(dotted)
    assert list(parsed) == [pd.Timestamp("2026-12-01 10:00"), pd.Timestamp("1999-12-13 10:00")]


def test_time_format():
    """--time-format reads every value with it, finds a column of whole numbers, and a bad
    format is one clear error."""
    frame = pd.DataFrame({"stamp": [202603120000 + 100 * i for i in range(5)], "v": range(5)})
    assert find_time_column(frame) is None
    assert find_time_column(frame, time_format="%Y%m%d%H%M") == "stamp"
    series = prepare_series(frame, ["v"], "stamp", time_format="%Y%m%d%H%M")
    assert series.frame.index[1] == pd.Timestamp("2026-03-12 01:00")
    with pytest.raises(InputError, match="--time-format '%Q'"):
        prepare_series(frame, ["v"], "stamp", time_format="%Q")
    with pytest.raises(InputError, match="are not dates, first in data row 1 .*--time-format"):
        prepare_series(frame, ["v"], "stamp", time_format="%d/%m/%Y")
