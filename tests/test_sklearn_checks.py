"""scikit-learn's own estimator checks, on a tiny configuration."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from aeguard import AEDetector

EXPECTED_FAILED = {
    # aeguard's score_samples is the reconstruction error (higher = more
    # anomalous, DESIGN.md), while this check asserts sklearn's opposite sign:
    # decision_function == score_samples - offset_.
    "check_outliers_train": "score_samples is higher-is-more-anomalous by design (DESIGN.md)",
}


@parametrize_with_checks(
    [AEDetector(hidden_units=(4,), epochs=2, random_state=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED,
)
def test_sklearn_compatible(estimator, check):
    """AEDetector passes scikit-learn's estimator checks."""
    check(estimator)
