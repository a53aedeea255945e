"""Rollout strategies of one endpoint: which model version answers a request, and which shadows it.

Pure: an ``Endpoint`` is the state (the live version, the rollback target, an optional canary with its
traffic share, an optional shadow); ``deploy`` and ``roll_back`` return the next state; ``route`` picks
the versions for one request.

- **live** (blue-green switch): the new version answers everything at once; the one it replaces is
  kept as the rollback target; any canary or shadow is cleared.
- **canary**: a share of the traffic goes to the challenger, *sticky by a request key* (a user or
  entity id): the same key always lands on the same side while the share is unchanged, and raising
  the share only moves keys from live to canary, never back.
- **shadow**: the challenger scores every request after the response is sent; its outputs are
  logged, never returned.
- **rollback**: the previous live version answers again; canary and shadow are cleared.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput

Mode = Literal["live", "canary", "shadow"]


class Endpoint(BaseModel):
    model: str
    live: int = Field(description="the version answering requests")
    previous: int | None = Field(None, description="the rollback target: the version live before this one")
    canary: int | None = None
    canary_share: float = Field(0.0, ge=0.0, le=1.0)
    shadow: int | None = None

    @property
    def versions(self) -> list[int]:
        """Every version the endpoint needs loaded."""
        return sorted({v for v in (self.live, self.canary, self.shadow) if v is not None})


class Route(BaseModel):
    version: int  # answers the request
    shadow: int | None = None  # scores it after the response, outputs logged only
    arm: Literal["live", "canary"] = "live"


def bucket(key: str) -> float:
    """A request key's fixed position in [0, 1): the first 8 bytes of its sha256."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def route(endpoint: Endpoint, key: str) -> Route:
    """The versions for a request with sticky key ``key`` (a user or entity id, else the request id)."""
    if endpoint.canary is not None and bucket(key) < endpoint.canary_share:
        return Route(version=endpoint.canary, shadow=endpoint.shadow, arm="canary")
    return Route(version=endpoint.live, shadow=endpoint.shadow)


def deploy(endpoint: Endpoint | None, model: str, version: int, mode: Mode = "live", share: float = 0.1) -> Endpoint:
    """The endpoint after deploying ``version`` in ``mode`` (``share``: the canary's share of traffic)."""
    if mode not in ("live", "canary", "shadow"):
        raise InvalidInput(f"mode {mode!r}: give live, canary or shadow")
    if endpoint is None:
        if mode != "live":
            raise InvalidInput(f"{model} has no live version yet: deploy one with --mode live before a {mode}")
        return Endpoint(model=model, live=version)
    if mode == "live":
        if version == endpoint.live:
            return endpoint.model_copy(update={"canary": None, "canary_share": 0.0, "shadow": None})
        return Endpoint(model=model, live=version, previous=endpoint.live)
    if version == endpoint.live:
        raise InvalidInput(f"{model}@{version} is already live: a {mode} needs another version")
    if mode == "canary":
        if not 0.0 < share < 1.0:
            raise InvalidInput(f"--share {share}: a canary's share of traffic is between 0 and 1 (e.g. 0.1)")
        return endpoint.model_copy(update={"canary": version, "canary_share": share})
    return endpoint.model_copy(update={"shadow": version})


def roll_back(endpoint: Endpoint) -> Endpoint:
    """The endpoint with its previous live version answering again (canary and shadow cleared)."""
    if endpoint.previous is None:
        raise InvalidInput(f"{endpoint.model} has no previous live version to roll back to")
    return Endpoint(model=endpoint.model, live=endpoint.previous, previous=endpoint.live)


__all__ = ["Endpoint", "Mode", "Route", "bucket", "deploy", "roll_back", "route"]
