"""`steward llm eval` on the bundled retrieval QA example: the extractive application passes groundedness and
hallucination, its hallucinating twin fails them case by case; the run records the prompt version it used (the
prompt's lineage), the rendered prompt reaches an application that asks for it, and bad input is refused before
anything is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlsteward.cli.main import app as steward
from mlsteward.datasets.docs import load_dataset_docs, qa_pairs
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.llm_eval import BUILTIN_CASES, evaluate_llm
from mlsteward.llm.app import Document
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace

runner = CliRunner()
CASES = 24
PROMPT = {"name": "dataset-qa", "template": "Answer from the documents only.\n{context}\nQuestion: {question}",
          "params": {"temperature": 0}}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    assert runner.invoke(steward, ["init", ".", "--name", "qa"]).exit_code == 0
    spec = yaml.safe_load((tmp_path / "steward.yaml").read_text())
    spec["llm"] = {"app": "mlsteward.llm.example_app:example_application", "prompt": "dataset-qa",
                   "checks": {"groundedness": {"min": 0.9}, "hallucination_rate": {"max": 0.05},
                              "pii_leak_rate": {"max": 0}}}
    (tmp_path / "steward.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    (tmp_path / "prompt.yaml").write_text(yaml.safe_dump(PROMPT))
    assert runner.invoke(steward, ["llm", "prompts", "register", "prompt.yaml"]).exit_code == 0
    return tmp_path


def test_the_example_passes_and_its_hallucinating_twin_fails(project: Path) -> None:
    good = runner.invoke(steward, ["llm", "eval", "--limit", str(CASES), "--json"])
    assert good.exit_code == 0, good.output
    result = json.loads(good.output)
    assert result["prompt"] == "dataset-qa@1" and len(result["cases"]) == CASES
    assert [c["passed"] for c in result["checks"]] == [True, True, True]
    pairs = qa_pairs(load_dataset_docs(), BUILTIN_CASES)[:CASES]
    for case, pair in zip(result["cases"], pairs, strict=True):
        assert case["item"]["doc_id"] == pair.doc_id
        if pair.answer.isdigit():  # the extractive answer states the recorded number, taken from the documents
            assert pair.answer in case["answer"]["answer"].replace(",", "") and not case["score"]["hallucinated"]
    assert result["metrics"]["retrieval_hit_rate"] == pytest.approx(
        sum(c["item"]["doc_id"] in {d["id"] for d in c["answer"]["documents"]} for c in result["cases"]) / CASES)

    bad = runner.invoke(steward, ["llm", "eval", "--limit", str(CASES), "--json",
                                  "--app", "mlsteward.llm.example_app:hallucinating_application"])
    assert bad.exit_code == 1
    result = json.loads(bad.output)
    checks = {c["metric"]: c["passed"] for c in result["checks"]}
    assert checks == {"groundedness": False, "hallucination_rate": False, "pii_leak_rate": True}
    for case, pair in zip(result["cases"], pairs, strict=True):
        if pair.answer.isdigit():  # it states a count above the recorded one that no document holds
            assert case["score"]["hallucinated"]
            (stated,) = case["score"]["sentences"][0]["missing_numbers"]
            assert int(stated) > int(pair.answer) and stated in case["answer"]["answer"]
    counted = sum(c["score"]["hallucinated"] for c in result["cases"]) / CASES
    assert result["metrics"]["hallucination_rate"] == pytest.approx(counted)

    workspace = Workspace(resolve_settings(start=project))
    (newest, older) = workspace.store.runs.search("tags.kind = 'llm-evaluation'", experiment="qa", limit=5)
    assert (newest.tags["passed"], older.tags["passed"]) == ("false", "true")
    assert newest.params["prompt"] == "dataset-qa@1"
    shown = json.loads(runner.invoke(steward, ["llm", "prompts", "show", "dataset-qa", "--json"]).output)
    assert {e["run"] for e in shown["evaluations"]} == {newest.id, older.id}
    assert "LLM evaluation: qa" in (project / ".steward" / "reports" / "llm-eval.html").read_text()


class PromptEcho:
    """An application that answers with the prompt it was given."""

    def retrieve(self, question: str) -> list[Document]:
        return [Document(id="doc-1", text="The iris data frame has 150 rows.", updated="2024-06-19")]

    def generate(self, question: str, context: list[Document], prompt: str) -> str:
        return prompt


def test_the_rendered_prompt_reaches_the_application(project: Path) -> None:
    workspace = Workspace(resolve_settings(start=project))
    result = evaluate_llm(workspace, load_spec(project / "steward.yaml"), app=f"{__name__}:PromptEcho", limit=1)
    assert result.cases[0].answer.answer == (f"Answer from the documents only.\n[doc-1] The iris data frame has 150 "
                                             f"rows.\nQuestion: {result.cases[0].item.question}")
    assert result.cases[0].answer.documents == [{"id": "doc-1", "updated": "2024-06-19"}]


def test_bad_input_records_nothing(project: Path) -> None:
    workspace = Workspace(resolve_settings(start=project))
    spec = load_spec(project / "steward.yaml")
    before = len(workspace.store.runs.search(experiment="qa"))
    (project / "bad.jsonl").write_text('{"question": "fine"}\n{"reference": "no question"}\n')
    with pytest.raises(InvalidInput, match="bad.jsonl line 2 is not a case"):
        evaluate_llm(workspace, spec, eval_set="bad.jsonl")
    with pytest.raises(InvalidInput, match="no evaluation set at"):
        evaluate_llm(workspace, spec, eval_set="missing.jsonl")
    with pytest.raises(InvalidInput, match="no application to evaluate"):
        evaluate_llm(workspace, spec.model_copy(update={"llm": spec.llm.model_copy(update={"app": None})}))
    with pytest.raises(InvalidInput, match="--limit must be at least 1"):
        evaluate_llm(workspace, spec, limit=0)
    assert len(workspace.store.runs.search(experiment="qa")) == before
    (project / "own.jsonl").write_text(json.dumps({"question": "How many rows?", "contexts": ["It has 150 rows."],
                                                   "reference": "150 rows."}) + "\n")
    own = evaluate_llm(workspace, spec, eval_set="own.jsonl")  # a case's contexts replace retrieval
    assert own.cases[0].answer.contexts == ["It has 150 rows."]
