"""The point-in-time correct join of label events with feature views (``historical_features``).

For each label row and each view: the view's latest row for the same entity whose event time is at
or before the label's time — never a value from after it — and, when the view has ``ttl_days``, no
older than that at the label's time (``label_time - event_time <= ttl``); otherwise the features
are missing. Several view rows of one entity at the same event time: the one that comes last in the
view's frame wins. Keys join by their canonical form (``entity_key``): 5620 matches 5620.0 and "5620".

Built on ``pandas.merge_asof`` over int64 entity codes and time ticks only (see ``_asof``); the
feature columns are then taken by position, so their dtypes are kept (integers become float64,
booleans object, when a value is missing, as in any pandas left join).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.featurestore._asof import LabelSide, asof_positions
from mlsteward.featurestore._frames import (
    check_no_missing,
    common_times,
    int_keys,
    join_codes,
    require_columns,
    time_unit_ticks,
    where_view,
)
from mlsteward.featurestore.views import FeatureView

NAME_SEPARATOR = "__"


def historical_features(
    labels: pd.DataFrame,
    views: Sequence[tuple[FeatureView, pd.DataFrame]],
    *,
    timestamp: str,
    full_names: bool = False,
) -> pd.DataFrame:
    """The label rows, in their order and with their index, plus each view's features as of each row's time.

    ``labels`` holds each view's entity column and the ``timestamp`` column; features are named
    ``feature``, or ``view__feature`` with ``full_names``. Raises ``InvalidInput`` for missing
    columns, missing keys or times, time zones mixed across or within columns, and name clashes.
    """
    pairs = _checked_pairs(views)
    names = _output_names(labels, pairs, full_names)
    roles = {timestamp: "the label timestamp column"}
    for view, _ in pairs:
        roles.setdefault(view.entity, f"entity column of view {view.name!r}")
    require_columns(labels, roles, "labels")
    for view, frame in pairs:
        require_columns(frame, _view_roles(view), where_view(view.name))
    for column in dict.fromkeys(view.entity for view, _ in pairs):
        check_no_missing(labels[column], "labels", "an entity key", "drop or fill those rows first.")
    for view, frame in pairs:
        check_no_missing(frame[view.entity], where_view(view.name), "an entity key", "drop or fill those rows first.")

    ticks, unit = common_times(
        [("labels", labels[timestamp])] + [(where_view(v.name), f[v.timestamp]) for v, f in pairs]
    )
    order = np.argsort(ticks[0], kind="stable")
    sorted_ticks = ticks[0][order]
    int_labels = {column: int_keys(labels[column]) for column in dict.fromkeys(v.entity for v, _ in pairs)}
    sides: dict[str, LabelSide] = {}  # per entity column, when its keys join as integers

    columns: dict[str, object] = {}
    for (view, frame), right_ticks in zip(pairs, ticks[1:], strict=True):
        right_keys = int_keys(frame[view.entity])
        if int_labels[view.entity] is not None and right_keys is not None:
            if view.entity not in sides:
                sides[view.entity] = LabelSide.build(int_labels[view.entity], order, sorted_ticks)
            side = sides[view.entity]
        else:  # text keys (or text on one side): coded together with this view's keys
            left_keys, right_keys = join_codes(labels[view.entity], "labels", frame[view.entity], where_view(view.name))
            side = LabelSide.build(left_keys, order, sorted_ticks)
        tolerance = None if view.ttl_days is None else time_unit_ticks(view.ttl_days, unit)
        positions = asof_positions(side, right_keys, right_ticks, tolerance)
        for feature in view.features:
            columns[names[view.name, feature]] = _take(frame[feature], positions)
    features = pd.DataFrame(columns, index=labels.index, copy=False)
    return pd.concat([labels, features], axis=1) if len(features.columns) else labels.copy()


def _checked_pairs(views: Sequence[tuple[FeatureView, pd.DataFrame]]) -> list[tuple[FeatureView, pd.DataFrame]]:
    pairs = list(views)
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[0], FeatureView)):
            raise InvalidInput(
                f"views[{i}] must be a (FeatureView, DataFrame) pair; got {type(pair).__name__}."
            )
    seen: set[str] = set()
    for view, _ in pairs:
        if view.name in seen:
            raise InvalidInput(f"view {view.name!r} is given twice; give each view once.")
        seen.add(view.name)
    return pairs


def _view_roles(view: FeatureView) -> dict[str, str]:
    roles = {view.entity: "entity column", view.timestamp: "timestamp column"}
    roles.update({feature: "feature" for feature in view.features})
    return roles


def _output_names(
    labels: pd.DataFrame, pairs: list[tuple[FeatureView, pd.DataFrame]], full_names: bool
) -> dict[tuple[str, str], str]:
    """(view, feature) -> output column, refusing a name taken by a label column or another view."""
    names: dict[tuple[str, str], str] = {}
    owner: dict[str, str] = {}
    label_columns = {str(c) for c in getattr(labels, "columns", [])}
    for view, _ in pairs:
        for feature in view.features:
            name = f"{view.name}{NAME_SEPARATOR}{feature}" if full_names else feature
            if name in owner:
                raise InvalidInput(
                    f"feature {name!r} is in both view {owner[name]!r} and view {view.name!r}; pass "
                    "full_names=True to name the columns view__feature, or rename one of them."
                )
            if name in label_columns:
                raise InvalidInput(
                    f"feature {name!r} of view {view.name!r} clashes with the labels' column {name!r}; rename "
                    "or drop that label column" + ("" if full_names else ", or pass full_names=True") + "."
                )
            owner[name] = view.name
            names[view.name, feature] = name
    return names


def _take(series: pd.Series, positions: np.ndarray) -> object:
    """The series' values at ``positions``, missing where a position is -1 (its dtype widened only if needed)."""
    values = series.array
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        return pd.api.extensions.take(values.to_numpy(), positions, allow_fill=True)
    return values.take(positions, allow_fill=True)


__all__ = ["NAME_SEPARATOR", "historical_features"]
