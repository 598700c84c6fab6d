"""MLflow models of aeguard detectors: a pyfunc flavour around the pickle-free model file.

Needs the optional ``aeguard[mlflow]`` extra (MLflow's ``mlflow-skinny`` is enough). A saved
MLflow model directory holds the detector as an :func:`aeguard.save` file (an artifact: no
pickled weights) and a model signature naming the feature columns and the three outputs, so

- ``mlflow.pyfunc.load_model(uri).predict(frame)`` returns, per row, ``anomaly_score``
  (float, higher = more anomalous), ``is_anomaly`` (0/1) and ``top_columns`` (str), the
  columns of :meth:`aeguard.Detection.to_frame`;
- :func:`load_model` gives the aeguard detector back, for everything else.

A :class:`aeguard.SeriesDetector` model treats each ``predict`` call's rows as one series
in time order (its online scoring: a row's score uses only the rows before it in the batch).
"""

import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

#: The pyfunc output columns, with MLflow's types for the signature.
OUTPUTS = (("anomaly_score", "double"), ("is_anomaly", "integer"), ("top_columns", "string"))
#: The detector's file inside the MLflow model's artifacts.
ARTIFACT = "detector"


def _mlflow():
    try:
        import mlflow
        import mlflow.pyfunc
    except ImportError as error:
        raise ImportError(
            "aeguard.mlflow needs MLflow: pip install 'aeguard[mlflow]' (or mlflow-skinny)"
        ) from error
    return mlflow


def _check_detector(detector):
    from sklearn.utils.validation import check_is_fitted

    from .persistence import is_aeguard_estimator

    if not is_aeguard_estimator(detector) or not hasattr(detector, "detect"):
        raise TypeError(
            "aeguard.mlflow saves a fitted AEDetector, VAEDetector or SeriesDetector; got "
            f"{type(detector).__name__}"
        )
    check_is_fitted(detector)
    if len(getattr(detector, "input_shape_", ())) > 1:
        raise TypeError(
            f"this {type(detector).__name__} was fitted on images of shape "
            f"{detector.input_shape_}; an MLflow model of it would take table rows"
        )


def feature_names(detector):
    """The input columns of the model's signature: the detector's, or ``x0``, ``x1``, ..."""
    from .estimators._detection import column_names

    return column_names(detector)


def signature(detector):
    """The MLflow ``ModelSignature``: each feature a double column in, the three outputs out."""
    _mlflow()
    from mlflow.models.signature import ModelSignature
    from mlflow.types.schema import ColSpec, Schema

    inputs = Schema([ColSpec("double", name) for name in feature_names(detector)])
    outputs = Schema([ColSpec(kind, name) for name, kind in OUTPUTS])
    return ModelSignature(inputs=inputs, outputs=outputs)


def _requirements():
    """pip requirements written with the model: aeguard's own dependencies as installed."""
    from importlib.metadata import PackageNotFoundError, version

    from . import __version__

    pins = [f"aeguard=={__version__}"]
    for name in ("tensorflow", "keras", "scikit-learn", "numpy", "pandas"):
        try:
            pins.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pass
    return pins


def _pyfunc_arguments(detector, folder, pip_requirements):
    from .persistence import save

    _check_detector(detector)
    file = Path(folder) / "detector.aeg"
    save(detector, file)
    return dict(python_model=AeguardModel(), artifacts={ARTIFACT: str(file)},
                signature=signature(detector),
                pip_requirements=_requirements() if pip_requirements is None
                else pip_requirements)


@contextmanager
def _quiet_about_input_examples():
    """MLflow warns when a model has no input example; ours has its signature, which says it all."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*input example was not provided")
        yield


def save_model(detector, path, *, pip_requirements=None, **kwargs):
    """Save a fitted detector as an MLflow model directory (pyfunc flavour).

    Parameters
    ----------
    detector : AEDetector, VAEDetector or SeriesDetector
        Fitted, on table rows or a series.
    path : str or path-like
        The directory to create; it must not exist (MLflow's rule).
    pip_requirements : list of str, default=None
        The model's environment; None: aeguard and its stack at the installed versions.
    **kwargs
        Passed on to ``mlflow.pyfunc.save_model`` (``input_example``, ``metadata``, ...).

    Examples
    --------
    >>> import numpy as np, pandas as pd, tempfile, os, mlflow.pyfunc
    >>> from aeguard import AEDetector
    >>> import aeguard.mlflow
    >>> X = pd.DataFrame(np.random.default_rng(0).normal(size=(200, 3)), columns=list("abc"))
    >>> det = AEDetector(epochs=2, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "model")
    >>> aeguard.mlflow.save_model(det, path)
    >>> out = mlflow.pyfunc.load_model(path).predict(X)
    >>> list(out.columns)
    ['anomaly_score', 'is_anomaly', 'top_columns']
    >>> bool(np.allclose(out.anomaly_score, det.score_samples(X), rtol=1e-5))
    True
    """
    mlflow = _mlflow()
    with tempfile.TemporaryDirectory() as folder, _quiet_about_input_examples():
        mlflow.pyfunc.save_model(str(path), **_pyfunc_arguments(detector, folder,
                                                                pip_requirements), **kwargs)


def log_model(detector, name="model", *, pip_requirements=None, **kwargs):
    """Log a fitted detector to the active MLflow run as a pyfunc model.

    Parameters
    ----------
    detector : AEDetector, VAEDetector or SeriesDetector
        Fitted.
    name : str, default="model"
        The model's name in the run.
    pip_requirements : list of str, default=None
        As in :func:`save_model`.
    **kwargs
        Passed on to ``mlflow.pyfunc.log_model`` (``registered_model_name``, ...).

    Returns
    -------
    model_info : mlflow.models.model.ModelInfo
        Its ``model_uri`` loads the model.
    """
    mlflow = _mlflow()
    with tempfile.TemporaryDirectory() as folder, _quiet_about_input_examples():
        return mlflow.pyfunc.log_model(name=name, **_pyfunc_arguments(detector, folder,
                                                                      pip_requirements),
                                       **kwargs)


def load_model(model_uri):
    """The aeguard detector inside an MLflow model written by :func:`save_model` or :func:`log_model`.

    Parameters
    ----------
    model_uri : str or path-like
        A local path, ``runs:/<run id>/model``, ``models:/<name>/<version>``, ...

    Returns
    -------
    detector : AEDetector, VAEDetector or SeriesDetector
    """
    mlflow = _mlflow()
    model = mlflow.pyfunc.load_model(str(model_uri)).unwrap_python_model()
    if not isinstance(model, AeguardModel):
        raise TypeError(f"{model_uri} is an MLflow model, but not one of aeguard's "
                        f"({type(model).__name__})")
    return model.detector


def _python_model_base():
    try:
        import mlflow.pyfunc

        return mlflow.pyfunc.PythonModel
    except ImportError:  # the module stays importable; _mlflow() explains what to install
        return object


class AeguardModel(_python_model_base()):
    """The pyfunc model: loads the aeguard file, and scores a DataFrame's rows with ``detect``."""

    def load_context(self, context):
        from .persistence import load

        self.detector = load(context.artifacts[ARTIFACT])

    def predict(self, context, model_input: pd.DataFrame, params=None) -> pd.DataFrame:
        """``detect(model_input).to_frame()``, indexed like the input."""
        from .engines import feature_frame

        frame = pd.DataFrame(model_input)
        result = self.detector.detect(feature_frame(self.detector, frame)).to_frame()
        result.index = frame.index
        result["is_anomaly"] = result.is_anomaly.astype("int32")
        return result
