"""Core computation for monitoring: drift of columns, datasets, predictions and targets.

Pure functions: data frames and typed config in, pydantic results out. No store, no I/O.
``dataset_drift`` / ``column_drift`` run the drift tests registered in ``DRIFT_TESTS``
(``mlsteward.monitor.drift_tests`` documents each test, its default threshold, the PSI binning and
the default choice of test); the data stage's contract check uses the same functions.
"""

from mlsteward.monitor.drift import (
    CORRECTIONS,
    CategoryFrequencies,
    CategoryShare,
    ColumnDrift,
    DatasetDrift,
    DriftHistogram,
    SkippedColumn,
    benjamini_hochberg,
    bonferroni,
    column_drift,
    dataset_drift,
)
from mlsteward.monitor.drift_tests import (
    DRIFT_TESTS,
    PSI_BINS,
    PSI_EPSILON,
    SMALL_SAMPLE_MAX_ROWS,
    DriftTest,
    DriftTestInfo,
    default_drift_test,
    psi_bin_edges,
    register_drift_test,
)

__all__ = [  # noqa: RUF022 - plain sorted(), as tests/test_exported_members.py checks
    "CORRECTIONS",
    "CategoryFrequencies",
    "CategoryShare",
    "ColumnDrift",
    "DRIFT_TESTS",
    "DatasetDrift",
    "DriftHistogram",
    "DriftTest",
    "DriftTestInfo",
    "PSI_BINS",
    "PSI_EPSILON",
    "SMALL_SAMPLE_MAX_ROWS",
    "SkippedColumn",
    "benjamini_hochberg",
    "bonferroni",
    "column_drift",
    "dataset_drift",
    "default_drift_test",
    "psi_bin_edges",
    "register_drift_test",
]
