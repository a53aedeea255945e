"""Rollout strategies as state transitions: live switch with its rollback target, canary sticky by key
with the configured share, shadow, rollback."""

from __future__ import annotations

import math

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.serving.rollout import bucket, deploy, roll_back, route


def test_a_live_deploy_switches_everything_and_keeps_the_rollback_target() -> None:
    first = deploy(None, "churn", 1)
    second = deploy(first, "churn", 2)
    assert (second.live, second.previous) == (2, 1)
    assert {route(second, f"user-{i}").version for i in range(100)} == {2}
    back = roll_back(second)
    assert (back.live, back.previous, back.canary, back.shadow) == (1, 2, None, None)
    with pytest.raises(InvalidInput, match="no previous live version"):
        roll_back(first)


def test_a_canary_gets_its_share_of_keys_and_each_key_sticks() -> None:
    endpoint = deploy(deploy(None, "churn", 1), "churn", 2, "canary", share=0.1)
    keys = [f"user-{i}" for i in range(20_000)]
    arms = [route(endpoint, k) for k in keys]
    share = sum(a.version == 2 for a in arms) / len(keys)
    sigma = math.sqrt(0.1 * 0.9 / len(keys))
    assert abs(share - 0.1) < 4 * sigma  # binomial: fails if routing ignores or skews the share
    assert all(route(endpoint, k) == a for k, a in zip(keys[:500], arms[:500], strict=True))  # sticky
    wider = deploy(endpoint, "churn", 2, "canary", share=0.3)
    moved_back = [k for k, a in zip(keys, arms, strict=True) if a.version == 2 and route(wider, k).version == 1]
    assert moved_back == []  # raising the share only moves keys from live to canary
    assert bucket("user-1") == bucket("user-1") and 0 <= bucket("x") < 1


def test_a_shadow_scores_every_request_without_answering() -> None:
    endpoint = deploy(deploy(None, "churn", 1), "churn", 3, "shadow")
    assert {(r.version, r.shadow) for r in (route(endpoint, f"k{i}") for i in range(50))} == {(1, 3)}
    assert endpoint.versions == [1, 3]
    cleared = deploy(endpoint, "churn", 3, "live")
    assert (cleared.live, cleared.previous, cleared.shadow) == (3, 1, None)


def test_bad_rollouts_are_refused() -> None:
    live = deploy(None, "churn", 1)
    with pytest.raises(InvalidInput, match="no live version yet"):
        deploy(None, "churn", 1, "canary")
    with pytest.raises(InvalidInput, match="already live"):
        deploy(live, "churn", 1, "shadow")
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        deploy(live, "churn", 2, "canary", share=1.5)
