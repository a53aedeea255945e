"""Registering tables, frames and folders; loading them back; bad input loses nothing."""

from __future__ import annotations

import hashlib
import json
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.datasets import add_dataset, folder_manifest, load_dataset
from mlsteward.settings import Settings
from mlsteward.workspace import Workspace


@pytest.fixture
def workspace(store_url: str, tmp_path) -> Workspace:  # noqa: ANN001
    ws = Workspace(Settings(project_root=tmp_path, spec_path=None, store_url=store_url,
                            artifacts_url=str(tmp_path / "artifacts")))
    yield ws
    ws.store.close()


FRAME = pd.DataFrame({"age": [34, 51, 29], "city": ["Oslo", "Lima", "Pune"], "income": [51.5, None, 38.0]})


def _nothing_registered(ws: Workspace) -> bool:
    return ws.store.datasets.list() == [] and ws.store.audit.list() == []


def test_csv_round_trip_with_schema_and_dedup(workspace: Workspace, tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "people.csv"
    FRAME.to_csv(path, index=False)
    version, created = add_dataset(workspace, path, name="people", description="three people")
    assert created and version.ref == "people@1" and (version.rows, version.columns) == (3, 3)
    assert [c["name"] for c in version.column_types] == ["age", "city", "income"]
    assert version.format == "csv" and version.source == str(path.resolve()) and version.owner == "tester"
    again, created_again = add_dataset(workspace, path, name="people")
    assert not created_again and again.ref == "people@1"
    back = load_dataset(workspace, "people@1")
    pd.testing.assert_frame_equal(back, FRAME, check_dtype=False)
    # the stored snapshot is what the digest says
    assert version.digest == "sha256:" + hashlib.sha256(workspace.artifacts.get_bytes(version.digest)).hexdigest()


def test_frames_parquet_and_arrow(workspace: Workspace, tmp_path) -> None:  # noqa: ANN001
    from_pandas, _ = add_dataset(workspace, FRAME, name="people")
    assert from_pandas.format == "pandas"
    arrow, created = add_dataset(workspace, pa.Table.from_pandas(FRAME, preserve_index=False), name="people")
    assert not created and arrow.ref == from_pandas.ref  # same content, same version
    path = tmp_path / "people.parquet"
    pq.write_table(pa.Table.from_pandas(FRAME.assign(extra=1), preserve_index=False), path)
    parquet, _ = add_dataset(workspace, path, name="people", parents=["people@1"], transformation="extra = 1")
    assert parquet.ref == "people@2" and parquet.format == "parquet" and parquet.parents == ["people@1"]
    assert workspace.artifacts.get_bytes(parquet.digest) == path.read_bytes()  # stored byte for byte
    assert list(load_dataset(workspace, "people@2").columns) == ["age", "city", "income", "extra"]


def test_folder_manifest_and_unchanged_files_are_not_read_again(workspace: Workspace, tmp_path,  # noqa: ANN001
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "images"
    (folder / "cats").mkdir(parents=True)
    (folder / "cats" / "1.jpg").write_bytes(b"cat one")
    (folder / "dog.jpg").write_bytes(b"dog")
    (folder / ".DS_Store").write_bytes(b"junk")
    version, _ = add_dataset(workspace, folder, name="pets")
    assert version.kind == "folder" and version.rows == 2 and version.size_bytes == 10
    manifest = folder_manifest(workspace, "pets@1")
    assert manifest == [{"path": "cats/1.jpg", "size": 7, "digest": "sha256:" + hashlib.sha256(b"cat one").hexdigest()},
                        {"path": "dog.jpg", "size": 3, "digest": "sha256:" + hashlib.sha256(b"dog").hexdigest()}]
    assert workspace.artifacts.get_bytes(manifest[1]["digest"]) == b"dog"

    reads = []
    original = workspace.artifacts.put_files
    monkeypatch.setattr(workspace.artifacts, "put_files", lambda ps: reads.extend(os.path.basename(p) for p in ps) or original(ps))
    again, created = add_dataset(workspace, folder, name="pets")
    assert not created and again.ref == "pets@1" and reads == []  # nothing re-hashed
    (folder / "dog.jpg").write_bytes(b"dog 2")
    os.utime(folder / "dog.jpg", ns=(1, 1))
    changed, created = add_dataset(workspace, folder, name="pets")
    assert created and changed.ref == "pets@2" and reads == ["dog.jpg"]
    with pytest.raises(InvalidInput, match="is a folder of files"):
        load_dataset(workspace, "pets@2")


def test_run_records_the_versions_it_used(workspace: Workspace) -> None:
    run = workspace.store.runs.create(experiment="e")
    add_dataset(workspace, FRAME, name="people", run_id=run.id, role="output")
    load_dataset(workspace, "people", run_id=run.id, role="train")
    assert workspace.store.datasets.runs_of(run.id) == [("people@1", "train")]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "the file is empty"),
    (b"a,b\n1,2\n3,4,5\n", "different number of fields"),
    ("name,city\nJos\xe9,M\xe1laga\n".encode("latin-1"), "not valid utf-8.*--encoding latin-1"),
    (b"a,b\n", "header but no rows"),
    (b"a,a\n1,2\n", "duplicate column names 'a'"),
])
def test_bad_csv_names_the_problem_and_registers_nothing(workspace: Workspace, tmp_path, content: bytes,  # noqa: ANN001
                                                        message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message) as info:
        add_dataset(workspace, path, name="bad")
    assert "bad.csv" in str(info.value)
    assert _nothing_registered(workspace)
    assert not list((tmp_path / "artifacts").rglob("sha256/*/*"))


def test_other_bad_input(workspace: Workspace, tmp_path) -> None:  # noqa: ANN001
    cases = {
        "missing": (tmp_path / "nope.csv", "no such file"),
        "parquet": (tmp_path / "broken.parquet", "cannot read .* as Parquet"),
        "suffix": (tmp_path / "data.xlsx", "expected a .csv \\(or .csv.gz\\) or .parquet"),
        "empty folder": (tmp_path / "empty", "holds no files"),
    }
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "data.xlsx").write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    for path, message in cases.values():
        with pytest.raises(InvalidInput, match=message):
            add_dataset(workspace, path, name="bad")
    with pytest.raises(InvalidInput, match="cannot register a list"):
        add_dataset(workspace, [1, 2], name="bad")
    with pytest.raises(InvalidInput, match="Columns must hold one type"):
        add_dataset(workspace, pd.DataFrame({"mixed": [1, "two", 3.0]}), name="bad")
    assert _nothing_registered(workspace)


def test_cli_data_commands(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from mlsteward.cli.main import app

    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init", ".", "--name", "demo"]).exit_code == 0
    FRAME.to_csv(tmp_path / "people.csv", index=False)
    added = runner.invoke(app, ["data", "add", "people.csv", "--name", "people", "--json"])
    assert added.exit_code == 0, added.output
    body = json.loads(added.output)
    assert body["dataset"]["rows"] == 3
    checks = {c["name"]: c["passed"] for c in body["assessment"]["quality"]["checks"]}  # the template's SLAs
    assert checks == {"completeness": False, "duplicate_rate": True, "min_rows": False, "freshness": None}
    assert "data.target 'churned_30d' is not a column of people@1" in body["assessment"]["notes"][0]
    assert "Unchanged" in runner.invoke(app, ["data", "add", "people.csv", "-n", "people"]).output
    FRAME.head(2).to_csv(tmp_path / "two.csv", index=False)
    derived = runner.invoke(app, ["data", "add", "two.csv", "-n", "two", "-p", "people@1", "-t", "head(2)"])
    assert derived.exit_code == 0, derived.output
    listed = json.loads(runner.invoke(app, ["data", "list", "--json"]).output)
    assert [v["name"] for v in listed] == ["people", "two"]
    shown = runner.invoke(app, ["data", "show", "people@1"])
    assert "income" in shown.output and "double" in shown.output
    lineage = json.loads(runner.invoke(app, ["data", "lineage", "two@1", "--json"]).output)
    assert lineage["ancestors"] == [{"parent": "people@1", "child": "two@1", "transformation": "head(2)"}]
    assert "evidence  contract recorded" in shown.output and "steward data report people@1" in shown.output
    exported = runner.invoke(app, ["data", "report", "people@1", "-o", str(tmp_path / "r.html")])
    assert exported.exit_code == 0 and (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    FRAME.tail(1).to_csv(tmp_path / "one.csv", index=False)
    assert runner.invoke(app, ["data", "add", "one.csv", "-n", "one", "--no-assess"]).exit_code == 0
    no_report = runner.invoke(app, ["data", "report", "one@1"])
    assert no_report.exit_code == 2 and "one@1 has no recorded report" in no_report.output
    missing = runner.invoke(app, ["data", "show", "people@9"])
    assert missing.exit_code == 2 and missing.output.startswith("error: no version 9")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    bad = runner.invoke(app, ["data", "add", "ragged.csv", "-n", "ragged"])
    assert bad.exit_code == 2 and "ragged.csv" in bad.output and "Traceback" not in bad.output


def test_compressed_csv(workspace: Workspace, tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "people.csv.gz"
    FRAME.to_csv(path, index=False)  # gzip, from the suffix
    version, _ = add_dataset(workspace, path, name="people")
    assert version.format == "csv" and version.rows == 3
    pd.testing.assert_frame_equal(load_dataset(workspace, version.ref), FRAME, check_dtype=False)


def test_cli_example_writes_the_bundled_data(tmp_path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from mlsteward.cli.main import app
    from mlsteward.datasets import gss_wages_with_target

    result = CliRunner().invoke(app, ["data", "example", str(tmp_path / "gss.csv")])
    assert result.exit_code == 0, result.output
    written = pd.read_csv(tmp_path / "gss.csv")
    assert written.shape == gss_wages_with_target().shape and written["high_income"].sum() == 15_511


def test_unchanged_parquet_file_is_not_read_again(workspace: Workspace, tmp_path,  # noqa: ANN001
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "people.parquet"
    FRAME.to_parquet(path)
    first, _ = add_dataset(workspace, path, name="people")
    monkeypatch.setattr(workspace.artifacts, "put_file", lambda p: pytest.fail("read again"))
    again, created = add_dataset(workspace, path, name="people")
    assert not created and again.ref == first.ref
    monkeypatch.undo()
    FRAME.head(2).to_parquet(path)  # changed: stored again, a new version
    changed, created = add_dataset(workspace, path, name="people")
    assert created and changed.ref == "people@2" and changed.rows == 2


def test_file_hash_cache_is_per_host(workspace: Workspace, tmp_path,  # noqa: ANN001
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "people.parquet"
    FRAME.to_parquet(path)
    add_dataset(workspace, path, name="people")
    reads = []
    original = workspace.artifacts.put_file
    monkeypatch.setattr(workspace.artifacts, "put_file", lambda p: reads.append(p) or original(p))
    monkeypatch.setattr("socket.gethostname", lambda: "another-machine")  # same path, another host
    again, created = add_dataset(workspace, path, name="people")
    assert reads == [path] and not created and again.ref == "people@1"
