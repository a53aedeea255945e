"""A FeatureSet: feature definitions and the one Pipeline fitted from them, used unchanged at training,
evaluation, batch scoring and serving; saved with skops, loaded only if every type in it is allowed."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import skops.io as sio
from sklearn.pipeline import Pipeline

from mlsteward.errors import InvalidInput, UnsafeArtifact
from mlsteward.features.definitions import FeatureDefinition, source_columns
from mlsteward.features.pipeline import compile_pipeline

# Types a stored feature pipeline may hold beyond those skops trusts by default (scikit-learn's own).
ALLOWED_TYPES = frozenset({
    "mlsteward.features.pipeline.OutputColumns",
    "mlsteward.features.transformers.FeatureStep",
    "mlsteward.features.transformers.Arithmetic",
    "mlsteward.features.transformers.Elementwise",
    "mlsteward.features.transformers.DateParts",
    "mlsteward.features.transformers.CustomFunction",
    "mlsteward.features.transformers.MissingCode",
    "numpy.dtype",
    "sklearn.model_selection._split.KFold",  # the seeded folds of target encoding
})


class FeatureSet:
    """Definitions plus their fitted pipeline. ``transform`` is the only way features are computed."""

    def __init__(self, definitions: Sequence[FeatureDefinition], pipeline: Pipeline) -> None:
        self.definitions = list(definitions)
        self.pipeline = pipeline
        by_name = {d.name: d for d in self.definitions}
        self.input_columns = list(dict.fromkeys(c for d in self.definitions for c in source_columns(d, by_name)))

    @classmethod
    def fit(cls, definitions: Sequence[FeatureDefinition], data: pd.DataFrame, target: str | None = None
            ) -> tuple[FeatureSet, pd.DataFrame]:
        """Fit on the training rows; return the feature set and the training rows' features.

        The training features are the pipeline's ``fit_transform``: identical to ``transform`` except
        for target encodings, which are cross-fitted on the training rows so no row sees its own label.
        """
        y = None
        if target is not None:
            if target not in data.columns:
                raise InvalidInput(f"the target '{target}' is not a column of the training data")
            y = data[target]
            if y.isna().any():
                raise InvalidInput(f"the target '{target}' is missing on {int(y.isna().sum())} training rows: "
                                   "drop or label them before fitting features")
            data = data.drop(columns=[target])
        pipeline = compile_pipeline(definitions, list(data.columns))
        features = pipeline.fit_transform(data, y)
        return cls(definitions, pipeline), features

    @property
    def output_columns(self) -> list[str]:
        return [str(c) for c in self.pipeline.get_feature_names_out()]

    def transform(self, data: pd.DataFrame) -> pd.DataFrame:
        """The features of ``data``'s rows (its other columns are ignored)."""
        missing = [c for c in self.input_columns if c not in data.columns]
        if missing:
            raise InvalidInput(f"the data lacks column(s) {missing} that the features read: add them "
                               f"(the feature set needs {self.input_columns})")
        if not len(data):
            return pd.DataFrame({c: pd.Series(dtype=float) for c in self.output_columns})
        return self.pipeline.transform(data)

    def to_bytes(self) -> bytes:
        return sio.dumps(self.pipeline)

    @classmethod
    def from_bytes(cls, data: bytes, definitions: Sequence[FeatureDefinition]) -> FeatureSet:
        """Load a saved pipeline; refuse one holding any type outside scikit-learn and ``ALLOWED_TYPES``."""
        return cls(definitions, load_pipeline(data))


def load_pipeline(data: bytes) -> Pipeline:
    """Load a skops-saved pipeline without running code of any type not allowed."""
    untrusted = sio.get_untrusted_types(data=data)
    refused = sorted(set(untrusted) - ALLOWED_TYPES)
    if refused:
        raise UnsafeArtifact(f"the stored feature pipeline holds types Steward does not load: {refused}; it was "
                             "not written by Steward, or was tampered with: refit the feature set")
    pipeline = sio.loads(data, trusted=list(untrusted))
    if not isinstance(pipeline, Pipeline):
        raise UnsafeArtifact(f"the stored artifact is a {type(pipeline).__name__}, not a feature pipeline")
    return pipeline
