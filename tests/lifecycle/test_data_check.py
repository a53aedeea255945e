"""Checking new data against a version: contract and drift, on real data split by period."""

from __future__ import annotations

import pytest
from scipy import stats

from mlsteward.data.contract import DataContract
from mlsteward.datasets import gss_wages_with_target
from mlsteward.lifecycle.data_check import check_against
from mlsteward.lifecycle.data_stage import assess_dataset
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.spec_data import DataSpec
from mlsteward.workspace import Workspace



def test_later_period_breaks_the_contract_and_drifts(workspace: Workspace, tmp_path) -> None:  # noqa: ANN001
    df = gss_wages_with_target()
    old, recent = df[df.year < 1990].reset_index(drop=True), df[df.year >= 2010].reset_index(drop=True)
    version, _ = add_dataset(workspace, old, name="gss-old")
    assess_dataset(workspace, version.ref, DataSpec(target="high_income"))
    recorded = workspace.store.evidence.of(version.ref)["contract"]
    assert DataContract.from_yaml(workspace.artifacts.get_bytes(recorded.digest).decode()).columns["year"].max == 1989
    path = tmp_path / "recent.parquet"
    recent.to_parquet(path)

    result = check_against(workspace, path, "gss-old@1")
    assert not result.passed and not result.contract.passed
    assert result.contract.violations["year"].range.above == int((recent.year > 1989).sum())
    assert result.drift.drifted and "year" in result.drift.drifted_columns()
    age = result.drift.column("age")  # large samples: normalised Wasserstein, checked against scipy
    a, b = old["age"].dropna(), recent["age"].dropna()
    assert age.test == "wasserstein"
    assert age.statistic == pytest.approx(stats.wasserstein_distance(a, b) / a.std(ddof=0), rel=1e-9)


def test_same_data_holds(workspace: Workspace) -> None:
    df = gss_wages_with_target()
    add_dataset(workspace, df, name="gss")
    result = check_against(workspace, "gss@1", "gss@1")
    assert result.passed and result.contract.passed and result.drift.drifted_count == 0


def test_python_api_assess_and_check(tmp_path) -> None:  # noqa: ANN001
    import mlsteward

    mlsteward.set_store(f"sqlite:///{tmp_path / 'api.db'}", str(tmp_path / "api-artifacts"))
    try:
        df = gss_wages_with_target()
        mlsteward.log_dataset(df[df.year < 1990], name="old")
        mlsteward.log_dataset(df[df.year >= 2010], name="recent")
        assessment = mlsteward.assess_dataset("old@1", target="high_income")
        assert assessment.target == "high_income" and set(assessment.evidence) >= {"profile", "contract", "leakage"}
        result = mlsteward.check_data("recent@1", against="old@1")
        assert not result.passed and result.drift.drifted
    finally:
        mlsteward.set_store(None, None)
