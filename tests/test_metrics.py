"""aeguard.metrics: the anomaly scorers for GridSearchCV (labels 1 = anomaly)."""

import numpy as np
import pytest
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV, KFold

from aeguard import AEDetector
from aeguard.metrics import anomaly_auroc, anomaly_average_precision

# Without dropout a few epochs learn the manifold well enough to rank anomalies.
QUICK = dict(epochs=10, dropout=0.0, random_state=0)


@pytest.fixture(scope="module")
def labelled(manifold_data):
    """Normal and anomalous rows mixed, with labels 1 = anomaly."""
    X_train, X_test, y_test = manifold_data
    X = np.vstack([X_train[:300], X_test])
    y = np.r_[np.zeros(300), y_test].astype(int)
    order = np.random.default_rng(0).permutation(len(X))
    return X[order], y[order]


@pytest.fixture(scope="module")
def fitted(manifold_data):
    X_train, _, _ = manifold_data
    return AEDetector(**QUICK).fit(X_train)


def test_anomaly_scorers_rank_anomalies_high_where_string_scorers_do_not(fitted, manifold_data):
    """With anomalies labelled 1, the aeguard scorers give > 0.5; "roc_auc" gives < 0.5."""
    _, X, y = manifold_data
    auroc = anomaly_auroc(fitted, X, y)
    assert auroc > 0.7
    assert get_scorer("roc_auc")(fitted, X, y) < 0.5
    assert get_scorer("roc_auc")(fitted, X, y) == pytest.approx(1 - auroc)
    assert anomaly_average_precision(fitted, X, y) > get_scorer("average_precision")(fitted, X, y)


def test_grid_search_picks_by_the_anomaly_scorer(labelled):
    """GridSearchCV refits the candidate the scorer ranks best, which "roc_auc" ranks worst."""
    X, y = labelled
    search = GridSearchCV(
        AEDetector(**QUICK),
        {"latent_dim": [1, 2]},
        scoring={"aeguard": anomaly_auroc, "string": "roc_auc"},
        refit="aeguard",
        cv=KFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    ours = search.cv_results_["mean_test_aeguard"]
    string = search.cv_results_["mean_test_string"]
    assert (ours > 0.5).all() and (string < 0.5).all()
    assert search.best_index_ == np.argmax(ours) == np.argmin(string)
    assert search.best_score_ == ours.max()


def test_anomaly_scorer_rejects_predict_style_labels(fitted, labelled):
    """Labels -1/+1 (predict's convention) are a ValueError saying how to convert them."""
    X, y = labelled
    with pytest.raises(ValueError, match=r"1 = anomaly, 0 = normal.*y == -1"):
        anomaly_auroc(fitted, X, np.where(y == 1, -1, 1))
