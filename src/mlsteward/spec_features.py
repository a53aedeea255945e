"""The ``features:`` section of steward.yaml: feature definitions, optional selection, the validation
tolerances, the feature views of the feature store and where the online store lives."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from mlsteward.errors import InvalidInput
from mlsteward.features.definitions import FeatureDefinition, resolve_order
from mlsteward.features.config import SelectionConfig, ValidationConfig
from mlsteward.featurestore.views import FeatureView
from mlsteward.spec_gates import SpecModel, problem_error, unique_names


class OnlineStoreConfig(SpecModel):
    """Where materialised feature values are served from: SQLite (default) or Redis."""

    kind: Literal["sqlite", "redis"] = "sqlite"
    path: str = Field(".steward/online.db", description="the SQLite file, relative to steward.yaml")
    url: str = Field("redis://127.0.0.1:6379/0", description="the Redis server, for kind: redis")
    prefix: str = Field("steward", description="the Redis key prefix")


class FeaturesSpec(SpecModel):
    """What the features stage builds from the data."""

    name: str | None = Field(None, description="the feature set's name; default: the project's name")
    definitions: list[FeatureDefinition] = []
    selection: SelectionConfig | None = None
    validation: ValidationConfig = ValidationConfig()
    views: list[FeatureView] = Field([], description="feature views of the feature store, over registered datasets")
    online_store: OnlineStoreConfig = OnlineStoreConfig()

    @field_validator("definitions")
    @classmethod
    def _names_unique(cls, definitions: list[FeatureDefinition]) -> list[FeatureDefinition]:
        return unique_names(definitions, "feature")

    @model_validator(mode="after")
    def _definitions_compile(self) -> FeaturesSpec:
        """What can be checked without the data: transformations, their parameters and inputs, cycles."""
        if not self.definitions:
            return self
        from mlsteward.features.transforms import build_step  # scikit-learn: only when features are defined

        problems = []
        for i, definition in enumerate(self.definitions):
            try:
                build_step(definition)
            except InvalidInput as error:
                problems.append((("definitions", i, "transform"), definition.transform, str(error)))
        if problems:
            raise problem_error("feature", problems)
        names = {d.name for d in self.definitions}
        sources = {n for d in self.definitions for n in d.input_names if n not in names or n == d.name}
        try:
            resolve_order(self.definitions, sources)
        except InvalidInput as error:
            raise ValueError(str(error)) from None
        return self

    @field_validator("views")
    @classmethod
    def _view_names_unique(cls, views: list[FeatureView]) -> list[FeatureView]:
        return unique_names(views, "feature view")
