"""The public API is what ``__all__`` says, sorted, and every name in it exists."""

import mlsteward
import mlsteward.errors
import mlsteward.features
import mlsteward.store
import mlsteward.train


def test_public_api_is_curated() -> None:
    for module in (mlsteward, mlsteward.errors, mlsteward.features, mlsteward.store, mlsteward.train):
        names = module.__all__
        assert names == sorted(names), module.__name__
        for name in names:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_tracking_api_mlflow_users_type() -> None:
    for name in ("start_run", "log_param", "log_params", "log_metric", "log_metrics", "log_artifact",
                 "set_tag", "set_tags", "log_batch", "flush", "end_run", "active_run"):
        assert callable(getattr(mlsteward, name))
