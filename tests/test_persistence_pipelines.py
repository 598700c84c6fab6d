"""aeguard.save / aeguard.load on scikit-learn pipelines holding aeguard estimators (skops)."""

import io
import json
import sys
import zipfile

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import QuantileTransformer, StandardScaler

import aeguard
from aeguard import AEDetector
from aeguard.persistence import ModelFileError, UntrustedTypesError

pytest.importorskip("skops")


class Shift(TransformerMixin, BaseEstimator):
    """A user's own transformer: not scikit-learn's, so loading must be told to trust it."""

    def fit(self, X, y=None):
        self.mean_ = np.mean(X, axis=0)
        return self

    def transform(self, X):
        return X - self.mean_


@pytest.fixture(scope="module")
def saved_pipeline(manifold_data, tmp_path_factory):
    X_train, _, _ = manifold_data
    pipe = make_pipeline(StandardScaler(), AEDetector(epochs=2, random_state=0)).fit(X_train)
    path = tmp_path_factory.mktemp("pipelines") / "pipe.aeg"
    aeguard.save(pipe, path)
    return pipe, path


def test_pipeline_round_trip_scores_identically(saved_pipeline, manifold_data):
    """Pipeline(StandardScaler, AEDetector) loads with identical scores and predictions."""
    pipe, path = saved_pipeline
    _, X_test, _ = manifold_data
    loaded = aeguard.load(path)
    assert isinstance(loaded, Pipeline) and isinstance(loaded[-1], AEDetector)
    for method in ("score_samples", "decision_function", "predict"):
        np.testing.assert_array_equal(getattr(loaded, method)(X_test), getattr(pipe, method)(X_test))


def test_pipeline_with_column_transformer_round_trip(manifold_data, tmp_path):
    """Imputer, ColumnTransformer (scaler, quantiles, an AEDetector's latent codes) and a detector."""
    X_train, X_test, _ = manifold_data
    columns = ColumnTransformer(
        [
            ("scaled", StandardScaler(), [0, 1, 2]),
            ("quantiles", QuantileTransformer(n_quantiles=20), [3, 4]),
            ("codes", AEDetector(epochs=1, latent_dim=2, random_state=0), [5, 6, 7]),
        ]
    )
    pipe = Pipeline(
        [("impute", SimpleImputer()), ("columns", columns), ("detect", AEDetector(epochs=2, random_state=0))]
    ).fit(X_train)
    aeguard.save(pipe, tmp_path / "ct.aeg")
    loaded = aeguard.load(tmp_path / "ct.aeg")
    np.testing.assert_array_equal(loaded.score_samples(X_test), pipe.score_samples(X_test))
    # The saved pipeline is untouched; the unfitted template in `transformers` stays unfitted.
    assert isinstance(pipe.named_steps["columns"].transformers[2][1], AEDetector)
    template = loaded.named_steps["columns"].transformers[2][1]
    assert isinstance(template, AEDetector) and not hasattr(template, "model_")
    assert template.get_params() == columns.transformers[2][1].get_params()


def test_pipeline_file_holds_no_pickle(saved_pipeline):
    """The aeguard step is stored in aeguard's own format, the rest as skops (no pickle)."""
    _, path = saved_pipeline
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        meta = json.loads(archive.read("aeguard.json"))
        skops_schema = zipfile.ZipFile(io.BytesIO(archive.read("pipeline.skops"))).read("schema.json")
    assert names == {"aeguard.json", "pipeline.skops", "steps/0/aeguard.json", "steps/0/arrays.npz"}
    assert meta["format"] == "aeguard-pipeline"
    assert b"AEDetector" not in skops_schema and b"keras" not in skops_schema


def _tamper(src, dst, old_class, module, name):
    """Copy a pipeline file, renaming the class ``old_class`` in its skops schema."""
    with zipfile.ZipFile(src) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    inner = zipfile.ZipFile(io.BytesIO(members["pipeline.skops"]))
    schema = json.loads(inner.read("schema.json"))
    edited = []

    def edit(node):
        if isinstance(node, dict):
            if node.get("__class__") == old_class:
                node.update({"__class__": name, "__module__": module})
                edited.append(node)
            for value in node.values():
                edit(value)
        elif isinstance(node, list):
            for value in node:
                edit(value)

    edit(schema)
    assert edited, f"no {old_class} in the schema"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for member in inner.namelist():
            data = json.dumps(schema) if member == "schema.json" else inner.read(member)
            out.writestr(member, data)
    members["pipeline.skops"] = buffer.getvalue()
    with zipfile.ZipFile(dst, "w") as out:
        for member, data in members.items():
            out.writestr(member, data)


@pytest.mark.parametrize(
    "module, name", [("os", "system"), ("numpy", "load")], ids=["foreign", "library-function"]
)
def test_load_refuses_a_tampered_type(saved_pipeline, tmp_path, module, name):
    """A type edited into the file is refused by name: only sklearn's and NumPy's classes pass."""
    _, path = saved_pipeline
    evil = tmp_path / "evil.aeg"
    _tamper(path, evil, "StandardScaler", module, name)
    with pytest.raises(UntrustedTypesError, match=f"{module}.{name}") as info:
        aeguard.load(evil)
    assert info.value.types == [f"{module}.{name}"]


def test_load_never_imports_a_module_the_file_names(saved_pipeline, tmp_path):
    """Importing runs a module's code: a class in a library module not yet imported is refused
    without importing it (numpy.f2py.__main__ would run f2py on the caller's arguments)."""
    import sys

    _, path = saved_pipeline
    evil = tmp_path / "evil.aeg"
    _tamper(path, evil, "StandardScaler", "numpy.f2py.__main__", "X")
    with pytest.raises(UntrustedTypesError, match="numpy.f2py.__main__.X"):
        aeguard.load(evil)
    assert "numpy.f2py.__main__" not in sys.modules
    _tamper(path, evil, "StandardScaler", "sklearn.utils.tests.test_pprint", "LogisticRegression")
    with pytest.raises(UntrustedTypesError, match="test_pprint"):
        aeguard.load(evil)
    assert "sklearn.utils.tests.test_pprint" not in sys.modules


def test_load_asks_to_trust_a_users_own_type(manifold_data, tmp_path):
    """A user's transformer is refused until passed in trusted=, by type or by name."""
    X_train, X_test, _ = manifold_data
    pipe = make_pipeline(Shift(), AEDetector(epochs=1, random_state=0)).fit(X_train)
    aeguard.save(pipe, tmp_path / "own.aeg")
    name = f"{Shift.__module__}.Shift"
    with pytest.raises(UntrustedTypesError, match=rf"trusted=\['{name}'\]"):
        aeguard.load(tmp_path / "own.aeg")
    for trusted in ([Shift], [name]):
        loaded = aeguard.load(tmp_path / "own.aeg", trusted=trusted)
        np.testing.assert_array_equal(loaded.score_samples(X_test), pipe.score_samples(X_test))


def test_save_pipeline_without_aeguard_or_unfitted(tmp_path):
    """A pipeline holding no aeguard estimator, or not fitted, is refused before writing."""
    from sklearn.exceptions import NotFittedError

    with pytest.raises(TypeError, match="holds none"):
        aeguard.save(make_pipeline(StandardScaler()), tmp_path / "x.aeg")
    with pytest.raises(NotFittedError):
        aeguard.save(make_pipeline(StandardScaler(), AEDetector()), tmp_path / "x.aeg")
    with pytest.raises(TypeError, match="got int"):
        aeguard.save(42, tmp_path / "x.aeg")
    assert list(tmp_path.iterdir()) == []


def test_without_skops_the_error_says_what_to_install(saved_pipeline, monkeypatch, tmp_path):
    """Without skops, saving or loading a pipeline names the install and what works without it."""
    pipe, path = saved_pipeline
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    for call in (lambda: aeguard.save(pipe, tmp_path / "p.aeg"), lambda: aeguard.load(path)):
        with pytest.raises(ImportError, match=r'pip install "aeguard\[pipelines\]"') as info:
            call()
        assert r"aeguard.save(pipeline[-1], path)" in str(info.value)
    assert list(tmp_path.iterdir()) == []
    aeguard.save(pipe[-1], tmp_path / "step.aeg")  # one estimator needs no skops


def test_load_rejects_a_damaged_pipeline_file(saved_pipeline, tmp_path):
    """A pipeline file missing its skops part is a ModelFileError."""
    _, path = saved_pipeline
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist() if n != "pipeline.skops"}
    with zipfile.ZipFile(tmp_path / "d.aeg", "w") as out:
        for name, data in members.items():
            out.writestr(name, data)
    with pytest.raises(ModelFileError, match="damaged aeguard pipeline file"):
        aeguard.load(tmp_path / "d.aeg")
