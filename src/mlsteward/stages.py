"""The eight lifecycle stages and the statuses a stage can have."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    SCOPING = "scoping"
    FEASIBILITY = "feasibility"
    DATA = "data"
    FEATURES = "features"
    TRAINING = "training"
    EVALUATION = "evaluation"
    DEPLOYMENT = "deployment"
    MONITORING = "monitoring"

    @property
    def number(self) -> int:
        return list(Stage).index(self) + 1

    @property
    def label(self) -> str:
        return self.value.capitalize()


class StageStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    PASSED = "passed"
    FAILED = "failed"
    WAIVED = "waived"


STAGES: tuple[Stage, ...] = tuple(Stage)
