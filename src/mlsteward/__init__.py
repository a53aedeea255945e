"""Steward: carry a machine-learning project through its whole lifecycle, with the evidence.

The tracking API a notebook uses::

    import mlsteward
    with mlsteward.start_run(experiment="churn", name="lgbm-1") as run:
        mlsteward.log_params({"model": "lgbm", "max_depth": 5})
        mlsteward.log_metric("loss", 0.3, step=2)
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

from mlsteward.errors import StewardError

try:
    __version__ = version("mlsteward")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+local"

# The API is imported on first use, so `import mlsteward` and every `steward` command start fast.
_LAZY = {"Run": "mlsteward.tracking.run", "fit_features": "mlsteward.feature_api",
         "load_feature_set": "mlsteward.feature_api", "training_set": "mlsteward.feature_api",
         "evaluate_model": "mlsteward.feature_api", "register_model": "mlsteward.registry_api",
         "load_model_version": "mlsteward.registry_api", "promote_model": "mlsteward.registry_api",
         "sign_off": "mlsteward.registry_api",
         "autolog": "mlsteward.tracking.autolog"}


def __getattr__(name: str):  # noqa: ANN202
    if name in __all__ and name not in ("StewardError", "__version__"):
        module = import_module(_LAZY.get(name, "mlsteward.tracking.fluent"))
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlsteward' has no attribute {name!r}")


__all__ = [
    "Run",
    "StewardError",
    "__version__",
    "active_run",
    "assess_dataset",
    "autolog",
    "check_data",
    "end_run",
    "evaluate_model",
    "fit_features",
    "flush",
    "get_run",
    "load_dataset",
    "load_feature_set",
    "load_model_version",
    "log_artifact",
    "log_batch",
    "log_dataset",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "promote_model",
    "register_model",
    "search_runs",
    "set_store",
    "set_tag",
    "set_tags",
    "sign_off",
    "start_run",
    "training_set",
]
