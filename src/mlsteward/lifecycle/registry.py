"""`steward models register` and loading a registered version: a trained run becomes version N.

A version points at the run's model artifact in the content-addressed store (skops by default, so
loading runs no code from the file; a pickle or joblib file is registered as such and loads only with
``trusted=True``). Every load reads the artifact through its sha256, so a tampered file is refused.
Registration records the input schema (the training data's columns the features read, with the
ranges and categories seen there), the output schema, the lineage (run -> dataset versions ->
feature set -> code commit) and the metrics; where the estimator converts, an ONNX copy is stored
alongside (its outputs checked against the estimator's on training rows).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from mlsteward.errors import InvalidInput, StewardError, UnsafeArtifact
from mlsteward.lifecycle.features import load_feature_set
from mlsteward.models_io import load_model
from mlsteward.spec import Spec
from mlsteward.store.models import ModelVersion, NewModelVersion
from mlsteward.store.runs import RunRecord
from mlsteward.train.onnx_export import export_onnx
from mlsteward.train.scoring import scoring_model
from mlsteward.workspace import Workspace

MODEL_FILES = {"model.skops": "skops", "model.pkl": "pickle", "model.pickle": "pickle", "model.joblib": "pickle"}


class RegistrationOutcome(BaseModel):
    version: ModelVersion
    created: bool


class ModelLineage(BaseModel):
    model: str
    run: str
    experiment: str
    training_run: str | None
    datasets: dict[str, str]  # role -> NAME@VERSION
    upstream: list[str]  # the datasets those were made from
    feature_set: str | None
    code_commit: str | None
    code_dirty: bool | None
    evaluations: list[str]


def register_model(workspace: Workspace, spec: Spec, run_ref: str, name: str, *,
                   description: str = "") -> RegistrationOutcome:
    """Register the trained run ``run_ref`` (a run id, ``best``, or a candidate of the latest training)
    as the next version of model ``name``."""
    from mlsteward.lifecycle.evaluation import resolve_model_run

    run = _model_run(workspace, spec.project, run_ref, resolve_model_run)
    path, format_ = _artifact_of(run)
    digest = next(a.digest for a in run.artifacts if a.path == path)
    estimator = load_model(workspace.artifacts.get_bytes(digest)) if format_ == "skops" else None
    feature_set_ref = run.params.get("feature_set")
    onnx_digest, onnx_note = None, "not converted: only skops models are converted to ONNX"
    input_schema: dict = {"columns": [], "note": "the run records no feature set: no input schema"}
    output_schema = _output_schema(estimator)
    if feature_set_ref and estimator is not None:
        fs, fs_record = load_feature_set(workspace, feature_set_ref)
        input_schema = _input_schema(workspace, fs.input_columns, fs_record.summary.get("input_reference", {}),
                                     run.params.get("train"))
        sample = _training_sample(workspace, run.params.get("train"), fs.input_columns)
        onnx_bytes, onnx_note = export_onnx(estimator, fs.transform(sample) if sample is not None else None)
        onnx_digest = workspace.artifacts.put_bytes(onnx_bytes).digest if onnx_bytes else None
    metrics = {k: float(v) for k, v in run.metrics.items() if v is not None}
    evaluations = workspace.store.evaluations.list(model_run_id=run.id)
    if evaluations and evaluations[0].value is not None:
        metrics[f"test_{evaluations[0].metric}"] = float(evaluations[0].value)
    version, created = workspace.store.models.register(NewModelVersion(
        name=name, project=spec.project, run_id=run.id, format=format_, artifact_digest=digest,
        onnx_digest=onnx_digest, onnx_note=onnx_note, input_schema=input_schema, output_schema=output_schema,
        lineage=lineage_of(workspace, run, name).model_dump(), metrics=metrics, description=description))
    return RegistrationOutcome(version=version, created=created)


def load_model_version(workspace: Workspace, ref: str, *, trusted: bool = False) -> Any:
    """The model of version ``ref`` (``NAME``, ``NAME@3``, ``NAME@champion``), ready to predict on raw rows.

    The artifact is read through its sha256 (``ArtifactCorrupted`` if the file was changed); a skops
    file loads only Steward's allowed types; a pickle loads only with ``trusted=True``.
    """
    version = workspace.store.models.resolve(ref)
    data = workspace.artifacts.get_bytes(version.artifact_digest)
    if version.format == "pickle":
        if not trusted:
            raise UnsafeArtifact(f"{version.ref} is a pickle file, which runs any code it holds when loaded: load "
                                 "it with trusted=True (CLI: --trusted) only if you trust who wrote it, or "
                                 "retrain it with `steward train` to store it in the safe skops format")
        import pickle

        estimator = pickle.loads(data)
    else:
        estimator = load_model(data, trusted=trusted)
    feature_set = workspace.store.runs.get(version.run_id).params.get("feature_set")
    if not feature_set:
        return estimator
    fs, _ = load_feature_set(workspace, feature_set)
    return scoring_model(fs, estimator)


def lineage_of(workspace: Workspace, run: RunRecord, model: str) -> ModelLineage:
    datasets = {role: ref for ref, role in workspace.store.datasets.runs_of(run.id)}
    for role in ("train", "validation"):
        if run.params.get(role):
            datasets.setdefault(role, run.params[role])
    upstream: list[str] = []
    for ref in dict.fromkeys(datasets.values()):
        upstream += [edge.parent for edge in workspace.store.datasets.lineage(ref).ancestors]
    git = (run.environment or {}).get("git") or {}
    return ModelLineage(model=model, run=run.id, experiment=run.experiment, training_run=run.parent_id,
                        datasets=datasets, upstream=sorted(set(upstream) - set(datasets.values())),
                        feature_set=run.params.get("feature_set"), code_commit=git.get("commit"),
                        code_dirty=git.get("dirty"),
                        evaluations=[e.id for e in workspace.store.evaluations.list(model_run_id=run.id)])


def _model_run(workspace: Workspace, project: str, ref: str, resolve) -> RunRecord:
    """The run to register: a Steward candidate fit, or any run holding a model file."""
    try:
        run = workspace.store.runs.get(ref)
    except StewardError:  # not a run id: best, or a candidate's name
        return resolve(workspace, project, ref)
    _artifact_of(run)
    return run


def _artifact_of(run: RunRecord) -> tuple[str, str]:
    for artifact in run.artifacts:
        if artifact.path in MODEL_FILES:
            return artifact.path, MODEL_FILES[artifact.path]
    raise InvalidInput(f"run {run.id[:8]} ({run.name}) holds no model file ({', '.join(MODEL_FILES)}): register a "
                       "`best-<candidate>` run of `steward train` (`steward runs list`), or log your model as "
                       "model.skops (mlsteward.models_io.dump_model)")


def _output_schema(estimator: Any) -> dict:
    if estimator is None:
        return {}
    classes = getattr(estimator, "classes_", None)
    if classes is None:
        return {"task": "regression", "prediction": {"dtype": "float64"}}
    values = [c.item() if hasattr(c, "item") else c for c in classes]
    return {"task": "classification", "prediction": {"dtype": str(classes.dtype), "classes": values},
            "probabilities": {"dtype": "float64", "columns": [str(v) for v in values]}}


def _input_schema(workspace: Workspace, columns: list[str], reference: dict, train_ref: str | None) -> dict:
    """Per raw input column: its type in the training data, and the ranges and categories seen there."""
    types: dict[str, str] = {}
    if train_ref:
        types = {c["name"]: c.get("type", "") for c in workspace.store.datasets.get(train_ref).column_types}
    seen = {c["column"]: c for c in reference.get("columns", [])}
    out = []
    for column in columns:
        ref = seen.get(column, {})
        entry = {"name": column, "dtype": types.get(column, "unknown"), "kind": ref.get("kind"),
                 "nullable": bool(ref.get("missing_rate", 0) > 0)}
        for key in ("min", "max", "categories"):
            if ref.get(key) is not None:
                entry[key] = ref[key]
        out.append(entry)
    return {"columns": out, "source": train_ref}


def _training_sample(workspace: Workspace, train_ref: str | None, columns: list[str], rows: int = 256):
    if not train_ref:
        return None
    from mlsteward.lifecycle.datasets import load_dataset

    frame = load_dataset(workspace, train_ref)
    return frame[columns].head(rows) if set(columns) <= set(frame.columns) else None


__all__ = ["ModelLineage", "RegistrationOutcome", "lineage_of", "load_model_version", "register_model"]
