"""Compile feature definitions to one scikit-learn Pipeline of ColumnTransformers.

Features are grouped in levels: a level's features read only source columns and features of earlier
levels. Each level is a ColumnTransformer of named ``FeatureStep``s that passes through exactly the
columns later levels or the output still need; the last step keeps the output features in definition
order. The result is an ordinary scikit-learn Pipeline with pandas output.
"""

from __future__ import annotations

from collections.abc import Sequence

from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from mlsteward.errors import InvalidInput
from mlsteward.features.definitions import FeatureDefinition, feature_inputs, resolve_order
from mlsteward.features.transforms import build_step, multi_output


def feature_levels(definitions: Sequence[FeatureDefinition], columns: Sequence[str]) -> list[list[FeatureDefinition]]:
    """Definitions grouped so each level needs only the source columns and earlier levels."""
    ordered = resolve_order(definitions, columns)
    by_name = {d.name: d for d in ordered}
    level: dict[str, int] = {}
    for definition in ordered:
        for name in feature_inputs(definition, by_name):
            if multi_output(by_name[name]):
                raise InvalidInput(f"feature '{definition.name}' reads '{name}', whose transformation "
                                   f"'{by_name[name].transform}' may give several columns: read its input instead")
        level[definition.name] = 1 + max((level[n] for n in feature_inputs(definition, by_name)), default=-1)
    levels: list[list[FeatureDefinition]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for definition in definitions:
        levels[level[definition.name]].append(by_name[definition.name])
    return levels


def compile_pipeline(definitions: Sequence[FeatureDefinition], columns: Sequence[str]) -> Pipeline:
    """An unfitted Pipeline computing the output features of ``definitions`` from ``columns``."""
    if not definitions:
        raise InvalidInput("no features are defined: add entries under 'features:' in steward.yaml")
    levels = feature_levels(definitions, columns)
    outputs = [d.name for d in definitions if d.output]
    if not outputs:
        raise InvalidInput("every feature has output: false; at least one feature must be an output")
    steps = []
    for i, level in enumerate(levels):
        later = {n for lvl in levels[i + 1:] for d in lvl for n in d.input_names}
        made = {d.name for d in level}
        keep = [c for c in _available(levels[:i], columns) if c not in made and (c in later or c in outputs)]
        transformers = [(d.name, build_step(d), d.input_names) for d in level]
        if keep:
            transformers.append(("keep", "passthrough", OutputColumns(tuple(keep))))
        steps.append((f"level{i}", ColumnTransformer(transformers, remainder="drop",
                                                     verbose_feature_names_out=False)))
    select = ColumnTransformer([("outputs", "passthrough", OutputColumns(tuple(outputs)))], remainder="drop",
                               verbose_feature_names_out=False)
    pipeline = Pipeline([*steps, ("outputs", select)])
    return pipeline.set_output(transform="pandas")


def _available(earlier: list[list[FeatureDefinition]], columns: Sequence[str]) -> list[str]:
    """Columns present before a level: source columns not shadowed, and earlier features."""
    made = [d.name for lvl in earlier for d in lvl]
    return [c for c in columns if c not in made] + made


class OutputColumns:
    """A column selector: the columns of the named features (``name`` or ``name<sep>suffix``), in order."""

    def __init__(self, outputs: tuple[str, ...]) -> None:
        self.outputs = outputs

    def __call__(self, frame) -> list[str]:  # noqa: ANN001
        return self.matching(frame.columns)

    def matching(self, columns) -> list[str]:  # noqa: ANN001 - any iterable of column names
        columns = list(columns)
        return [c for name in self.outputs for c in columns if c == name or _suffixed(c, name)]


def _suffixed(column: str, name: str) -> bool:
    return len(column) > len(name) and column.startswith(name) and column[len(name)] in "=."  # one-hot, date parts
