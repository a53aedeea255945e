"""The typed results of the feasibility study (stage 2: is there enough signal to justify the investment?).

The computations are in ``mlsteward.train.feasibility_core``; each returns one of these models.
``FeasibilityResult`` is the container the feasibility workflow fills: the sample studied, the
baselines and prototypes with their metric, the learning curve, the labeling cost, the compute
viability, the error taxonomy, and the go / no-go decision with its reasons and gate checks. It
serialises to JSON for the store and is what ``mlsteward.report`` renders.

Numbers follow scikit-learn's convention: a metric named ``*_score`` (or a scorer string such as
``roc_auc`` or ``neg_log_loss``) is higher-is-better; ``greater_is_better`` says which way a metric
points wherever it matters.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A class label as it appears in y: kept as its own JSON type (0/1 stay numbers, "yes" stays text).
Label = bool | int | float | str


class _Result(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- checks (budgets and gate checks share one shape) --------------------------------------------


class FeasibilityCheck(_Result):
    """One check: what was required, what was observed, and whether it passed."""

    check: str = Field(description="what is checked, e.g. 'roc_auc' or 'p95_latency_ms'")
    required: str = Field(description="the requirement in words, e.g. '>= 0.70'")
    observed: float | str | None = Field(description="the observed value (None: not measured)")
    passed: bool | None = Field(description="None: could not be evaluated (the reason is in note)")
    note: str = ""


# --- the sample -----------------------------------------------------------------------------------


class ClassShare(_Result):
    label: Label
    count: int
    share: float


class SampleSummary(_Result):
    """The rows the study ran on, and what their target looks like."""

    rows: int
    columns: int | None = None
    target: str | None = Field(None, description="the target column's name, if known")
    task: Literal["binary", "multiclass", "regression"]
    positive_label: Label | None = Field(None, description="binary task: the class counted as positive")
    positive_rate: float | None = Field(None, description="binary task: share of rows of the positive class")
    classes: list[ClassShare] = Field(default_factory=list, description="classification: rows per class")
    target_summary: dict[str, float] = Field(
        default_factory=dict, description="regression: mean, std, min, median, max of the target")
    notes: list[str] = Field(default_factory=list)


# --- baselines and prototypes --------------------------------------------------------------------


class Efficiency(_Result):
    """What a model costs to train and to run, as measured by the caller (None: not measured).

    The names are those of ``mlsteward.train.efficiency.EfficiencyProfile``."""

    train_seconds: float | None = Field(None, ge=0)
    latency_p50_ms: float | None = Field(None, ge=0, description="median single-row prediction latency")
    latency_p99_ms: float | None = Field(None, ge=0, description="99th percentile single-row latency")
    batch_rows_per_second: float | None = Field(None, gt=0, description="batch prediction throughput")
    peak_memory_mb: float | None = Field(None, ge=0, description="peak memory allocated during the fit")
    model_size_bytes: int | None = Field(None, ge=0, description="size of the serialised model")
    cpu_ms_per_prediction: float | None = Field(None, ge=0, description="CPU time of one single-row prediction")


class PrototypeResult(_Result):
    """A prototype model's cross-validated metric and its efficiency numbers."""

    metric_value: float
    metric_std: float | None = Field(None, description="standard deviation over the folds")
    efficiency: Efficiency | None = None
    notes: list[str] = Field(default_factory=list)


# --- the learning curve ---------------------------------------------------------------------------


class LearningCurvePoint(_Result):
    """Scores at one training-set size, over the cross-validation folds."""

    share: float = Field(description="the requested share of the training rows of a fold")
    train_rows: int = Field(description="rows the model was trained on at this size")
    train_mean: float
    train_std: float
    validation_mean: float
    validation_std: float
    train_scores: list[float | None] = Field(description="per fold; None where the fit failed")
    validation_scores: list[float | None] = Field(description="per fold; None where the fit failed")
    fit_seconds: float | None = Field(None, description="mean time to fit the model at this size")


class PowerLawFit(_Result):
    """The inverse power law fitted to validation scores against training rows ``n``.

    Higher-is-better metrics: ``score(n) = a - b * n**-c``; lower-is-better metrics (the mirror):
    ``score(n) = a + b * n**-c``. ``b >= 0`` and ``c > 0``, so the curve approaches the asymptote
    ``a`` as the rows grow, from below (or from above when lower is better).
    """

    a: float
    b: float
    c: float
    greater_is_better: bool = True
    rmse: float = Field(description="root mean squared residual of the fit, in metric units")
    rows_min: int = Field(description="the smallest training size fitted")
    rows_max: int = Field(description="the largest training size fitted")
    asymptote_at_bound: bool = Field(
        False, description="the asymptote sits on the limit of the fit (the metric's best value, or ten times "
                           "the spread of the scores beyond the best): extrapolation is least reliable")

    @property
    def asymptote(self) -> float:
        """The score the curve approaches with unlimited rows."""
        return self.a

    @property
    def formula(self) -> str:
        sign = "−" if self.greater_is_better else "+"
        return f"score(n) = {self.a:.4g} {sign} {self.b:.4g} · n^(−{self.c:.4g})"

    def predict(self, rows: float) -> float:
        """The fitted score at ``rows`` training rows."""
        term = self.b * float(rows) ** -self.c
        return self.a - term if self.greater_is_better else self.a + term

    def rows_exact(self, target: float) -> float | None:
        """The training rows at which the fitted curve reaches ``target`` (a real number), or None
        when the asymptote does not reach it."""
        gap = (self.a - target) if self.greater_is_better else (target - self.a)
        if gap <= 0 or self.b <= 0:
            return 0.0 if self.b <= 0 and gap >= 0 else None
        try:
            return (self.b / gap) ** (1.0 / self.c)
        except OverflowError:
            return math.inf

    def rows_to_reach(self, target: float) -> int | None:
        """Whole training rows needed for ``target`` (rounded up); None when the asymptote does not
        reach it or the answer is beyond 10**15 rows."""
        exact = self.rows_exact(target)
        if exact is None or not math.isfinite(exact) or exact > 1e15:
            return None
        return max(1, math.ceil(exact - 1e-9 * exact))


class LearningCurve(_Result):
    """Validation and training scores as the training set grows, the power law fitted to them, and
    what they say about collecting more data."""

    metric: str
    greater_is_better: bool
    task: Literal["classification", "regression"]
    cv: str = Field(description="the cross-validation splitter used")
    folds: int
    seed: int
    rows: int = Field(description="rows given to the study (training plus validation folds)")
    points: list[LearningCurvePoint]
    fit: PowerLawFit | None = None
    fit_note: str | None = Field(None, description="why no power law was fitted, when none was")
    target: float | None = None
    rows_needed: int | None = Field(
        None, description="training rows the fitted curve needs to reach the target (None: not reachable "
                          "or not estimable; see verdict)")
    target_met: bool | None = Field(None, description="the target is met at the largest size studied")
    trend: Literal["rising", "flat"]
    gain_per_doubling: float | None = Field(
        None, description="improvement of the validation score when the rows double, at the largest size")
    flat_since_share: float | None = Field(None, description="share of the rows from which the curve is flat")
    tolerance: float = Field(description="a gain per doubling at or below this is called flat")
    verdict: str
    notes: list[str] = Field(default_factory=list)


# --- labeling cost --------------------------------------------------------------------------------


class LabelingCost(_Result):
    rows_needed: int | None
    rows_labelled: int
    rows_to_label: int | None = Field(description="rows still to label (0 when enough are labelled)")
    cost_per_row_usd: float | None
    estimated_cost_usd: float | None
    summary: str
    notes: list[str] = Field(default_factory=list)


# --- compute viability ----------------------------------------------------------------------------


class ComputeViability(_Result):
    """The measured efficiency of a model against the charter's budgets."""

    measured: Efficiency
    cost_per_cpu_second_usd: float = Field(description="the price of a CPU-second the cost was estimated with")
    estimated_cost_per_prediction_usd: float | None = None
    checks: list[FeasibilityCheck]
    notes: list[str] = Field(default_factory=list)

    @property
    def passed(self) -> bool | None:
        """False when a budget failed; True when at least one was checked and all passed; else None."""
        results = [c.passed for c in self.checks if c.passed is not None]
        if False in results:
            return False
        return True if results else None


# --- error taxonomy -------------------------------------------------------------------------------


class ConfusionMatrix(_Result):
    labels: list[Label]
    counts: list[list[int]] = Field(description="counts[i][j]: rows of true class i predicted as class j")


class Confusion(_Result):
    true_label: Label
    predicted_label: Label
    count: int
    share_of_errors: float
    share_of_class: float = Field(description="share of the true class's rows predicted as this class")


class SegmentCondition(_Result):
    """One column's part of a segment rule, in words (``text``) and as data.

    Numbers (and times, as ISO text): ``above < value <= at_most``. Categories: the value is in
    ``values`` (or, with ``negated``, not in them). ``missing``: whether a missing value satisfies
    the condition.
    """

    column: str
    text: str
    above: float | str | None = None
    at_most: float | str | None = None
    values: list[Label] = Field(default_factory=list)
    negated: bool = False
    missing: bool = False


class ErrorSegment(_Result):
    """A group of rows, described by a rule, where the model errs notably more often than overall."""

    rule: str
    conditions: list[SegmentCondition]
    rows: int
    errors: int
    error_rate: float
    lift: float = Field(description="error rate relative to the overall error rate")
    excess_errors: float = Field(description="errors above what the overall error rate predicts for these rows")
    mean_absolute_error: float | None = Field(None, description="regression: mean absolute error in the segment")


class ErrorTaxonomy(_Result):
    task: Literal["classification", "regression"]
    rows: int
    errors: int
    error_rate: float
    error_definition: str
    confusion_matrix: ConfusionMatrix | None = None
    top_confusions: list[Confusion] = Field(default_factory=list)
    segments: list[ErrorSegment] = Field(default_factory=list)
    max_depth: int
    min_rows: int
    min_lift: float
    columns_used: list[str] = Field(default_factory=list)
    columns_skipped: dict[str, str] = Field(default_factory=dict, description="column -> why it was not used")
    notes: list[str] = Field(default_factory=list)


# --- the study ------------------------------------------------------------------------------------


class FeasibilityResult(_Result):
    """Everything the feasibility study found, and the decision taken on it."""

    metric: str = Field(description="the metric baselines and prototypes are compared on")
    greater_is_better: bool = True
    sample: SampleSummary
    baselines: dict[str, float] = Field(default_factory=dict, description="baseline name -> metric value")
    prototypes: dict[str, PrototypeResult] = Field(default_factory=dict)
    learning_curve: LearningCurve | None = None
    labeling_cost: LabelingCost | None = None
    compute_viability: ComputeViability | None = None
    error_taxonomy: ErrorTaxonomy | None = None
    decision: Literal["go", "no-go"]
    reasons: list[str] = Field(default_factory=list)
    gate_checks: list[FeasibilityCheck] = Field(default_factory=list)
    elapsed_seconds: float | None = Field(None, ge=0, description="how long the study took")
    notes: list[str] = Field(default_factory=list)

    def _best(self, values: dict[str, float]) -> tuple[str, float] | None:
        finite = {k: v for k, v in values.items() if math.isfinite(v)}
        if not finite:
            return None
        pick = max if self.greater_is_better else min
        name = pick(finite, key=finite.__getitem__)
        return name, finite[name]

    @property
    def best_baseline(self) -> tuple[str, float] | None:
        return self._best(self.baselines)

    @property
    def best_prototype(self) -> tuple[str, float] | None:
        return self._best({k: p.metric_value for k, p in self.prototypes.items()})

    @property
    def uplift(self) -> float | None:
        """Best prototype minus best baseline, positive when the prototype is better."""
        base, proto = self.best_baseline, self.best_prototype
        if base is None or proto is None:
            return None
        return proto[1] - base[1] if self.greater_is_better else base[1] - proto[1]
