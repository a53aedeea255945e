"""The locked requirements of a model bundle (`steward package`): what serving the model installs, pinned.

Three groups, in this order of authority:

1. the libraries the model runs on, at the exact versions its training run recorded
   (``run.environment["packages"]``): numpy, pandas, pyarrow, scipy, scikit-learn, skops, and any library
   whose types the model file holds (lightgbm, xgboost, ...);
2. what those and the entry point need besides (joblib, threadpoolctl, pydantic, ...): a training run does not
   record them, so they are pinned to the versions installed when packaging (the lock file says so);
3. mlsteward itself is not in the lock: it is installed from the bundle's wheel with ``--no-deps``.

Libraries recorded at training that serving does not import (optuna, onnxruntime, torch, ...) are listed
as not installed, so the bundle stays small. ``ENTRY_POINT_DISTRIBUTIONS`` is what the entry point's
imports load (``mlsteward.models_io``, the feature transformers, ``mlsteward.serving.schema`` and
``env_parity``), measured with ``sys.modules``: none of mlsteward's heavier dependencies (pandera, optuna,
fairlearn, SQLAlchemy, FastAPI, ...) are among them; a test keeps it so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from pydantic import BaseModel

from mlsteward.errors import InvalidInput

# What the entry point imports to load and score a scikit-learn model (the model's own libraries are added).
ENTRY_POINT_DISTRIBUTIONS = ("numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "skops", "pydantic")
SELF = "mlsteward"


class LockedRequirements(BaseModel):
    recorded: dict[str, str]  # pinned to the training run's versions
    added: dict[str, str]  # what those need besides, pinned to the versions installed when packaging
    not_installed: dict[str, str]  # recorded at training, not needed to serve
    notes: list[str]

    @property
    def pins(self) -> dict[str, str]:
        return {**self.recorded, **self.added}


def lock_requirements(recorded: Mapping[str, str], modules: Iterable[str] = ()) -> LockedRequirements:
    """The bundle's pins from the training record ``recorded`` (distribution -> version) and the top-level
    ``modules`` the model's files name besides scikit-learn's (e.g. ``lightgbm``)."""
    by_name = {canonicalize_name(name): (name, version) for name, version in recorded.items()}
    roots = list(ENTRY_POINT_DISTRIBUTIONS)
    owners = metadata.packages_distributions()
    for module in modules:
        if module == SELF:
            continue
        found = owners.get(module)
        if not found and canonicalize_name(module) not in by_name:
            raise InvalidInput(f"the model needs the library {module!r}, which is neither recorded by its training "
                               f"run nor installed here: `pip install {module}` (the version it was trained with), "
                               "then package again")
        roots.append(found[0] if found else module)
    pinned_recorded: dict[str, str] = {}
    notes: list[str] = []
    for root in dict.fromkeys(roots):
        entry = by_name.get(canonicalize_name(root))
        if entry is None:
            continue
        name, version = entry
        pinned_recorded[name] = version
        installed = _installed_version(name)
        if installed is None:
            notes.append(f"{name} {version} was recorded at training but is not installed here: what it needs "
                         "besides is left to pip to choose")
        elif installed != version:
            notes.append(f"{name} {version} was recorded at training, {installed} is installed here: the lock pins "
                         f"{version}; what it needs besides is pinned to what {installed} needs")
    closure = _closure(roots)
    recorded_names = {canonicalize_name(n) for n in pinned_recorded}
    added = {name: version for name, version in sorted(closure.items(), key=lambda kv: canonicalize_name(kv[0]))
             if canonicalize_name(name) not in recorded_names and canonicalize_name(name) != SELF}
    not_installed = {name: version for name, version in recorded.items()
                     if canonicalize_name(name) not in recorded_names and canonicalize_name(name) != SELF}
    return LockedRequirements(recorded=dict(sorted(pinned_recorded.items(), key=lambda kv: canonicalize_name(kv[0]))),
                              added=added, not_installed=not_installed, notes=notes)


def render_lock(lock: LockedRequirements, *, model: str, run_id: str, wheel: str, when: str) -> str:
    """The text of ``requirements.lock``: pip's requirements format, one ``name==version`` a line."""
    lines = [f"# requirements.lock of {model}, written by `steward package` on {when}.",
             f"# The libraries the model runs on, at the versions its training run ({run_id[:8]}) recorded:"]
    lines += [f"{name}=={version}" for name, version in lock.recorded.items()]
    if lock.added:
        lines += ["# What those and the entry point (serve.py) need besides: the training run does not record",
                  "# these, so they are pinned to the versions installed when the bundle was packaged:"]
        lines += [f"{name}=={version}" for name, version in lock.added.items()]
    lines.append(f"# mlsteward is installed from {wheel} (pip install --no-deps), not from an index.")
    if lock.not_installed:
        shown = ", ".join(f"{n}=={v}" for n, v in lock.not_installed.items())
        lines.append(f"# Recorded at training but not needed to serve, so not installed: {shown}")
    return "\n".join(lines) + "\n"


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _closure(roots: Iterable[str]) -> dict[str, str]:
    """Every installed distribution ``roots`` need, themselves included, with its installed version (markers
    evaluated for this interpreter; extras only where a requirement asks for them)."""
    found: dict[str, str] = {}
    todo: list[tuple[str, frozenset[str]]] = [(r, frozenset()) for r in roots]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        name, extras = todo.pop()
        key = (canonicalize_name(name), extras)
        if key in seen or key[0] == SELF:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed: it was not needed here either
        found[dist.metadata["Name"]] = dist.version
        for text in dist.requires or []:
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            if requirement.marker is not None and not any(
                    requirement.marker.evaluate({"extra": extra}) for extra in ("", *extras)):
                continue
            todo.append((requirement.name, frozenset(requirement.extras)))
    return found


__all__ = ["ENTRY_POINT_DISTRIBUTIONS", "LockedRequirements", "lock_requirements", "render_lock"]
