"""`steward package`: the bundle's files, digests, lock and Dockerfile on the quickstart's model, and
environment parity (`compare_environment`, the served app's warning and strict refusal)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import sqlite3
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import typer
from starlette.testclient import TestClient
from typer.testing import CliRunner

from mlsteward.cli.package import package
from mlsteward.errors import InvalidInput, NotFound
from mlsteward.lifecycle.packaging import BundleResult, package_model
from mlsteward.serving.app import create_app
from mlsteward.serving.bundle_server import Bundle, BundleRefused
from mlsteward.serving.env_parity import EnvironmentMismatch, check_environment, compare_environment, serving_record
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace

MODEL = "gss-income-model@1"
# mlsteward's dependencies the entry point must not import (rich is left out: scikit-learn imports it when present)
HEAVY = {"pandera", "optuna", "fairlearn", "sqlalchemy", "alembic", "psycopg", "fastapi", "starlette", "uvicorn",
         "typer", "plotly", "jinja2", "fsspec", "orjson", "yaml", "httpx", "prometheus_client"}


def _copy(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    folder = tmp_path_factory.mktemp(name) / "qs"
    shutil.copytree(quickstart_project[0], folder)
    return folder


@pytest.fixture(scope="module")
def packaged(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory):
    """A copy of the quickstart's project and the bundle of its model version 1."""
    folder = _copy(quickstart_project, tmp_path_factory, "packaging")
    workspace = Workspace(resolve_settings(start=folder))
    spec = load_spec(folder / "steward.yaml")
    result = package_model(workspace, spec, MODEL, folder / "bundle")
    return workspace, spec, result


def _sha256(path: Path) -> str:
    return f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}"


def _pins(lock: str) -> dict[str, str]:
    pins = {}
    for line in lock.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name] = version
    return pins


def test_the_bundle_holds_the_artifacts_with_the_registrys_digests(packaged) -> None:
    workspace, _, result = packaged
    bundle = Path(result.folder)
    version = workspace.store.models.resolve(MODEL)
    run = workspace.store.runs.get(version.run_id)
    feature_set = workspace.store.feature_sets.get(run.params["feature_set"])
    listed = {f.path for f in result.files}
    wheel = f"wheels/mlsteward-{metadata.version('mlsteward')}-py3-none-any.whl"
    assert listed == {"bundle.json", "model.skops", "features.skops", "requirements.lock", "serve.py", "Dockerfile",
                      "README.md", wheel}
    manifest = json.loads((bundle / "bundle.json").read_text())
    assert manifest["model"] == MODEL and manifest["run_id"] == run.id
    assert manifest["files"]["model.skops"] == version.artifact_digest == _sha256(bundle / "model.skops")
    assert manifest["files"]["features.skops"] == feature_set.digest == _sha256(bundle / "features.skops")
    assert manifest["files"][wheel] == _sha256(bundle / wheel)
    assert (manifest["input_schema"], manifest["output_schema"]) == (version.input_schema, version.output_schema)
    assert manifest["feature_set"] == feature_set.ref and manifest["feature_definitions"] == feature_set.definitions
    assert manifest["training_environment"] == run.environment and manifest["python"] == run.environment["python"]
    assert manifest["created_by"] == workspace.store.actor and manifest["steward_version"] == metadata.version("mlsteward")
    # the entry point is Steward's bundle server, verbatim
    from mlsteward.serving import bundle_server

    assert (bundle / "serve.py").read_bytes() == Path(bundle_server.__file__).read_bytes()
    assert {f.sha256 for f in result.files if f.path == "bundle.json"} == {_sha256(bundle / "bundle.json")}
    assert not [p for p in bundle.parent.iterdir() if p.name.startswith(".bundle")]  # no building folder left


def test_the_lock_pins_the_versions_recorded_at_training(packaged) -> None:
    workspace, _, result = packaged
    bundle = Path(result.folder)
    recorded = workspace.store.runs.get(workspace.store.models.resolve(MODEL).run_id).environment["packages"]
    pins = _pins((bundle / "requirements.lock").read_text())
    manifest = json.loads((bundle / "bundle.json").read_text())
    served = {"numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "skops"}
    assert served <= set(recorded)
    assert {name: pins[name] for name in served} == {name: recorded[name] for name in served}
    # recorded but not imported to serve (e.g. optuna): listed, not installed; mlsteward comes from the wheel
    assert set(recorded) - served - {"mlsteward"} == set(manifest["not_installed"])
    assert "mlsteward" not in pins and not set(manifest["not_installed"]) & set(pins)
    assert manifest["serving_packages"] == {n: recorded[n] for n in (*served, "mlsteward")}
    # everything else is what those need, pinned to the versions installed now (and said so)
    for name in set(pins) - served:
        assert pins[name] == metadata.version(name), name
    assert {"joblib", "threadpoolctl", "pydantic"} <= set(pins)
    assert pins == manifest["requirements"] == result.requirements
    assert "pinned to the versions installed when the bundle was packaged" in (bundle / "requirements.lock").read_text()


def test_the_dockerfile_runs_the_recorded_python_and_installs_the_lock(packaged) -> None:
    workspace, _, result = packaged
    python = workspace.store.runs.get(workspace.store.models.resolve(MODEL).run_id).environment["python"]
    minor = ".".join(python.split(".")[:2])
    text = (Path(result.folder) / "Dockerfile").read_text()
    lines = text.splitlines()
    assert f"FROM python:{minor}-slim" in lines and python in text
    assert "RUN pip install --no-cache-dir -r requirements.lock" in lines
    wheel = next(f.path for f in result.files if f.path.startswith("wheels/"))
    assert f"RUN pip install --no-cache-dir --no-deps {wheel}" in lines
    assert lines.index("RUN pip install --no-cache-dir -r requirements.lock") < lines.index(
        f"RUN pip install --no-cache-dir --no-deps {wheel}")
    assert lines[-1] == 'CMD ["python", "serve.py"]'


def test_the_packaging_is_recorded_as_a_run(packaged) -> None:
    workspace, spec, result = packaged
    run = workspace.store.runs.get(result.run_id)
    assert run.status == "finished" and run.experiment == spec.project
    assert run.tags["kind"] == "package" and run.tags["model"] == MODEL
    artifacts = {a.path: a.digest for a in run.artifacts}
    assert artifacts["bundle.json"] == _sha256(Path(result.folder) / "bundle.json")
    assert artifacts["requirements.lock"] == _sha256(Path(result.folder) / "requirements.lock")


def test_the_entry_point_imports_none_of_stewards_heavy_dependencies(packaged) -> None:
    _, _, result = packaged
    script = (
        "import json, sys\nfrom pathlib import Path\n"
        f"sys.path.insert(0, {result.folder!r})\n"
        "import serve\n"
        f"bundle = serve.Bundle(Path({result.folder!r}))\n"
        "row = {c['name']: None for c in bundle.manifest['input_schema']['columns']}\n"
        "row.update(prestg10=47.0, childs=2.0, educcat='Bachelor', occrecode='Sales', wrkstat='Full-Time',"
        " maritalcat='Married')\n"
        "answer = bundle.predict({'records': [row]})\n"
        "print(json.dumps({'answer': answer, 'modules': sorted({m.split('.')[0] for m in sys.modules}),\n"
        "                  'steward': sorted(m for m in sys.modules if m.startswith('mlsteward'))}))\n")
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["answer"]["model"] == MODEL and len(shown["answer"]["probabilities"][0]) == 2
    assert HEAVY & set(shown["modules"]) == set()
    light = {"mlsteward", "mlsteward.errors", "mlsteward.models_io", "mlsteward.serving", "mlsteward.serving.schema",
             "mlsteward.serving.env_parity"}
    assert {m for m in shown["steward"] if not m.startswith("mlsteward.features")} == light


def test_the_entry_point_refuses_a_changed_file_and_strictly_a_changed_library(
        packaged, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    _, _, result = packaged
    copy = tmp_path / "bundle"
    shutil.copytree(result.folder, copy)
    manifest = json.loads((copy / "bundle.json").read_text())
    manifest["serving_packages"]["scikit-learn"] = "0.20.0"
    (copy / "bundle.json").write_text(json.dumps(manifest))
    with caplog.at_level(logging.WARNING, logger="mlsteward.serving"):
        loaded = Bundle(copy)
    assert not loaded.environment.matches
    assert [m.model_dump() for m in loaded.environment.mismatches] == [
        {"name": "scikit-learn", "trained": "0.20.0", "running": metadata.version("scikit-learn")}]
    assert "scikit-learn 0.20.0 at training" in caplog.text
    with pytest.raises(BundleRefused, match="scikit-learn 0.20.0 at training"):
        Bundle(copy, strict=True)
    data = bytearray((copy / "model.skops").read_bytes())
    data[-1] ^= 0xFF
    (copy / "model.skops").write_bytes(bytes(data))
    with pytest.raises(BundleRefused, match="model.skops was changed after packaging"):
        Bundle(copy)


def test_a_non_empty_folder_is_refused_unless_forced(packaged, tmp_path: Path) -> None:
    workspace, spec, _ = packaged
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    packaging_runs = len(workspace.store.runs.search("tags.kind = 'package'", experiment=spec.project))
    with pytest.raises(InvalidInput, match=r"is not empty \(1 entries\).*--force"):
        package_model(workspace, spec, MODEL, target)
    assert [p.name for p in target.iterdir()] == ["notes.txt"]  # untouched
    assert len(workspace.store.runs.search("tags.kind = 'package'", experiment=spec.project)) == packaging_runs
    forced = package_model(workspace, spec, MODEL, target, force=True)
    assert not (target / "notes.txt").exists() and (target / "serve.py").is_file()
    assert forced.folder == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]  # no building or replaced folder left


def test_an_unknown_version_or_model_is_a_clear_error(packaged, tmp_path: Path) -> None:
    workspace, spec, _ = packaged
    with pytest.raises(NotFound, match=r"gss-income-model has no version or alias '99' \(its versions: 2, 1\): "
                                       r".*`steward package gss-income-model 2`"):
        package_model(workspace, spec, "gss-income-model@99", tmp_path / "b")
    with pytest.raises(NotFound, match="no-such-model"):
        package_model(workspace, spec, "no-such-model@1", tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_the_command_prints_the_result_as_json(packaged, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace, _, _ = packaged
    monkeypatch.chdir(workspace.settings.project_root)
    cli = typer.Typer()
    cli.command()(package)
    shown = CliRunner().invoke(cli, ["gss-income-model", "1", "--output", str(tmp_path / "b"), "--json"])
    assert shown.exit_code == 0, shown.output
    result = BundleResult.model_validate_json(shown.output)
    assert result.model == MODEL and Path(result.folder, "serve.py").is_file()
    text = CliRunner().invoke(cli, ["gss-income-model", "1", "-o", str(tmp_path / "c")])
    assert text.exit_code == 0, text.output
    assert re.search(r"Wrote the bundle of gss-income-model@1 to .*: 8 files", text.output.replace("\n", ""))


# -- environment parity ---------------------------------------------------------------------------------
def test_compare_environment_on_hand_made_records() -> None:
    same = compare_environment({"numpy": "2.0.1", "scikit-learn": "1.5.0"}, {"numpy": "2.0.1", "scikit_learn": "1.5.0"})
    assert same.matches and same.mismatches == [] and same.missing == []
    differs = compare_environment({"numpy": "2.0.1", "scikit-learn": "1.5.0", "optuna": "4.0.0"},
                                  {"numpy": "2.0.1", "scikit-learn": "1.6.1"})
    assert not differs.matches
    assert [m.model_dump() for m in differs.mismatches] == [{"name": "scikit-learn", "trained": "1.5.0",
                                                             "running": "1.6.1"}]
    assert differs.missing == ["optuna"]
    assert differs.describe() == "scikit-learn 1.5.0 at training, 1.6.1 here; optuna not installed"
    # by default the running versions are the installed ones
    here = compare_environment({"numpy": metadata.version("numpy"), "no-such-dist": "1.0"})
    assert here.mismatches == [] and here.missing == ["no-such-dist"]
    assert compare_environment({}).matches


def test_serving_compares_the_libraries_computing_predictions() -> None:
    recorded = {"mlsteward": "0.1.0", "numpy": "2.0.1", "scikit-learn": "1.5.0", "optuna": "4.0.0",
                "onnxruntime": "1.17.0", "lightgbm": "4.5.0", "xgboost": "2.1.0"}
    # a tuning or export library is not compared; a model library only where it is installed
    assert serving_record(recorded, running={"lightgbm": "4.5.0"}) == {
        "mlsteward": "0.1.0", "numpy": "2.0.1", "scikit-learn": "1.5.0", "lightgbm": "4.5.0"}
    assert serving_record({"scikit_learn": "1.5.0", "optuna": "4.0.0"}, running={}) == {"scikit_learn": "1.5.0"}


def test_check_environment_warns_or_refuses(caplog: pytest.LogCaptureFixture) -> None:
    recorded, running = {"pandas": "2.2.0"}, {"pandas": "3.0.0"}
    with caplog.at_level(logging.WARNING, logger="mlsteward.serving"):
        parity = check_environment(recorded, "m@1", running=running)
    assert not parity.matches and "m@1 was trained with other library versions" in caplog.text
    assert "pandas 2.2.0 at training, 3.0.0 here" in caplog.text
    with pytest.raises(EnvironmentMismatch, match="pandas 2.2.0 at training, 3.0.0 here"):
        check_environment(recorded, "m@1", strict=True, running=running)
    assert check_environment(running, "m@1", strict=True, running=running).matches


@pytest.fixture(scope="module")
def doctored(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the quickstart whose model version 1 says it was trained with scikit-learn 0.20.0."""
    folder = _copy(quickstart_project, tmp_path_factory, "doctored")
    workspace = Workspace(resolve_settings(start=folder))
    run = workspace.store.runs.get(workspace.store.models.resolve(MODEL).run_id)
    environment = {**run.environment, "packages": {**run.environment["packages"], "scikit-learn": "0.20.0"}}
    with sqlite3.connect(folder / ".steward" / "steward.db") as conn:
        conn.execute("UPDATE runs SET environment = ? WHERE id = ?", (json.dumps(environment), run.id))
    return Workspace(resolve_settings(start=folder))


def _row(workspace: Workspace) -> dict:
    from mlsteward.lifecycle.datasets import load_dataset

    frame = load_dataset(workspace, "gss-test-joined@1").head(3)
    columns = [c["name"] for c in workspace.store.models.resolve(MODEL).input_schema["columns"]]
    return {"records": frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")}


def test_the_served_app_warns_of_a_training_environment_that_differs(doctored: Workspace,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="mlsteward.serving"), \
            TestClient(create_app(doctored, require_token=False, dashboard=False)) as client:
        answer = client.post(f"/v1/models/{MODEL}/predict", json=_row(doctored))
        ready = client.get("/readyz").json()
    assert answer.status_code == 200, answer.text
    here = metadata.version("scikit-learn")
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "other library versions" in r.getMessage()]
    assert len(warned) == 1 and f"scikit-learn 0.20.0 at training, {here} here" in warned[0].getMessage()
    assert ready["environment"][MODEL]["mismatches"] == [{"name": "scikit-learn", "trained": "0.20.0",
                                                          "running": here}]


def test_the_served_app_refuses_it_in_strict_mode(doctored: Workspace) -> None:
    with TestClient(create_app(doctored, require_token=False, dashboard=False, strict_environment=True),
                    raise_server_exceptions=False) as client:
        answer = client.post(f"/v1/models/{MODEL}/predict", json=_row(doctored))
        other = client.post("/v1/models/gss-income-model@2/predict", json=_row(doctored))
    assert answer.status_code == 500 and answer.json()["error"] == "environment_mismatch"
    assert "scikit-learn 0.20.0 at training" in answer.json()["message"]
    assert other.status_code == 200, other.text  # version 2's record is intact: served


def test_an_undoctored_record_serves_without_warning(packaged, caplog: pytest.LogCaptureFixture) -> None:
    workspace, _, _ = packaged
    with caplog.at_level(logging.WARNING, logger="mlsteward.serving"), \
            TestClient(create_app(workspace, require_token=False, dashboard=False, strict_environment=True)) as client:
        answer = client.post(f"/v1/models/{MODEL}/predict", json=_row(workspace))
        ready = client.get("/readyz").json()
    assert answer.status_code == 200, answer.text
    assert "environment" not in ready and "other library versions" not in caplog.text


def test_steward_serve_takes_strict_env(doctored: Workspace) -> None:
    from mlsteward.cli.main import app as steward
    from mlsteward.cli.serve import _app

    shown = CliRunner().invoke(steward, ["serve", "--help"])
    assert shown.exit_code == 0 and "--strict-env" in shown.output
    strict = _app(doctored, {"require_token": False, "log": False, "strict_environment": True})
    assert strict.state.host.strict_environment is True
    assert _app(doctored, {"require_token": False, "log": False}).state.host.strict_environment is False
