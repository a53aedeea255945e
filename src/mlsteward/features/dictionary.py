"""The data dictionary of a feature set: per feature its meaning, units, allowed range, lineage to the
source columns, owner and leakage status, built from the definitions and what fitting recorded."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from mlsteward.features.definitions import FeatureDefinition, source_columns
from mlsteward.features.pipeline import OutputColumns
from mlsteward.features.validation import ColumnReference


class DictionaryEntry(BaseModel):
    feature: str
    description: str
    transform: str
    outputs: list[str]
    dtype: str
    units: str | None
    allowed_range: str
    source_columns: list[str]
    owner: str
    tags: list[str]
    serving: str
    refresh: str | None
    leakage: str  # "clear", "not screened", or the flags


class DataDictionary(BaseModel):
    feature_set: str
    dataset: str
    target: str | None
    entries: list[DictionaryEntry]


def data_dictionary(feature_set: str, dataset: str, target: str | None, definitions: Sequence[FeatureDefinition],
                    outputs: Sequence[ColumnReference], leakage: dict[str, str]) -> DataDictionary:
    """One entry per output feature; ranges from the training outputs, lineage through the definitions."""
    by_name = {d.name: d for d in definitions}
    references = {r.column: r for r in outputs}
    entries = []
    for definition in definitions:
        if not definition.output:
            continue
        columns = OutputColumns((definition.name,)).matching(references)
        refs = [references[c] for c in columns]
        entries.append(DictionaryEntry(
            feature=definition.name, description=definition.description or "(no description)",
            transform=_transform(definition), outputs=columns, dtype=definition.dtype or _dtype(refs),
            units=definition.units, allowed_range=_range(refs), source_columns=source_columns(definition, by_name),
            owner=definition.owner or "(no owner)", tags=definition.tags, serving=definition.serving,
            refresh=definition.refresh, leakage=leakage.get(definition.name, "not screened")))
    return DataDictionary(feature_set=feature_set, dataset=dataset, target=target, entries=entries)


def _transform(definition: FeatureDefinition) -> str:
    params = ", ".join(f"{k}={v}" for k, v in sorted(definition.params.items()))
    return f"{definition.transform}({', '.join(definition.input_names)}{'; ' + params if params else ''})"


def _dtype(refs: list[ColumnReference]) -> str:
    if not refs:
        return "unknown"
    return "float" if all(r.kind == "numeric" for r in refs) else "category"


def _range(refs: list[ColumnReference]) -> str:
    if not refs:
        return "(dropped by selection)"
    if len(refs) > 1:
        return f"{len(refs)} indicator columns, each 0 or 1" if all(
            r.min is not None and r.min >= 0 and r.max is not None and r.max <= 1 for r in refs) else \
            f"{len(refs)} columns"
    ref = refs[0]
    if ref.kind == "numeric":
        return "all missing" if ref.min is None else f"[{ref.min:g}, {ref.max:g}]"
    if ref.categories is not None:
        shown = ", ".join(ref.categories[:8])
        return f"{{{shown}{', ...' if len(ref.categories) > 8 else ''}}}"
    return f"{ref.distinct} categories"
