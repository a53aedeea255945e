"""What the deliverables' finders read, each looked up once per view."""

from __future__ import annotations

import json
from functools import cached_property

from mlsteward.errors import NotFound
from mlsteward.governance import RiskRegister, changed_keys
from mlsteward.lifecycle.evidence_lookup import (
    FeasibilityEvidence,
    latest_evaluation,
    latest_feasibility,
    latest_feature_set,
    latest_training,
    project_dataset_names,
)
from mlsteward.spec import Spec
from mlsteward.store.datasets import DatasetVersion
from mlsteward.store.evaluations import EvaluationRecord
from mlsteward.store.evidence import Evidence
from mlsteward.store.feature_sets import FeatureSetRecord
from mlsteward.store.governance import CharterVersion, charter_digest
from mlsteward.store.runs import RunRecord
from mlsteward.workspace import Workspace


class Sources:
    """What the finders read, each looked up once per view."""

    def __init__(self, workspace: Workspace, spec: Spec) -> None:
        self.workspace = workspace
        self.spec = spec
        self.store = workspace.store
        self.project = spec.project
        self._evidence: dict[str, dict[str, Evidence]] = {}
        self._versions: dict[str, list[DatasetVersion]] = {}
        self._json: dict[str, dict] = {}

    # charter
    @cached_property
    def charter(self) -> dict:
        return self.spec.charter.model_dump(mode="json")

    @cached_property
    def charter_versions(self) -> list[CharterVersion]:
        """Oldest first."""
        return self.store.governance.list_charters(self.project)

    @cached_property
    def charter_changes(self) -> list[str] | None:
        """The top-level charter keys steward.yaml changed since the latest recorded version (None: none recorded)."""
        if not self.charter_versions:
            return None
        latest = self.charter_versions[-1]
        if charter_digest(self.charter) == latest.digest:
            return []
        return changed_keys(latest.charter, self.charter)

    @cached_property
    def risk_register(self) -> RiskRegister:
        from mlsteward.lifecycle.governance import read_risk_register

        return read_risk_register(self.store, self.spec)

    # datasets
    @cached_property
    def datasets(self) -> list[DatasetVersion]:
        """The latest version of each of the project's datasets (``evidence_lookup.project_dataset_names``)."""
        return [self.versions(name)[0] for name in project_dataset_names(self.workspace, self.project)
                if self.versions(name)]

    def versions(self, name: str) -> list[DatasetVersion]:
        """Every version of ``name``, newest first."""
        if name not in self._versions:
            self._versions[name] = self.store.datasets.list(name)
        return self._versions[name]

    def evidence(self, ref: str) -> dict[str, Evidence]:
        if ref not in self._evidence:
            self._evidence[ref] = self.store.evidence.of(ref)
        return self._evidence[ref]

    def artifact_json(self, digest: str) -> dict:
        if digest not in self._json:
            self._json[digest] = json.loads(self.workspace.artifacts.get_bytes(digest))
        return self._json[digest]

    def latest_version_number(self, name: str) -> int | None:
        try:
            return self.store.datasets.get(name).version
        except NotFound:
            return None

    # features
    @cached_property
    def feature_set_name(self) -> str:
        return self.spec.features.name or self.project

    @cached_property
    def feature_set(self) -> FeatureSetRecord | None:
        found = latest_feature_set(self.workspace, self.project, self.spec.features.name)
        return self.store.feature_sets.get(found.feature_set) if found else None

    # runs
    @cached_property
    def feasibility(self) -> FeasibilityEvidence | None:
        return latest_feasibility(self.workspace, self.project)

    @cached_property
    def training_run(self) -> RunRecord | None:
        found = latest_training(self.workspace, self.project)
        return self.store.runs.get(found.run_id) if found else None

    @cached_property
    def training_result(self) -> dict | None:
        digest = artifact_digest(self.training_run, "training-result.json") if self.training_run else None
        return self.artifact_json(digest) if digest else None

    # evaluation
    @cached_property
    def evaluation(self) -> EvaluationRecord | None:
        found = latest_evaluation(self.workspace, self.project)
        return self.store.evaluations.get(found.evaluation_id) if found else None


def artifact_digest(run: RunRecord, path: str) -> str | None:
    return next((a.digest for a in run.artifacts if a.path == path), None)



__all__ = ["Sources", "artifact_digest"]
