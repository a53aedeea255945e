"""One error hierarchy for Steward, each error with a stable code and a CLI exit code.

Every message is written for the user: what was wrong, the offending value, and what to do.
The CLI prints ``error: <message>`` and exits with ``exit_code``; the REST API maps ``code`` to
an HTTP status in one place.
"""

from __future__ import annotations


class StewardError(Exception):
    """Base of every error Steward raises on purpose."""

    code = "steward_error"
    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(StewardError):
    """An argument or value given by the user is not acceptable."""

    code = "invalid_input"


class SpecInvalid(StewardError):
    """``steward.yaml`` is missing, unreadable or does not match the spec."""

    code = "spec_invalid"

    def __init__(self, message: str, problems: list | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class NotFound(StewardError):
    """A run, project, artifact or other entity does not exist."""

    code = "not_found"


class Conflict(StewardError):
    """The write contradicts what is already recorded (e.g. a param logged twice with new value)."""

    code = "conflict"


class NotPermitted(StewardError):
    """The acting identity does not hold the role the action needs (sign, waive, promote)."""

    code = "not_permitted"


class GateRefused(StewardError):
    """A gate refused a transition; ``result`` holds every check with its required and observed value."""

    code = "gate_refused"
    exit_code = 1

    def __init__(self, message: str, result: object = None) -> None:
        super().__init__(message)
        self.result = result


class FilterSyntaxError(InvalidInput):
    """A search filter could not be parsed."""

    code = "filter_syntax"


class QuotaExceeded(StewardError):
    """The project has used the compute its quota (``costs.quota`` of steward.yaml) allows for now."""

    code = "quota_exceeded"


class StoreUnavailable(StewardError):
    """The store URL cannot be reached or opened."""

    code = "store_unavailable"


class StoreOutdated(StewardError):
    """The store's schema is older than this version of Steward."""

    code = "store_outdated"


class ArtifactCorrupted(StewardError):
    """An artifact's content no longer matches its recorded hash."""

    code = "artifact_corrupted"
    exit_code = 1


class UnsafeArtifact(StewardError):
    """A stored model or pipeline holds types Steward will not load (it would run foreign code)."""

    code = "unsafe_artifact"
    exit_code = 1


class AuditChainBroken(StewardError):
    """The audit trail was edited or rows were deleted."""

    code = "audit_chain_broken"
    exit_code = 1


__all__ = [
    "ArtifactCorrupted",
    "AuditChainBroken",
    "Conflict",
    "FilterSyntaxError",
    "GateRefused",
    "InvalidInput",
    "NotFound",
    "NotPermitted",
    "QuotaExceeded",
    "SpecInvalid",
    "StewardError",
    "StoreOutdated",
    "StoreUnavailable",
    "UnsafeArtifact",
]
