"""`steward costs` on the quickstart's project: each run's cost from the CPU and wall time recorded (the CPU
measured against getrusage), serving per day against a groupby of the prediction log, budget alerts that
fire once, repeat without re-sending and resolve, and the cost-optimisation review with its evidence."""

from __future__ import annotations

import datetime as dt
import json
import resource
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from typer.testing import CliRunner

from mlsteward.cli.main import app as steward
from mlsteward.costs.budgets import usd
from mlsteward.lifecycle.evidence_lookup import latest_monitor_run
from mlsteward.lifecycle.prediction_logs import read_predictions
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.spec_monitoring import BUDGET_MONITOR
from mlsteward.store.schema import runs
from mlsteward.tracking.run import Run
from mlsteward.workspace import Workspace

runner = CliRunner()


@pytest.fixture
def project(quickstart_project: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "qs"
    shutil.copytree(quickstart_project[0], folder)
    monkeypatch.chdir(folder)
    return folder


def _json(*args: str) -> object:
    result = runner.invoke(steward, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _rows(folder: Path) -> list[sa.Row]:
    engine = sa.create_engine(f"sqlite:///{folder / '.steward' / 'steward.db'}")
    with engine.connect() as conn:
        rows = list(conn.execute(sa.select(runs.c.id, runs.c.parent_id, runs.c.start_time_ms, runs.c.end_time_ms,
                                           runs.c.cpu_seconds, runs.c.name)))
    engine.dispose()
    return rows


def test_a_runs_cpu_seconds_are_what_the_process_used(tmp_path: Path) -> None:
    workspace = Workspace(resolve_settings(start=tmp_path))
    record = workspace.store.runs.create(experiment="e", name="busy")
    before = resource.getrusage(resource.RUSAGE_SELF)
    run = Run(workspace, record)
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:  # burn 0.3 CPU seconds
        sum(range(1000))
    run.end()
    after = resource.getrusage(resource.RUSAGE_SELF)
    used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    cpu = workspace.store.runs.get(record.id).cpu_seconds
    assert 0.3 <= cpu <= used + 0.02
    assert cpu == pytest.approx(used, abs=0.05)


def test_each_runs_cost_and_the_months_training_total(project: Path) -> None:
    spec = load_spec(project / "steward.yaml")
    rates = spec.costs.training
    rows = {r.id: r for r in _rows(project)}
    shown = {c["run_id"]: c for c in _json("costs", "runs", "--all")}
    assert set(shown) == set(rows)
    for run_id, row in rows.items():
        wall = (row.end_time_ms - row.start_time_ms) / 1000
        expected = (row.cpu_seconds or 0) / 3600 * rates.cpu_hour_usd + wall / 3600 * rates.machine_hour_usd
        assert shown[run_id]["cost_usd"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    # the studies recorded after their work are dated from its start: their time and CPU are counted
    for name in ("feasibility", "train"):
        row = next(r for r in rows.values() if r.name == name)
        assert row.cpu_seconds > 0 and row.end_time_ms - row.start_time_ms > 0
    # a run inside its parent's time is in the parent's cost; the total adds the others
    inside = {r.id for r in rows.values() if r.parent_id in rows and rows[r.parent_id].start_time_ms
              <= r.start_time_ms <= rows[r.parent_id].end_time_ms}
    assert inside and {c["run_id"] for c in _json("costs", "runs")} == set(rows) - inside
    total = sum(shown[i]["cost_usd"] for i in set(rows) - inside)
    assert _json("costs")["training"]["spent_usd"] == pytest.approx(total)


def test_serving_per_day_equals_the_prediction_log(project: Path) -> None:
    workspace = Workspace(resolve_settings(start=project))
    cost = load_spec(project / "steward.yaml").monitoring.cost
    frame = read_predictions(workspace, "gss-income-model", with_feedback=False)
    frame["day"] = pd.to_datetime(frame["time_ms"], unit="ms", utc=True).dt.date.astype(str)
    expected = frame.groupby("day").size().to_dict()
    days = _json("costs", "daily")
    assert {d["day"]: d["predictions"] for d in days} == expected
    now = dt.datetime.now(dt.UTC)
    for d in days:
        hours = (now - now.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds() / 3600 \
            if d["day"] == now.date().isoformat() else 24.0
        assert d["infrastructure_hours"] == pytest.approx(hours, abs=0.05)
        assert d["cost_usd"] == pytest.approx(d["predictions"] * cost.per_prediction_usd + hours * cost.per_hour_usd,
                                              abs=0.05 * cost.per_hour_usd)


def _set_budget(folder: Path, monthly: float) -> None:
    path = folder / "steward.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["costs"]["budgets"] = [{"name": "experiments", "scope": "training", "monthly_usd": monthly,
                                 "alert_on_forecast": False}]
    path.write_text(yaml.safe_dump(spec, sort_keys=False))


def test_a_budget_alert_fires_once_repeats_quietly_and_resolves(project: Path) -> None:
    spent = _json("costs")["training"]["spent_usd"]
    assert spent > 0
    _set_budget(project, spent / 0.9)  # 90% spent: the 80% threshold is the highest crossed
    first = _json("costs", "check")
    assert first["alerts"] == [f"budget experiments (training): 90% spent, {usd(spent)} of {usd(spent / 0.9)} this "
                               "month (alert at 80%)"]
    alerts = [a for a in _json("monitor", "alerts") if a["monitor"] == BUDGET_MONITOR]
    assert [(a["signal"], a["threshold"], a["status"], a["count"]) for a in alerts] == [
        ("budget.experiments.share_spent", 0.8, "open", 1)]
    assert alerts[0]["observed"] == pytest.approx(0.9)
    log = project / ".steward" / "alerts.log"
    sent = [json.loads(line) for line in log.read_text().splitlines()]
    assert [a["signal"] for a in sent if a["monitor"] == BUDGET_MONITOR] == ["budget.experiments.share_spent"]

    _json("costs", "check")  # still firing: the same alert, counted, not sent again within the cooldown
    (again,) = [a for a in _json("monitor", "alerts") if a["monitor"] == BUDGET_MONITOR]
    assert (again["id"], again["count"]) == (alerts[0]["id"], 2)
    assert len(log.read_text().splitlines()) == len(sent)

    _set_budget(project, spent / 0.3)  # 30% spent: nothing crossed
    assert _json("costs", "check")["alerts"] == []
    (resolved,) = [a for a in _json("monitor", "alerts", "--status", "all") if a["monitor"] == BUDGET_MONITOR]
    assert resolved["status"] == "resolved"
    # a budget check is not the model's monitor run that the monitoring deliverables and the dashboard read
    workspace = Workspace(resolve_settings(start=project))
    newest = workspace.store.monitoring.runs(limit=1, with_result=False)[0]
    assert newest.monitor == BUDGET_MONITOR and latest_monitor_run(workspace, "gss-income").ref != newest.id


def test_the_cost_review_on_the_quickstart(project: Path) -> None:
    review = _json("costs", "review", "--min-saving", "0")
    workspace = Workspace(resolve_settings(start=project))
    every = workspace.store.runs.search(None, experiment="gss-income", limit=1000)
    trainings = [r for r in every if r.tags.get("kind") == "training"]
    assert {c["training_run"] for c in review["candidates"]} == {r.id for r in trainings}
    for c in review["candidates"]:
        (tune,) = [r for r in every if r.parent_id == c["training_run"] and r.tags.get("kind") == "tuning"
                   and r.tags["candidate"] == c["candidate"]]
        trials = sorted((r for r in every if r.parent_id == tune.id), key=lambda r: int(r.tags["trial_number"]))
        values = np.array([r.metrics["roc_auc"] if r.tags["trial_state"] == "COMPLETE" else np.nan for r in trials])
        assert c["trials"] == len(trials) == 4
        assert c["best_trial"] == int(np.nanargmax(values))  # roc_auc: higher is better; argmax takes the first
        tuning = [f for f in review["recommendations"] if f["area"] == "tuning" and f"{c['candidate']} (training "
                  f"{c['training_run'][:8]})" in f["finding"]]
        late = c["trials"] - c["best_trial"] - 1
        assert len(tuning) == (late >= 2)  # 4 trials: a finding when at least half came after the best
        if tuning:
            assert tuning[0]["saving_usd"] == pytest.approx(c["cost_usd"] * late / 4)
    run = workspace.store.runs.get(review["run_id"])
    assert (run.tags["kind"], run.status) == ("cost-review", "finished")
    assert run.metrics["recommendations"] == len(review["recommendations"])
    html = Path(review["report_path"]).read_text()
    assert "Cost-optimisation review: gss-income" in html and "Tuning: what each candidate cost" in html
    status = {d["key"]: d for d in _json("deliverables")["deliverables"]}
    assert status["cost_review"]["status"] == "present"
    assert status["cost_review"]["evidence"][0]["ref"] == f"{run.id}/cost-review.html"


def test_steward_train_keeps_to_the_quota_and_prints_its_cost(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    path = project / "steward.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["costs"]["quota"] = {"max_trials": 1}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    shown = runner.invoke(steward, ["train", "--train", "gss-train-joined@1", "--validation", "gss-validation-joined@1"])
    assert shown.exit_code == 0, shown.output
    workspace = Workspace(resolve_settings(start=project))
    (parent,) = workspace.store.runs.search("tags.kind = 'training'", experiment="gss-income", limit=1)
    tunes = [r for r in workspace.store.runs.search(None, experiment="gss-income", limit=1000)
             if r.parent_id == parent.id and r.tags.get("kind") == "tuning"]
    trials = [r for r in workspace.store.runs.search(None, experiment="gss-income", limit=1000)
              if r.parent_id in {t.id for t in tunes}]
    assert len(tunes) == 3 and len(trials) == 3
    rates = load_spec(path).costs.training
    cost = parent.cpu_seconds / 3600 * rates.cpu_hour_usd + parent.duration_s / 3600 * rates.machine_hour_usd
    assert f"cost: {cost:,.4f} USD for {parent.duration_s:.1f} s wall" in shown.output
