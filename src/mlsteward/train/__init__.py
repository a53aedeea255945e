"""Training core: candidate estimators by import path, metrics by name, baselines, efficiency profiles.

Pure computation: arrays and data frames in, fitted estimators and typed results out (the store and
the CLI live in the training workflow). Models are saved and loaded with ``mlsteward.models_io``.
"""

from mlsteward.train.baselines import RuleBaseline, majority_baseline
from mlsteward.train.efficiency import BudgetCheck, EfficiencyProfile, profile_model, within_budget
from mlsteward.train.estimators import build_estimator, check_task, import_estimator
from mlsteward.train.metrics import (
    ALIASES,
    METRICS,
    Metric,
    Task,
    check_classes_present,
    check_target,
    metric_named,
    score_estimator,
    task_of,
)

__all__ = [
    "ALIASES",
    "BudgetCheck",
    "EfficiencyProfile",
    "METRICS",
    "Metric",
    "RuleBaseline",
    "Task",
    "build_estimator",
    "check_classes_present",
    "check_target",
    "check_task",
    "import_estimator",
    "majority_baseline",
    "metric_named",
    "profile_model",
    "score_estimator",
    "task_of",
    "within_budget",
]
