"""``aeguard retrieve``: galleries and queries from arrays, image folders and CSV files."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import aeguard
from aeguard import AEDetector, SeriesDetector
from aeguard.cli import app

from .helpers import assert_user_error, runner


def parse_table(stdout):
    lines = stdout.strip().splitlines()
    assert lines[0].split() == ["query", "rank", "gallery", "item", "distance"]
    return [line.split() for line in lines[1:]]


@pytest.fixture(scope="module")
def files(tmp_path_factory, digits_images, manifold_data):
    folder = tmp_path_factory.mktemp("retrieve")
    images, target = digits_images
    aeguard.save(AEDetector(latent_dim=8, epochs=30, trim_fraction=0, random_state=0)
                 .fit(images[:1200]), folder / "images.aeg")
    np.save(folder / "gallery.npy", images[:1200])
    np.save(folder / "queries.npy", images[1200:1230])
    # The same queries as 8-bit PNG files: read back and divided by 255.
    (folder / "png").mkdir()
    for i, image in enumerate(images[1200:1205]):
        Image.fromarray(np.round(image * 255).astype(np.uint8)).save(folder / "png" / f"q{i}.png")
    X_train, X_test, _ = manifold_data
    columns = [f"c{i}" for i in range(X_train.shape[1])]
    aeguard.save(AEDetector(epochs=5, random_state=0).fit(pd.DataFrame(X_train, columns=columns)),
                 folder / "rows.aeg")
    # Extra and reordered columns: the model's names pick the features.
    pd.DataFrame(X_train, columns=columns).assign(id="x").to_csv(folder / "rows.csv", index=False)
    pd.DataFrame(X_test[:4], columns=columns)[columns[::-1]].to_csv(folder / "q.csv", index=False)
    return folder, target


def test_retrieve_prints_the_neighbours_of_each_query(files):
    folder, target = files
    result = runner.invoke(app, ["retrieve", "-m", str(folder / "images.aeg"), "-g",
                                 str(folder / "gallery.npy"), "-q", str(folder / "queries.npy"),
                                 "-k", "5"])
    assert result.exit_code == 0, result.output
    rows = parse_table(result.stdout)
    assert len(rows) == 30 * 5
    assert [int(r[1]) for r in rows[:5]] == [1, 2, 3, 4, 5]
    distances = np.array([float(r[3]) for r in rows]).reshape(30, 5)
    assert np.all(np.diff(distances, axis=1) >= 0)
    found = np.array([int(r[2]) for r in rows]).reshape(30, 5)
    queries = np.array([int(r[0]) for r in rows[::5]])
    assert np.mean(target[found] == target[1200 + queries][:, None]) > 0.7


def test_retrieve_reads_a_folder_of_images_and_plots(files, tmp_path):
    folder, _ = files
    plot = tmp_path / "neighbours.png"
    args = ["retrieve", "-m", str(folder / "images.aeg"), "-g", str(folder / "gallery.npy"),
            "-q", str(folder / "png"), "-k", "3"]
    result = runner.invoke(app, args + ["--plot", str(plot)])
    assert result.exit_code == 0, result.output
    rows = parse_table(result.stdout)
    assert [r[0] for r in rows[::3]] == [f"q{i}.png" for i in range(5)]
    assert plot.read_bytes()[:4] == b"\x89PNG"
    # The PNG queries find what the same queries as an array find.
    array = runner.invoke(app, args[:-3] + [str(folder / "queries.npy"), "-k", "3"])
    assert [r[2] for r in rows] == [r[2] for r in parse_table(array.stdout)[:15]]


def test_retrieve_rows_from_csv_files(files):
    folder, _ = files
    result = runner.invoke(app, ["retrieve", "-m", str(folder / "rows.aeg"), "-g",
                                 str(folder / "rows.csv"), "-q", str(folder / "q.csv"), "-k", "2",
                                 "--metric", "cosine", "--backend", "exact"])
    assert result.exit_code == 0, result.output
    assert len(parse_table(result.stdout)) == 8


def test_retrieve_with_the_faiss_backend(files):
    folder, _ = files
    result = runner.invoke(app, ["retrieve", "-m", str(folder / "images.aeg"), "-g",
                                 str(folder / "gallery.npy"), "-q", str(folder / "queries.npy"),
                                 "--backend", "faiss"])
    assert result.exit_code == 0, result.output
    assert len(parse_table(result.stdout)) == 300


@pytest.mark.parametrize(
    "model, gallery, query, extra, fragments",
    [
        ("images.aeg", "gallery.npy", "queries.npy", ["-k", "0"], ["-k", "greater than or equal to 1"]),
        ("images.aeg", "gallery.npy", "queries.npy", ["-k", "5000"], ["more than the 1200"]),
        ("images.aeg", "gallery.npy", "nothing.npy", [], ["no such file or folder"]),
        ("images.aeg", "gallery.npy", "q.csv", [], ["takes images of shape"]),
        ("rows.aeg", "rows.csv", "png", [], ["is a folder, but the model takes table rows"]),
        ("rows.aeg", "rows.csv", "q.csv", ["--plot", "x.png"], ["--plot draws images"]),
        ("images.aeg", "gallery.npy", "queries.npy", ["--metric", "l1"], ["metric must be one of"]),
        ("images.aeg", "gallery.npy", "queries.npy", ["--plot", "x.txt"], ["--plot must end in"]),
        ("series.aeg", "gallery.npy", "queries.npy", [], ["holds a SeriesDetector"]),
        ("none.aeg", "gallery.npy", "queries.npy", [], ["no model file"]),
    ],
)
def test_retrieve_user_errors(files, tmp_path, model, gallery, query, extra, fragments):
    folder, _ = files
    if model == "series.aeg" and not (folder / model).exists():
        series = pd.DataFrame({"a": np.sin(np.arange(200) / 5)})
        aeguard.save(SeriesDetector(window=8, epochs=1, random_state=0).fit(series), folder / model)
    extra = [str(tmp_path / e) if e.startswith("x.") else e for e in extra]
    result = runner.invoke(app, ["retrieve", "-m", str(folder / model), "-g", str(folder / gallery),
                                 "-q", str(folder / query), *extra])
    assert_user_error(result, *fragments)
