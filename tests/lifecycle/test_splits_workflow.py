"""Splits registered as dataset versions with lineage, on the bundled real data."""

from __future__ import annotations

import pytest

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.workspace import Workspace



def test_stratified_split_parts_are_versions_with_lineage(workspace: Workspace) -> None:
    df = gss_wages_with_target()
    source, _ = add_dataset(workspace, df, name="gss")
    result = split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=3),
                                target="high_income")
    assert result.parts == {"train": "gss-train@1", "validation": "gss-validation@1", "test": "gss-test@1"}
    parts = {name: load_dataset(workspace, ref) for name, ref in result.parts.items()}
    assert sum(len(p) for p in parts.values()) == len(df)
    overall = df["high_income"].mean()
    for part in parts.values():  # stratified: each part keeps the positive rate
        assert part["high_income"].mean() == pytest.approx(overall, abs=2 / len(part))
    train = workspace.store.datasets.get("gss-train@1")
    assert train.parents == ["gss@1"] and '"strategy":"stratified"' in train.transformation
    assert workspace.store.evidence.of("gss@1")["split"].summary["parts"] == result.parts
    again = split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=3), target="high_income")
    assert again.parts == result.parts  # same split, same content, same versions


def test_time_split_keeps_the_future_out_of_training(workspace: Workspace) -> None:
    source, _ = add_dataset(workspace, gss_wages_with_target(), name="gss")
    result = split_and_register(workspace, source.ref,
                                SplitConfig(strategy="time", time_column="year", fractions=(0.8, 0, 0.2)))
    train, test = load_dataset(workspace, result.parts["train"]), load_dataset(workspace, result.parts["test"])
    assert train["year"].max() < test["year"].min()
