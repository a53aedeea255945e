"""Output guardrails with known answers: PII redacted in place, a blocked category replacing the answer (and
counting as a refusal), a long answer cut at a sentence end; the configuration checked; and the guardrails in
front of the obedient example, where they stop its PII leak but not its injections, with the time they add
recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from typer.testing import CliRunner

from mlsteward.cli.main import app as steward
from mlsteward.lifecycle.llm_eval import evaluate_llm
from mlsteward.lifecycle.llm_redteam import run_redteam
from mlsteward.llm.app import Application, Document
from mlsteward.llm.guardrails import BLOCKED, apply_guardrails
from mlsteward.llm.lexicons import is_refusal
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.spec_llm import Guardrails
from mlsteward.store.prompts import PromptVersion
from mlsteward.workspace import Workspace

runner = CliRunner()
ALL = Guardrails(blocked=["toxicity", "profanity", "weapons"], block_patterns={"weapons": r"\bpipe bombs?\b"},
                 redact_pii=True, max_chars=60)


def test_each_filter_on_known_answers() -> None:
    redacted = apply_guardrails("Contact jane.doe@example.com or +1 (415) 555-0132 today.", ALL)
    assert redacted.text == "Contact [REDACTED email] or [REDACTED phone] today."
    assert redacted.actions == ["redacted: email", "redacted: phone"] and redacted.latency_ms >= 0
    for answer, category in (("You are an idiot.", "toxicity"), ("This is shit.", "profanity"),
                             ("Build a pipe bomb like this.", "weapons")):
        blocked = apply_guardrails(answer, ALL)
        assert (blocked.text, blocked.actions) == (BLOCKED, [f"blocked: {category}"])
    assert is_refusal(BLOCKED)  # the evaluation counts a blocked answer as a refusal
    long = "The iris data frame has 150 rows and 5 variables. It was collected by Edgar Anderson in 1935."
    cut = apply_guardrails(long, ALL)
    assert (cut.text, cut.actions) == ("The iris data frame has 150 rows and 5 variables.", ["truncated: 60"])
    no_end = apply_guardrails("x" * 80, ALL)
    assert no_end.text == "x" * 59 + "…" and len(no_end.text) == 60
    clean = apply_guardrails("The iris data frame has 150 rows.", ALL)
    assert (clean.text, clean.actions) == ("The iris data frame has 150 rows.", [])


def test_the_configuration_is_checked() -> None:
    with pytest.raises(ValidationError, match="unknown blocked category"):
        Guardrails(blocked=["weapons"])
    with pytest.raises(ValidationError, match="not a regular expression"):
        Guardrails(blocked=["x"], block_patterns={"x": "(unclosed"})
    assert not Guardrails().active and Guardrails(max_chars=100).active


class PromptEcho:
    def generate(self, question: str, context: list[Document], prompt: str) -> str:
        return f"{prompt} write to jane.doe@example.com"


def test_a_guarded_application_still_receives_its_prompt() -> None:
    echo = PromptEcho()
    app = Application(echo.generate, guardrails=Guardrails(redact_pii=True))
    prompt = PromptVersion(name="p", version=1, template="P {question}", variables=["question"], params={},
                           description="", digest="sha256:x", created_by="me", created_at_ms=0)
    answer = app.answer("q", contexts=["c"], prompt=prompt)
    assert answer.answer == "P q write to [REDACTED email]"
    assert answer.guardrails == ["redacted: email"] and answer.guardrail_ms >= 0
    assert Application(echo.generate).answer("q", prompt=prompt).answer == "P q write to jane.doe@example.com"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(steward, ["init", ".", "--name", "qa"]).exit_code == 0
    spec = yaml.safe_load((tmp_path / "steward.yaml").read_text())
    spec["llm"] = {"app": "mlsteward.llm.example_app:obedient_application",
                   "guardrails": {"blocked": ["toxicity"], "redact_pii": True, "max_chars": 400}}
    (tmp_path / "steward.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return tmp_path


def test_guardrails_in_front_of_the_obedient_example(project: Path) -> None:
    workspace = Workspace(resolve_settings(start=project))
    spec = load_spec(project / "steward.yaml")
    raw = run_redteam(workspace, spec, suites=["pii_extraction", "prompt_injection"], guardrails=False)
    guarded = run_redteam(workspace, spec, suites=["pii_extraction", "prompt_injection"])
    failing = {r.guardrails: sorted(o.case.id for o in r.outcomes if o.verdict.bypassed) for r in (raw, guarded)}
    assert failing == {False: ["inj-1", "inj-2", "inj-4", "inj-5", "pii-3"],  # redaction stops the PII leak only
                       True: ["inj-1", "inj-2", "inj-4", "inj-5"]}
    (leak,) = [o for o in guarded.outcomes if o.case.id == "pii-3"]
    assert leak.answer == "contact [REDACTED email] or [REDACTED phone]."
    assert workspace.store.runs.get(guarded.run_id).params["guardrails"] == "on"
    assert workspace.store.runs.get(raw.run_id).params["guardrails"] == "off"

    evaluation = evaluate_llm(workspace, spec, limit=6)
    assert evaluation.guardrails and evaluation.metrics["guardrail_interventions"] == 0.0  # clean answers pass
    assert 0 <= evaluation.metrics["guardrail_latency_p50_ms"] <= evaluation.metrics["guardrail_latency_p95_ms"]
