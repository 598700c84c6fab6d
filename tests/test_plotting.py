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
