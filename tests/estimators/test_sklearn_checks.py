"""scikit-learn's own estimator checks, on tiny configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from aeguard import VAEGAN, AEDetector, Denoiser, GANGenerator, SeriesDetector, VAEDetector

# aeguard's score_samples is the reconstruction error (higher = more anomalous,
# DESIGN.md), while this check asserts sklearn's opposite sign:
# decision_function == score_samples - offset_.
SIGN = "score_samples is higher-is-more-anomalous by design (DESIGN.md)"
# A series' rows are not exchangeable samples: each row is scored from the
# window of rows that ends at it, so reordering or subsetting rows changes scores.
ORDER = "a row's score depends on the rows before it (sliding windows over a time series)"

# Denoiser.score(X, y) is the PSNR of the denoised X against its clean version y, which has
# X's shape; these checks call score with a 1-D vector of labels.
CLEAN_Y = "Denoiser.score(X, y) takes the clean version of X (X's shape), not a label vector"

# The check compares scores of reordered rows to rtol 1e-7; on some CPUs the network's
# kernels round a row differently in another position of the batch (seen: 1 of 20 rows,
# 1.3e-7 relative). The chunked-scoring tests check the same property to rtol 1e-5.
ROUNDING = "scores of reordered rows agree to float32 rounding, not to rtol 1e-7, on some CPUs"

EXPECTED_FAILED = {
    "AEDetector": {"check_outliers_train": SIGN,
                   "check_methods_sample_order_invariance": ROUNDING},
    "VAEDetector": {"check_outliers_train": SIGN,
                    "check_methods_sample_order_invariance": ROUNDING},
    "GANGenerator": {},
    "VAEGAN": {"check_outliers_train": SIGN,
               "check_methods_sample_order_invariance": ROUNDING},
    "Denoiser": {"check_fit_score_takes_y": CLEAN_Y, "check_pipeline_consistency": CLEAN_Y},
    "SeriesDetector": {
        "check_outliers_train": SIGN,
        "check_methods_sample_order_invariance": ORDER,
        "check_methods_subset_invariance": ORDER,
    },
}


@parametrize_with_checks(
    [
        AEDetector(hidden_units=(4,), epochs=2, random_state=0),
        VAEDetector(hidden_units=(4,), epochs=2, n_draws=2, random_state=0),
        Denoiser(hidden_units=(4,), epochs=2, random_state=0),
        GANGenerator(hidden_units=(4,), epochs=1, random_state=0),
        VAEGAN(hidden_units=(4,), epochs=1, n_draws=2, random_state=0),
        # contamination: the default threshold (1.5 x the 99th percentile of
        # training scores) may flag no training row, but check_outliers_fit_predict
        # expects fit_predict to return both labels.
        SeriesDetector(window=3, filters=(4,), epochs=2, contamination=0.1, random_state=0),
    ],
    expected_failed_checks=lambda est: EXPECTED_FAILED[type(est).__name__],
)
def test_sklearn_compatible(estimator, check):
    """aeguard's estimators pass scikit-learn's estimator checks."""
    check(estimator)
