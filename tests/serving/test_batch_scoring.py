"""Batch scoring with a registered model: the scores are the model's own ``predict_proba`` on the same rows
(CSV, Parquet, a folder of Parquet; Parquet or CSV out), chunking changes nothing, memory holds a few chunks
whatever the file's size, a missing column is refused before any file exists, and the output is atomic."""

from __future__ import annotations

import sys
import tracemalloc
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
from mlsteward.lifecycle.registry import load_model_version, register_model
from mlsteward.serving.batch import score_file, score_version

PROBA = ["proba_0", "proba_1"]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("batch-scoring")
    built = build_project(root)
    register_model(built["workspace"], built["spec"], built["runs"][0], "wages")
    rows = gss_wages_with_target().drop(columns=["high_income"])
    rows.insert(0, "id", np.arange(len(rows)) * 7 + 3)
    data = root / "data"
    data.mkdir()
    rows.to_parquet(data / "rows.parquet", index=False, row_group_size=10_000)
    rows.to_csv(data / "rows.csv", index=False)
    (data / "folder").mkdir()
    for i, start in enumerate(range(0, len(rows), 12_000)):
        rows.iloc[start:start + 12_000].to_parquet(data / "folder" / f"part-{i}.parquet", index=False)
    built.update(root=root, data=data, rows=rows, model=load_model_version(built["workspace"], "wages@1"))
    yield built
    built["workspace"].store.close()


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.suffix == ".csv" else pd.read_parquet(path)


def reference(path: Path) -> pd.DataFrame:
    """The same rows read by pandas, one frame (a folder: its files concatenated in name order)."""
    if path.is_dir():
        return pd.concat([pd.read_parquet(p) for p in sorted(path.glob("*.parquet"))], ignore_index=True)
    return read(path)


@pytest.mark.parametrize("source", ["rows.parquet", "rows.csv", "folder"])
@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_scores_are_the_models_own_predictions(project: dict, tmp_path: Path, source: str, suffix: str) -> None:
    model, input_path = project["model"], project["data"] / source
    out = tmp_path / f"scores{suffix}"
    result = score_version(project["workspace"], "wages", input_path, out, keep=["id"], chunk_rows=5_000)
    scores, rows = read(out), reference(input_path)
    assert list(scores.columns) == ["id", "prediction", *PROBA]
    assert (result.rows, result.model, result.engine, result.columns) == (len(rows), "wages@1", "local",
                                                                          list(scores.columns))
    per_file = [12_000, 12_000, 12_000, len(rows) - 36_000] if source == "folder" else [len(rows)]
    assert result.chunks == sum(-(-n // 5_000) for n in per_file)
    np.testing.assert_array_equal(scores["id"].to_numpy(), rows["id"].to_numpy())
    expected = model.predict_proba(rows)
    if suffix == ".parquet":
        np.testing.assert_array_equal(scores[PROBA].to_numpy(), expected)
    else:  # text round trip
        np.testing.assert_allclose(scores[PROBA].to_numpy(), expected, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(scores["prediction"].to_numpy(), model.predict(rows))
    assert 0.05 < scores["prediction"].mean() < 0.95  # both classes occur: the comparison can fail


def test_chunked_equals_unchunked(project: dict, tmp_path: Path) -> None:
    workspace, data = project["workspace"], project["data"]
    for source in ("rows.parquet", "rows.csv"):
        whole = score_version(workspace, "wages@1", data / source, tmp_path / "whole.parquet", keep=["id"],
                              chunk_rows=10**9)
        small = score_version(workspace, "wages@1", data / source, tmp_path / "small.parquet", keep=["id"],
                              chunk_rows=997)
        assert (whole.chunks, small.chunks) == (1, -(-whole.rows // 997))  # across row groups and CSV blocks
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "small.parquet"),
                                      pd.read_parquet(tmp_path / "whole.parquet"))


def _peak_bytes(call) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_holds_a_few_chunks_not_the_file(project: dict, tmp_path: Path) -> None:
    rows = project["rows"].sample(300_000, replace=True, random_state=1).reset_index(drop=True)
    rows["id"] = np.arange(len(rows))
    big = tmp_path / "big.parquet"
    rows.to_parquet(big, index=False, row_group_size=50_000)
    frame_bytes = int(rows[["id", "prestg10", "childs", "educcat"]].memory_usage(deep=True).sum())
    del rows
    model = project["model"]
    chunked = _peak_bytes(lambda: score_file(model, big, tmp_path / "a.parquet", keep=["id"], chunk_rows=5_000))
    whole = _peak_bytes(lambda: score_file(model, big, tmp_path / "b.parquet", keep=["id"], chunk_rows=300_000))
    # 60 chunks; a few in flight (read ahead, scored, written behind) and the model's temporaries
    assert chunked < frame_bytes / 3, (chunked, frame_bytes)
    assert chunked < whole / 5, (chunked, whole)  # the measure sees the file when it is held whole
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a.parquet"), pd.read_parquet(tmp_path / "b.parquet"))


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_a_missing_column_is_refused_before_any_file_exists(project: dict, tmp_path: Path, suffix: str) -> None:
    lacking = tmp_path / f"lacking{suffix}"
    rows = project["rows"].drop(columns=["educcat", "childs"]).head(100)
    rows.to_csv(lacking, index=False) if suffix == ".csv" else rows.to_parquet(lacking, index=False)
    out = tmp_path / "out" / "scores.parquet"
    out.parent.mkdir()
    with pytest.raises(InvalidInput) as caught:
        score_version(project["workspace"], "wages", lacking, out)
    message = caught.value.message
    assert "['childs', 'educcat']" in message and "wages@1" in message and "add them" in message
    assert list(out.parent.iterdir()) == []
    with pytest.raises(InvalidInput, match=r"cannot keep column\(s\) \['customer'\]"):
        score_version(project["workspace"], "wages", project["data"] / "rows.parquet", out, keep=["customer"])
    assert list(out.parent.iterdir()) == []


def test_one_file_of_a_folder_lacking_a_column_is_named(project: dict, tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    project["rows"].head(50).to_parquet(folder / "a.parquet", index=False)
    project["rows"].head(50).drop(columns=["prestg10"]).to_parquet(folder / "b.parquet", index=False)
    with pytest.raises(InvalidInput, match=r"b\.parquet.*lacks column\(s\) \['prestg10'\]"):
        score_version(project["workspace"], "wages", folder, tmp_path / "s.parquet")
    assert not (tmp_path / "s.parquet").exists()


def test_bad_arguments_are_refused_with_what_to_do(project: dict, tmp_path: Path) -> None:
    model, source = project["model"], project["data"] / "rows.parquet"
    cases = [({"output_path": tmp_path / "s.json"}, "end its name with .parquet"),
             ({"output_path": source}, "is the input"),
             ({"output_path": tmp_path / "nowhere" / "s.csv"}, "does not exist: create it"),
             ({"output_path": tmp_path / "s.csv", "chunk_rows": 0}, "chunk_rows must be a positive"),
             ({"output_path": tmp_path / "s.csv", "keep": ["prediction"]}, "collide"),
             ({"output_path": tmp_path / "s.csv", "input_path": tmp_path / "none.parquet"}, "does not exist")]
    for kwargs, text in cases:
        kwargs.setdefault("input_path", source)
        with pytest.raises(InvalidInput, match=text):
            score_file(model, **kwargs)
    assert list(tmp_path.iterdir()) == []


class Exploding:
    """The real model, failing on its third chunk (a crash mid-file)."""

    def __init__(self, model) -> None:
        self.model, self.calls = model, 0
        self.input_columns, self.classes_ = model.input_columns, model.classes_

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("out of memory")
        return self.model.predict_proba(frame)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_the_output_appears_only_when_complete(project: dict, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"scores{suffix}"
    out.write_text("yesterday's scores")
    with pytest.raises(RuntimeError, match="out of memory"):
        score_file(Exploding(project["model"]), project["data"] / "rows.parquet", out, chunk_rows=2_000)
    assert out.read_text() == "yesterday's scores" and [p.name for p in tmp_path.iterdir()] == [out.name]
    seen = []  # while scoring, the final name still holds the old file; the new one replaces it at the end
    score_file(project["model"], project["data"] / "rows.parquet", out, chunk_rows=10_000,
               progress=lambda done, total: seen.append((done, total, out.read_bytes() == b"yesterday's scores")))
    rows = len(project["rows"])
    assert seen == [(min(n, rows), rows, True) for n in range(10_000, rows + 10_000, 10_000)]
    assert len(read(out)) == rows and [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_bare_estimator_with_text_classes(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    rows = gss_wages_with_target().dropna(subset=["age", "prestg10"]).head(5_000)
    x = rows[["age", "prestg10"]]
    model = LogisticRegression().fit(x, np.where(rows["high_income"] == 1, "high", "low"))
    rows[["prestg10", "age", "year"]].to_csv(tmp_path / "rows.csv", index=False)
    result = score_file(model, tmp_path / "rows.csv", tmp_path / "s.parquet", keep=["year"], chunk_rows=1_234)
    scores = pd.read_parquet(tmp_path / "s.parquet")
    assert result.columns == list(scores.columns) == ["year", "prediction", "proba_high", "proba_low"]
    # the matrix product's rounding may differ in the last bit between a 1,234-row chunk and 5,000 rows
    np.testing.assert_allclose(scores[["proba_high", "proba_low"]].to_numpy(), model.predict_proba(x), rtol=1e-14)
    np.testing.assert_array_equal(scores["prediction"].to_numpy(), model.predict(x))


def test_the_command(project: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = typer.Typer(cls=StewardGroup)
    app.command("score")(score_cli.score)
    app.command("version")(lambda: None)
    monkeypatch.chdir(project["root"])
    monkeypatch.setenv("STEWARD_STORE_URL", f"sqlite:///{project['root'] / 's.db'}")
    monkeypatch.setenv("STEWARD_ARTIFACTS_URL", str(project["root"] / "artifacts"))
    runner = CliRunner()
    out = tmp_path / "scores.csv"
    done = runner.invoke(app, ["score", "wages@1", str(project["data"] / "rows.parquet"), str(out), "--keep", "id",
                               "--chunk-rows", "20000", "--json"])
    assert done.exit_code == 0, done.output
    import json

    payload = json.loads(done.stdout)
    assert (payload["rows"], payload["chunks"], payload["columns"]) == (len(project["rows"]), 2,
                                                                        ["id", "prediction", *PROBA])
    np.testing.assert_allclose(read(out)[PROBA].to_numpy(), project["model"].predict_proba(project["rows"]),
                               rtol=1e-15, atol=0)
    table = runner.invoke(app, ["score", "wages", str(project["data"] / "rows.csv"), str(tmp_path / "t.parquet")])
    assert table.exit_code == 0 and "scored 37,887 rows with wages@1" in table.output
    refused = runner.invoke(app, ["score", "wages", str(project["data"] / "rows.csv"), str(tmp_path / "u.parquet"),
                                  "--keep", "nope"])
    assert refused.exit_code == 2 and "cannot keep column(s) ['nope']" in refused.output
    assert not (tmp_path / "u.parquet").exists()
