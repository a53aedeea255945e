"""Large versions are assessed without loading the table: exact where the whole file is read,
sample-based (and said so) where it is not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.lifecycle import data_stage, large_tables
from mlsteward.lifecycle.data_check import contract_of
from mlsteward.lifecycle.data_stage import assess_dataset
from mlsteward.lifecycle.datasets import add_dataset
from mlsteward.spec_data import DataSpec
from mlsteward.workspace import Workspace


def _table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    target = rng.integers(0, 2, rows)
    plan = rng.choice(np.array(["basic", "plus", "pro"], dtype=object), rows)
    plan[[11, 20_001]] = "legacy"  # a category the sample will almost surely miss
    spend = rng.normal(50, 10, rows)
    spend[rng.random(rows) < 0.01] = np.nan
    return pd.DataFrame({"spend": spend, "visits": rng.integers(0, 100, rows), "plan": plan,
                         "email": [f"user{i}@example.org" for i in range(rows)],
                         "churn_copy": target, "churn": target})


def test_large_version_is_assessed_in_batches_and_from_a_sample(workspace: Workspace,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    df = _table(30_000)
    version, _ = add_dataset(workspace, df, name="big")
    monkeypatch.setattr(large_tables, "LARGE_TABLE_ROWS", 10_000)
    monkeypatch.setattr(large_tables, "available_memory", lambda: 1_000_000)  # a small machine
    monkeypatch.setattr(large_tables, "SAMPLE_ROWS", 3_000)
    monkeypatch.setattr(data_stage, "load_dataset", lambda *a, **k: pytest.fail("the whole table was loaded"))
    result = assess_dataset(workspace, version.ref, DataSpec(target="churn", quality={"min_completeness": 0.9}))

    assert result.rows == 30_000  # the profile read the whole file
    assert result.quality.checks[0].observed == pytest.approx(df.notna().to_numpy().mean())
    assert result.pii == {"email": ["email"]}
    assert [f.column for f in result.leakage] == ["churn_copy"]
    assert result.notes[0].startswith("30,000 rows: profiled batch by batch")

    contract = contract_of(workspace, version.ref)
    assert contract.rows == 30_000
    assert contract.columns["spend"].min == pytest.approx(df["spend"].min())
    assert contract.columns["spend"].max == pytest.approx(df["spend"].max())
    assert contract.columns["visits"].min == df["visits"].min() and contract.columns["visits"].max == df["visits"].max()
    assert contract.columns["spend"].nullable and not contract.columns["visits"].nullable
    plan = contract.columns["plan"].allowed  # kept only when the sample saw every category
    assert plan is None or sorted(plan) == sorted(df["plan"].unique())
    assert not contract.columns["email"].nullable and contract.columns["email"].unique


def test_widening_a_sample_contract_with_the_whole_file() -> None:
    from mlsteward.data.contract import infer_contract
    from mlsteward.data.profile import profile_dataset

    df = _table(30_000)
    head = df.iloc[100:1_100].copy()  # no "legacy" plan (rows 11 and 20,001), narrower ranges
    contract, notes = large_tables.widen_contract(infer_contract(head, name="t"), profile_dataset(df))
    assert contract.columns["plan"].allowed is None
    assert notes == ["contract: 'plan' has 4 categories in the file, 3 in the sample: its categories are not checked"]
    assert contract.columns["spend"].min == pytest.approx(df["spend"].min())
    assert contract.columns["visits"].max == df["visits"].max() and isinstance(contract.columns["visits"].max, int)
    assert contract.rows == 30_000


def test_batches_only_when_the_table_would_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(large_tables, "available_memory", lambda: 8 * 2**30)  # 8 GiB free
    assert not large_tables.assess_in_batches(1_000_000, 10 * 2**30)  # few rows: always in memory
    assert not large_tables.assess_in_batches(17_000_000, 300 * 2**20)  # ~3 GB in memory: fits
    assert large_tables.assess_in_batches(17_000_000, 1 * 2**30)  # ~10 GB: batches
    monkeypatch.undo()
    assert large_tables.available_memory() > 0


def test_sample_is_seeded_and_about_the_size_asked(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "t.parquet"
    _table(30_000).to_parquet(path, row_group_size=7_000)
    first = large_tables.sample_parquet(path, 30_000, size=3_000)
    assert first.equals(large_tables.sample_parquet(path, 30_000, size=3_000))
    assert 2_700 < len(first) < 3_300
    assert list(first.columns) == ["spend", "visits", "plan", "email", "churn_copy", "churn"]
