"""Evaluation: every check of the suite is a plain function a notebook can call, and a named step of
``run_suite`` (``steward evaluate``) that the report and the model card render.

    from mlsteward import evaluate
    evaluate.metrics(y_true, y_pred, y_prob)                       # values with bootstrap intervals
    evaluate.calibration(y_true, y_prob)                           # Brier, ECE, reliability curve
    evaluate.operating_point(y_true, y_prob, costs={"false_positive": 5, "false_negative": 50})
    evaluate.fairness(y_true, y_pred, sensitive_features=df["sex"])  # through Fairlearn

Pure computation: arrays, data frames and fitted models in, typed results out (the store, the CLI
and the reports live in ``mlsteward.lifecycle.evaluation``). Imported on first use.
"""

from importlib import import_module

_WHERE = {
    "metrics": "mlsteward.evaluate._metrics",
    "cross_validate": "mlsteward.evaluate._cross_validation",
    "calibration": "mlsteward.evaluate._calibration",
    "recalibrate": "mlsteward.evaluate._calibration",
    "operating_point": "mlsteward.evaluate._operating_point",
    "slices": "mlsteward.evaluate._slices",
    "fairness": "mlsteward.evaluate._fairness",
    "explain": "mlsteward.evaluate._explain",
    "robustness": "mlsteward.evaluate._robustness",
    "ablation": "mlsteward.evaluate._ablation",
    "failure_modes": "mlsteward.evaluate._failure_modes",
    "uplift": "mlsteward.evaluate._uplift",
    "decide_gate": "mlsteward.evaluate.gates",
    "CHECKS": "mlsteward.evaluate.checks",
    "SuiteInputs": "mlsteward.evaluate.suite",
    "register_check": "mlsteward.evaluate.suite",
    "run_suite": "mlsteward.evaluate.suite",
}


def __getattr__(name: str):  # noqa: ANN202
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlsteward.evaluate' has no attribute {name!r}")


__all__ = [
    "CHECKS",
    "SuiteInputs",
    "ablation",
    "calibration",
    "cross_validate",
    "decide_gate",
    "explain",
    "failure_modes",
    "fairness",
    "metrics",
    "operating_point",
    "recalibrate",
    "register_check",
    "robustness",
    "run_suite",
    "slices",
    "uplift",
]
