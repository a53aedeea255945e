"""The registry of named transformations a feature definition can use.

Each kind says how many inputs it takes, which parameters it accepts (with defaults) and builds the
scikit-learn estimator for a definition. Standard kinds come from scikit-learn; ``custom`` runs a
function registered with ``register_transform``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sklearn.impute import SimpleImputer
from sklearn.model_selection import KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    KBinsDiscretizer,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
    TargetEncoder,
)

from mlsteward.errors import InvalidInput
from mlsteward.features.definitions import FeatureDefinition
from mlsteward.features.transformers import (
    Arithmetic,
    CustomFunction,
    DateParts,
    Elementwise,
    FeatureStep,
    MissingCode,
)


@dataclass(frozen=True)
class TransformKind:
    """A named transformation: its inputs, parameters and how its estimator is built."""

    name: str
    description: str
    build: Callable[[dict], object | None]
    inputs: tuple[int, int | None] = (1, 1)  # fewest and most inputs (None: any number)
    params: dict = field(default_factory=dict)  # accepted parameters and their defaults
    separator: str = "="  # between the feature's name and each output's suffix, when several


def _impute(p: dict) -> object:
    return SimpleImputer(strategy=p["strategy"], fill_value=p["fill_value"])


def _scaler(cls: type) -> Callable[[dict], object]:
    return lambda p: make_pipeline(SimpleImputer(strategy="median"), cls()) if p["impute"] else cls()


def _one_hot(p: dict) -> object:
    return OneHotEncoder(handle_unknown="infrequent_if_exist" if p["max_categories"] or p["min_frequency"] else "ignore",
                         max_categories=p["max_categories"], min_frequency=p["min_frequency"],
                         sparse_output=False)


def _ordinal(p: dict) -> object:
    return MissingCode(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                      encoded_missing_value=-2, categories=[p["categories"]] if p["categories"] else "auto"),
                       code=-2)


def _target_encode(p: dict) -> object:
    """Cross-fitted on the training rows with seeded, shuffled folds (the same fit gives the same values)."""
    return TargetEncoder(smooth=p["smooth"], cv=KFold(n_splits=p["cv"], shuffle=True, random_state=p["seed"]))


def _bin(p: dict) -> object:
    return make_pipeline(SimpleImputer(strategy="median"),
                         KBinsDiscretizer(n_bins=p["bins"], encode="ordinal", strategy=p["strategy"],
                                          quantile_method="averaged_inverted_cdf"))


TRANSFORMS: dict[str, TransformKind] = {k.name: k for k in [
    TransformKind("identity", "the input as it is", lambda p: None, (1, 1)),
    TransformKind("impute", "fill missing values (mean, median, most_frequent or constant)", _impute,
                  params={"strategy": "median", "fill_value": None}),
    TransformKind("standard_scale", "(x - mean) / std of the training data", _scaler(StandardScaler),
                  params={"impute": True}),
    TransformKind("minmax_scale", "scaled to [0, 1] over the training range", _scaler(MinMaxScaler),
                  params={"impute": True}),
    TransformKind("robust_scale", "(x - median) / IQR of the training data", _scaler(RobustScaler),
                  params={"impute": True}),
    TransformKind("one_hot", "one 0/1 column per category; unseen categories are all zeros", _one_hot,
                  params={"max_categories": None, "min_frequency": None}),
    TransformKind("ordinal", "categories as integers; unseen -1, missing -2", _ordinal,
                  params={"categories": None}),
    TransformKind("target_encode", "categories as the smoothed training mean of the target (cross-fitted "
                  "on the training rows)", _target_encode, params={"smooth": "auto", "cv": 5, "seed": 0}),
    TransformKind("bin", "numeric values as bin numbers (quantile, uniform or kmeans edges)", _bin,
                  params={"bins": 5, "strategy": "quantile"}),
    TransformKind("date_parts", "parts of a date/time: year, month, dayofweek, ...",
                  lambda p: DateParts(parts=tuple(p["parts"])), params={"parts": ["year", "month", "dayofweek"]},
                  separator="."),
    TransformKind("ratio", "first input / second input (missing where the second is 0)",
                  lambda p: Arithmetic("ratio"), (2, 2)),
    TransformKind("difference", "first input - second input", lambda p: Arithmetic("difference"), (2, 2)),
    TransformKind("interaction", "first input x second input", lambda p: Arithmetic("product"), (2, 2)),
    TransformKind("sum", "first input + second input", lambda p: Arithmetic("sum"), (2, 2)),
    TransformKind("log", "log(1 + x)", lambda p: Elementwise("log1p")),
    TransformKind("custom", "a function registered with @register_transform(name)",
                  lambda p: CustomFunction(p["function"]), (1, None), params={"function": None}),
]}


def build_step(definition: FeatureDefinition) -> FeatureStep:
    """The named step computing ``definition``; its parameters and inputs checked."""
    kind = TRANSFORMS.get(definition.transform)
    if kind is None:
        raise InvalidInput(f"feature '{definition.name}' uses unknown transformation '{definition.transform}': "
                           f"use one of {sorted(TRANSFORMS)}")
    unknown = sorted(set(definition.params) - set(kind.params))
    if unknown:
        raise InvalidInput(f"feature '{definition.name}': transformation '{kind.name}' has no parameter "
                           f"{', '.join(repr(u) for u in unknown)} (it takes: {sorted(kind.params) or 'none'})")
    fewest, most = kind.inputs
    count = len(definition.input_names)
    if count < fewest or (most is not None and count > most):
        wanted = f"{fewest}" if fewest == most else f"{fewest} or more" if most is None else f"{fewest} to {most}"
        raise InvalidInput(f"feature '{definition.name}': transformation '{kind.name}' takes {wanted} inputs, "
                           f"got {count} ({definition.input_names})")
    params = {**kind.params, **definition.params}
    if kind.name == "custom" and not params["function"]:
        raise InvalidInput(f"feature '{definition.name}': a custom transformation needs params.function, the "
                           "name it was registered under")
    try:
        estimator = kind.build(params)
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"feature '{definition.name}': bad parameters for '{kind.name}': {error}") from error
    return FeatureStep(definition.name, estimator, kind.separator, multi=multi_output(definition))


def multi_output(definition: FeatureDefinition) -> bool:
    """Whether the transformation gives one column per category or part (one-hot, date parts)."""
    return definition.transform in {"one_hot", "date_parts"}
