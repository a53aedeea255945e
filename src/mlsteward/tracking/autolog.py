"""``autolog()``: record every scikit-learn-API estimator the user's code fits.

Patches ``fit`` once, where it is defined, for every estimator ``sklearn.utils.all_estimators()``
lists (and the scikit-learn API classes of LightGBM and XGBoost when they are installed). Only the
outermost ``fit`` of a thread is recorded: the steps a Pipeline fits and the clones a search fits
are part of it. Recorded: ``get_params(deep=False)`` (JSON-safe text), ``training_score``
(``score`` on the training data), ``training_accuracy_score`` for classifiers, the tag
``estimator_class`` and the fitted model as ``model.skops`` (or the tag ``model_not_logged`` saying
why skops could not save it). The first fit inside an active run logs into it; later fits in the
same run, and fits with no active run (experiment ``autolog``), get a run of their own, started
before the fit (a fit that raises ends it ``failed``). Logging never breaks a fit: a failure is
warned about once per kind and the fit goes on.

Not covered: fits in worker threads a fit starts itself (joblib's threading backend) count as
outermost there; ``fit_transform`` / ``fit_predict`` that do not call ``fit``; classes imported
after ``autolog()`` from packages other than scikit-learn (call ``autolog()`` after importing them).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import logging
import math
import tempfile
import threading
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path

from mlsteward.tracking import fluent
from mlsteward.tracking.run import Run
from mlsteward.tracking.validation import MAX_VALUE_CHARS

EXPERIMENT = "autolog"
MODEL_ARTIFACT = "model.skops"
_THIRD_PARTY = ("lightgbm.sklearn", "xgboost.sklearn")

log = logging.getLogger("mlsteward")
_local = threading.local()
_lock = threading.Lock()
_originals: dict[type, Callable] = {}  # class -> its own fit before patching
_config = {"enabled": False, "log_models": True}
_warned: set[str] = set()
_holding_a_fit: weakref.WeakSet[Run] = weakref.WeakSet()  # user runs an autologged fit already went into


def autolog(disable: bool = False, log_models: bool = True) -> None:
    """Record the params, training scores and model of every estimator fitted from now on.

    ``autolog(disable=True)`` puts every original ``fit`` back. Calling it again only changes
    ``log_models``: classes are patched once.
    """
    with _lock:
        if disable:
            for cls, fit in _originals.items():
                setattr(cls, "fit", fit)
            _originals.clear()
            _config["enabled"] = False
            return
        _config.update(enabled=True, log_models=bool(log_models))
        if _originals:
            return
        for cls in _fit_owners():
            fit = cls.__dict__["fit"]
            if inspect.isfunction(fit) and not getattr(fit, "_steward_autolog", False):
                _originals[cls] = fit
                setattr(cls, "fit", _patched(fit))


def _fit_owners() -> list[type]:
    """Each class whose own ``fit`` an estimator uses (a base class when the estimator inherits it)."""
    from sklearn.base import BaseEstimator
    from sklearn.utils import all_estimators

    classes = [cls for _, cls in all_estimators()]
    for name in _THIRD_PARTY:
        try:
            module = importlib.import_module(name)
        except Exception:  # not installed, or broken: nothing to patch
            continue
        classes += [obj for obj in vars(module).values()
                    if isinstance(obj, type) and issubclass(obj, BaseEstimator) and obj.__module__ == name]
    owners: dict[type, None] = {}
    for cls in classes:
        owner = next((k for k in cls.__mro__ if "fit" in k.__dict__), None)
        if owner is not None and owner is not object:
            owners[owner] = None
    return list(owners)


def _patched(original: Callable) -> Callable:
    params = [p for p in inspect.signature(original).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:3]  # after self: X, y
    names = [p.name for p in params]

    @functools.wraps(original)  # keeps the signature sklearn's metadata routing inspects
    def fit(self, *args, **kwargs):  # noqa: ANN001, ANN202
        if not _config["enabled"] or getattr(_local, "depth", 0):
            return original(self, *args, **kwargs)
        _local.depth = 1
        try:
            return _fit_and_record(original, self, args, kwargs, names)
        finally:
            _local.depth = 0

    fit._steward_autolog = True
    return fit


def _fit_and_record(original: Callable, estimator, args: tuple, kwargs: dict, names: list[str]):  # noqa: ANN001, ANN202
    run, owned = _attempt("start a run", _run_for, estimator) or (None, False)
    try:
        result = original(estimator, *args, **kwargs)
    except BaseException as exc:
        if owned:
            _end(run, "killed" if isinstance(exc, KeyboardInterrupt) else "failed")
        raise
    if run is not None:
        bound = {**dict(zip(names, args)), **{k: v for k, v in kwargs.items() if k in names}}
        X = bound.get(names[0]) if names else None
        y = bound.get(names[1]) if len(names) > 1 and names[1] in ("y", "Y") else None
        _record(run, estimator, X, y, kwargs.get("sample_weight"))
        if owned:
            _end(run, "finished")
    return result


def _run_for(estimator) -> tuple[Run, bool]:  # noqa: ANN001
    """(run to log into, whether autolog started it): the active run for its first fit, else a new one."""
    active = fluent.active_run()
    if active is not None and active not in _holding_a_fit:
        _holding_a_fit.add(active)
        return active, False
    experiment = active.experiment if active is not None else EXPERIMENT
    return fluent.start_run(experiment=experiment, name=type(estimator).__name__), True


def _end(run: Run, status: str) -> None:
    _attempt("end its run", run.end, status)
    if run.status == "running":  # the end could not be written: stop it being the active run;
        fluent._pop(run)         # its data stays buffered, the flusher retries, and exit ends it


def _record(run: Run, estimator, X, y, sample_weight) -> None:  # noqa: ANN001
    cls = type(estimator)
    _attempt("log the estimator's params", _log_params, run, estimator)
    _attempt("set the estimator_class tag", run.set_tag, "estimator_class", f"{cls.__module__}.{cls.__qualname__}")
    metrics = _attempt(f"score {cls.__name__} on its training data", _training_metrics, estimator, X, y,
                       sample_weight)
    if metrics:
        _attempt("log training metrics", run.log_metrics, metrics)
    if _config["log_models"]:
        _attempt("log the model", _log_model, run, estimator)


def _log_params(run: Run, estimator) -> None:  # noqa: ANN001
    run.log_params({k: _param_text(v) for k, v in estimator.get_params(deep=False).items()})


def _training_metrics(estimator, X, y, sample_weight) -> dict[str, float]:  # noqa: ANN001
    from sklearn.base import ClassifierMixin, is_classifier
    from sklearn.metrics import accuracy_score

    if X is None:
        return {}
    weights = {} if sample_weight is None else {"sample_weight": sample_weight}
    metrics: dict[str, float] = {}
    score = getattr(estimator, "score", None)  # absent on transformers (or hidden by available_if)
    if score is not None:
        takes_weights = weights and "sample_weight" in inspect.signature(score).parameters
        extra = weights if takes_weights else {}
        metrics["training_score"] = float(score(X, y, **extra) if y is not None else score(X, **extra))
    if y is not None and is_classifier(estimator) and hasattr(estimator, "predict"):
        if score is not None and type(estimator).score is ClassifierMixin.score:
            metrics["training_accuracy_score"] = metrics["training_score"]  # the same number
        else:
            metrics["training_accuracy_score"] = float(accuracy_score(y, estimator.predict(X), **weights))
    return metrics


def _log_model(run: Run, estimator) -> None:  # noqa: ANN001
    import skops.io

    with tempfile.TemporaryDirectory(prefix="steward-autolog-") as folder:
        path = Path(folder) / MODEL_ARTIFACT
        try:
            skops.io.dump(estimator, path)
        except Exception as exc:  # a model skops cannot represent: say why on the run
            run.set_tag("model_not_logged", _clip(f"skops could not save {type(estimator).__name__}: "
                                                  f"{type(exc).__name__}: {exc}", 1000))
            return
        run.log_artifact(path, name=MODEL_ARTIFACT)


def _attempt(what: str, fn: Callable, *args, **kwargs):  # noqa: ANN202
    """``fn(*args, **kwargs)``, or None after warning (once per kind of failure)."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        key = f"{what}|{type(exc).__name__}"
        if key in _warned:
            log.debug("steward autolog could not %s: %s", what, exc)
        else:
            _warned.add(key)
            warnings.warn(f"steward autolog could not {what} ({type(exc).__name__}: {exc}); the fit itself "
                          "is unaffected. Further failures of this kind are not reported", RuntimeWarning,
                          stacklevel=2)
        return None


# -- params as JSON-safe text -------------------------------------------------------------------
def _param_text(value: object) -> str:
    safe = _json_safe(value)
    text = safe if isinstance(safe, str) else json.dumps(safe) if isinstance(safe, list | dict) else str(safe)
    return _clip(text, MAX_VALUE_CHARS)


def _json_safe(value: object, depth: int = 0) -> object:
    """Plain JSON values: numbers, text, lists and dicts; estimators as their repr, callables by name."""
    import numpy as np

    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, np.generic):
        return _json_safe(value.item(), depth)
    if depth > 5:
        return _clip(repr(value), 200)
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist(), depth + 1) if value.size <= 1000 else (
            f"<array shape={value.shape} dtype={value.dtype}>")
    if isinstance(value, list | tuple):
        return [_json_safe(v, depth + 1) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((_json_safe(v, depth + 1) for v in value), key=repr)
    if isinstance(value, dict):
        return {str(k): _json_safe(v, depth + 1) for k, v in value.items()}
    if hasattr(value, "get_params"):  # an estimator: scikit-learn's compact repr
        return repr(value)
    if isinstance(value, type) or callable(value):
        name = getattr(value, "__qualname__", None) or type(value).__qualname__
        return f"{getattr(value, '__module__', '') or ''}.{name}".lstrip(".")
    return repr(value)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
