"""Candidate models by import path: import the class, check it suits the task, build it with parameters."""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from typing import Any

from sklearn.base import is_classifier, is_regressor

from mlsteward.errors import InvalidInput
from mlsteward.train.metrics import Task

# Import name -> the distribution to install, where they differ (else the name, '_' as '-').
_INSTALL_NAMES = {"sklearn": "scikit-learn"}

_EXAMPLES = {"classification": "sklearn.linear_model.LogisticRegression",
             "regression": "sklearn.linear_model.Ridge"}


def import_estimator(path: str) -> type:
    """The scikit-learn-API estimator class at dotted ``path``, e.g. ``sklearn.linear_model.LogisticRegression``."""
    if not isinstance(path, str) or "." not in path.strip(".") or path != path.strip():
        raise InvalidInput(f"{path!r} is not an import path: give the module and the class, e.g. "
                           f"'sklearn.linear_model.LogisticRegression'{_sklearn_hint(str(path))}")
    module_name, _, name = path.rpartition(".")
    module = _import_module(module_name, path)
    if not hasattr(module, name):
        names = [n for n in dir(module) if not n.startswith("_")]
        hint = _sklearn_hint(name) or _did_you_mean(name, names)
        raise InvalidInput(f"module '{module_name}' has no '{name}'{hint}: correct the model path '{path}'")
    cls = getattr(module, name)
    if not inspect.isclass(cls):
        raise InvalidInput(f"'{path}' is a {type(cls).__name__}, not an estimator class: give a class with "
                           "fit and predict, e.g. 'sklearn.linear_model.LogisticRegression'")
    lacking = [m for m in ("fit", "predict") if not callable(getattr(cls, m, None))]
    if lacking:
        raise InvalidInput(f"'{path}' has no {' or '.join(lacking)}: it is not a model (a transformer?); give "
                           "a scikit-learn-API estimator class with fit and predict")
    return cls


def check_task(estimator: type | object, task: Task) -> None:
    """Refuse a regressor for a classification target, and a classifier for a regression target."""
    instance = _instance(estimator) if inspect.isclass(estimator) else estimator
    name = type(instance).__name__
    if task == "classification":
        if not is_classifier(instance):
            kind = "a regressor" if is_regressor(instance) else "not a classifier"
            raise InvalidInput(f"{name} is {kind} but the target is classification: use a classifier "
                               f"such as {_counterpart(instance, 'Classifier')}")
    elif task == "regression":
        if not is_regressor(instance):
            kind = "a classifier" if is_classifier(instance) else "not a regressor"
            raise InvalidInput(f"{name} is {kind} but the target is regression: use a regressor "
                               f"such as {_counterpart(instance, 'Regressor')}")
    else:
        raise InvalidInput(f"task must be 'classification' or 'regression'; got {task!r}")


def build_estimator(cls: type, params: dict[str, Any], seed: int) -> Any:
    """``cls(**params)``, with ``random_state=seed`` when the estimator has one and ``params`` does not set it.

    Nested names (``estimator__C``) are set after construction, as ``set_params`` does.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise InvalidInput(f"the seed must be a whole number; got {seed!r}")
    valid = sorted(_instance(cls).get_params(deep=False))
    top = {k: v for k, v in params.items() if "__" not in k}
    nested = {k: v for k, v in params.items() if "__" in k}
    unknown = [k for k in params if k.split("__", 1)[0] not in valid]
    if unknown:
        named = ", ".join(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if (close := _close(k, valid)) else "")
                          for k in unknown)
        raise InvalidInput(f"{cls.__name__} has no parameter {named}; its parameters are: {', '.join(valid)}")
    try:
        estimator = cls(**top)
        if nested:
            estimator.set_params(**nested)
        if "random_state" in valid and "random_state" not in params:
            estimator.set_params(random_state=seed)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{cls.__name__} could not be built with {params}: {exc}") from exc
    return estimator


def _import_module(module_name: str, path: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or module_name
        if module_name != missing and not module_name.startswith(missing + "."):
            raise InvalidInput(f"importing '{module_name}' failed: it needs '{missing}', which is not "
                               f"installed: pip install {_install_name(missing)}") from exc
        parent, _, child = missing.rpartition(".")
        if not parent:
            raise InvalidInput(f"module '{missing}' (from '{path}') is not installed: pip install "
                               f"{_install_name(missing)}, or correct the path") from exc
        package = importlib.import_module(parent)
        names = [m.name for m in pkgutil.iter_modules(getattr(package, "__path__", []))
                 if not m.name.startswith("_")]
        raise InvalidInput(f"module '{missing}' does not exist: '{parent}' has no module '{child}'"
                           f"{_did_you_mean(child, names)}: correct the model path '{path}'") from exc
    except ImportError as exc:
        raise InvalidInput(f"importing '{module_name}' failed: {exc}; reinstall the package") from exc


def _install_name(module: str) -> str:
    top = module.split(".")[0]
    return _INSTALL_NAMES.get(top, top.replace("_", "-"))


def _close(name: str, candidates: list[str]) -> list[str]:
    """The candidates closest to ``name``, ignoring case."""
    by_lower: dict[str, str] = {}
    for c in candidates:
        by_lower.setdefault(c.lower(), c)
    return [by_lower[c] for c in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]


def _did_you_mean(name: str, candidates: list[str]) -> str:
    close = _close(name, candidates)
    return " (did you mean " + " or ".join(f"'{c}'" for c in close) + "?)" if close else ""


def _sklearn_hint(name: str) -> str:
    """Where scikit-learn publishes an estimator called ``name``, if it has one."""
    name = name.rpartition(".")[2]
    if not name:
        return ""
    from sklearn.utils import all_estimators  # imports every sklearn module: only on this error path

    paths = []
    for est_name, est in all_estimators():
        if est_name.lower() == name.lower():
            public = ".".join(est.__module__.split(".")[:2])
            if getattr(importlib.import_module(public), est_name, None) is est:
                paths.append(f"{public}.{est_name}")
    return f" (scikit-learn has '{paths[0]}')" if paths else ""


def _instance(cls: type) -> Any:
    try:
        return cls()
    except Exception as exc:  # noqa: BLE001 - any constructor failure means the same to the user
        raise InvalidInput(f"{cls.__name__} cannot be built without arguments ({exc}): Steward builds "
                           "candidates from their parameters alone; wrap it in a class with defaults") from exc


def _counterpart(instance: object, suffix: str) -> str:
    """The same family for the other task (``RandomForestRegressor`` -> ``RandomForestClassifier``)."""
    cls = type(instance)
    other = "Regressor" if suffix == "Classifier" else "Classifier"
    if cls.__name__.endswith(other):
        twin = cls.__name__[: -len(other)] + suffix
        public = ".".join(cls.__module__.split(".")[:2]) if cls.__module__.startswith("sklearn.") else cls.__module__
        for module_name in dict.fromkeys((public, cls.__module__)):
            module = importlib.import_module(module_name)
            if inspect.isclass(getattr(module, twin, None)):
                return f"'{module_name}.{twin}'"
    return f"'{_EXAMPLES['classification' if suffix == 'Classifier' else 'regression']}'"
