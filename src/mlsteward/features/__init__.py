"""Features: definitions, the one fitted pipeline, validation, selection and the data dictionary.

Pure computation: data frames and definitions in, typed results out (the store and the CLI live in
``mlsteward.lifecycle.features``). Imported on first use, so reading steward.yaml stays fast.
"""

from importlib import import_module

_WHERE = {
    "FeatureDefinition": "mlsteward.features.definitions",
    "FeatureSet": "mlsteward.features.feature_set",
    "TRANSFORMS": "mlsteward.features.transforms",
    "register_transform": "mlsteward.features.transformers",
}


def __getattr__(name: str):  # noqa: ANN202
    if name in _WHERE:
        value = getattr(import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlsteward.features' has no attribute {name!r}")


__all__ = ["FeatureDefinition", "FeatureSet", "TRANSFORMS", "register_transform"]
