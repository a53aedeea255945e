"""Environment parity: the library versions a model was trained with against the ones serving it.

A training run records the versions of the libraries that matter (``run.environment["packages"]``:
mlsteward, numpy, pandas, pyarrow, scipy, scikit-learn, skops, optuna, ...). When a version is loaded for
serving (``steward serve``, or a bundle's ``serve.py`` of ``steward package``) the running versions of
those that compute its predictions (``serving_record``: not a tuning library such as optuna) are compared
with that record: a difference is a WARNING listing every package that differs, and an
``EnvironmentMismatch`` error in strict mode. Versions are compared as exact strings; names as PEP 503
normalises them (``scikit_learn`` is ``scikit-learn``).

Light on purpose (pydantic and the standard library): a bundle's entry point imports it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from importlib import metadata

from pydantic import BaseModel

from mlsteward.errors import StewardError

log = logging.getLogger("mlsteward.serving")

# The libraries a served model's predictions are computed with: always compared when recorded ...
SERVING_LIBRARIES = ("mlsteward", "numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "skops")
# ... and the model libraries, compared when installed here (a model that needs an absent one fails to load,
# saying what to install; one that does not need it is not concerned)
MODEL_LIBRARIES = ("lightgbm", "xgboost")


class EnvironmentMismatch(StewardError):
    """The libraries serving a model are not the versions it was trained with (strict mode)."""

    code = "environment_mismatch"
    exit_code = 1


class PackageMismatch(BaseModel):
    name: str
    trained: str
    running: str


class EnvironmentParity(BaseModel):
    """The running environment against a training record. ``matches``: no package differs or is missing."""

    matches: bool
    compared: list[str]  # the packages of the record, sorted
    mismatches: list[PackageMismatch]
    missing: list[str]  # recorded at training, not installed here

    def describe(self) -> str:
        """One line: ``scikit-learn 1.9.1 at training, 1.8.0 here; optuna (5.0.0 at training) not installed``."""
        parts = [f"{m.name} {m.trained} at training, {m.running} here" for m in self.mismatches]
        parts += [f"{name} not installed" for name in self.missing]
        return "; ".join(parts) if parts else "the same versions as at training"


def normalize_name(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def running_versions(names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The installed version of each distribution of ``names`` that is installed here."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def serving_record(packages: Mapping[str, str], running: Mapping[str, str] | None = None) -> dict[str, str]:
    """The part of a training record (``run.environment["packages"]``) that serving compares: the
    ``SERVING_LIBRARIES``, and the ``MODEL_LIBRARIES`` installed here (in ``running``, by default this
    interpreter's distributions)."""
    core = {normalize_name(n) for n in SERVING_LIBRARIES}
    optional = {normalize_name(n) for n in MODEL_LIBRARIES}
    if running is None:
        running = running_versions([n for n in packages if normalize_name(n) in optional])
    here = {normalize_name(n) for n in running}
    return {name: str(version) for name, version in packages.items()
            if normalize_name(name) in core or (normalize_name(name) in optional and normalize_name(name) in here)}


def compare_environment(recorded: Mapping[str, str], running: Mapping[str, str] | None = None) -> EnvironmentParity:
    """Compare the training record ``recorded`` (distribution -> version) with ``running`` (the same shape;
    by default the versions installed in this interpreter, read with ``importlib.metadata``)."""
    if not isinstance(recorded, Mapping):
        raise TypeError(f"the training record is a mapping of package name to version; got {type(recorded).__name__}")
    if running is None:
        running = running_versions(list(recorded))
    here = {normalize_name(name): str(version) for name, version in running.items()}
    mismatches, missing = [], []
    for name in sorted(recorded, key=normalize_name):
        trained, now = str(recorded[name]), here.get(normalize_name(name))
        if now is None:
            missing.append(name)
        elif now != trained:
            mismatches.append(PackageMismatch(name=name, trained=trained, running=now))
    return EnvironmentParity(matches=not mismatches and not missing, compared=sorted(recorded, key=normalize_name),
                             mismatches=mismatches, missing=missing)


def check_environment(recorded: Mapping[str, str], subject: str, *, strict: bool = False,
                      running: Mapping[str, str] | None = None) -> EnvironmentParity:
    """Compare (``compare_environment``) and act: a difference is logged as a WARNING naming ``subject`` and
    every package; with ``strict`` it raises ``EnvironmentMismatch`` instead."""
    parity = compare_environment(recorded, running)
    if parity.matches:
        return parity
    message = (f"{subject} was trained with other library versions than these: {parity.describe()}. Its "
               "predictions may differ from the evaluated ones: install the recorded versions (`steward package` "
               "writes them to a requirements.lock)")
    if strict:
        raise EnvironmentMismatch(message + ", or serve without strict environment checking")
    log.warning("%s", message)
    return parity


__all__ = ["MODEL_LIBRARIES", "SERVING_LIBRARIES", "EnvironmentMismatch", "EnvironmentParity", "PackageMismatch",
           "check_environment", "compare_environment", "normalize_name", "running_versions", "serving_record"]
