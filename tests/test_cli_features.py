"""``steward features`` on the quickstart project (bundled real data)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mlsteward.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def quickstart(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the quickstart's project: its retrain fitted a second feature set, gss-income@2."""
    folder = tmp_path_factory.mktemp("features-cli") / "qs"
    shutil.copytree(quickstart_project[0], folder)
    return folder


def invoke(folder: Path, *args: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(folder)
    return runner.invoke(app, list(args))


def test_fit_is_recorded_once_and_listed_in_the_catalog(quickstart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    again = invoke(quickstart, "features", "fit", "--dataset", "gss-train-joined@1", "--json", monkeypatch=monkeypatch)
    assert again.exit_code == 0, again.output
    body = json.loads(again.output)
    assert (body["feature_set"], body["created"]) == ("gss-income@1", False)  # the quickstart fitted it already
    listing = json.loads(invoke(quickstart, "features", "list", "--json", monkeypatch=monkeypatch).output)
    names = [f["feature"] for f in listing["features"]]
    assert names[:3] == ["prestige", "prestige_scaled", "prestige_band"]
    assert {f["feature_set"] for f in listing["features"]} == {"gss-income@2"}  # the newest: the retrain's
    shown = json.loads(invoke(quickstart, "features", "show", "education", "--json", monkeypatch=monkeypatch).output)
    assert shown["source_columns"] == ["educcat"] and "education=Bachelor" in shown["outputs"]
    record = json.loads(invoke(quickstart, "features", "show", "gss-income@1", "--json", monkeypatch=monkeypatch).output)
    assert record["dataset"] == "gss-train-joined@1" and record["digest"].startswith("sha256:")


def test_validate_exits_1_on_shifted_rows(quickstart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = invoke(quickstart, "features", "validate", "gss-test-joined@1", "--against", "gss-income",
                monkeypatch=monkeypatch)
    assert ok.exit_code == 0 and "pass the feature validation" in ok.output
    from mlsteward.lifecycle.datasets import load_dataset
    from mlsteward.settings import resolve_settings
    from mlsteward.workspace import Workspace

    rows = load_dataset(Workspace(resolve_settings(start=quickstart)), "gss-test-joined@1").head(200)
    rows["prestg10"] = 500.0
    rows.to_csv(quickstart / "shifted.csv", index=False)
    bad = invoke(quickstart, "features", "validate", "shifted.csv", "--against", "gss-income", monkeypatch=monkeypatch)
    assert bad.exit_code == 1 and "out_of_range" in bad.output and "prestg10" in bad.output


def test_dictionary_prints_markdown_and_writes_html(quickstart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    markdown = invoke(quickstart, "features", "dictionary", "gss-income", monkeypatch=monkeypatch)
    assert markdown.exit_code == 0 and markdown.output.startswith("# Data dictionary: gss-income@2")  # the newest
    html = invoke(quickstart, "features", "dictionary", "gss-income@1", "-f", "html", "-o", "dict.html",
                  monkeypatch=monkeypatch)
    assert html.exit_code == 0 and (quickstart / "dict.html").read_text().startswith("<!DOCTYPE html>")


def test_join_materialize_get_and_transform(quickstart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    joined = invoke(quickstart, "features", "join", "gss-test@1", "-v", "occupation", "-t", "interviewed_at",
                    "--json", monkeypatch=monkeypatch)
    body = json.loads(joined.output)
    assert (body["dataset"]["name"], body["created"]) == ("gss-test-training", True)
    assert sorted(body["dataset"]["parents"]) == ["gss-test@1", "occupation_history@1"]
    done = json.loads(invoke(quickstart, "features", "materialize", "--as-of", "2010-01-01T00:00:00Z", "--json",
                             monkeypatch=monkeypatch).output)
    assert done[0]["view"] == "occupation" and done[0]["entities"] > 400
    values = json.loads(invoke(quickstart, "features", "get", "2200", "-v", "occupation", "--json",
                               monkeypatch=monkeypatch).output)
    from mlsteward.datasets import gss_occupation_history

    occupations = gss_occupation_history()
    latest = occupations[(occupations["occ10"] == 2200) & (occupations["as_of"] <= "2010-01-01")].iloc[-1]
    assert values == {"occupation_respondents": int(latest["occupation_respondents"]),
                      "occupation_high_income_rate": pytest.approx(latest["occupation_high_income_rate"])}
    missing = invoke(quickstart, "features", "get", "99999", "-v", "occupation", monkeypatch=monkeypatch)
    assert missing.exit_code == 0 and "no values for entity '99999'" in missing.output
    from mlsteward.lifecycle.datasets import load_dataset
    from mlsteward.settings import resolve_settings
    from mlsteward.workspace import Workspace

    load_dataset(Workspace(resolve_settings(start=quickstart)), "gss-test@1").to_parquet(quickstart / "rows.parquet")
    out = invoke(quickstart, "features", "transform", "rows.parquet", "-f", "gss-income", "-o", "features.parquet",
                 "-v", "occupation", "-t", "interviewed_at", monkeypatch=monkeypatch)
    assert out.exit_code == 0, out.output
    expected = load_dataset(Workspace(resolve_settings(start=quickstart)), "gss-test-joined@1")
    from mlsteward.lifecycle.features import load_feature_set

    feature_set, _ = load_feature_set(Workspace(resolve_settings(start=quickstart)), "gss-income")
    pd.testing.assert_frame_equal(pd.read_parquet(quickstart / "features.parquet"), feature_set.transform(expected))


@pytest.mark.parametrize(("args", "message"), [
    (("features", "show", "nope@1"), "no version 1 of feature set 'nope'"),
    (("features", "show", "not_a_feature"), "no feature 'not_a_feature'"),
    (("features", "fit", "--dataset", "missing@1"), "no version 1 of dataset 'missing'"),
    (("features", "dictionary", "gss-income", "-f", "pdf"), "use md or html"),
    (("features", "materialize", "-v", "nope"), "no feature view 'nope'"),
    (("features", "join", "gss-test@1", "-v", "occupation", "-t", "year"), "year"),
])
def test_bad_input_is_one_clear_line(quickstart: Path, monkeypatch: pytest.MonkeyPatch, args, message) -> None:
    result = invoke(quickstart, *args, monkeypatch=monkeypatch)
    assert result.exit_code == 2 and message in result.output, result.output


def test_fit_without_definitions_says_where_to_add_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init", ".", "--name", "empty"]).exit_code == 0
    spec = (tmp_path / "steward.yaml").read_text()
    (tmp_path / "steward.yaml").write_text(spec[:spec.index("features:")] + spec[spec.index("# Gates:"):])
    result = runner.invoke(app, ["features", "fit", "--dataset", "x@1"])
    assert result.exit_code == 2 and "defines no features" in result.output


def test_the_python_api_reaches_the_same_feature_set(quickstart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import mlsteward

    monkeypatch.chdir(quickstart)
    mlsteward.set_store(None, None)
    try:
        feature_set = mlsteward.load_feature_set("gss-income")
        rows = mlsteward.load_dataset("gss-test-joined@1")
        again = mlsteward.fit_features("gss-train-joined@1")
        joined = mlsteward.training_set("gss-test@1", ["occupation"], timestamp="interviewed_at",
                                        name="gss-test-joined")
    finally:
        mlsteward.set_store(None, None)
    assert (again.feature_set, again.created) == ("gss-income@1", False)
    assert joined.ref == "gss-test-joined@1"  # the same join: the same content, the same version
    assert list(feature_set.transform(rows).columns) == again.outputs


def test_feasibility_train_and_reproduce_from_the_cli(quickstart: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    study = invoke(quickstart, "feasibility", "gss@1", "--json", monkeypatch=monkeypatch)
    assert study.exit_code == 0, study.output
    assert json.loads(study.output)["result"]["decision"] == "go"
    runs = json.loads(invoke(quickstart, "runs", "list", "--json", monkeypatch=monkeypatch).output)
    best = next(r for r in runs if r["name"].startswith("best-"))
    again = invoke(quickstart, "runs", "reproduce", best["id"][:8], monkeypatch=monkeypatch)
    assert again.exit_code == 0 and "reproduced" in again.output, again.output
    bad = invoke(quickstart, "train", "--train", "gss-train-joined@1", "--validation", "nope@1", monkeypatch=monkeypatch)
    assert bad.exit_code == 2 and "no version 1 of dataset 'nope'" in bad.output
