"""The data stage on the bundled real dataset: evidence recorded, leaks quarantined and cleared."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.data_stage import assess_dataset
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.spec_data import DataSpec
from mlsteward.stages import StageStatus
from mlsteward.workspace import Workspace

SPEC = DataSpec(target="high_income", time_column="year", sensitive_attributes=["gender", "age"],
                quality={"min_completeness": 0.95, "max_duplicate_rate": 0.001, "min_rows": 1000, "max_rows": 10_000})


@pytest.fixture(scope="module")
def gss():  # noqa: ANN201
    df = gss_wages_with_target()
    df["income_copy"] = df["high_income"]  # a planted leak
    df["email"] = [f"person{i}@example.org" for i in range(len(df))]  # planted PII
    return df



def test_assessment_on_real_data_is_recorded_as_evidence(workspace: Workspace, gss) -> None:  # noqa: ANN001
    workspace.store.projects.register("demo", {})
    version, _ = add_dataset(workspace, gss, name="gss")
    result = assess_dataset(workspace, version.ref, SPEC, project="demo")
    assert (result.rows, result.columns) == gss.shape
    checks = {c.name: c for c in result.quality.checks}
    assert checks["completeness"].observed == pytest.approx(gss.notna().to_numpy().mean())
    assert checks["duplicate_rate"].observed == pytest.approx(gss.duplicated().mean())
    assert checks["completeness"].passed and checks["min_rows"].passed and checks["duplicate_rate"].passed
    assert checks["max_rows"].passed is False and checks["max_rows"].observed == len(gss)
    assert result.pii == {"email": ["email"]}
    assert [(f.column, f.cleared) for f in result.leakage] == [("income_copy", False)]
    assert result.quarantined == ["income_copy"]

    evidence = workspace.store.evidence.of(version.ref)
    assert set(evidence) == {"profile", "quality", "pii", "leakage", "contract", "report"}
    assert "income_copy" in workspace.artifacts.get_bytes(evidence["report"].digest).decode()
    assert Path(result.report_path).read_text() == workspace.artifacts.get_bytes(evidence["report"].digest).decode()
    assert evidence["leakage"].passed is False
    assert evidence["leakage"].summary == {"income_copy": ["target_copy", "target_proxy"]}
    assert evidence["quality"].passed is False and evidence["quality"].summary["max_rows"] is False
    stored = json.loads(workspace.artifacts.get_bytes(evidence["profile"].digest))
    assert stored["rows"] == len(gss)
    data_stage = workspace.store.projects.stages("demo")[2]
    assert data_stage.status == StageStatus.IN_PROGRESS and "1 column(s) quarantined" in data_stage.note


def test_clearing_a_column_is_audited_and_releases_it(workspace: Workspace, gss) -> None:  # noqa: ANN001
    version, _ = add_dataset(workspace, gss[["year", "age", "gender", "high_income", "income_copy"]], name="gss")
    with pytest.raises(InvalidInput, match="needs a reason"):
        workspace.store.evidence.clear_column("gss", "income_copy", " ")
    workspace.store.evidence.clear_column("gss", "income_copy", "recorded before the outcome, checked with the owner")
    result = assess_dataset(workspace, version.ref, SPEC)
    assert result.quarantined == [] and result.leakage[0].reason.startswith("recorded before")
    event = workspace.store.audit.list(action="dataset.column_cleared")[0]
    assert event.details == {"column": "income_copy", "reason": "recorded before the outcome, checked with the owner"}


def test_columns_the_version_lacks_are_left_out_with_a_note(workspace: Workspace, gss) -> None:  # noqa: ANN001
    version, _ = add_dataset(workspace, gss[["year", "age"]], name="lookup")
    result = assess_dataset(workspace, version.ref, SPEC)
    assert result.target is None and result.leakage == [] and result.sensitive_attributes == ["age"]
    assert result.notes == ["steward.yaml data.target 'high_income' is not a column of lookup@1: left out",
                            "sensitive attributes not in lookup@1: gender"]


def test_an_explicit_target_the_data_lacks_is_named_and_nothing_is_recorded(workspace: Workspace,  # noqa: ANN001
                                                                          gss) -> None:
    version, _ = add_dataset(workspace, gss[["year", "age"]], name="gss")
    with pytest.raises(InvalidInput, match="target column 'incme' is not in gss@1 \\(its columns: year, age\\)"):
        assess_dataset(workspace, version.ref, SPEC, target="incme")
    assert workspace.store.evidence.of(version.ref) == {}
