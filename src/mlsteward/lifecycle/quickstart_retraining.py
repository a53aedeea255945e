"""The quickstart's loop back from monitoring: the drift trigger the monitor run fired starts a retrain
(``mlsteward.lifecycle.retraining``) on a newer time split of the same survey data, so the challenger learns
from later waves than the champion did. The challenger is registered, compared with the champion on the
monitor window's logged traffic (the champion–challenger report), deployed as the endpoint's shadow, and some
of the traffic is sent again so the shadow scores live requests (logged with arm ``shadow``, answering none).

The challenger is not promoted: the promotion gate needs the charter's sign-offs, and the report says what
the gate would decide; a person does the rest (``steward models promote``).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from pydantic import BaseModel

from mlsteward.data.splits import SplitConfig
from mlsteward.lifecycle.feature_store import training_set
from mlsteward.lifecycle.prediction_logs import read_predictions
from mlsteward.lifecycle.quickstart_monitoring import engineer_of, newest_traffic, serve_requests
from mlsteward.lifecycle.retraining import RetrainOutcome, retrain
from mlsteward.lifecycle.signoffs import acting_as
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

# train on the waves up to 2010 (the champion: up to 2004), tune on 2012, test on 2014-2018: the monitor's
# traffic (2016 and 2018) stays out of everything the challenger learns or is tuned on
NEWER_SPLIT = SplitConfig(strategy="time", time_column="year", fractions=(0.85, 0.05, 0.1))
SHADOWED = 300  # requests sent again once the challenger shadows the champion
SHOWN_METRICS = ("roc_auc", "accuracy", "recall", "brier_score")  # of the comparison's metrics, the ones shown


class Retraining(BaseModel):
    challenger: str
    report: str
    lines: list[str]  # what happened, in order


def join_occupation(workspace: Workspace, spec: Spec, parts: dict[str, str]) -> dict[str, str]:
    """Each split part joined point in time with the occupation view, as ``gss-<part>-joined`` (a new version
    of it for each split)."""
    return {part: training_set(workspace, spec, ref, ["occupation"], timestamp="interviewed_at",
                               name=f"gss-{part}-joined")[0].ref for part, ref in parts.items()}


def retrain_and_shadow(workspace: Workspace, spec: Spec, dataset: str, model: str, traffic: str,
                       step: Callable[[str], None]) -> Retraining:
    """Retrain ``model`` (NAME@VERSION, the champion) on a newer split of ``dataset``, shadow the challenger on
    requests made of ``traffic``'s newest waves; the summary lines (module docstring)."""
    step("5 retraining (the drift trigger fired): a newer time split; the challenger trained, evaluated, registered "
         "and compared with the champion on the logged traffic (the champion–challenger report)")
    split = split_and_register(workspace, dataset, NEWER_SPLIT)
    joined = join_occupation(workspace, spec, split.parts)
    name = model.split("@")[0]
    with acting_as(workspace.store, engineer_of(spec)):  # not promoted (module docstring)
        outcome = retrain(workspace, spec, name, train=joined["train"], validation=joined["validation"],
                          test=joined["test"], shadow=True, promote_if_passed=False)
    step(f"7 shadow: {outcome.challenger} deployed as the endpoint's shadow, scoring live requests beside the champion")
    served = serve_requests(workspace, spec, name, newest_traffic(workspace, spec, traffic).head(SHADOWED))
    logged = read_predictions(workspace, name, with_feedback=False)
    logged = logged[logged["request_id"].isin(served.request_ids)]
    ranges = ", ".join(f"{part} {p.time_min}" + (f"-{p.time_max}" if p.time_max != p.time_min else "")
                       for part, p in split.summary.parts.items())
    newer = f"a newer time split of {dataset} ({ranges}), joined with the occupation view: {', '.join(joined.values())}"
    return Retraining(challenger=outcome.challenger, report=outcome.report_path, lines=[
        newer,
        _challenger_line(workspace, outcome, joined),
        *_comparison_lines(outcome),
        *outcome.notes,
        _shadow_line(outcome, logged, served.labelled),
        f"the champion–challenger report: {outcome.report_path} (run {outcome.run_id[:8]}, tagged kind=retrain)",
    ])


def _challenger_line(workspace: Workspace, outcome: RetrainOutcome, joined: dict[str, str]) -> str:
    store = workspace.store
    challenger = store.models.resolve(outcome.challenger)
    training = store.runs.get(outcome.training_run)
    evaluation = store.evaluations.list(model_run_id=challenger.run_id)[0]
    return (f"challenger {challenger.ref} ({challenger.status}) trained on {joined['train']} (run "
            f"{outcome.training_run[:8]}, best {training.tags.get('best_candidate', '?')}); on {evaluation.dataset}: "
            f"{evaluation.metric} {evaluation.value:.3f}, promotion gate {evaluation.gate} (evaluation "
            f"{evaluation.id[:8]})")


def _comparison_lines(outcome: RetrainOutcome) -> list[str]:
    c = outcome.comparison
    if c is None:
        return []
    line = (f"champion {c.champion} vs challenger {c.challenger} on the {c.rows:,} logged requests of the monitor "
            f"window: the same answer on {c.agreement:.1%}")
    if c.champion_metrics and c.challenger_metrics:
        before, after = c.champion_metrics.values, c.challenger_metrics.values
        shown = [m for m in SHOWN_METRICS if m in c.differences] or sorted(c.differences)[:3]
        line += f"; on the {c.labelled_rows:,} labelled: " + ", ".join(
            f"{m} {before[m].value:.3f} → {after[m].value:.3f} ({c.differences[m]:+.3f})" for m in shown)
    gate = outcome.gate
    blocking = "; ".join(f"{check.check}" for check in gate.blocking)
    verdict = (f"promotion gate for {c.challenger}: {gate.decision}" + (f" (to settle: {blocking})" if blocking else "")
               + ("; promoted" if outcome.promoted else "; not promoted: the people the gate names decide "
                  f"(`steward models promote {c.challenger.replace('@', ' ')}`)"))
    return [line, *c.notes, verdict]


def _shadow_line(outcome: RetrainOutcome, logged: pd.DataFrame, labelled: int) -> str:
    arms = {arm: rows.set_index("request_id")["prediction"] for arm, rows in logged.groupby("arm")}
    live, shadow = arms.get("live", pd.Series(dtype=object)), arms.get("shadow", pd.Series(dtype=object))
    both = live.index.intersection(shadow.index)
    same = float((live[both] == shadow[both]).mean()) if len(both) else float("nan")
    return (f"{len(live):,} requests sent again: {outcome.champion} answered each, {outcome.challenger} scored "
            f"{len(shadow):,} in shadow (logged with arm shadow, answered none; the same answer on {same:.1%}); "
            f"{labelled:,} labels sent back")


__all__ = ["NEWER_SPLIT", "Retraining", "join_occupation", "retrain_and_shadow"]
