"""The features stage: fit the feature set of steward.yaml on a training dataset version, validate it,
re-screen the engineered features for leakage, select, and record it all with its data dictionary.

Everything is computed in memory first; the pipeline, the leakage log and the dictionary are stored
content-addressed, then the feature set is registered in one transaction, so a failure leaves no
feature set half-made.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import orjson

import pandas as pd
from pydantic import BaseModel
from sklearn.compose import ColumnTransformer

from mlsteward.data.leakage import review_leakage
from mlsteward.data.leakage_models import LeakageReport
from mlsteward.errors import InvalidInput, NotFound
from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.dictionary import DataDictionary, DictionaryEntry, data_dictionary
from mlsteward.features.feature_set import FeatureSet
from mlsteward.features.pipeline import OutputColumns
from mlsteward.features.selection import PCAReport, SelectionReport, pca_report, select_features
from mlsteward.features.validation import (
    ValidationReference,
    ValidationResult,
    validate_features,
    validation_reference,
)
from mlsteward.lifecycle.data_stage import REPORTS_DIR
from mlsteward.lifecycle.datasets import load_dataset
from mlsteward.report import render_dictionary_html, render_dictionary_markdown, write_report
from mlsteward.spec import Spec
from mlsteward.spec_features import FeaturesSpec
from mlsteward.stages import Stage, StageStatus
from mlsteward.store.feature_sets import FeatureSetRecord, NewFeatureSet
from mlsteward.workspace import Workspace


class FittedFeatures(BaseModel):
    feature_set: str  # its reference, name@version
    created: bool
    dataset: str
    outputs: list[str]
    leakage: dict[str, str]  # feature -> "clear" or its flags
    selection: SelectionReport | None
    pca: PCAReport | None
    dictionary_paths: list[str]
    notes: list[str]


def fit_features(workspace: Workspace, spec: Spec, dataset: str, *, name: str | None = None) -> FittedFeatures:
    """Fit ``spec.features`` on the dataset version ``dataset`` (the training split) and record it."""
    config = spec.features
    if not config.definitions:
        raise InvalidInput("steward.yaml defines no features: add them under features.definitions "
                           "(`steward init` shows an example)")
    name = name or config.name or spec.project
    version = workspace.store.datasets.get(dataset)
    frame = load_dataset(workspace, version.ref)
    target = spec.data.target if spec.data.target in frame.columns else None
    notes = [] if target else [f"no target column ({spec.data.target!r}) in {version.ref}: leakage screening and "
                               "selection skipped"]
    fingerprint = _fingerprint(config, version.digest, target)
    feature_set, features = FeatureSet.fit(config.definitions, frame, target)
    y = frame[target] if target else None

    selection = None
    if config.selection is not None:
        if y is None:
            raise InvalidInput("features.selection needs the target: set data.target in steward.yaml")
        selection = select_features(features, y, config.selection)
        feature_set, features = _keep_only(feature_set, features, selection.kept)
    pca, pca_note = _pca(features)
    notes += [pca_note] if pca_note else []
    leakage_report = review_leakage(pd.concat([features, y], axis=1), target) if target else None
    leakage = _leakage_by_feature(feature_set, leakage_report)

    inputs = validation_reference(frame, feature_set.input_columns, config.validation)
    outputs = validation_reference(features, feature_set.output_columns, config.validation)
    digest = workspace.artifacts.put_bytes(feature_set.to_bytes()).digest
    leakage_digest = (workspace.artifacts.put_bytes(leakage_report.model_dump_json().encode()).digest
                      if leakage_report else None)
    summary = {"outputs": feature_set.output_columns, "inputs": feature_set.input_columns,
               "input_reference": inputs.model_dump(), "output_reference": outputs.model_dump(),
               "leakage": leakage, "leakage_log": leakage_digest,
               "selection": selection.model_dump() if selection else None, "pca": pca.model_dump() if pca else None}
    record, created = workspace.store.feature_sets.register(NewFeatureSet(
        name=name, digest=digest, fingerprint=fingerprint, dataset=version.ref, target=target,
        definitions=[d.model_dump(exclude_defaults=True) for d in config.definitions], summary=summary))
    paths = write_dictionary(workspace, record)
    _update_board(workspace, spec.project, record.ref, feature_set, leakage)
    return FittedFeatures(feature_set=record.ref, created=created, dataset=version.ref,
                          outputs=feature_set.output_columns, leakage=leakage, selection=selection, pca=pca,
                          dictionary_paths=[str(p) for p in paths], notes=notes)


def load_feature_set(workspace: Workspace, ref: str) -> tuple[FeatureSet, FeatureSetRecord]:
    """The fitted feature set ``ref`` (hash-verified, loaded safely) and its record."""
    record = workspace.store.feature_sets.get(ref)
    definitions = [FeatureDefinition.model_validate(d) for d in record.definitions]
    return FeatureSet.from_bytes(workspace.artifacts.get_bytes(record.digest), definitions), record


def validate_against(workspace: Workspace, data: pd.DataFrame, ref: str) -> ValidationResult:
    """Check rows against the training reference of feature set ``ref`` (before training, at serving)."""
    record = workspace.store.feature_sets.get(ref)
    return validate_features(data, ValidationReference.model_validate(record.summary["input_reference"]))


def dictionary_of(record: FeatureSetRecord) -> DataDictionary:
    definitions = [FeatureDefinition.model_validate(d) for d in record.definitions]
    outputs = ValidationReference.model_validate(record.summary["output_reference"]).columns
    leakage = record.summary["leakage"] if record.target else {}
    return data_dictionary(record.ref, record.dataset, record.target, definitions, outputs, leakage)


class CatalogEntry(DictionaryEntry):
    feature_set: str | None  # the latest feature set holding this definition; None if not fitted yet


def catalog(workspace: Workspace, spec: Spec) -> tuple[list[CatalogEntry], list[FeatureSetRecord]]:
    """Every feature of steward.yaml with its fitted state from the latest feature set, and every set."""
    sets = workspace.store.feature_sets.list()
    name = spec.features.name or spec.project
    latest = next((r for r in sets if r.name == name), None)
    fitted = {e.feature: e for e in dictionary_of(latest).entries} if latest else {}
    fitted_definitions = {d["name"]: d for d in latest.definitions} if latest else {}
    declared = data_dictionary(name, "", spec.data.target, spec.features.definitions, [], {}).entries
    entries = []
    for entry in declared:
        definition = next(d for d in spec.features.definitions if d.name == entry.feature)
        same = fitted_definitions.get(entry.feature) == definition.model_dump(exclude_defaults=True)
        if same and entry.feature in fitted:
            entries.append(CatalogEntry(**fitted[entry.feature].model_dump(), feature_set=latest.ref))
        else:
            entries.append(CatalogEntry(**{**entry.model_dump(), "allowed_range": "not fitted", "leakage": "not fitted"},
                                        feature_set=None))
    return entries, sets


def write_dictionary(workspace: Workspace, record: FeatureSetRecord) -> list[Path]:
    """Write the data dictionary as Markdown and HTML beside steward.yaml (``.steward/reports``)."""
    dictionary = dictionary_of(record)
    folder = workspace.settings.project_root / REPORTS_DIR
    stem = f"{record.ref}-data-dictionary"
    return [write_report(render_dictionary_markdown(dictionary), folder / f"{stem}.md"),
            write_report(render_dictionary_html(dictionary), folder / f"{stem}.html")]


def _fingerprint(config: FeaturesSpec, data_digest: str, target: str | None) -> str:
    """What determines a fit: the section's settings, the data's content, the target and the libraries."""
    import sklearn

    from mlsteward import __version__

    what = {"features": config.model_dump(mode="json", exclude={"online_store"}), "data": data_digest,
            "target": target, "mlsteward": __version__, "sklearn": sklearn.__version__}
    return hashlib.sha256(orjson.dumps(what, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _update_board(workspace: Workspace, project: str, ref: str, feature_set: FeatureSet, leakage: dict) -> None:
    note = (f"{ref}: {len(feature_set.output_columns)} feature columns, "
            f"{sum(v != 'clear' for v in leakage.values())} feature(s) flagged for leakage")
    try:
        workspace.store.projects.set_stage(project, Stage.FEATURES, StageStatus.IN_PROGRESS, note=note)
    except NotFound:  # a project not registered with `steward init` has no board
        pass


def _keep_only(feature_set: FeatureSet, features: pd.DataFrame, kept: list[str]) -> tuple[FeatureSet, pd.DataFrame]:
    """Append the selection to the pipeline, so every path computes only the kept columns."""
    in_order = [c for c in features.columns if c in set(kept)]
    select = ColumnTransformer([("kept", "passthrough", in_order)], remainder="drop", verbose_feature_names_out=False)
    select.set_output(transform="pandas")
    features = select.fit_transform(features)
    feature_set.pipeline.steps.append(("selection", select))
    return FeatureSet(feature_set.definitions, feature_set.pipeline), features


def _pca(features: pd.DataFrame) -> tuple[PCAReport | None, str | None]:
    numeric = features.select_dtypes("number")
    if numeric.shape[1] < 2 or numeric.shape[1] < features.shape[1]:
        return None, "PCA skipped: it needs two or more feature columns, all numeric"
    return pca_report(numeric), None


def _leakage_by_feature(feature_set: FeatureSet, report: LeakageReport | None) -> dict[str, str]:
    """Per output feature: "clear" or the leakage flags of its columns."""
    if report is None:
        return {}
    flagged = report.flagged()
    result = {}
    for definition in feature_set.definitions:
        if not definition.output:
            continue
        columns = OutputColumns((definition.name,)).matching(feature_set.output_columns)
        kinds = sorted({k for c in columns for k in flagged.get(c, [])})
        result[definition.name] = ", ".join(kinds) if kinds else "clear"
    return result
