"""``steward label`` end to end on the bundled reviews: create, import, audit, adjudicate (with the role checked),
finish into a label version, and the active-learning simulation's curve against random selection."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mlsteward.cli.main import app
from mlsteward.lifecycle.datasets import load_dataset

runner = CliRunner()


def steward(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_labeling_project_from_the_command_line(label_workspace, label_folder: Path,  # noqa: ANN001
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, _, ref = label_workspace
    code, out = steward("label", "create", "sentiment", "--data", ref, "--labels", "great,other", "--guideline",
                        "guideline.md", "--id-column", "review_id", "--text-column", "review", "--gold-share", "0.1",
                        "--gold-from", "score")
    assert code == 0, out
    assert "300 items" in out and "30 gold" in out
    code, out = steward("label", "create", "other", "--data", ref, "--labels", "great")
    assert code == 2 and "at least two different labels" in out

    reviews = load_dataset(workspace, ref).head(40)
    rows = [{"item": i, "annotator": who, "label": s if (who == "ana" or n % 4) else ("other" if s == "great"
                                                                                        else "great")}
            for n, (i, s) in enumerate(zip(reviews["review_id"], reviews["score"], strict=True)) for who in ("ana",
                                                                                                           "ben")]
    pd.DataFrame(rows).to_csv(label_folder / "labels.csv", index=False)
    code, out = steward("label", "import", "sentiment", "labels.csv")
    assert code == 0 and "80 answer(s) imported" in out, out

    code, out = steward("label", "quality", "sentiment", "--json", "--html", "audit.html")
    assert code == 0, out
    audit = json.loads(out)
    assert audit["progress"]["complete"] == 40 and audit["consensus_counts"]["tie"] == 10
    assert audit["agreement"]["pairs"][0]["observed_agreement"] == pytest.approx(0.75)
    assert "Fleiss" in (label_folder / "audit.html").read_text()

    tie = str(reviews["review_id"].iloc[0])
    code, out = steward("label", "adjudicate", "sentiment", tie, "great")
    assert code == 2 and "may not adjudicate" in out  # tester holds no role
    monkeypatch.setenv("STEWARD_USER", "dana")
    code, out = steward("label", "adjudicate", "sentiment", tie, "great", "--note", "five stars in the text")
    assert code == 0 and "decided by dana" in out, out

    code, out = steward("label", "finish", "sentiment", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert (result["version"]["name"], result["version"]["version"]) == ("sentiment", 1)
    assert result["rows"] == 31  # 30 agreed + 1 adjudicated
    assert result["version"]["parents"] == [ref]
    code, out = steward("label", "list", "--json")
    assert json.loads(out)[0]["status"] == "finished"


def test_the_simulation_shows_active_learning_against_random(label_workspace, label_folder: Path) -> None:  # noqa: ANN001
    _, _, ref = label_workspace
    code, out = steward("label", "simulate", ref, "--label", "score", "--text", "review", "--initial", "20",
                        "--batch", "20", "--budget", "100", "--repeats", "2", "--strategy", "margin", "--json")
    assert code == 0, out
    curve = json.loads(out)
    assert [p["labelled"] for p in curve["curve"]] == [20, 40, 60, 80, 100]
    assert curve["area_active"] == pytest.approx(sum(p["active_mean"] for p in curve["curve"]) / 5)
    assert curve["area_random"] == pytest.approx(sum(p["random_mean"] for p in curve["curve"]) / 5)
    code, out = steward("label", "simulate", ref, "--label", "score", "--text", "review", "--budget", "60",
                        "--repeats", "1")
    assert code == 0 and "active (entropy)" in out and "random" in out, out
    report = label_folder / ".steward" / "reports" / "reviews-1-labeling-curve-entropy.html"
    assert "Plotly.newPlot" in report.read_text() and "active (entropy)" in report.read_text()
    code, out = steward("label", "simulate", ref, "--label", "stars")
    assert code == 2 and "'stars' is not a column" in out
