"""Sign-offs and waivers, allowed only to the identities holding the role (from the charter's stakeholders).

The acting identity is ``STEWARD_USER`` on the command line, or the user of the API token presented to
the server (``identity_for_token``). A stakeholder acts under their ``user`` field, else their email
or name (``Stakeholder.identities``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from mlsteward.errors import InvalidInput, NotFound, NotPermitted
from mlsteward.spec import Spec
from mlsteward.stages import STAGES
from mlsteward.store import Store
from mlsteward.store.models import model_subject
from mlsteward.store.signoffs import Decision, SignOffRecord, WaiverRecord
from mlsteward.workspace import Workspace


@contextmanager
def acting_as(store: Store, identity: str) -> Iterator[None]:
    """Act as ``identity`` on ``store`` for a block (what the server does per request, and the quickstart
    does for the charter's example stakeholders)."""
    before = store.actor
    store.actor = identity
    try:
        yield
    finally:
        store.actor = before


def identity_for_token(store: Store, token: str) -> str:
    """The user an API token acts as; ``NotPermitted`` for an unknown or revoked token."""
    user = store.tokens.identify(token)
    if user is None:
        raise NotPermitted("the API token is unknown or revoked: ask an administrator for a new one "
                           "(`steward tokens create --user YOU`)")
    return user


def require_role(spec: Spec, identity: str, role: str, action: str) -> None:
    """Refuse ``action`` unless ``identity`` holds ``role`` in the charter."""
    holders = sorted(p.name for p in spec.charter.stakeholders if p.role == role)
    if not holders:
        raise InvalidInput(f"no stakeholder holds the role {role!r} (roles: {', '.join(spec.charter.roles)}): "
                           "add one to the charter's stakeholders in steward.yaml")
    if role not in spec.charter.roles_of(identity):
        held = spec.charter.roles_of(identity)
        yours = f"you hold {', '.join(held)}" if held else "you are not a stakeholder in the charter"
        raise NotPermitted(f"{identity!r} may not {action}: it needs the role {role!r}, held by "
                           f"{', '.join(holders)} ({yours}). Act as one of them (STEWARD_USER set to their user, "
                           "email or name), or add yourself to the charter's stakeholders")


def require_promoter(spec: Spec, identity: str, action: str) -> None:
    """Refuse ``action`` on a model version's status unless ``identity`` holds a role of
    ``governance.promoter_roles`` (any stakeholder role when that list is empty)."""
    allowed = spec.governance.promoter_roles or spec.charter.roles
    held = [r for r in spec.charter.roles_of(identity) if r in allowed]
    if held:
        return
    holders = sorted(p.name for p in spec.charter.stakeholders if p.role in allowed)
    raise NotPermitted(f"{identity!r} may not {action}: it needs one of the roles {', '.join(allowed)} "
                       f"(held by {', '.join(holders) or 'no one'}). Act as one of them (STEWARD_USER set to their "
                       "user, email or name), or list your role in steward.yaml `governance: promoter_roles`")


def resolve_subject(workspace: Workspace, spec: Spec, subject: str) -> str:
    """``churn@3`` or ``churn@champion`` -> ``model:churn@3``; ``stage:data`` stays as it is."""
    text = subject.strip()
    if text.startswith("stage:"):
        stage = text.removeprefix("stage:")
        if stage not in STAGES:
            raise InvalidInput(f"unknown stage {stage!r} in {subject!r}: stages are {', '.join(STAGES)}")
        return text
    if "@" not in text.removeprefix("model:"):
        raise InvalidInput(f"sign-off subject {subject!r} is neither a model version (NAME@VERSION, e.g. churn@3) "
                           "nor a stage (stage:NAME, e.g. stage:scoping)")
    version = workspace.store.models.resolve(text.removeprefix("model:"))
    if version.project != spec.project:
        raise NotFound(f"{version.ref} belongs to project {version.project!r}, not {spec.project!r}")
    return model_subject(version.name, version.version)


def sign_off(workspace: Workspace, spec: Spec, subject: str, role: str, decision: Decision,
             comment: str = "") -> SignOffRecord:
    """Record the acting identity's approval or rejection of ``subject`` in ``role``."""
    store = workspace.store
    require_role(spec, store.actor, role, f"sign off as {role}")
    resolved = resolve_subject(workspace, spec, subject)
    return store.signoffs.sign(project=spec.project, subject=resolved, role=role, decision=decision, comment=comment)


def waive(workspace: Workspace, spec: Spec, subject: str, check: str, reason: str, role: str | None = None
          ) -> WaiverRecord:
    """Record a waiver of one failing gate check on ``subject``, by a role ``governance.waiver_roles`` allows."""
    allowed = spec.governance.waiver_roles
    if not allowed:
        raise NotPermitted("no role may waive gate checks in this project: list the roles that may in "
                           "steward.yaml `governance: waiver_roles: [compliance_officer]`")
    identity = workspace.store.actor
    held = [r for r in spec.charter.roles_of(identity) if r in allowed]
    role = role or (held[0] if held else allowed[0])
    if role not in allowed:
        raise NotPermitted(f"the role {role!r} may not waive gate checks (roles that may: {', '.join(allowed)})")
    require_role(spec, identity, role, "waive a gate check")
    if not reason or not reason.strip():
        raise InvalidInput("a waiver needs a reason (--reason): say why the failing check may be let through")
    resolved = resolve_subject(workspace, spec, subject)
    return workspace.store.signoffs.waive(project=spec.project, subject=resolved, check=check, role=role,
                                          reason=reason)


__all__ = ["acting_as", "identity_for_token", "require_promoter", "require_role", "resolve_subject", "sign_off", "waive"]
