"""What the Ray engines (batch scoring, monitoring over partitioned logs) share: importing Ray with an
error that says how to get it, joining a running Ray or starting a quiet local one, and reading a task's
result with Steward's own errors raised as themselves.

A running Ray is used as it is (``ray.init`` called already, or ``address=`` / ``RAY_ADDRESS`` naming a
cluster); otherwise a local one is started with ``num_cpus`` CPUs (None: all) and no dashboard, and the
caller shuts it down at the end (``start_ray`` returns True then).
"""

from __future__ import annotations

import os
from typing import Any

from mlsteward.errors import InvalidInput, StewardError


def import_ray(instead: str) -> Any:
    """The ``ray`` module; ``InvalidInput`` naming the extra, and ``instead`` (the local alternative), if absent."""
    try:
        import ray
    except ImportError as exc:
        raise InvalidInput(f"the Ray engine needs Ray: pip install 'mlsteward[ray]', or {instead}") from exc
    return ray


def start_ray(ray: Any, address: str | None, num_cpus: int | None) -> bool:
    """Connect to a running Ray or start a local one; True when we started it (and so stop it)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS")
    if address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
        return True
    ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, configure_logging=False)
    return True


def task_result(ray: Any, future: Any) -> Any:
    """A task's result; a Steward error raised in a task is raised here as itself."""
    try:
        return ray.get(future)
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, StewardError):
            raise cause from None
        raise


__all__ = ["import_ray", "start_ray", "task_result"]
