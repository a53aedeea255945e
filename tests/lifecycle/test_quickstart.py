"""The quickstart on the bundled real data: a project, feasibility, data evidence, splits, features, training."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.quickstart import run_quickstart
from mlsteward.spec import check_spec_file
from mlsteward.stages import StageStatus


def test_quickstart_walks_the_stages_that_exist(tmp_path) -> None:  # noqa: ANN001
    steps: list[str] = []
    result = run_quickstart(tmp_path / "qs", step=steps.append)
    assert check_spec_file(Path(result.spec)) == []
    assert result.dataset == "gss@1" and set(result.splits) == {"train", "validation", "test"}
    assert Path(result.data_report).read_text().startswith("<!DOCTYPE html>")
    statuses = {s.stage.value: s.status for s in result.board.stages}
    assert {statuses[s] for s in ("scoping", "data", "features", "training")} == {StageStatus.IN_PROGRESS}
    assert statuses["feasibility"] == StageStatus.PASSED and result.feasibility == "go" and len(steps) == 9
    assert Path(result.feasibility_report).read_text().startswith("<!DOCTYPE html>")
    assert result.feature_set == "gss-income@1" and Path(result.data_dictionary).exists()
    assert result.training_sets == {"train": "gss-train-joined@1", "validation": "gss-validation-joined@1",
                                    "test": "gss-test-joined@1"}
    assert result.test_validation == "passed"

    from mlsteward.lifecycle.datasets import load_dataset
    from mlsteward.settings import resolve_settings
    from mlsteward.workspace import Workspace

    workspace = Workspace(resolve_settings(start=tmp_path / "qs"))
    train = load_dataset(workspace, result.splits["train"])
    test = load_dataset(workspace, result.splits["test"])
    assert train["year"].max() < test["year"].min()
    run = workspace.store.runs.get(result.training_run)
    assert run.status == "finished" and run.params["train"] == "gss-train-joined@1"
    assert workspace.store.datasets.runs_of(run.id) == [("gss-train-joined@1", "train"),
                                                         ("gss-validation-joined@1", "validation")]
    assert run.tags["best_candidate"] in result.best_candidate
    features = workspace.store.feature_sets.get(result.feature_set)
    assert features.dataset == "gss-train-joined@1" and "age" not in features.summary["inputs"]  # audit only
    assert "gender" not in features.summary["inputs"]
    assert workspace.store.audit.verify().ok
    with pytest.raises(InvalidInput, match="already exists"):
        run_quickstart(tmp_path / "qs")
