"""The bundle of `steward package` installed into a fresh virtual environment (as its Dockerfile does, without
Docker) serves the predictions of the training environment, exactly."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.lifecycle.packaging import package_model
from mlsteward.lifecycle.registry import load_model_version
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace

MODEL = "gss-income-model@1"
TEST_SPLIT = "gss-test-joined@1"
HEAVY = ("pandera", "optuna", "fairlearn", "sqlalchemy", "fastapi", "uvicorn", "typer")


def _run(command: list, timeout: float, cwd: Path | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(c) for c in command], check=False, capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return time.perf_counter() - started


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def installed(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory):
    """The quickstart's model version 1 packaged, and installed into a fresh virtual environment."""
    root = tmp_path_factory.mktemp("fresh-venv")
    folder = root / "qs"
    shutil.copytree(quickstart_project[0], folder)
    workspace = Workspace(resolve_settings(start=folder))
    started = time.perf_counter()
    result = package_model(workspace, load_spec(folder / "steward.yaml"), MODEL, root / "bundle")
    timings = {"package": time.perf_counter() - started}
    bundle, venv = Path(result.folder), root / "venv"
    timings["venv"] = _run([sys.executable, "-m", "venv", venv], 300)
    python = venv / "bin" / "python"
    timings["requirements"] = _run([python, "-m", "pip", "install", "-r", bundle / "requirements.lock"], 1800)
    wheel = next(f.path for f in result.files if f.path.startswith("wheels/"))
    timings["wheel"] = _run([python, "-m", "pip", "install", "--no-deps", bundle / wheel], 300)
    print("bundle timings (s):", {k: round(v, 1) for k, v in timings.items()})
    return workspace, bundle, python


@pytest.fixture(scope="module")
def service(installed):
    """serve.py running in the fresh environment (strict: it starts only with the recorded versions)."""
    workspace, bundle, python = installed
    log = open(bundle.parent / "serve.log", "w")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen([str(python), "serve.py", "--host", "127.0.0.1", "--port", "0", "--strict-env"],
                               cwd=bundle, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
        try:
            first = lines.get(timeout=180)
        except queue.Empty:
            pytest.fail(f"serve.py printed no address within 180 s: {_tail(bundle.parent / 'serve.log')}")
        found = re.search(r"on (http://127\.0\.0\.1:\d+) ", first)
        if found is None:
            process.wait(timeout=30)
            pytest.fail(f"serve.py did not start: {first!r}\n{_tail(bundle.parent / 'serve.log')}")
        yield workspace, found.group(1), python
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


@pytest.mark.slow
def test_the_fresh_environment_has_only_what_serving_needs(installed) -> None:
    _, _, python = installed
    probe = f"import importlib.util as u, json; print(json.dumps([m for m in {HEAVY!r} if u.find_spec(m)]))"
    done = subprocess.run([str(python), "-c", probe], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and json.loads(done.stdout) == [], done.stdout + done.stderr


@pytest.mark.slow
def test_the_bundle_serves_the_training_environments_predictions(service) -> None:
    workspace, url, _ = service
    health = json.loads(urllib.request.urlopen(f"{url}/healthz", timeout=30).read())
    assert health["model"] == MODEL and health["environment"]["matches"] is True
    assert {"scikit-learn", "pandas", "numpy", "skops", "mlsteward", "python"} <= set(health["environment"]["compared"])

    model = load_model_version(workspace, MODEL)
    rows = load_dataset(workspace, TEST_SPLIT)[model.input_columns]
    assert rows.isna().any().any()  # nulls travel as JSON null and are imputed as at training
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    status, answer = _post(f"{url}/predict", {"records": records})
    assert status == 200, answer
    assert answer["model"] == MODEL and answer["classes"] == model.classes_.tolist()
    assert np.array_equal(np.asarray(answer["predictions"]), model.predict(rows))
    expected = model.predict_proba(rows)
    served = np.asarray(answer["probabilities"], dtype="float64")
    assert served.shape == expected.shape == (len(rows), 2)
    assert np.max(np.abs(served - expected)) <= 1e-12


@pytest.mark.slow
def test_the_bundle_checks_rows_as_steward_serve_does(service) -> None:
    _, url, _ = service
    status, answer = _post(f"{url}/predict", {"records": [{"prestg10": "high"}]})
    assert status == 422 and answer["error"] == "invalid_input"
    fields = {p["field"] for p in answer["problems"]}
    assert {"prestg10", "educcat", "childs"} <= fields  # a wrong type and the missing columns, all at once
    request = urllib.request.Request(f"{url}/predict", data=b"{not json", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(request, timeout=30)
    assert bad.value.code == 400


@pytest.mark.slow
def test_the_wheel_rebuilt_from_a_regular_install_is_the_same(installed, tmp_path: Path) -> None:
    """The bundle's wheel came from the editable install here; rebuilt from the regular install in the fresh
    environment it is byte for byte the same (the archive is reproducible)."""
    _, bundle, python = installed
    script = ("import json, sys\nfrom pathlib import Path\nfrom mlsteward.lifecycle.self_wheel import build_self_wheel\n"
              "print(build_self_wheel(Path(sys.argv[1])).model_dump_json())")
    done = subprocess.run([str(python), "-c", script, str(tmp_path)], check=False, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    rebuilt = json.loads(done.stdout)
    assert rebuilt["source"]["kind"] == "installed"
    manifest = json.loads((bundle / "bundle.json").read_text())
    assert manifest["mlsteward"]["source"]["kind"] == "editable"
    assert rebuilt["sha256"] == manifest["mlsteward"]["sha256"]
