"""The last fallback: the charter's baseline rule (``charter.baseline.rule`` in steward.yaml, today's process
written as a condition on the input columns, e.g. ``prestg10 >= 60``) answers for a binary classifier when
the model raises and the endpoint has no previous version to answer instead. The rule gives the positive
class (the larger of the two) where it holds, with probability 1 or 0; the response says a rule answered."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from mlsteward.serving.host import LoadedModel, Prediction
from mlsteward.train.baselines import rule_holds
from mlsteward.workspace import Workspace

log = logging.getLogger("mlsteward.serving")


class RuleFallback:
    def __init__(self, expression: str) -> None:
        self.expression = expression

    @classmethod
    def of(cls, workspace: Workspace) -> RuleFallback | None:
        """The project's baseline rule, or None (no steward.yaml, no baseline rule)."""
        if workspace.settings.spec_path is None:
            return None
        from mlsteward.spec import load_spec

        baseline = load_spec(workspace.settings.spec_path).charter.baseline
        return cls(baseline.rule) if baseline and baseline.rule else None

    @property
    def label(self) -> str:
        return f"the charter's baseline rule: {self.expression}"

    def predict(self, loaded: LoadedModel, frame: pd.DataFrame) -> Prediction | None:
        """The rule's answer in the model's classes; None when it cannot answer for this model or these rows."""
        classes = loaded.classes
        if classes is None or len(classes) != 2:
            return None
        try:
            holds = rule_holds(self.expression, frame)
        except Exception as exc:  # noqa: BLE001 - any failure leaves the model's own error to answer
            log.warning("the baseline rule cannot answer for %s: %s", loaded.ref, exc)
            return None
        negative, positive = classes  # sorted, as scikit-learn keeps them: the larger is the positive class
        p = holds.astype(float)
        return Prediction(loaded=loaded, frame=frame, answered_by=self.label,
                          predictions=[positive if h else negative for h in holds.tolist()],
                          probabilities=np.column_stack([1.0 - p, p]).tolist())


__all__ = ["RuleFallback"]
