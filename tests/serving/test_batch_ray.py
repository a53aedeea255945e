"""Batch scoring on a local Ray cluster gives exactly the single-machine scores, on a folder of Parquet
files and on one Parquet file split by its row groups; a bad input is refused before Ray starts."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "registry"))
from registry_project import build_project

from mlsteward.cli import score as score_cli
from mlsteward.cli.main import StewardGroup
from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.registry import register_model
from mlsteward.serving.batch import score_version
from mlsteward.serving.batch_ray import score_with_ray

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("batch-ray")
    built = build_project(root)
    register_model(built["workspace"], built["spec"], built["runs"][0], "wages")
    rows = gss_wages_with_target().drop(columns=["high_income"])
    rows.insert(0, "id", np.arange(len(rows)))
    (root / "folder").mkdir()
    for i, start in enumerate(range(0, len(rows), 10_000)):
        rows.iloc[start:start + 10_000].to_parquet(root / "folder" / f"day-{i:02d}.parquet", index=False)
    rows.to_parquet(root / "groups.parquet", index=False, row_group_size=4_000)
    built.update(root=root, rows=rows)
    yield built
    built["workspace"].store.close()


@pytest.fixture(scope="module")
def cluster():
    """One local Ray for the module; score_with_ray uses it as it finds it (and leaves it running)."""
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    if started:
        ray.shutdown()


@pytest.mark.parametrize("source", ["folder", "groups.parquet"])
def test_ray_scores_equal_the_local_engine(project: dict, cluster: None, tmp_path: Path, source: str) -> None:
    workspace, input_path = project["workspace"], project["root"] / source
    score_version(workspace, "wages", input_path, tmp_path / "local.parquet", keep=["id"], chunk_rows=3_000)
    seen: list[tuple[int, int | None]] = []
    result = score_with_ray(workspace, "wages", input_path, tmp_path / "scores", keep=["id"], chunk_rows=3_000,
                            progress=lambda done, total: seen.append((done, total)))
    rows = len(project["rows"])
    partitions = 4 if source == "folder" else 2 * 2  # the files; or 10 row groups in 2 per CPU
    assert (result.engine, result.model, result.rows, result.chunks) == ("ray", "wages@1", rows, partitions)
    assert sorted(p.name for p in (tmp_path / "scores").iterdir()) == [f"part-{i:05d}.parquet"
                                                                      for i in range(partitions)]
    assert ray.is_initialized() and seen[-1] == (rows, rows) and len(seen) == partitions
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary folder left
    scores = pd.read_parquet(tmp_path / "scores")  # the parts in name order
    pd.testing.assert_frame_equal(scores, pd.read_parquet(tmp_path / "local.parquet"))
    assert list(scores.columns) == result.columns == ["id", "prediction", "proba_0", "proba_1"]
    np.testing.assert_array_equal(scores["id"].to_numpy(), project["rows"]["id"].to_numpy())


def test_bad_input_is_refused_before_ray_starts(project: dict, tmp_path: Path) -> None:
    lacking = tmp_path / "lacking"
    lacking.mkdir()
    project["rows"].drop(columns=["educcat"]).head(10).to_parquet(lacking / "a.parquet", index=False)
    with pytest.raises(InvalidInput, match=r"lacks column\(s\) \['educcat'\]"):
        score_with_ray(project["workspace"], "wages@1", lacking, tmp_path / "out")
    project["rows"].head(10).to_csv(tmp_path / "rows.csv", index=False)
    with pytest.raises(InvalidInput, match="--engine local"):
        score_with_ray(project["workspace"], "wages@1", tmp_path / "rows.csv", tmp_path / "out")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("")
    with pytest.raises(InvalidInput, match="not an empty folder"):
        score_with_ray(project["workspace"], "wages@1", project["root"] / "folder", tmp_path / "taken")
    assert not (tmp_path / "out").exists()


def test_the_command_with_the_ray_engine(project: dict, cluster: None, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = typer.Typer(cls=StewardGroup)
    app.command("score")(score_cli.score)
    app.command("version")(lambda: None)
    monkeypatch.chdir(project["root"])
    monkeypatch.setenv("STEWARD_STORE_URL", f"sqlite:///{project['root'] / 's.db'}")
    monkeypatch.setenv("STEWARD_ARTIFACTS_URL", str(project["root"] / "artifacts"))
    done = CliRunner().invoke(app, ["score", "wages@1", str(project["root"] / "folder"), str(tmp_path / "scores"),
                                    "--engine", "ray", "--keep", "id"])
    assert done.exit_code == 0, done.output
    assert "scored 37,887 rows with wages@1" in done.output and "4 partitions, engine ray" in done.output
    assert len(pd.read_parquet(tmp_path / "scores")) == len(project["rows"])
