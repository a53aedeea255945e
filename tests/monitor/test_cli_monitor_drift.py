"""``steward monitor drift REFERENCE CURRENT`` on the bundled GSS data: an early period against a late one
(a real shift: the survey's population aged and went to college), and two random halves of one period (no
drift). Files need no project; dataset versions are read from one."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from mlsteward.cli import monitor_drift
from mlsteward.cli.main import app
from mlsteward.datasets import gss_label_events
from mlsteward.monitor import dataset_drift

runner = CliRunner()
WIDE = {"COLUMNS": "160"}  # the table spelled out (it abbreviates below 118 columns)


def invoke(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, ["monitor", "drift", *map(str, args)], env=env or WIDE)


@pytest.fixture(scope="module")
def gss() -> pd.DataFrame:
    df = gss_label_events()
    # a stand-in for a model's output: college graduates predicted to earn above the threshold
    df["predicted"] = df["educcat"].isin(["Bachelor", "Graduate"]).astype("int8")
    return df


@pytest.fixture(scope="module")
def periods(gss: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    early = gss[gss["year"] < 1990].reset_index(drop=True)
    late = gss[gss["year"] >= 2006].reset_index(drop=True)
    return early, late


@pytest.fixture(scope="module")
def halves(periods: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    late = periods[1]
    pick = np.random.default_rng(0).random(len(late)) < 0.5
    return late[pick].reset_index(drop=True), late[~pick].reset_index(drop=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory, periods, halves) -> Path:
    folder = tmp_path_factory.mktemp("drift-files")
    early, late = periods
    early.to_csv(folder / "early.csv", index=False)
    early.to_parquet(folder / "early.parquet")
    late.to_parquet(folder / "late.parquet")
    halves[0].to_csv(folder / "half_a.csv", index=False)
    halves[1].to_csv(folder / "half_b.csv", index=False)
    return folder


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder with no Steward project in it or above: ad hoc use."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _row(output: str, column: str) -> list[str]:
    """The cells of one table row (cells are separated by two or more spaces in the wide table)."""
    for line in output.splitlines():
        cells = [c for c in line.strip().split("  ") if c.strip()]
        if cells and cells[0].strip() == column:
            return [c.strip() for c in cells]
    raise AssertionError(f"no row for {column!r} in:\n{output}")


# --- the verdict and the exit code ----------------------------------------------------------------


def test_an_early_against_a_late_period_drifts_and_exits_1(files: Path, periods, elsewhere: Path) -> None:
    early, late = periods
    result = invoke(files / "early.csv", files / "late.parquet", "--target", "high_income")
    assert result.exit_code == 1, result.output
    expected = dataset_drift(early, late, target="high_income")
    assert expected.drifted and expected.drifted_count >= 6  # a real shift, not a borderline one
    for c in expected.columns:
        cells = _row(result.output, c.column)
        assert cells[1:4] == [c.column_type, c.test, f"{c.statistic:.4g}"], cells
        assert cells[6] == ("yes" if c.drifted else "no")
    # the statistic against an independent reference: Wasserstein-1 over the reference's std (ddof 0)
    ref_age, cur_age = early["age"].dropna(), late["age"].dropna()
    independent = stats.wasserstein_distance(ref_age, cur_age) / ref_age.std(ddof=0)
    assert _row(result.output, "age")[3] == f"{independent:.4g}"
    # the missing shares, against pandas
    prestige = _row(result.output, "prestg10")[-1]
    assert prestige == f"{early['prestg10'].isna().mean():.1%} → {late['prestg10'].isna().mean():.1%}"
    assert _row(result.output, "target: high_income")[6] in ("yes", "no")
    share = expected.drifted_count / expected.tested_count
    assert (f"dataset drift: {expected.drifted_count} of {expected.tested_count} columns drifted ({share:.1%}"
            in result.output)
    assert "not tested: interviewed_at: datetime columns are not tested" in result.output
    assert not (elsewhere / ".steward").exists()  # ad hoc: no store was created


def test_two_halves_of_one_period_do_not_drift_and_exit_0(files: Path, halves, elsewhere: Path) -> None:
    result = invoke(files / "half_a.csv", files / "half_b.csv")
    assert result.exit_code == 0, result.output
    assert "no dataset drift: 0 of 13 columns drifted (0.0%, below the drift share 0.5)" in result.output
    assert "yes" not in result.output


def test_the_drift_share_decides_the_exit_code(files: Path, periods, elsewhere: Path) -> None:
    expected = dataset_drift(*periods)
    above = expected.drifted_share + 0.01
    assert invoke(files / "early.parquet", files / "late.parquet", "--drift-share", str(above)).exit_code == 0
    assert invoke(files / "early.parquet", files / "late.parquet", "--drift-share",
                  str(expected.drifted_share)).exit_code == 1


def test_help_documents_the_exit_codes() -> None:
    result = runner.invoke(app, ["monitor", "drift", "--help"], env=WIDE)
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "Exit code: 0 when the dataset has not drifted, 1 when it has" in text and "2 on an error" in text
    for option in ("--column", "--test", "--threshold", "--correction", "--effect-floor", "--drift-share",
                   "--prediction", "--target", "--json", "--html"):
        assert option in text


# --- --json: the core's result, as is ------------------------------------------------------------


def test_json_equals_dataset_drift_on_the_same_frames(files: Path, periods, elsewhere: Path) -> None:
    early, late = periods
    result = invoke(files / "early.parquet", files / "late.parquet", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == dataset_drift(early, late).model_dump(mode="json")


def test_json_of_csv_files_equals_dataset_drift_on_pandas_frames(files: Path, halves, elsewhere: Path) -> None:
    result = invoke(files / "half_a.csv", files / "half_b.csv", "--json")
    assert result.exit_code == 0
    read = [pd.read_csv(files / name, parse_dates=["interviewed_at"]) for name in ("half_a.csv", "half_b.csv")]
    expected = dataset_drift(*read).model_dump(mode="json")
    assert _same(json.loads(result.stdout), expected)


def _same(got: object, expected: object) -> bool:
    """Equal, floats to 1e-12 (two CSV readers may round the last digit differently)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and got.keys() == expected.keys(), (got, expected)
        return all(_same(got[k], expected[k]) for k in expected)
    if isinstance(expected, list):
        assert isinstance(got, list) and len(got) == len(expected)
        return all(_same(g, e) for g, e in zip(got, expected, strict=True))
    if isinstance(expected, float):
        assert isinstance(got, (int, float)) and math.isclose(got, expected, rel_tol=1e-12, abs_tol=1e-15), (got,
                                                                                                            expected)
        return True
    assert got == expected
    return True


def test_every_option_reaches_the_core(files: Path, periods, elsewhere: Path) -> None:
    early, late = periods
    result = invoke(files / "early.parquet", files / "late.parquet", "-c", "age", "--column", "educcat",
                    "-c", "childs", "--test", "age=ks", "--threshold", "age=0.01", "--test", "educcat=chi2",
                    "--correction", "benjamini_hochberg", "--effect-floor", "0.02", "--drift-share", "0.6",
                    "--prediction", "predicted", "--target", "high_income", "--json")
    expected = dataset_drift(early, late, columns=["age", "educcat", "childs"],
                             tests={"age": "ks", "educcat": "chi2"}, thresholds={"age": 0.01}, effect_floor=0.02,
                             correction="benjamini_hochberg", drift_share=0.6, prediction="predicted",
                             target="high_income")
    assert json.loads(result.stdout) == expected.model_dump(mode="json")
    assert result.exit_code == (1 if expected.drifted else 0)
    body = json.loads(result.stdout)
    assert [c["column"] for c in body["columns"]] == ["age", "educcat", "childs"]
    assert body["columns"][0]["test"] == "ks" and body["columns"][0]["threshold"] == 0.01
    assert body["columns"][0]["adjusted_p_value"] is not None and body["prediction"]["column"] == "predicted"
    table = invoke(files / "early.parquet", files / "late.parquet", "-c", "age", "--test", "age=ks",
                   "--correction", "bonferroni")
    assert "p-value (adj.)" in table.output


def test_a_narrow_terminal_gets_the_short_table(files: Path, elsewhere: Path) -> None:
    result = invoke(files / "early.parquet", files / "late.parquet", env={"COLUMNS": "80"})
    table = result.output.splitlines()[1:15]  # after the title line (long paths are not cut)
    assert table[0].startswith("column") and max(len(line) for line in table) <= 80
    assert "respondent_id" in result.output and "jensen_shannon" in result.output and " cat " in result.output


# --- --html ---------------------------------------------------------------------------------------


def test_html_writes_the_report_and_json_stays_clean(files: Path, periods, elsewhere: Path) -> None:
    target = elsewhere / "reports" / "drift.html"
    result = invoke(files / "early.parquet", files / "late.parquet", "--json", "--html", target)
    assert result.exit_code == 1
    json.loads(result.stdout)  # nothing but the JSON on stdout
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<title>Drift: " in page
    assert 'class="verdict-label">DRIFT<' in page
    for column in periods[0].columns:
        assert column in page
    table = invoke(files / "half_a.csv", files / "half_b.csv", "--html", elsewhere / "same.html")
    assert table.exit_code == 0 and f"report: {elsewhere / 'same.html'}" in " ".join(table.output.split())
    assert 'class="verdict-label">NO DRIFT<' in (elsewhere / "same.html").read_text(encoding="utf-8")


# --- what can be read -----------------------------------------------------------------------------


def test_a_folder_of_parquet_files_reads_as_one_table(files: Path, periods, elsewhere: Path) -> None:
    early, late = periods
    parts = elsewhere / "late-parts" / "2010"
    parts.mkdir(parents=True)
    for i, chunk in enumerate(np.array_split(np.arange(len(late)), 3)):
        late.iloc[chunk].to_parquet(parts / f"part-{i}.parquet")
    (parts.parent / "_SUCCESS").write_text("")
    (parts / ".part-9.parquet.crc").write_text("not parquet")
    (parts.parent / "README.md").write_text("the late period")
    result = invoke(files / "early.parquet", parts.parent, "--json")
    assert json.loads(result.stdout) == dataset_drift(early, late).model_dump(mode="json")
    empty = elsewhere / "empty"
    empty.mkdir()
    refused = invoke(files / "early.parquet", empty)
    assert refused.exit_code == 2 and "holds no Parquet files" in refused.output


def test_dataset_versions_of_a_project(files: Path, halves, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init", ".", "--name", "drifty"]).exit_code == 0
    for name in ("early.csv", "half_a.csv"):
        added = runner.invoke(app, ["data", "add", str(files / name), "--name", "gss", "--no-assess"])
        assert added.exit_code == 0, added.output
    by_version = invoke("gss@1", "gss@latest", "--json")
    by_file = invoke(files / "early.csv", files / "half_a.csv", "--json")
    assert by_version.exit_code == by_file.exit_code == 1
    assert json.loads(by_version.stdout) == json.loads(by_file.stdout)
    mixed = invoke("gss", files / "half_b.csv")  # a bare name is the latest version
    assert mixed.exit_code == 0 and "against gss@2" in mixed.output
    missing = invoke("gss@7", files / "half_b.csv")
    assert missing.exit_code == 2 and "no version 7 of dataset 'gss'" in missing.output
    unknown = invoke("customers", files / "half_b.csv")
    assert unknown.exit_code == 2 and "no dataset 'customers'" in unknown.output
    assert "steward data list" in unknown.output


# --- errors: one line, exit 2, saying what to do --------------------------------------------------


@pytest.mark.parametrize(("reference", "current", "options", "message"), [
    ("nope.csv", "late.parquet", [], "the reference 'nope.csv' does not exist: check the path"),
    ("early.csv", "data/late.csv", [], "the current data 'data/late.csv' does not exist"),
    ("early.csv", "late.xlsx", [], "cannot tell the format of the current data"),
    ("gss@1", "late.parquet", [], "taken for a dataset version, but the project has no store"),
    ("early.csv", "late.parquet", ["--test", "age"], "--test takes COLUMN=TEST, e.g. --test age=ks"),
    ("early.csv", "late.parquet", ["--test", "age=kss"], "Unknown drift test 'kss'"),
    ("early.csv", "late.parquet", ["--test", "age=chi2"], "applies to categorical columns"),
    ("early.csv", "late.parquet", ["--threshold", "age=0.2"], "--threshold age=0.2 needs the test it is for: add"),
    ("early.csv", "late.parquet", ["--test", "age=ks", "--threshold", "age=x"], "'x' is not a number"),
    ("early.csv", "late.parquet", ["--test", "age=ks", "--threshold", "age=5"], "between 0 and 1"),
    ("early.csv", "late.parquet", ["-c", "salary"], "Column 'salary' is not in the reference data"),
    ("early.csv", "late.parquet", ["--target", "income"], "target column 'income' is not in the reference"),
    ("early.csv", "late.parquet", ["--drift-share", "0"], "--drift-share must be above 0 and at most 1"),
    ("early.csv", "late.parquet", ["--effect-floor", "-1"], "--effect-floor must be 0 (no floor) or positive"),
    ("early.csv", "late.parquet", ["--correction", "holm"], "Invalid value for '--correction'"),
])
def test_bad_input_exits_2_and_says_what_to_do(files: Path, elsewhere: Path, reference: str, current: str,
                                               options: list[str], message: str) -> None:
    (elsewhere / "late.xlsx").write_bytes(b"PK\x03\x04")
    paths = [str(files / p) if (files / p).exists() else p for p in (reference, current)]
    result = invoke(*paths, *options)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.replace("│", " ").split())


def test_no_shared_column_is_an_error_not_a_clean_bill(elsewhere: Path) -> None:
    pd.DataFrame({"a": range(50)}).to_csv(elsewhere / "one.csv", index=False)
    pd.DataFrame({"b": range(50)}).to_csv(elsewhere / "two.csv", index=False)
    result = invoke("one.csv", "two.csv")
    assert result.exit_code == 2
    assert "not tested: a: missing from the current data" in result.output
    assert "not tested: b: only in the current data" in result.output
    assert "no column could be tested" in result.output


def test_empty_text_counts_as_missing_in_csv_and_parquet_alike(elsewhere: Path) -> None:
    frame = pd.DataFrame({"plan": ["basic", None, "pro", "basic"] * 50, "n": range(200)})
    frame.to_csv(elsewhere / "plans.csv", index=False)
    frame.to_parquet(elsewhere / "plans.parquet")
    body = json.loads(invoke("plans.csv", "plans.parquet", "--json").stdout)
    plan = body["columns"][0]
    assert plan["reference_missing_share"] == plan["current_missing_share"] == 0.25
    assert plan["statistic"] == 0.0 and not body["drifted"]


# --- the progress bar -----------------------------------------------------------------------------


def test_the_progress_bar_shows_only_when_testing_takes_long(monkeypatch: pytest.MonkeyPatch) -> None:
    quick = monitor_drift._LateBar(disabled=False)
    with quick:
        quick.update(1, 10)
    assert quick.bar is None  # done within the delay: no bar at all
    monkeypatch.setattr(monitor_drift, "BAR_DELAY_SECONDS", 0.0)
    slow = monitor_drift._LateBar(disabled=False)
    with slow:
        slow.update(0, 10)
        slow.update(4, 10)
        assert slow.bar is not None and slow.bar.tasks[0].completed == 4 and slow.bar.tasks[0].total == 10
        assert slow.bar.console.stderr and slow.bar.live.transient  # on stderr, gone when done
    assert not slow.bar.live.is_started
    silent = monitor_drift._LateBar(disabled=True)  # --json
    with silent:
        silent.update(4, 10)
    assert silent.bar is None


def test_the_command_reports_progress_per_column(files: Path, elsewhere: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []
    original = monitor_drift._LateBar.update

    def spy(self, done: int, total: int) -> None:
        calls.append((done, total))
        original(self, done, total)

    monkeypatch.setattr(monitor_drift._LateBar, "update", spy)
    assert invoke(files / "early.parquet", files / "late.parquet", "-c", "age", "-c", "gender").exit_code == 1
    assert calls and calls[-1][0] == calls[-1][1] and {total for _, total in calls} == {calls[-1][1]}
