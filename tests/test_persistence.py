"""aeguard.save / aeguard.load: one pickle-free file, identical scores."""

import io
import json
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

import aeguard
from aeguard import AEDetector
from aeguard.persistence import ModelFileError


@pytest.fixture(scope="module")
def saved(manifold_data, tmp_path_factory):
    X_train, _, _ = manifold_data
    det = AEDetector(epochs=5, contamination=0.05, random_state=0).fit(X_train)
    path = tmp_path_factory.mktemp("models") / "det.aeg"
    aeguard.save(det, path)
    return det, path


def test_save_load_scores_identically(saved, manifold_data):
    """A loaded detector scores, encodes, reconstructs and predicts exactly as the saved one."""
    det, path = saved
    _, X_test, _ = manifold_data
    loaded = aeguard.load(path)
    for method in ("score_samples", "transform", "reconstruct", "predict", "feature_scores"):
        np.testing.assert_array_equal(getattr(loaded, method)(X_test), getattr(det, method)(X_test))
    assert loaded.get_params() == det.get_params()
    assert loaded.threshold_ == det.threshold_
    assert loaded.history_ == det.history_
    assert loaded.input_shape_ == det.input_shape_


def test_save_load_dataframe_keeps_feature_names(manifold_data, tmp_path):
    """A detector fitted on a DataFrame keeps its column names, stored without pickle."""
    import pandas as pd

    X_train, X_test, _ = manifold_data
    columns = [f"s{i}" for i in range(X_train.shape[1])]
    det = AEDetector(epochs=2, random_state=0).fit(pd.DataFrame(X_train, columns=columns))
    aeguard.save(det, tmp_path / "df.aeg")
    loaded = aeguard.load(tmp_path / "df.aeg")
    np.testing.assert_array_equal(loaded.feature_names_in_, det.feature_names_in_)
    assert loaded.feature_names_in_.dtype == object
    df = pd.DataFrame(X_test, columns=columns)
    np.testing.assert_array_equal(loaded.score_samples(df), det.score_samples(df))


def test_save_load_images(digits_images, tmp_path):
    """Convolutional image detectors round-trip too."""
    images, _ = digits_images
    det = AEDetector(epochs=2, filters=(4,), latent_dim=3, random_state=0).fit(images[:200])
    aeguard.save(det, tmp_path / "img.aeg")
    loaded = aeguard.load(tmp_path / "img.aeg")
    np.testing.assert_array_equal(loaded.score_samples(images[:50]), det.score_samples(images[:50]))
    assert loaded.reconstruct(images[:3]).shape == (3, 8, 8)


def test_load_in_another_process_scores_identically(saved, manifold_data, tmp_path):
    """A model loaded in a fresh interpreter gives the same scores (what a Spark/Dask worker does)."""
    det, path = saved
    _, X_test, _ = manifold_data
    np.save(tmp_path / "X.npy", X_test)
    code = (
        "import sys, numpy as np, aeguard;"
        "det = aeguard.load(sys.argv[1]);"
        "np.save(sys.argv[3], det.score_samples(np.load(sys.argv[2])))"
    )
    subprocess.run(
        [sys.executable, "-c", code, str(path), str(tmp_path / "X.npy"), str(tmp_path / "s.npy")],
        check=True,
    )
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), det.score_samples(X_test))


def test_model_file_holds_no_pickle(saved):
    """The file is a zip of JSON and a NumPy archive that loads with allow_pickle=False."""
    _, path = saved
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["aeguard.json", "arrays.npz"]
        meta = json.loads(archive.read("aeguard.json"))
        arrays = np.load(io.BytesIO(archive.read("arrays.npz")), allow_pickle=False)
        assert all(arrays[key].dtype != object for key in arrays.files)
    assert meta["format"] == "aeguard-model" and meta["class"] == "AEDetector"


def test_load_rejects_a_file_that_is_not_a_model(tmp_path):
    """Loading a CSV or a foreign zip is a ModelFileError (a ValueError) saying so."""
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(ModelFileError, match="not an aeguard model"):
        aeguard.load(csv)
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as archive:
        archive.writestr("aeguard.json", json.dumps({"format": "something-else"}))
        archive.writestr("arrays.npz", b"")
    with pytest.raises(ValueError, match="not an aeguard model"):
        aeguard.load(foreign)


def _rewrite_meta(src, dst, change):
    with zipfile.ZipFile(src) as archive:
        meta = json.loads(archive.read("aeguard.json"))
        arrays = archive.read("arrays.npz")
    change(meta)
    with zipfile.ZipFile(dst, "w") as archive:
        archive.writestr("aeguard.json", json.dumps(meta))
        archive.writestr("arrays.npz", arrays)


def test_load_rejects_an_incompatible_version(saved, tmp_path):
    """A file from a newer format version names both versions and what to do."""
    _, path = saved
    newer = tmp_path / "newer.aeg"
    _rewrite_meta(path, newer, lambda meta: meta.update(format_version=99))
    with pytest.raises(ModelFileError, match="format 99.*reads format 1.*refit"):
        aeguard.load(newer)


def test_load_never_imports_a_class_named_in_the_file(saved, tmp_path):
    """A file naming a class outside aeguard's own is refused, not imported."""
    _, path = saved
    evil = tmp_path / "evil.aeg"
    _rewrite_meta(path, evil, lambda meta: meta.update({"class": "os.system"}))
    with pytest.raises(ModelFileError, match="unknown estimator 'os.system'"):
        aeguard.load(evil)


def test_load_missing_file():
    """A missing path is a FileNotFoundError naming it."""
    with pytest.raises(FileNotFoundError, match="no-such.aeg"):
        aeguard.load("no-such.aeg")


def test_save_unfitted_or_foreign_estimator(tmp_path):
    """Only fitted aeguard estimators can be saved."""
    from sklearn.ensemble import IsolationForest

    with pytest.raises(NotFittedError):
        aeguard.save(AEDetector(), tmp_path / "x.aeg")
    with pytest.raises(TypeError, match="IsolationForest"):
        aeguard.save(IsolationForest(), tmp_path / "x.aeg")
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_a_model_and_leaves_no_temporary_file(saved, tmp_path):
    """Saving over a model replaces it; the temporary file never remains beside it."""
    det, _ = saved
    target = tmp_path / "m.aeg"
    aeguard.save(det, target)
    aeguard.save(det, target)
    assert [p.name for p in tmp_path.iterdir()] == ["m.aeg"]


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda meta: meta.pop("fitted"), "damaged"),
        (lambda meta: meta["params"].update(bogus=1), r"unknown parameters \['bogus'\]"),
        (lambda meta: meta["fitted"].update(__class__="x"), "unexpected attribute '__class__'"),
        (lambda meta: meta["network"].update(builder="os.system"), "damaged"),
    ],
)
def test_load_rejects_a_damaged_file(saved, tmp_path, change, match):
    """Edited or truncated metadata is a ModelFileError, never a traceback from deep inside."""
    _, path = saved
    damaged = tmp_path / "damaged.aeg"
    _rewrite_meta(path, damaged, change)
    with pytest.raises(ModelFileError, match=match):
        aeguard.load(damaged)


def test_load_rejects_arrays_that_are_not_plain(saved, tmp_path):
    """Garbage in place of the arrays is reported as such, without a hint to unpickle."""
    _, path = saved
    with zipfile.ZipFile(path) as archive:
        meta = archive.read("aeguard.json")
    bad = tmp_path / "bad.aeg"
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("aeguard.json", meta)
        archive.writestr("arrays.npz", b"not an npz file")
    with pytest.raises(ModelFileError, match="not an archive of plain NumPy arrays"):
        aeguard.load(bad)


def test_failed_save_leaves_the_existing_file_untouched(saved, tmp_path, monkeypatch):
    """If writing fails midway, the previous model file is intact and no temporary file remains."""
    det, path = saved
    target = tmp_path / "m.aeg"
    target.write_bytes(path.read_bytes())
    before = target.read_bytes()

    def broken_write(file, members):
        file.write(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr("aeguard.persistence._write_zip", broken_write)
    with pytest.raises(OSError, match="disk full"):
        aeguard.save(det, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.aeg"]
