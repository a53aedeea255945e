"""The registry and governance from Python, on the current project (``steward.yaml`` and its store):
``mlsteward.register_model``, ``mlsteward.load_model_version``, ``mlsteward.promote_model``,
``mlsteward.sign_off``. The acting identity is ``STEWARD_USER``."""

from __future__ import annotations

from typing import Any

from mlsteward.feature_api import _spec
from mlsteward.tracking.fluent import _current_workspace


def register_model(run: str, name: str, *, description: str = ""):  # noqa: ANN201 - RegistrationOutcome
    """Register the trained ``run`` (``"best"``, a candidate's name or a run id) as the next version of ``name``."""
    from mlsteward.lifecycle.registry import register_model as register

    workspace = _current_workspace()
    return register(workspace, _spec(workspace), run, name, description=description)


def load_model_version(ref: str, *, trusted: bool = False) -> Any:
    """The model of ``NAME``, ``NAME@VERSION`` or ``NAME@ALIAS``, hash-verified and safely loaded: it predicts
    on raw rows (the feature set is applied). A pickle loads only with ``trusted=True``."""
    from mlsteward.lifecycle.registry import load_model_version as load

    return load(_current_workspace(), ref, trusted=trusted)


def promote_model(ref: str, to: str = "production"):  # noqa: ANN201 - ModelVersion
    """Move ``NAME@VERSION`` to ``to``; to production only through the promotion gate (``GateRefused``)."""
    from mlsteward.lifecycle.promotion import promote

    workspace = _current_workspace()
    return promote(workspace, _spec(workspace), ref, to)  # type: ignore[arg-type]


def sign_off(subject: str, *, role: str, decision: str, comment: str = ""):  # noqa: ANN201 - SignOffRecord
    """Approve or reject ``subject`` (``NAME@VERSION`` or ``stage:NAME``) in a charter role you hold."""
    from mlsteward.lifecycle.signoffs import sign_off as sign

    workspace = _current_workspace()
    return sign(workspace, _spec(workspace), subject, role, decision, comment)  # type: ignore[arg-type]
