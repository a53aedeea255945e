"""`steward package NAME VERSION`: a self-contained bundle that serves one model version anywhere.

The bundle folder holds:

- ``model.skops`` and ``features.skops``: the model and its fitted feature pipeline, copied out of the
  artifact store through their sha256 (verified on read, and again as written);
- ``bundle.json``: the model reference, the files' digests, the input and output schemas, the feature
  definitions, the training run's environment record, the library versions serving checks against, and
  when, by whom and with which Steward version it was packaged (``BundleManifest``);
- ``requirements.lock``: the libraries the model runs on pinned to the versions its training run recorded,
  and what they need besides pinned to the versions installed now (``requirements_lock``);
- ``wheels/mlsteward-<version>-py3-none-any.whl``: Steward's code (the feature transformers), built from the
  installed package (``self_wheel``) and installed with ``--no-deps``;
- ``serve.py``: the entry point (``mlsteward.serving.bundle_server``): POST /predict, GET /healthz, the
  files' digests and the library versions checked at start;
- ``Dockerfile``: ``python:X.Y-slim`` of the training run's Python, the lock, the wheel, ``serve.py``;
- ``README.md``: how to run it.

Everything is checked before anything is written (the version exists, is stored as skops, holds only
allowed types, uses no custom feature function the bundle could not carry; the folder is new or empty,
or ``force``). The bundle is built in a hidden sibling folder and renamed into place once complete, so
a failure leaves no half bundle. The packaging is recorded as a run tagged ``kind=package`` with
``bundle.json`` and ``requirements.lock`` as artifacts: the evidence of what was shipped.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from importlib import resources
from pathlib import Path

import skops.io as sio
from pydantic import BaseModel

from mlsteward import __version__
from mlsteward.errors import ArtifactCorrupted, InvalidInput, NotFound, UnsafeArtifact
from mlsteward.lifecycle.folder_output import building_folder, check_target, file_sha256, install
from mlsteward.lifecycle.requirements_lock import LockedRequirements, lock_requirements, render_lock
from mlsteward.lifecycle.self_wheel import BuiltWheel, build_self_wheel
from mlsteward.models_io import refused_types
from mlsteward.spec import Spec
from mlsteward.store.models import ModelVersion, parse_model_ref
from mlsteward.workspace import Workspace

BUNDLE_FORMAT = 1
KIND = "package"
ENTRY_POINT = "serve.py"


class BundleManifest(BaseModel):
    """``bundle.json``: what the bundle holds and where it came from."""

    bundle_format: int = BUNDLE_FORMAT
    model: str  # NAME@VERSION
    name: str
    version: int
    run_id: str  # the training run
    feature_set: str | None
    files: dict[str, str]  # path in the bundle -> "sha256:<hex>" (model.skops, features.skops, the wheel)
    feature_definitions: list[dict]
    input_schema: dict
    output_schema: dict
    python: str | None  # the training run's Python version
    training_environment: dict  # the training run's record, as stored
    serving_packages: dict[str, str]  # what serve.py compares at start: the recorded versions of what it runs on
    requirements: dict[str, str]  # every pin of requirements.lock
    not_installed: dict[str, str]  # recorded at training, not needed to serve
    mlsteward: dict  # the wheel: path, version, sha256, source
    created_at_ms: int
    created_by: str
    steward_version: str
    notes: list[str]


class BundleFile(BaseModel):
    path: str
    sha256: str
    bytes: int


class BundleResult(BaseModel):
    """What `steward package` wrote (``--json`` prints this)."""

    model: str
    folder: str
    run_id: str  # the run tagged kind=package that records it
    python: str
    files: list[BundleFile]
    requirements: dict[str, str]
    not_installed: dict[str, str]
    notes: list[str]
    seconds: float


def package_model(workspace: Workspace, spec: Spec, ref: str, folder: str | os.PathLike[str], *,
                  force: bool = False) -> BundleResult:
    """Write the bundle of model version ``ref`` (``NAME@VERSION``, or ``NAME@ALIAS``) into ``folder``."""
    started = time.perf_counter()
    target = Path(folder).expanduser().absolute()
    version = _version(workspace, ref)
    run = workspace.store.runs.get(version.run_id)
    environment = dict(run.environment or {})
    model_bytes = _model_bytes(workspace, version)
    feature_set_ref = run.params.get("feature_set")
    features_bytes, definitions = None, []
    if feature_set_ref:
        record = workspace.store.feature_sets.get(feature_set_ref)
        _refuse_custom_functions(record.ref, record.definitions)
        features_bytes, definitions = workspace.artifacts.get_bytes(record.digest), record.definitions
    check_target(target, force, "bundle")

    notes: list[str] = []
    recorded = dict(environment.get("packages") or {})
    if not recorded:
        notes.append(f"the training run {run.id[:8]} recorded no library versions: the lock pins the versions "
                     "installed here, and serving checks nothing against a record")
    modules = _model_modules(model_bytes) | (_model_modules(features_bytes) if features_bytes else set())
    lock = lock_requirements(recorded, sorted(modules))
    python = environment.get("python") or _python_here(notes)
    now = dt.datetime.now(dt.UTC)

    building = building_folder(target)
    packaging_run = None
    try:
        files = {"model.skops": _write_verified(building / "model.skops", model_bytes, version.artifact_digest)}
        if features_bytes is not None:
            files["features.skops"] = _write_verified(building / "features.skops", features_bytes, record.digest)
        wheel = build_self_wheel(building / "wheels")
        wheel_path = f"wheels/{Path(wheel.path).name}"
        files[wheel_path] = wheel.sha256
        serving = dict(lock.recorded)
        if "mlsteward" in recorded:
            serving["mlsteward"] = recorded["mlsteward"]
            if recorded["mlsteward"] != wheel.version:
                notes.append(f"the model was trained with mlsteward {recorded['mlsteward']}; the bundle carries "
                             f"{wheel.version} (installed here): serve.py will warn")
        notes += lock.notes
        manifest = BundleManifest(
            model=version.ref, name=version.name, version=version.version, run_id=run.id,
            feature_set=feature_set_ref, files=files, feature_definitions=definitions,
            input_schema=version.input_schema, output_schema=version.output_schema, python=python,
            training_environment=environment, serving_packages=serving, requirements=lock.pins,
            not_installed=lock.not_installed,
            mlsteward={"wheel": wheel_path, "version": wheel.version, "sha256": wheel.sha256, "source": wheel.source},
            created_at_ms=int(now.timestamp() * 1000), created_by=workspace.store.actor, steward_version=__version__,
            notes=notes)
        lock_text = render_lock(lock, model=version.ref, run_id=run.id, wheel=wheel_path,
                                when=now.strftime("%Y-%m-%d %H:%M UTC"))
        manifest_bytes = manifest.model_dump_json(indent=2).encode()
        texts = {"bundle.json": manifest_bytes, "requirements.lock": lock_text.encode(),
                 ENTRY_POINT: _entry_point_source(),
                 "Dockerfile": dockerfile(version.ref, python, wheel_path, features_bytes is not None).encode(),
                 "README.md": _readme(manifest, lock).encode()}
        for name, data in texts.items():
            (building / name).write_bytes(data)
        packaging_run = _record(workspace, spec.project, version, target, manifest_bytes, texts["requirements.lock"],
                                wheel, python)
        install(building, target, force, "bundle")
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        if packaging_run is not None:
            packaging_run.end("failed")
        raise
    packaging_run.end("finished")
    listed = [BundleFile(path=p.relative_to(target).as_posix(), sha256=f"sha256:{file_sha256(p)}",
                         bytes=p.stat().st_size) for p in sorted(target.rglob("*")) if p.is_file()]
    return BundleResult(model=version.ref, folder=str(target), run_id=packaging_run.id, python=python, files=listed,
                        requirements=lock.pins, not_installed=lock.not_installed, notes=notes,
                        seconds=round(time.perf_counter() - started, 3))


def dockerfile(model: str, python: str, wheel: str, with_features: bool) -> str:
    """The bundle's Dockerfile: the training run's Python minor version, the lock, the wheel, serve.py."""
    minor = ".".join(python.split(".")[:2])
    files = ["bundle.json", "model.skops", *(["features.skops"] if with_features else []), ENTRY_POINT]
    return "\n".join([
        f"# The prediction service of {model}, written by `steward package` (Steward {__version__}).",
        f"# The model was trained on Python {python}: the image runs Python {minor}.",
        "#   docker build -t model . && docker run -p 8080:8080 model",
        f"FROM python:{minor}-slim",
        "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1",
        "WORKDIR /srv/model",
        "COPY requirements.lock ./",
        "RUN pip install --no-cache-dir -r requirements.lock",
        "COPY wheels/ ./wheels/",
        f"RUN pip install --no-cache-dir --no-deps {wheel}",
        f"COPY {' '.join(files)} ./",
        f"RUN python {ENTRY_POINT} --check",
        "ENV HOST=0.0.0.0 PORT=8080",
        "EXPOSE 8080",
        "USER nobody",
        f'CMD ["python", "{ENTRY_POINT}"]',
    ]) + "\n"


# ---------------------------------------------------------------------------------------------- checks
def _version(workspace: Workspace, ref: str) -> ModelVersion:
    name, which = parse_model_ref(ref)
    try:
        return workspace.store.models.resolve(ref)
    except NotFound:
        workspace.store.models.model(name)  # NotFound naming the model, when it is the model that is unknown
        versions = ", ".join(str(v.version) for v in workspace.store.models.versions(name)) or "none"
        raise NotFound(f"model {name} has no version or alias {which!r} (its versions: {versions}): name one of them, "
                       f"e.g. `steward package {name} {versions.split(', ')[0]}`") from None


def _model_bytes(workspace: Workspace, version: ModelVersion) -> bytes:
    if version.format != "skops":
        raise InvalidInput(f"{version.ref} is stored as {version.format}, which runs code when loaded: a bundle "
                           "carries only skops models (loaded without running code); retrain it with `steward train` "
                           "and register the new run")
    data = workspace.artifacts.get_bytes(version.artifact_digest)  # ArtifactCorrupted if the file was changed
    refused = refused_types(data)
    if refused:
        raise UnsafeArtifact(f"{version.ref} holds types a bundle will not load: {refused}; retrain it with "
                             "`steward train`")
    return data


def _refuse_custom_functions(feature_set: str, definitions: list[dict]) -> None:
    custom = [f"{d['name']} ({(d.get('params') or {}).get('function', '?')})" for d in definitions
              if d.get("transform") == "custom"]
    if custom:
        raise InvalidInput(f"feature set {feature_set} computes feature(s) {', '.join(custom)} with custom functions "
                           "registered in your code, which a bundle cannot carry: replace them with built-in "
                           "transforms in steward.yaml, refit, retrain, and package the new version")




def _model_modules(data: bytes) -> set[str]:
    """The top-level modules of the types a skops file names beyond skops' trusted ones (e.g. lightgbm)."""
    return {name.split(".")[0] for name in sio.get_untrusted_types(data=data)}


def _python_here(notes: list[str]) -> str:
    import platform

    here = platform.python_version()
    notes.append(f"the training run recorded no Python version: the Dockerfile uses this one ({here})")
    return here


# ---------------------------------------------------------------------------------------------- files
def _write_verified(path: Path, data: bytes, digest: str) -> str:
    path.write_bytes(data)
    written = f"sha256:{file_sha256(path)}"
    if written != digest:
        raise ArtifactCorrupted(f"the copy of {digest} in the bundle hashes to {written}: package again")
    return digest


def _entry_point_source() -> bytes:
    """The source of ``mlsteward.serving.bundle_server`` (read as a file: nothing of it runs here)."""
    return resources.files("mlsteward.serving").joinpath("bundle_server.py").read_bytes()


def _readme(manifest: BundleManifest, lock: LockedRequirements) -> str:
    inputs = ", ".join(c["name"] for c in manifest.input_schema.get("columns") or []) or "(no input schema)"
    return "\n".join([
        f"# {manifest.model}: prediction service bundle",
        "",
        (f"Written by `steward package` (Steward {manifest.steward_version}). The model was trained on Python "
         f"{manifest.python} with {', '.join(f'{k} {v}' for k, v in lock.recorded.items())}."),
        "",
        "Run it with Docker:",
        "",
        "    docker build -t model . && docker run -p 8080:8080 model",
        "",
        "or in a virtual environment of the same Python version:",
        "",
        "    python -m venv .venv && . .venv/bin/activate",
        "    pip install -r requirements.lock",
        f"    pip install --no-deps {manifest.mlsteward['wheel']}",
        "    python serve.py --port 8080",
        "",
        (f"Then `POST /predict` with `{{\"records\": [{{...}}]}}`, one object per row with the columns {inputs} "
         "(`null` where the training data had missing values), and `GET /healthz`. At start serve.py checks the "
         "files against bundle.json and the installed library versions against the training record "
         "(`--strict-env` refuses to start on a difference)."),
        "",
    ])


def _record(workspace: Workspace, project: str, version: ModelVersion, target: Path, manifest: bytes,
            lock: bytes, wheel: BuiltWheel, python: str):  # -> mlsteward.tracking.run.Run
    from mlsteward.tracking.environment import capture_environment
    from mlsteward.tracking.run import Run

    record = workspace.store.runs.create(
        experiment=project, name=f"package-{version.ref}", tags={"kind": KIND, "stage": "deployment",
                                                                 "model": version.ref},
        environment=capture_environment(str(workspace.settings.project_root)))
    run = Run(workspace, record)
    try:
        run.log_params({"model": version.ref, "training_run": version.run_id, "folder": str(target),
                        "python": python, "mlsteward_wheel": wheel.sha256})
        run.log_bytes(manifest, "bundle.json")
        run.log_bytes(lock, "requirements.lock")
        run.flush()
    except BaseException:
        run.end("failed")
        raise
    return run








__all__ = ["BUNDLE_FORMAT", "KIND", "BundleFile", "BundleManifest", "BundleResult", "dockerfile", "package_model"]
