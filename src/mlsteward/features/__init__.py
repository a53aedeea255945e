"""Features: definitions, the one fitted pipeline, validation, selection and the data dictionary.

Pure computation: data frames and definitions in, typed results out (the store and the CLI live in
``mlsteward.lifecycle.features``).
"""

from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.feature_set import FeatureSet
from mlsteward.features.transformers import register_transform
from mlsteward.features.transforms import TRANSFORMS

__all__ = ["FeatureDefinition", "FeatureSet", "TRANSFORMS", "register_transform"]
