"""The ``monitoring:`` section of steward.yaml: monitors, alert rules, the cost model, alert delivery,
retraining triggers and the automatic rollback rule.

A monitor run (`steward monitor run`) turns a window of logged traffic into *signals*: flat numbers
such as ``drift_share``, ``dataset_drifted`` (0 or 1), ``prediction_drifted``, ``roc_auc``,
``estimated_accuracy``, ``expected_calibration_error``, ``demographic_parity_difference.gender``,
``p95_latency_ms``, ``error_rate``, ``cost_per_prediction_usd``, ``importance_spearman``,
``labelled_rows``, ``days_since_training``, ``reference_age_days`` (data freshness),
``labels_since_training`` (new labelled data since the live version was registered: feedback rows, and
low-confidence predictions reviewed in a labeling project)
(`steward monitor run --json` lists every one). An alert rule and a retraining trigger are both a signal with a ``min`` or ``max``:
it fires when the observed value is below ``min`` or above ``max`` (a signal the run could not
compute, such as a metric before any labels arrived, fires nothing).

With no ``alerts`` a monitor gets the defaults: dataset drift (warning), the promotion gate's metric
minimums and fairness ceilings (sev2, once labels arrive), and the charter's latency and cost budgets
(warning). Alerts of severity sev1, sev2 or sev3 open an incident.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.spec_gates import SpecModel, did_you_mean, unique_names

Severity = Literal["info", "warning", "sev3", "sev2", "sev1"]
INCIDENT_SEVERITIES: tuple[str, ...] = ("sev1", "sev2", "sev3")
BUDGET_MONITOR = "budgets"  # the monitor name budget checks are recorded under (mlsteward.lifecycle.costs)
LLM_MONITOR = "llm"  # the monitor name LLM monitor runs are recorded under (mlsteward.lifecycle.llm_monitor)
RESERVED_MONITORS = {BUDGET_MONITOR: "`steward costs check` records budget checks",
                     LLM_MONITOR: "`steward llm monitor` records its runs"}

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}


def duration_ms(text: str | int | float) -> int:
    """``"7d"``, ``"12h"``, ``"30m"``, ``"45s"``, ``"500ms"`` or ``"2w"`` → milliseconds."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        value = int(text * 1000)
    else:
        match = _DURATION.match(str(text))
        if match is None:
            raise ValueError(f"{text!r} is not a duration: write a number and a unit, e.g. 7d, 12h, 30m, 45s")
        value = int(float(match.group(1)) * _UNIT_MS[match.group(2)])
    if value <= 0:
        raise ValueError(f"a duration must be positive, e.g. 1h; got {text!r}")
    return value


Duration = str


def _check_duration(value: str) -> str:
    duration_ms(value)
    return value


class Rule(SpecModel):
    """A signal with a floor or a ceiling: fires when the observed value is below ``min`` or above ``max``."""

    signal: str = Field(description="a monitor-run signal, e.g. drift_share, roc_auc, p95_latency_ms")
    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> Rule:
        if (self.min is None) == (self.max is None):
            raise ValueError(f"rule on {self.signal!r}: give exactly one of min (fires below it) or max "
                             "(fires above it)")
        return self

    def fires(self, observed: float | None) -> bool:
        if observed is None:
            return False
        return observed < self.min if self.min is not None else observed > self.max  # type: ignore[operator]

    @property
    def threshold(self) -> float:
        return self.min if self.min is not None else self.max  # type: ignore[return-value]

    def describe(self, observed: float | None) -> str:
        side = f"below the minimum {self.min:g}" if self.min is not None else f"above the maximum {self.max:g}"
        shown = "-" if observed is None else f"{observed:.4g}"
        return f"{self.signal} = {shown}, {side}"


class AlertRule(Rule):
    severity: Severity = "warning"


class DriftSettings(SpecModel):
    columns: list[str] | None = Field(None, description="input columns to test; default: every model input")
    tests: dict[str, str] = Field({}, description="per column, a registered drift test (steward monitor tests)")
    thresholds: dict[str, float] = Field({}, description="per column with a named test, its threshold")
    correction: Literal["bonferroni", "benjamini_hochberg"] | None = None
    effect_floor: float | None = Field(None, ge=0)
    drift_share: float = Field(0.5, gt=0, le=1, description="share of drifted columns that makes the dataset drift")


class Monitor(SpecModel):
    name: str = Field(description="the monitor's name, e.g. income-model")
    model: str = Field(description="the registered model whose logged traffic it reads")
    reference: str | None = Field(None, description="the reference data: a dataset version, e.g. gss-train@1; "
                                                    "default: the data the live version was trained on")
    window: Duration = Field("7d", description="how much traffic a run reads, back from now")
    bucket: Duration = Field("1d", description="the time buckets of the metrics over time within the window")
    schedule: Duration = Field("1h", description="how often `steward monitor watch` runs it")
    drift: DriftSettings = Field(default_factory=DriftSettings)
    cohorts: list[str] = Field([], description="input columns whose values are cohorts with their own metrics")
    sensitive: list[str] | None = Field(None, description="inputs audited for fairness over time; default: "
                                                         "data.sensitive_attributes that the model receives")
    min_labelled: int = Field(30, ge=1, description="labelled rows a window or cohort needs for metrics")
    explainability: bool = Field(False, description="compare the feature-importance ranking with the reference")
    alerts: list[AlertRule] = Field([], description="alert rules; empty: the defaults (module docstring)")

    _window = field_validator("window", "bucket", "schedule")(_check_duration)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,99}", value):
            raise ValueError(f"{value!r}: a monitor name is lower-case letters, digits, '-', '_' or '.'")
        if value in RESERVED_MONITORS:
            raise ValueError(f"{value!r} is the name {RESERVED_MONITORS[value]} under: choose another monitor name")
        return value


class CostModel(SpecModel):
    """What serving costs: per prediction, and per hour of infrastructure (spread over the predictions)."""

    per_prediction_usd: float = Field(0.0, ge=0)
    per_hour_usd: float = Field(0.0, ge=0)


class AlertDelivery(SpecModel):
    webhook: str | None = Field(None, description="URL that receives each new alert as JSON (POST)")
    log: str = Field(".steward/alerts.log", description="file that receives each new alert as a JSON line")
    cooldown: Duration = Field("1h", description="an alert that fires again within this time is not re-sent")

    _cooldown = field_validator("cooldown")(_check_duration)


class RollbackRule(SpecModel):
    """Roll back automatically when ``signal`` is ``max_regression`` (a share) worse than the live version's
    evaluation for ``sustained_runs`` monitor runs in a row."""

    signal: str = Field("roc_auc", description="a metric the evaluation recorded, e.g. roc_auc or accuracy")
    max_regression: float = Field(0.05, gt=0, lt=1, description="e.g. 0.05: 5% below the evaluation's value")
    sustained_runs: int = Field(2, ge=1)


class Retraining(SpecModel):
    triggers: list[Rule] = Field([], description="rules over a monitor run's signals that call for a retrain, "
                                                 "e.g. {signal: drift_share, max: 0.3}")
    rollback: RollbackRule | None = None


class MonitoringSpec(SpecModel):
    monitors: list[Monitor] = []
    cost: CostModel = Field(default_factory=CostModel)
    alerting: AlertDelivery = Field(default_factory=AlertDelivery)
    retraining: Retraining = Field(default_factory=Retraining)

    @field_validator("monitors")
    @classmethod
    def _unique(cls, items: list[Monitor]) -> list[Monitor]:
        return unique_names(items, "monitor")

    def monitor(self, name: str | None) -> Monitor:
        """The monitor called ``name`` (or the only one)."""
        if not self.monitors:
            raise InvalidInput("steward.yaml has no monitors: add one under monitoring.monitors, e.g.\n"
                               "monitoring:\n  monitors:\n    - {name: main, model: MODEL, reference: DATASET@1}")
        if name is None:
            if len(self.monitors) > 1:
                raise InvalidInput(f"steward.yaml has {len(self.monitors)} monitors: name one of "
                                   f"{', '.join(m.name for m in self.monitors)}")
            return self.monitors[0]
        for monitor in self.monitors:
            if monitor.name == name:
                return monitor
        raise NotFound(f"no monitor {name!r} in steward.yaml{did_you_mean(name, [m.name for m in self.monitors])}")


__all__ = ["BUDGET_MONITOR", "INCIDENT_SEVERITIES", "LLM_MONITOR", "RESERVED_MONITORS", "AlertDelivery", "AlertRule",
           "CostModel", "DriftSettings", "Monitor", "MonitoringSpec", "Retraining", "RollbackRule", "Rule", "Severity",
           "duration_ms"]
