"""The LLM application in service on the bundled example: `steward llm serve`'s app on a real uvicorn server behind
API tokens, answering with provenance, tokens, cost and cache outcomes, every answer scored into the answer log;
the LLM monitor over that log (hallucination-rate drift checked against statsmodels, effectiveness decay against
scipy's regression, a token budget) recorded through the monitoring stage with its alerts; the evaluation as the
drift baseline; the cache's savings in `steward llm eval --cache`; and prompt aliases kept to promoters."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats
from statsmodels.stats.proportion import proportions_ztest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serving"))
from test_serving_app import LiveServer

from mlsteward.cli.main import app as steward
from mlsteward.datasets.docs import load_dataset_docs, qa_pairs
from mlsteward.lifecycle.llm_eval import evaluate_llm
from mlsteward.lifecycle.llm_monitor import monitor_llm
from mlsteward.lifecycle.llm_service import AnswerService
from mlsteward.serving.llm_app import create_llm_app
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.spec_monitoring import LLM_MONITOR, RESERVED_MONITORS
from mlsteward.store.llm import LoggedAnswer
from mlsteward.workspace import Workspace

runner = CliRunner()
TEMPLATE = "Answer from the documents only.\n{context}\nQuestion: {question}"
DAY = 86_400_000
PRICES = {"small": {"input_per_1k_tokens_usd": 0.5, "output_per_1k_tokens_usd": 1.5}}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("llm-service")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_USER", "tester")
        patch.chdir(folder)
        assert runner.invoke(steward, ["init", ".", "--name", "qa"]).exit_code == 0
        spec = yaml.safe_load((folder / "steward.yaml").read_text())
        spec["llm"] = {"app": "mlsteward.llm.example_app:example_application", "prompt": "dataset-qa",
                       "model": "small", "prices": PRICES, "cache": {"enabled": True},
                       "budget": {"monthly_tokens": 4000, "alert_at": [0.5, 1.0]}}
        (folder / "steward.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
        (folder / "prompt.yaml").write_text(yaml.safe_dump({"name": "dataset-qa", "template": TEMPLATE}))
        assert runner.invoke(steward, ["llm", "prompts", "register", "prompt.yaml"]).exit_code == 0
        workspace = Workspace(resolve_settings(start=folder))
        workspace.store  # noqa: B018 - opened as tester
    return {"folder": folder, "workspace": workspace, "spec": load_spec(folder / "steward.yaml")}


def test_the_service_answers_over_http_and_logs_every_answer(project: dict) -> None:
    workspace, spec = project["workspace"], project["spec"]
    secret, _ = workspace.store.tokens.create("dana.whitfield@example.com")
    pairs = qa_pairs(load_dataset_docs(), 4)
    questions = [p.question for p in pairs]
    service = AnswerService(workspace, spec, flush_seconds=0.05)
    with LiveServer(create_llm_app(service)) as url:
        assert httpx.post(f"{url}/v1/llm/answer", json={"question": questions[0]}).status_code == 401
        auth = {"Authorization": f"Bearer {secret}"}
        bad = httpx.post(f"{url}/v1/llm/answer", json={"question": ""}, headers=auth)
        assert bad.status_code == 422 and bad.json()["error"] == "invalid_input" and "Traceback" not in bad.text
        answers = [httpx.post(f"{url}/v1/llm/answer", json={"question": q}, headers=auth, timeout=60).json()
                   for q in [*questions, questions[0]]]
        assert httpx.get(f"{url}/readyz").json()["status"] == "ready"
    first, repeat = answers[0], answers[-1]
    assert first["prompt"] == "dataset-qa@1" and first["cache"] is None and first["tokens_counted"]
    assert pairs[0].doc_id in [d["id"] for d in first["documents"]]  # its page retrieved
    assert all(d["updated"] for d in first["documents"])  # provenance: when each document changed
    assert first["cost_usd"] == pytest.approx(first["tokens_in"] / 1000 * 0.5 + first["tokens_out"] / 1000 * 1.5)
    assert (repeat["cache"], repeat["answer"], repeat["cost_usd"]) == ("exact", first["answer"], 0.0)
    assert repeat["saved_usd"] == pytest.approx(first["cost_usd"])

    logged = workspace.store.llm.answers(spec.project)  # the server's shutdown wrote what was queued
    assert len(logged) == 5
    by_question = {a.question: a for a in logged}  # newest first: the first answer to each question stays
    assert by_question[questions[0]].tokens_in == first["tokens_in"]
    assert [a.cache for a in logged].count("exact") == 1
    assert all(a.grounded == 1.0 and not a.hallucinated for a in logged if not a.refused)  # the grounded example
    shown = json.loads(_cli(project, "llm", "answers", "--json").output)
    assert [a["id"] for a in shown] == [a.id for a in logged]
    cache = json.loads(_cli(project, "llm", "cache", "--json").output)
    assert (cache["entries"], cache["hits"], cache["month_cached"], cache["month_answers"]) == (4, 1, 1, 5)
    assert cache["month_saved_usd"] == pytest.approx(first["cost_usd"])


def _synthetic(project: str, start: int, days: int, per_day: int, hallucination: list[float],
               irrelevant: list[float], seed: int) -> list[LoggedAnswer]:
    """Answers spread over ``days`` days from ``start``, day d hallucinating at hallucination[d]."""
    rng = np.random.default_rng(seed)
    out = []
    for day in range(days):
        for i in range(per_day):
            refused = bool(rng.random() < 0.05)
            out.append(LoggedAnswer(
                project=project, time_ms=start + day * DAY + i * (DAY // per_day), app="app", prompt="syn@1",
                model="small", question=f"q{day}-{i}", answer="a", documents=[], tokens_in=100, tokens_out=20,
                cost_usd=0.001, latency_ms=5.0, refused=refused, guardrail_ms=float(i % 7 + 1),
                guardrails=["redacted: email"] if i % 10 == 0 else [], grounded=None if refused else 1.0,
                hallucinated=not refused and bool(rng.random() < hallucination[day]),
                relevance=float(rng.random() * 0.3 if rng.random() < irrelevant[day] else 0.6 + rng.random() * 0.4)))
    return out


def test_the_monitor_finds_drift_and_decay_and_alerts_through_the_monitoring_stage(project: dict) -> None:
    workspace = project["workspace"]
    spec = project["spec"].model_copy(update={"project": "syn"})
    end = (int(time.time() * 1000) // DAY) * DAY
    before = _synthetic("syn", end - 14 * DAY, 7, 60, [0.04] * 7, [0.05] * 7, seed=1)
    window = _synthetic("syn", end - 7 * DAY, 7, 60, [0.05, 0.08, 0.1, 0.12, 0.15, 0.18, 0.2],
                        [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35], seed=2)
    canary = [a.model_copy(update={"prompt": "syn@2", "hallucinated": False, "question": "c" + a.question})
              for a in _synthetic("syn", end - 2 * DAY, 2, 15, [0.0] * 2, [0.0] * 2, seed=4)]
    workspace.store.llm.log_answers(before + window + canary)
    outcome = monitor_llm(workspace, spec, end_ms=end, spec_dir=project["folder"])
    result = outcome.result
    assert result.prompt == "syn@1" and "drift and decay read the 420 answers of syn@1, of 450" in result.notes[0]

    old = pd.DataFrame([a.model_dump() for a in before])
    new = pd.DataFrame([a.model_dump() for a in window])
    old, answered = old[~old.refused], new[~new.refused]
    z, p = proportions_ztest([answered.hallucinated.sum(), old.hallucinated.sum()], [len(answered), len(old)],
                             alternative="larger")
    assert result.baseline.source == "the previous window"
    assert result.signals["hallucination_drift_p_value"] == pytest.approx(p, rel=1e-9)
    assert result.drift.z == pytest.approx(z, rel=1e-9) and result.signals["hallucination_drifted"] == 1.0
    everything = pd.DataFrame([a.model_dump() for a in window + canary])
    assert result.signals["hallucination_rate"] == pytest.approx(everything[~everything.refused].hallucinated.mean())

    new["day"] = (new.time_ms - (end - 7 * DAY)) // DAY
    new["effective"] = ~new.refused & ~new.hallucinated & (new.relevance >= 0.5)
    daily = new.groupby("day").effective.mean()
    fit = stats.linregress(daily.index, daily.to_numpy(), alternative="less")
    assert result.signals["effectiveness_slope"] == pytest.approx(fit.slope, rel=1e-9)
    assert result.signals["effectiveness_decay_p_value"] == pytest.approx(fit.pvalue, rel=1e-6)
    assert result.signals["effectiveness_decaying"] == 1.0
    assert result.signals["tokens_in"] == 100 * len(everything)
    assert result.signals["guardrail_interventions"] == pytest.approx(everything.guardrails.map(bool).mean())
    assert result.signals["guardrail_latency_p95_ms"] == pytest.approx(np.percentile(everything.guardrail_ms, 95))
    assert result.signals["oldest_document_age_days"] is None  # no dated document

    fired = {a.signal for a in outcome.alerts}
    assert {"hallucination_rate", "hallucination_drifted", "effectiveness_decaying"} <= fired
    runs = workspace.store.monitoring.runs(project="syn")
    assert [r.monitor for r in runs] == [LLM_MONITOR] and runs[0].model == "syn@1"
    assert workspace.store.monitoring.runs(project="syn", exclude_monitor=RESERVED_MONITORS) == []
    again = monitor_llm(workspace, spec, end_ms=end, spec_dir=project["folder"])
    assert {a.signal: a.count for a in again.alerts}["hallucination_drifted"] == 2  # one episode, seen twice
    assert (project["folder"] / spec.monitoring.alerting.log).is_file()  # delivered to the alert log

    steady = _synthetic("calm", end - 14 * DAY, 14, 40, [0.03] * 14, [0.05] * 14, seed=3)
    workspace.store.llm.log_answers(steady)
    calm = monitor_llm(workspace, spec.model_copy(update={"project": "calm"}), end_ms=end)
    assert calm.result.signals["hallucination_drifted"] == 0.0 and calm.result.signals["effectiveness_decaying"] == 0
    assert {a.signal for a in calm.alerts} <= {"token_budget_share"}
    still = {a.signal for a in workspace.store.monitoring.alerts(status="open", monitor=LLM_MONITOR)
             if a.project == "syn"}
    assert "hallucination_drifted" in still  # another project's calm run resolves none of syn's alerts


def test_the_evaluation_is_the_baseline_and_the_token_budget_alerts(project: dict) -> None:
    workspace, spec = project["workspace"], project["spec"]
    evaluation = evaluate_llm(workspace, spec, limit=6)
    with AnswerService(workspace, spec, cache=False, flush_seconds=0.05) as service:
        for pair in qa_pairs(load_dataset_docs(), 8)[6:]:
            service.ask(pair.question)
    outcome = monitor_llm(workspace, spec, spec_dir=project["folder"])
    result = outcome.result
    assert result.baseline.source == f"evaluation {evaluation.run_id} of dataset-qa@1"
    cases, refusals = evaluation.metrics["cases"], evaluation.metrics["refusal_rate"]
    assert result.baseline.answered == round(cases * (1 - refusals))
    at = dt.datetime.fromtimestamp(result.window_end_ms / 1000, dt.UTC)
    logged = workspace.store.llm.answers("qa")
    oldest = min(dt.datetime.fromisoformat(d["updated"]).replace(tzinfo=dt.UTC) for a in logged for d in a.documents)
    assert result.signals["oldest_document_age_days"] == pytest.approx((at - oldest).total_seconds() / 86_400)
    month = workspace.store.llm.usage("qa", since_ms=0)
    assert result.signals["month_tokens"] == month.tokens_in + month.tokens_out
    share = result.signals["token_budget_share"]
    assert share == pytest.approx((month.tokens_in + month.tokens_out) / 4000)
    crossed = max(s for s in (0.5, 1.0) if share >= s)
    (budget,) = [a for a in outcome.alerts if a.signal == "token_budget_share"]
    assert budget.threshold == crossed and f"alert at {crossed:.0%}" in budget.message
    listed = json.loads(_cli(project, "monitor", "alerts", "--json").output)
    assert any(a["signal"] == "token_budget_share" for a in listed)


def test_the_llm_page_shows_the_service(project: dict) -> None:
    from starlette.testclient import TestClient

    from mlsteward.serving.app import create_app

    workspace = project["workspace"]
    newest = workspace.store.monitoring.runs(project="qa", monitor=LLM_MONITOR, limit=1)[0]
    month = workspace.store.llm.usage("qa", since_ms=0)
    with TestClient(create_app(workspace, require_token=True, dashboard_open=True)) as client:
        text = client.get("/ui/llm").text
    assert 'id="llm-monitor"' in text and f"({newest.model})" in text
    assert f"This month: {month.answers} answers, {month.tokens_in + month.tokens_out} tokens" in text
    assert "the month&#39;s LLM tokens reached" in text  # the open budget alert


def test_an_evaluation_through_the_cache_reports_its_savings(project: dict) -> None:
    first = json.loads(_cli(project, "llm", "eval", "--limit", "4", "--cache", "--json").output)
    second = json.loads(_cli(project, "llm", "eval", "--limit", "4", "--cache", "--json").output)
    assert second["metrics"]["cache_hit_rate"] == 1.0 and second["metrics"]["cost_usd"] == 0.0
    fresh = first["metrics"]["cost_usd"] * (1 - first["metrics"]["cache_hit_rate"])
    assert second["metrics"]["cache_saved_usd"] >= fresh > 0
    assert first["metrics"]["cost_per_1k_tokens_usd"] == pytest.approx(
        first["metrics"]["cost_usd"] / (first["metrics"]["tokens_in"] + first["metrics"]["tokens_out"]) * 1000)


def test_prompt_aliases_move_only_for_promoters(project: dict) -> None:
    refused = _cli(project, "llm", "prompts", "promote", "dataset-qa@1", "-r", "ship it")
    assert refused.exit_code != 0 and "'tester' may not promote the prompt dataset-qa@1" in refused.output
    rolled = _cli(project, "llm", "prompts", "rollback", "dataset-qa", "-r", "back")
    assert rolled.exit_code != 0 and "may not roll back dataset-qa@production" in rolled.output


def test_a_user_monitor_may_not_take_the_llm_monitors_name(project: dict) -> None:
    from pydantic import ValidationError

    from mlsteward.spec_monitoring import Monitor

    with pytest.raises(ValidationError, match="`steward llm monitor` records its runs"):
        Monitor(name="llm", model="m")


def _cli(project: dict, *args: str):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project["folder"])
        return runner.invoke(steward, list(args))
