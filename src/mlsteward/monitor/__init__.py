"""Core computation for monitoring: drift of columns, datasets, predictions and targets; performance over
time with delayed labels (``performance_over_time``); operations and cost (``operations_summary``);
explainability drift (``importance_drift``); champion against challenger (``compare_models``); and drift
over partitioned Parquet on one machine or Ray (``drift_over_partitions``).

Pure functions: data frames and typed config in, pydantic results out. No store, no I/O.
``drift`` (the dataset drift check; also named ``dataset_drift``) and ``column_drift`` run the drift
tests registered in ``DRIFT_TESTS`` (``mlsteward.monitor.drift_tests`` documents each test, its
default threshold, the PSI binning and the default choice of test); the data stage's contract check
uses the same functions. ``reference_profile`` computes a reference's statistics once
(``mlsteward.monitor.reference``): ``drift(profile, current)`` then reads only the current window.
"""

from mlsteward.monitor.champion_challenger import ChampionChallenger, compare_models
from mlsteward.monitor.drift_dataset import (
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
    drift,
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
from mlsteward.monitor.importance_drift import FeatureImportanceChange, ImportanceDrift, importance_drift
from mlsteward.monitor.operations import Budgets, CostModel, OperationsSummary, operations_summary
from mlsteward.monitor.partitioned import drift_over_partitions
from mlsteward.monitor.performance import PerformanceOverTime, performance_over_time
from mlsteward.monitor.reference import ColumnProfile, ReferenceProfile, reference_profile

__all__ = [  # noqa: RUF022 - plain sorted(), as tests/test_exported_members.py checks
    "Budgets",
    "CORRECTIONS",
    "CategoryFrequencies",
    "CategoryShare",
    "ChampionChallenger",
    "ColumnDrift",
    "ColumnProfile",
    "CostModel",
    "DRIFT_TESTS",
    "DatasetDrift",
    "DriftHistogram",
    "DriftTest",
    "DriftTestInfo",
    "FeatureImportanceChange",
    "ImportanceDrift",
    "OperationsSummary",
    "PSI_BINS",
    "PSI_EPSILON",
    "PerformanceOverTime",
    "ReferenceProfile",
    "SMALL_SAMPLE_MAX_ROWS",
    "SkippedColumn",
    "benjamini_hochberg",
    "bonferroni",
    "column_drift",
    "compare_models",
    "dataset_drift",
    "default_drift_test",
    "drift",
    "drift_over_partitions",
    "importance_drift",
    "operations_summary",
    "performance_over_time",
    "psi_bin_edges",
    "reference_profile",
    "register_drift_test",
]
