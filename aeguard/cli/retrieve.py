"""``aeguard retrieve``: the nearest gallery items of each query, in a saved model's latent space."""

from pathlib import Path
from typing import Annotated, Optional

import numpy as np
import typer

from ._common import check_figure_path, check_writable, load_model, write_figure
from .errors import InputError

#: Queries drawn by --plot (the first ones).
MAX_PLOT_QUERIES = 10

ITEMS_HELP = "a .npy array, a folder of images or a .csv file of rows"


def retrieve(
    model: Annotated[
        Path, typer.Option("--model", "-m", help="A model saved with aeguard.save (AEDetector or "
                           "VAEDetector).", show_default=False),
    ],
    gallery: Annotated[
        Path, typer.Option("--gallery", "-g", help=f"The items to search: {ITEMS_HELP}.",
                           show_default=False),
    ],
    query: Annotated[
        Path, typer.Option("--query", "-q", help=f"The items to look up: {ITEMS_HELP}.",
                           show_default=False),
    ],
    *,
    k: Annotated[int, typer.Option("-k", min=1, help="Neighbours per query.")] = 10,
    metric: Annotated[
        str, typer.Option("--metric", help="Latent distance: euclidean or cosine.")
    ] = "euclidean",
    backend: Annotated[
        # The backslash keeps rich markup from taking [fast] for a style and dropping it.
        str, typer.Option("--backend", help="auto, exact, or faiss (approximate; needs "
                          "pip install \"aeguard\\[fast]\"). auto uses faiss for galleries of "
                          "20,000 items or more when it is installed.")
    ] = "auto",
    plot: Annotated[
        Optional[Path],
        typer.Option("--plot", help=f"Draw the first {MAX_PLOT_QUERIES} queries beside their "
                     "neighbours (.png, .svg or .pdf; image models).", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing plot.", metavar="")] = False,
):
    """Find each query's nearest gallery items in a saved model's latent space.

    Prints one line per (query, rank): the query, the rank, the gallery item and the latent
    distance. Items are named by file name (folders) or 0-based position.
    """
    from .items import read_items

    if plot is not None:
        check_figure_path(plot, "--plot")
        check_writable(plot, force=force, option="--plot")
    detector = load_model(model)
    if not hasattr(detector, "kneighbors"):
        raise InputError(f"{str(model)!r} holds a {type(detector).__name__}, which has no "
                         "latent space to search; use an AEDetector or VAEDetector")
    if getattr(detector, "conditional", False):
        raise InputError("a conditional VAE needs class labels to encode items; retrieve "
                         "with an unconditional model")
    if plot is not None and len(detector.input_shape_) < 2:
        raise InputError("--plot draws images; this model takes table rows")
    gallery_items, query_items = read_items(gallery, detector), read_items(query, detector)
    X_gallery, gallery_names = gallery_items.X, gallery_items.names
    X_query, query_names = query_items.X, query_items.names
    if k > len(X_gallery):
        raise InputError(f"-k {k} is more than the {len(X_gallery)} gallery items")
    detector.index(X_gallery, metric=metric, backend=backend)
    distances, indices = detector.kneighbors(X_query, n_neighbors=k)
    if plot is not None:
        _write_plot(plot, X_query, query_names, X_gallery, distances, indices)
    width = max(len(n) for n in query_names + gallery_names + ["gallery item"])
    typer.echo(f"{'query':<{width}}  {'rank':>4}  {'gallery item':<{width}}  distance")
    for name, row_d, row_i in zip(query_names, distances, indices):
        for rank, (d, i) in enumerate(zip(row_d, row_i), start=1):
            typer.echo(f"{name:<{width}}  {rank:>4}  {gallery_names[i]:<{width}}  {d:.6g}")


def _write_plot(path, X_query, query_names, X_gallery, distances, indices):
    from ..plotting import plot_neighbors

    n = min(MAX_PLOT_QUERIES, len(X_query))
    figure = plot_neighbors(
        np.asarray(X_query[:n]), np.asarray(X_gallery)[indices[:n]], distances[:n],
        query_names=query_names[:n], title="queries and their nearest gallery items",
    )
    write_figure(figure, path, dpi=100)
