"""The prompt registry on SQLite and PostgreSQL: versions by content, aliases, rollback to the previous target,
the change log and audit trail; prompt files checked (placeholders, variables); rendering; the diff; and the
CLI from a project folder."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from mlsteward.cli.main import app as steward
from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.lifecycle.prompts import prompt_diff, read_prompt_file
from mlsteward.llm.prompt_text import render, template_variables
from mlsteward.store import Store

TEMPLATE = "Answer from the documents only.\nDocuments:\n{context}\nQuestion: {question}\n"
runner = CliRunner()


def _register(store: Store, template: str = TEMPLATE, **params: object):  # noqa: ANN202
    return store.prompts.register(project="qa", name="dataset-qa", template=template,
                                  variables=template_variables(template), params=params or {"temperature": 0},
                                  description="answers from the docs")


def test_versions_are_addressed_by_content(store: Store) -> None:
    first, created = _register(store)
    again, created_again = _register(store)
    second, _ = _register(store, TEMPLATE.replace("only.", "only; otherwise say you don't know."))
    third, _ = _register(store, temperature=0.7)  # parameters are content too
    assert (first.version, created, again.version, created_again) == (1, True, 1, False)
    assert (second.version, third.version) == (2, 3)
    assert [v.version for v in store.prompts.versions("dataset-qa")] == [3, 2, 1]
    assert store.prompts.get("dataset-qa").version == 3 == store.prompts.get("dataset-qa@latest").version
    with pytest.raises(Conflict, match="belongs to project 'qa'"):
        store.prompts.register(project="other", name="dataset-qa", template="x {y}", variables=["y"], params={},
                               description="")
    with pytest.raises(NotFound, match="no version 9"):
        store.prompts.get("dataset-qa@9")
    with pytest.raises(InvalidInput, match="not a prompt name"):
        store.prompts.register(project="qa", name="Bad Name", template="x", variables=[], params={}, description="")


def test_aliases_move_and_roll_back_to_where_they_were(store: Store) -> None:
    for template in (TEMPLATE, TEMPLATE + "Be brief.\n", TEMPLATE + "Cite the document id.\n"):
        _register(store, template)
    with pytest.raises(NotFound, match="no alias 'production' to roll back"):
        store.prompts.rollback("dataset-qa", "production", "nothing yet")
    store.prompts.set_alias("dataset-qa@1", "production", "first release")
    with pytest.raises(Conflict, match="nothing to roll back to"):
        store.prompts.rollback("dataset-qa", "production", "too early")
    store.prompts.set_alias("dataset-qa@3", "production", "cites its sources")
    assert store.prompts.get("dataset-qa@production").version == 3
    assert store.prompts.get("dataset-qa@3").aliases == ["production"]
    back = store.prompts.rollback("dataset-qa", "production", "citations broke the format")
    assert (back.from_version, back.to_version, back.kind) == (3, 1, "rollback")
    assert store.prompts.get("dataset-qa@production").version == 1
    with pytest.raises(Conflict, match="already points at version 1"):
        store.prompts.set_alias("dataset-qa@1", "production", "again")
    with pytest.raises(InvalidInput, match="say why"):
        store.prompts.set_alias("dataset-qa@2", "staging", " ")
    with pytest.raises(InvalidInput, match="not 'latest'"):
        store.prompts.set_alias("dataset-qa@2", "latest", "no")
    history = store.prompts.alias_history("dataset-qa")
    assert [(c.from_version, c.to_version, c.kind) for c in history] == [(3, 1, "rollback"), (1, 3, "set"),
                                                                         (None, 1, "set")]
    assert store.prompts.list("qa")[0].aliases == {"production": 1}
    events = [e.action for e in store.audit.list(limit=50)]
    assert events.count("prompt.registered") == 3 and events.count("prompt.alias_set") == 2
    assert "prompt.alias_rollback" in events
    assert store.audit.verify().ok


def test_prompt_files_are_checked(tmp_path: Path) -> None:
    assert template_variables("Q: {question} C: {context} again {question} {{literal}}") == ["question", "context"]
    for bad, message in (("{question", "braces do not match"), ("{}", "not a plain"), ("{q:>10}", "not a plain"),
                         ("{q.attr}", "not a plain")):
        with pytest.raises(InvalidInput, match=message):
            template_variables(bad)
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"name": "qa", "template": TEMPLATE, "variables": ["question"]}))
    with pytest.raises(InvalidInput, match=r"do not match the template's placeholders \['context', 'question'\]"):
        read_prompt_file(path)
    path.write_text(yaml.safe_dump({"name": "qa", "templat": TEMPLATE}))
    with pytest.raises(InvalidInput, match="template: Field required"):
        read_prompt_file(path)
    with pytest.raises(InvalidInput, match="no prompt file"):
        read_prompt_file(tmp_path / "missing.yaml")


def test_rendering_and_the_diff(store: Store) -> None:
    old, _ = _register(store)
    new, _ = _register(store, TEMPLATE + "Be brief.\n", temperature=0.2)
    assert render(old, question="How many rows?", context="[iris] 150 rows") == (
        "Answer from the documents only.\nDocuments:\n[iris] 150 rows\nQuestion: How many rows?\n")
    with pytest.raises(InvalidInput, match="needs context to render"):
        render(old, question="q")
    text = prompt_diff(old, new)
    expected = difflib.unified_diff(
        [*TEMPLATE.splitlines(), "", "# params", *json.dumps({"temperature": 0}, indent=2).splitlines(), "",
         "# description", "answers from the docs"],
        [*(TEMPLATE + "Be brief.\n").splitlines(), "", "# params",
         *json.dumps({"temperature": 0.2}, indent=2).splitlines(), "", "# description", "answers from the docs"],
        fromfile="dataset-qa@1", tofile="dataset-qa@2", lineterm="")
    assert text == "\n".join(expected)
    assert "+Be brief." in text and '-  "temperature": 0' in text
    assert prompt_diff(old, old) == "dataset-qa@1 and dataset-qa@1 have the same content"


def test_the_cli_from_a_project_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(steward, ["init", ".", "--name", "qa"]).exit_code == 0
    (tmp_path / "p.yaml").write_text(yaml.safe_dump({"name": "dataset-qa", "template": TEMPLATE,
                                                     "params": {"temperature": 0}}))
    shown = json.loads(runner.invoke(steward, ["llm", "prompts", "register", "p.yaml", "--json"]).output)
    assert (shown["version"], shown["variables"]) == (1, ["context", "question"])
    gated = runner.invoke(steward, ["llm", "prompts", "alias", "dataset-qa@1", "production", "-r", "first"])
    assert gated.exit_code == 2 and "moves through the LLM promotion checklist" in gated.output
    refused = runner.invoke(steward, ["llm", "prompts", "alias", "dataset-qa@1", "staging", "-r", "first"])
    assert refused.exit_code != 0 and "'tester' may not point staging at the prompt" in refused.output
    monkeypatch.setenv("STEWARD_USER", "Lee Moreau")  # the ml_engineer of the charter: a promoter
    moved = runner.invoke(steward, ["llm", "prompts", "alias", "dataset-qa@1", "staging", "-r", "first", "--json"])
    assert json.loads(moved.output)["to_version"] == 1
    listed = json.loads(runner.invoke(steward, ["llm", "prompts", "list", "--json"]).output)
    assert listed == [{"name": "dataset-qa", "project": "qa", "versions": 1, "latest": 1,
                       "aliases": {"staging": 1}}]
    missing = runner.invoke(steward, ["llm", "prompts", "show", "dataset-qa@production"])
    assert missing.exit_code == 2 and "has no alias 'production'" in missing.output
    changes = json.loads(runner.invoke(steward, ["changelog", "--json"]).output)
    assert any(c["kind"] == "prompt_alias_set" and c["subject"] == "prompt dataset-qa" for c in changes)
