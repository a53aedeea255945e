"""The prediction service (`steward serve`): registered model versions behind HTTP.

``create_app(workspace, ...)`` builds the FastAPI app; ``PredictionSink`` is what a prediction log
implements to receive every served prediction. Imported on first use, so importing a submodule
(``mlsteward.serving.host``) does not load FastAPI.
"""

from importlib import import_module

_LAZY = {"create_app": "mlsteward.serving.app", "BatchingConfig": "mlsteward.serving.batcher",
         "AdaptiveBatcher": "mlsteward.serving.batcher", "ModelHost": "mlsteward.serving.host",
         "NullSink": "mlsteward.serving.host", "PredictionSink": "mlsteward.serving.host",
         "InvalidRows": "mlsteward.serving.schema", "frame_for_schema": "mlsteward.serving.schema",
         "PredictionLog": "mlsteward.serving.prediction_log", "FeedbackLog": "mlsteward.serving.prediction_log",
         "PredictionLogUnavailable": "mlsteward.serving.prediction_log",
         "LoadTestResult": "mlsteward.serving.loadtest", "run_load_test": "mlsteward.serving.loadtest"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlsteward.serving' has no attribute {name!r}")


__all__ = ["AdaptiveBatcher", "BatchingConfig", "FeedbackLog", "InvalidRows", "LoadTestResult", "ModelHost",
           "NullSink", "PredictionLog", "PredictionLogUnavailable", "PredictionSink", "create_app", "frame_for_schema",
           "run_load_test"]
