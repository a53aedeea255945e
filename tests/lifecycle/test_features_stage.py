"""The features stage on the bundled real data: fit, record, validate, re-screen for leakage, catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from mlsteward.data.splits import SplitConfig
from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import ArtifactCorrupted, InvalidInput
from mlsteward.features import register_transform
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.features import catalog, fit_features, load_feature_set, validate_against
from mlsteward.lifecycle.splits import split_and_register
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

FEATURES = """
- {name: prestige, transform: impute, inputs: [prestg10], description: Prestige score, units: points, owner: ana}
- {name: prestige_scaled, transform: standard_scale, inputs: [prestige]}
- {name: education, transform: one_hot, inputs: [educcat]}
- {name: occupation_rate, transform: target_encode, inputs: [occrecode]}
- {name: children, transform: impute, inputs: [childs]}
"""


def _spec(features: str = FEATURES, extra: str = "") -> Spec:
    return Spec.model_validate(yaml.safe_load(
        f"project: wages\ncharter: {{problem: p, decision: d, prediction_target: t}}\n"
        f"data: {{target: high_income}}\nfeatures:\n  definitions: {yaml.safe_load(features)!r}\n{extra}"))


@pytest.fixture
def parts(workspace: Workspace) -> dict[str, str]:
    source, _ = add_dataset(workspace, gss_wages_with_target(), name="gss")
    return split_and_register(workspace, source.ref, SplitConfig(strategy="stratified", seed=1),
                              target="high_income").parts


def test_fit_records_a_versioned_feature_set_that_loads_and_gives_the_same_features(workspace, parts) -> None:
    result = fit_features(workspace, _spec(), parts["train"])
    assert (result.feature_set, result.created, result.dataset) == ("wages@1", True, "gss-train@1")
    assert result.outputs[:2] == ["prestige", "prestige_scaled"] and "education=Bachelor" in result.outputs
    assert set(result.leakage) == {"prestige", "prestige_scaled", "education", "occupation_rate", "children"}
    assert all(v == "clear" for v in result.leakage.values())  # real survey answers do not copy the label
    feature_set, record = load_feature_set(workspace, "wages@1")
    test = load_dataset(workspace, parts["test"])
    direct = test["prestg10"].fillna(load_dataset(workspace, parts["train"])["prestg10"].median())
    np.testing.assert_array_equal(feature_set.transform(test)["prestige"].to_numpy(), direct.to_numpy())
    assert record.summary["outputs"] == result.outputs and record.target == "high_income"
    again = fit_features(workspace, _spec(), parts["train"])
    assert (again.feature_set, again.created) == ("wages@1", False)  # the same fit is the same version
    changed = fit_features(workspace, _spec(FEATURES.replace("bins", "x").replace("children, transform: impute",
                                                                                 "children, transform: log")),
                           parts["train"])
    assert changed.feature_set == "wages@2"


def test_the_data_dictionary_is_written_as_markdown_and_html(workspace, parts) -> None:
    result = fit_features(workspace, _spec(), parts["train"])
    markdown, html = (open(p, encoding="utf-8").read() for p in result.dictionary_paths)
    train = load_dataset(workspace, parts["train"])
    low, high = train["prestg10"].min(), train["prestg10"].max()
    assert f"| `prestige` | Prestige score | points | [{low:g}, {high:g}] | `impute(prestg10)` | `prestg10` | ana |" in markdown
    assert "`prestige_scaled`" in markdown and "`prestg10`" in markdown.split("`prestige_scaled`")[1].split("\n")[0]
    assert "Data dictionary: wages@1" in html and "<script" not in html


def test_validation_passes_the_held_out_split_and_catches_shifted_rows(workspace, parts) -> None:
    fit_features(workspace, _spec(), parts["train"])
    test = load_dataset(workspace, parts["test"])
    assert validate_against(workspace, test, "wages").passed
    shifted = test.copy()
    shifted["prestg10"] = shifted["prestg10"] + 200
    shifted.loc[shifted.index[:3000], "childs"] = np.nan
    shifted["educcat"] = shifted["educcat"].astype(object)
    shifted.loc[shifted.index[:500], "educcat"] = "Doctorate"
    result = validate_against(workspace, shifted, "wages")
    checks = {(i.column, i.check) for i in result.issues}
    assert checks == {("prestg10", "out_of_range"), ("childs", "missing_rate_spike"),
                      ("educcat", "unseen_categories")}
    unseen = next(i for i in result.issues if i.check == "unseen_categories")
    assert unseen.examples == ["Doctorate"] and unseen.observed == pytest.approx(500 / shifted["educcat"].notna().sum())


def test_leakage_is_screened_again_on_the_engineered_features(workspace) -> None:
    df = gss_wages_with_target()
    rng = np.random.default_rng(0)
    df["bonus"] = df["high_income"].astype(float) * 5000 + rng.uniform(0, 10, len(df))  # only high earners get a bonus
    source, _ = add_dataset(workspace, df, name="leaky")
    result = fit_features(workspace, _spec(FEATURES + "- {name: bonus_log, transform: log, inputs: [bonus]}"),
                          source.ref)
    assert "target_proxy" in result.leakage["bonus_log"]
    assert result.leakage["prestige"] == "clear"
    record = workspace.store.feature_sets.get("wages")
    assert record.summary["leakage"]["bonus_log"] == result.leakage["bonus_log"]
    log = workspace.artifacts.get_bytes(record.summary["leakage_log"])
    assert b'"bonus_log"' in log


def test_selection_is_part_of_the_pipeline_and_reports_every_drop(workspace, parts) -> None:
    spec = _spec(extra="  selection: {method: mutual_info, keep: 4}")
    result = fit_features(workspace, spec, parts["train"])
    assert len(result.outputs) == 4 and len(result.selection.dropped) == len(result.selection.scores) - 4
    assert all("only the best 4" in s.reason for s in result.selection.scores if not s.kept)
    feature_set, _ = load_feature_set(workspace, result.feature_set)
    assert list(feature_set.transform(load_dataset(workspace, parts["test"])).columns) == result.outputs


def test_a_failing_feature_leaves_nothing_recorded(workspace, parts) -> None:
    @register_transform("explode_on_children")
    def explode(frame: pd.DataFrame) -> pd.Series:
        if (frame["childs"] > 7).any():
            raise ValueError("too many children")
        return frame["childs"]

    spec = _spec(FEATURES + "- {name: boom, transform: custom, inputs: [childs], params: {function: explode_on_children}}")
    with pytest.raises(InvalidInput, match=r"feature 'boom' failed on rows \[\d+"):
        fit_features(workspace, spec, parts["train"])
    assert workspace.store.feature_sets.list() == []
    assert not (workspace.settings.project_root / ".steward" / "reports").exists()


def test_a_tampered_pipeline_artifact_is_refused(workspace, parts) -> None:
    result = fit_features(workspace, _spec(), parts["train"])
    record = workspace.store.feature_sets.get(result.feature_set)
    path = workspace.artifacts.verified_path(record.digest)
    with open(path, "r+b") as fh:
        fh.seek(100)
        fh.write(b"XXXX")
    with pytest.raises(ArtifactCorrupted):
        load_feature_set(workspace, result.feature_set)


def test_catalog_says_what_is_fitted_and_what_is_not(workspace, parts) -> None:
    fit_features(workspace, _spec(), parts["train"])
    spec = _spec(FEATURES + "- {name: year, transform: identity}")
    entries, sets = catalog(workspace, spec)
    state = {e.feature: (e.feature_set, e.leakage) for e in entries}
    assert state["prestige"] == ("wages@1", "clear")
    assert state["year"] == (None, "not fitted")
    assert [s.ref for s in sets] == ["wages@1"]
