"""Figures: image grids, labelled rows and latent maps."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from aeguard.plotting import plot_image_grid, plot_image_rows, plot_latent_map


def drawn(figure):
    return [ax for ax in figure.axes if ax.images]


def test_image_grid_draws_every_image_on_one_scale():
    images = np.random.default_rng(0).uniform(size=(10, 6, 5))
    images[0] *= 255
    figure = plot_image_grid(images, n_cols=4, row_labels=["a", "b", "c"], title="t")
    assert isinstance(figure, Figure)
    axes = drawn(figure)
    assert len(axes) == 10
    assert {ax.images[0].get_clim() for ax in axes} == {(images.min(), images.max())}
    assert [ax.get_ylabel() for ax in figure.axes[::4]] == ["a", "b", "c"]


def test_image_grid_takes_colour_and_channel_images():
    assert len(drawn(plot_image_grid(np.zeros((3, 4, 4, 3))))) == 3
    assert len(drawn(plot_image_grid(np.zeros((3, 4, 4, 1))))) == 3


def test_image_rows_label_each_row_and_pad_short_rows():
    rng = np.random.default_rng(0)
    figure = plot_image_rows({"original": rng.uniform(size=(5, 8, 8)),
                              "short": rng.uniform(size=(3, 8, 8))})
    assert len(figure.axes) == 10
    assert figure.axes[0].get_ylabel() == "original" and figure.axes[5].get_ylabel() == "short"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: plot_image_grid(np.zeros((2, 3))), "images must have shape"),
        (lambda: plot_image_grid(np.zeros((0, 3, 3))), "no images"),
        (lambda: plot_image_grid(np.zeros((4, 3, 3)), n_cols=2, row_labels=["x"]), "row_labels"),
        (lambda: plot_image_rows({}), "rows is empty"),
        (lambda: plot_image_rows({"a": np.zeros((2, 3, 3)), "b": np.zeros((2, 4, 4))}),
         "same shape"),
        (lambda: plot_latent_map(np.zeros(5)), "codes must have shape"),
        (lambda: plot_latent_map(np.zeros((5, 2)), labels=[1, 2]), "labels has 2 entries"),
    ],
)
def test_bad_input_is_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_latent_map_projects_to_two_principal_components():
    rng = np.random.default_rng(0)
    labels = np.repeat(["x", "y", "z"], 50)
    codes = rng.normal(size=(150, 6)) + 3 * (labels[:, None] == "y")
    figure = plot_latent_map(codes, labels)
    ax = figure.axes[0]
    assert ax.get_xlabel().startswith("PC1") and ax.get_ylabel().startswith("PC2")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y", "z"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == 150


def test_latent_map_of_two_dimensions_draws_the_codes_themselves():
    codes = np.random.default_rng(0).normal(size=(20, 2))
    ax = plot_latent_map(codes).axes[0]
    assert np.allclose(ax.collections[0].get_offsets(), codes)
    assert ax.get_xlabel() == "z1"


def test_latent_map_with_continuous_values_has_a_colour_bar():
    rng = np.random.default_rng(0)
    figure = plot_latent_map(rng.normal(size=(100, 3)), rng.uniform(size=100))
    assert len(figure.axes) == 2  # the map and its colour bar


def _spans(ax):
    """x extents of the shaded intervals (axvspan rectangles) in an axes."""
    return [patch.get_x() for patch in ax.patches], [patch.get_width() for patch in ax.patches]


def test_series_plot_shades_a_one_row_interval():
    """A one-row interval (a spike) is widened by half a step, or 0.1 % of a long axis."""
    import pandas as pd

    from aeguard.plotting import plot_series_scores

    index = pd.date_range("2024-01-01", periods=50, freq="10s")
    frame = pd.DataFrame({"a": np.arange(50.0)}, index=index)
    intervals = pd.DataFrame({"start": [index[20]], "end": [index[20]], "peak_score": [5.0],
                              "top_columns": ["a"]})
    figure = plot_series_scores(frame, np.zeros(50), 1.0, intervals)
    starts, widths = _spans(figure.axes[0])
    assert len(widths) == 1
    assert widths[0] == pytest.approx(10 / 86400)  # one 10 s step, in matplotlib's day units
    long = pd.DataFrame({"a": np.zeros(20_000)})
    spike = pd.DataFrame({"start": [5000], "end": [5000], "peak_score": [5.0], "top_columns": ["a"]})
    starts, widths = _spans(plot_series_scores(long, np.zeros(20_000), 1.0, spike).axes[0])
    assert widths[0] == pytest.approx(2 * 19_999 / 1000)  # a thousandth of the axis each side


def test_series_plot_draws_the_blamed_columns_first():
    """With more columns than panels, the columns named by the intervals are drawn."""
    import pandas as pd

    from aeguard.plotting import plot_series_scores

    frame = pd.DataFrame(np.zeros((30, 10)), columns=[f"c{i}" for i in range(10)])
    intervals = pd.DataFrame({"start": [3, 10], "end": [5, 12], "peak_score": [2.0, 9.0],
                              "top_columns": ["c7", "c9,c1"]})
    figure = plot_series_scores(frame, np.zeros(30), 1.0, intervals, max_panels=3)
    labels = [ax.get_ylabel() for ax in figure.axes[:-1]]
    assert labels == ["c1", "c7", "c9"]
    assert "7 more column(s) not drawn" in figure._suptitle.get_text()


def _series(n_rows=200, freq="10min", start="2024-03-01", tz=None):
    import pandas as pd

    index = pd.date_range(start, periods=n_rows, freq=freq, tz=tz, name="when")
    return pd.DataFrame({"a": np.sin(np.arange(n_rows) / 5)}, index=index)


def _tick_text(figure):
    """Every date label the bottom axis holds once drawn: tick labels and the offset in its corner."""
    figure.draw_without_rendering()
    axis = figure.axes[-1].xaxis
    return " ".join([t.get_text() for t in axis.get_ticklabels()] + [axis.get_offset_text().get_text()])


@pytest.mark.parametrize("n_rows, freq, expected", [
    (200, "10min", ["2024", "Mar"]),      # 33 hours: hours on the ticks, 2024-Mar-01 in the corner
    (120, "D", ["2024", "Apr", "May"]),   # four months: month names on the ticks, the year too
])
def test_series_plot_dates_say_year_and_month(n_rows, freq, expected):
    """Time ticks are never bare (09 16:00): the year and month are written on the axis."""
    from aeguard.plotting import plot_series_scores

    frame = _series(n_rows, freq)
    text = _tick_text(plot_series_scores(frame, np.zeros(n_rows), 1.0))
    for fragment in expected:
        assert fragment in text, text
    assert figure_xlabel(frame) == "when"


def figure_xlabel(frame):
    from aeguard.plotting import plot_series_scores

    return plot_series_scores(frame, np.zeros(len(frame)), 1.0).axes[-1].get_xlabel()


def test_series_plot_dates_in_the_series_time_zone():
    """Ticks of a time-zone-aware series are written in its zone, which the axis label names."""
    from aeguard.plotting import plot_series_scores

    frame = _series(48, "h", start="2024-03-01 00:00", tz="Europe/Berlin")
    figure = plot_series_scores(frame, np.zeros(48), 1.0)
    assert figure.axes[-1].get_xlabel() == "when (Europe/Berlin)"
    from matplotlib.dates import date2num

    assert _tick_text(figure).startswith("Mar-01 06:00 12:00")
    # The first tick, labelled Mar-01, is midnight in Berlin (23:00 UTC the day before).
    assert figure.axes[-1].get_xticks()[0] == pytest.approx(date2num(frame.index[0]))


def test_series_plot_shades_and_labels_the_training_part():
    """The first n_train_rows rows are shaded grey in every panel, as far as the last of them
    (plus half a step), and labelled; all rows in training is said in the title instead."""
    from matplotlib.dates import date2num

    from aeguard.plotting import plot_series_scores

    frame = _series(200, "10min")
    figure = plot_series_scores(frame, np.zeros(200), 1.0, n_train_rows=120)
    half = 5 / (24 * 60)  # half a 10-minute step, in days
    for ax in figure.axes:
        (patch,) = [p for p in ax.patches if p.get_facecolor()[:3] == (0.5, 0.5, 0.5)]
        assert patch.get_x() == pytest.approx(date2num(frame.index[0]) - half)
        assert patch.get_x() + patch.get_width() == pytest.approx(
            date2num(frame.index[119]) + half)
    legend = [t.get_text() for t in figure.axes[-1].get_legend().get_texts()]
    assert "training: first 120 rows" in legend
    assert any(t.get_text().strip() == "training" for t in figure.axes[0].texts)
    everything = plot_series_scores(frame, np.zeros(200), 1.0, n_train_rows=200)
    assert not everything.axes[0].patches
    assert "trained on all 200 rows" in everything._suptitle.get_text()
    assert not plot_series_scores(frame, np.zeros(200), 1.0).axes[0].patches


def test_series_plot_score_axis_keeps_the_threshold_in_view():
    """A spike 1000 times the threshold makes the score axis symmetric-logarithmic, linear up to
    the threshold: the threshold line sits well above the bottom, and zeros stay drawn."""
    from aeguard.plotting import plot_series_scores

    frame = _series(200, "10min")
    scores = np.abs(np.random.default_rng(0).normal(0.3, 0.2, size=200))
    scores[:5] = 0.0
    scores[150] = 1000.0
    ax = plot_series_scores(frame, scores, 1.0).axes[-1]
    assert ax.get_yscale() == "symlog"
    assert ax.yaxis.get_transform().linthresh == 1.0
    (line,) = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert list(line.get_ydata()) == [1.0, 1.0]
    assert line.get_label() == "threshold 1"
    assert 0.15 < _axes_fraction(ax, 1.0) < 0.5
    assert ax.get_ylim()[0] == 0.0
    calm = plot_series_scores(frame, np.minimum(scores, 5.0), 1.0).axes[-1]
    assert calm.get_yscale() == "linear"
    assert 0.1 < _axes_fraction(calm, 1.0) < 0.9
    # All above a low threshold: the axis still starts at 0, the threshold off the bottom edge.
    high = plot_series_scores(frame, 2.0 + scores[:200] % 1, 0.5).axes[-1]
    assert high.get_ylim()[0] == 0.0 and _axes_fraction(high, 0.5) > 0.1


def _axes_fraction(ax, y):
    """Where a score lies on an axes' height: 0 at the bottom, 1 at the top."""
    display = ax.transData.transform((0, y))
    return ax.transAxes.inverted().transform(display)[1]


def test_series_plot_numbers_the_intervals():
    """Each interval is shaded in every panel and numbered in the score panel, in the order given."""
    from aeguard.plotting import plot_series_scores

    frame = _series(200, "10min")
    index = frame.index
    intervals = pd_intervals(index, [(20, 25), (100, 101)])
    figure = plot_series_scores(frame, np.zeros(200), 1.0, intervals)
    assert len(figure.axes[0].patches) == 2 and len(figure.axes[-1].patches) == 2
    assert sorted(t.get_text() for t in figure.axes[-1].texts) == ["1", "2"]


def pd_intervals(index, bounds):
    import pandas as pd

    return pd.DataFrame({"start": [index[a] for a, _ in bounds], "end": [index[b] for _, b in bounds],
                         "peak_score": [2.0] * len(bounds), "top_columns": ["a"] * len(bounds)})


def test_fleet_plot_draws_the_most_anomalous_assets_first():
    from .test_report import fleet_detection

    from aeguard.plotting import plot_fleet_scores

    prepared, detection = fleet_detection()
    figure = plot_fleet_scores(prepared, "machine", detection)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_title(loc="left")]
    assert [t.split(":")[0] for t in titles] == ["machine b", "machine a"]  # c was skipped
    assert "7 of 300 rows flagged" in titles[0]
    one = plot_fleet_scores(prepared, "machine", detection, max_assets=1)
    assert "1 more asset(s) not drawn" in one._suptitle.get_text()
    with pytest.raises(ValueError, match="max_assets"):
        plot_fleet_scores(prepared, "machine", detection, max_assets=0)
