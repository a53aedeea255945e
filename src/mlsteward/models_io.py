"""Every stored model goes through here: saved with skops, loaded only if every type in it is allowed.

skops stores an object as a tree of type names and states and rebuilds it without pickle, so a model
file cannot run code unless a type in it does. ``load_model`` asks skops which types it does not
trust by default (scikit-learn's own estimators and numpy/scipy ufuncs are trusted) and accepts one
only when all of these hold:

* its top-level package is in ``ALLOWED_PACKAGES`` (the whole name: ``sklearn.x.Y`` yes,
  ``sklearnx.Y`` no) — so ``builtins.eval``, ``posix.system``, ``os.*``, ``subprocess.*`` and the
  functions of ``operator``, ``functools``, ``importlib``, ``pickle``, ``marshal`` and ``types`` are
  always refused;
* no part of its module path is a test or build helper (``testing``, ``f2py``, ``distutils``, …:
  ``numpy.testing.runstring`` calls ``exec``);
* it exists in the installed package and is a class or function *defined* in an allowed package, so
  a name re-exported from elsewhere (``sklearn.some_module.urlretrieve``) is refused too. Only then is
  its module imported — and only modules of allowed packages ever are.

The refusal happens before anything in the file is built: nothing in a refused file runs.
``trusted=True`` skips all of this and loads whatever the file holds, which is as much trust as
unpickling it: use it only for a file you wrote yourself or got from a source you trust.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import zipfile

import skops.io as sio

from mlsteward.errors import InvalidInput, UnsafeArtifact

# Packages whose classes and functions a stored model may hold (beyond skops' own trusted list).
ALLOWED_PACKAGES = ("lightgbm", "mlsteward", "numpy", "scipy", "sklearn", "xgboost")

# Module-path parts refused even inside an allowed package: test, build and code-generation helpers.
_REFUSED_MODULE_PARTS = frozenset({"_pytesttester", "_testing", "conftest", "distutils", "f2py", "testing",
                                   "tests"})


def dump_model(estimator: object) -> bytes:
    """The skops bytes of ``estimator`` (fitted or not)."""
    try:
        data = sio.dumps(estimator)
    except (TypeError, ValueError, AttributeError) as exc:
        raise InvalidInput(f"the {type(estimator).__name__} cannot be saved with skops ({exc}): use named, "
                           "importable functions and classes") from exc
    unnamed = sorted(name for name in _untrusted(data) if "<" in name)
    if unnamed:
        raise InvalidInput(f"the {type(estimator).__name__} holds {unnamed}, which could not be loaded again: "
                           "replace lambdas and local functions with functions defined at a module's top level")
    return data


def refused_types(data: bytes) -> list[str]:
    """The types in a skops file that ``load_model`` refuses without ``trusted=True`` (sorted)."""
    return sorted(name for name in _untrusted(data) if not _allowed(name))


def load_model(data: bytes, *, trusted: bool = False) -> object:
    """Rebuild a model saved by ``dump_model``.

    Refuses (``UnsafeArtifact``) a file holding any type outside ``ALLOWED_PACKAGES`` before building
    anything. ``trusted=True`` is the explicit opt-in that loads every type in the file — pickle-level
    trust, for files from a source you trust.
    """
    untrusted = _untrusted(data)
    if not trusted:
        refused = sorted(name for name in untrusted if not _allowed(name))
        absent = sorted({n.split(".")[0] for n in refused if _in_allowed_package(n.rpartition(".")[0])
                         and importlib.util.find_spec(n.split(".")[0]) is None})
        if absent:
            raise InvalidInput(f"the stored model needs {', '.join(absent)}, which is not installed here: "
                               f"pip install {' '.join(absent)}")
        if refused:
            raise UnsafeArtifact(
                f"the stored model holds types Steward does not load: {refused} (only classes and functions "
                f"of {list(ALLOWED_PACKAGES)} are loaded); it was not written by Steward or was tampered "
                "with: retrain it, or, if you wrote it and trust its source, load it with trusted=True")
    return sio.loads(data, trusted=untrusted)


def _untrusted(data: bytes) -> list[str]:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInput(f"a stored model is bytes; got {type(data).__name__}")
    try:
        return list(sio.get_untrusted_types(data=bytes(data)))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InvalidInput(f"the data is not a skops model file ({exc}); save models with dump_model") from exc


def _in_allowed_package(module: str) -> bool:
    parts = module.split(".")
    return parts[0] in ALLOWED_PACKAGES and not _REFUSED_MODULE_PARTS.intersection(parts)


def _allowed(name: str) -> bool:
    """``module.attribute`` is a class or function defined in an allowed package."""
    module, _, attribute = name.rpartition(".")
    if not module or not attribute or not _in_allowed_package(module):
        return False
    try:  # imports a module of an allowed package only
        obj = getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        return False
    if inspect.ismodule(obj) or not callable(obj):  # a class or a function, not a module or a value
        return False
    owner = getattr(obj, "__module__", None)
    return isinstance(owner, str) and _in_allowed_package(owner)


__all__ = ["ALLOWED_PACKAGES", "dump_model", "load_model", "refused_types"]
