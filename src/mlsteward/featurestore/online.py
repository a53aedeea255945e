"""Online feature serving: the ``OnlineStore`` contract, and what feeds it and reads it.

An online store holds, per view, one *generation*: the latest values of every entity, written
whole by ``write`` and replaced atomically — readers see the whole old generation or the whole
new one, and a write that fails half-way leaves the old one served and nothing of the new one.
``latest_per_entity`` picks what to write, ``materialize`` writes it, ``online_features`` merges
one entity's values from several views. Values come back as Python scalars (NaN → None,
timestamps → ISO text). Implementations: ``SqliteOnlineStore`` (the default, a local file) and
``RedisOnlineStore`` (a shared server).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from mlsteward.errors import InvalidInput
from mlsteward.featurestore._frames import (
    NS_PER_TICK,
    check_no_missing,
    common_times,
    key_codes,
    parse_times,
    require_columns,
    time_unit_ticks,
    where_view,
)
from mlsteward.featurestore.offline import NAME_SEPARATOR
from mlsteward.featurestore.views import FeatureView


class OnlineStore(ABC):
    """Serves the latest feature values of each entity, one atomically replaced generation per view.

    ``get`` / ``get_many`` take keys in any form ``entity_key`` accepts and return ``{feature:
    value}`` (None for an entity the generation lacks); an unknown view raises ``NotFound``.
    """

    @abstractmethod
    def write(self, view: FeatureView, latest: pd.DataFrame) -> int:
        """Replace the view's generation with ``latest`` (one row per entity); return the rows written."""

    @abstractmethod
    def get(self, view_name: str, key: Any) -> dict[str, Any] | None:
        """One entity's values in the view's current generation, or None."""

    @abstractmethod
    def get_many(self, view_name: str, keys: Sequence[Any]) -> list[dict[str, Any] | None]:
        """Several entities' values, in the order of ``keys``, all from one generation."""

    def get_views(self, view_names: Sequence[str], key: Any) -> list[dict[str, Any] | None]:
        """One entity's values in each of several views (one round trip where the backend allows)."""
        return [self.get(name, key) for name in view_names]

    @abstractmethod
    def views(self) -> list[str]:
        """The names of the views written, sorted."""

    @abstractmethod
    def features(self, view_name: str) -> list[str]:
        """The feature names of the view's current generation."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> OnlineStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_of_stamp(as_of: Any, column: pd.Series, where: str) -> pd.Timestamp:
    """``as_of`` as a Timestamp comparable with the (parsed) time column: both zone-aware or both naive."""
    if not isinstance(as_of, str | datetime | date | np.datetime64 | pd.Timestamp):
        raise InvalidInput(f"as_of must be a timestamp (datetime, pandas Timestamp or ISO text); got {as_of!r}.")
    try:
        stamp = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise InvalidInput(
            f"as_of {as_of!r} is not a readable timestamp; give ISO text such as '2024-06-30T12:00'."
        ) from exc
    if pd.isna(stamp):
        raise InvalidInput("as_of is missing (NaT); give a timestamp or None for all rows.")
    aware_column = getattr(column.dtype, "tz", None) is not None
    if aware_column != (stamp.tzinfo is not None):
        raise InvalidInput(
            f"timestamps mix time zones: as_of {stamp} is {'time-zone aware' if stamp.tzinfo else 'naive'} but "
            f"{where} column {column.name!r} is {'time-zone aware' if aware_column else 'naive (no time zone)'}; "
            "give both with a zone or both without."
        )
    return stamp


def latest_per_entity(frame: pd.DataFrame, view: FeatureView, *, as_of: Any = None) -> pd.DataFrame:
    """Each entity's newest row at or before ``as_of`` (all rows when None): the view's columns.

    With ``ttl_days`` and ``as_of``, rows older than the TTL at ``as_of`` are dropped first (an entity
    with only such rows is left out). Without ``as_of`` there is no reference time and no TTL cut.
    Ties at one event time: the row that comes last in the frame wins (as in ``historical_features``).
    Rows keep their frame order and index.
    """
    where = where_view(view.name)
    require_columns(frame, {view.entity: "entity column", view.timestamp: "timestamp column",
                            **{f: "feature" for f in view.features}}, where)
    check_no_missing(frame[view.entity], where, "an entity key", "drop or fill those rows first.")
    parsed = parse_times(frame[view.timestamp], where)
    (ticks,), unit = common_times([(where, parsed)])
    keep = np.ones(len(frame), dtype=bool)
    if as_of is not None:
        stamp = _as_of_stamp(as_of, parsed, where)
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        limit = np.int64(stamp.as_unit("ns").value // NS_PER_TICK[unit])  # floor: ticks <= as_of
        keep &= ticks <= limit
        if view.ttl_days is not None:
            keep &= limit - ticks <= time_unit_ticks(view.ttl_days, unit)
    rows = np.flatnonzero(keep)
    by_time = rows[np.argsort(ticks[rows], kind="stable")]  # stable: frame order breaks ties
    codes = key_codes(frame[view.entity], where)[by_time]
    chosen = np.sort(by_time[~pd.Series(codes, copy=False).duplicated(keep="last").to_numpy()])
    return frame.iloc[chosen][[view.entity, view.timestamp, *view.features]]


def materialize(view: FeatureView, frame: pd.DataFrame, store: OnlineStore, *, as_of: Any = None) -> int:
    """Write each entity's latest values (``latest_per_entity``) as the view's new generation; rows written."""
    return store.write(view, latest_per_entity(frame, view, as_of=as_of))


def online_features(store: OnlineStore, key: Any, views: Sequence[str], *, full_names: bool = False) -> dict[str, Any]:
    """One entity's values from several views merged into one dict (None for values a view lacks).

    Names are ``feature``, or ``view__feature`` with ``full_names``; a name in two views is refused.
    """
    if isinstance(views, str):
        raise InvalidInput(f"views must be a list of view names; got the text {views!r}. Use [{views!r}].")
    merged: dict[str, Any] = {}
    owner: dict[str, str] = {}
    for name, values in zip(views, store.get_views(list(views), key), strict=True):
        if values is None:
            values = dict.fromkeys(store.features(name))
        for feature, value in values.items():
            out = f"{name}{NAME_SEPARATOR}{feature}" if full_names else feature
            if out in owner:
                raise InvalidInput(
                    f"feature {out!r} is in both view {owner[out]!r} and view {name!r}; pass full_names=True "
                    "to name them view__feature."
                )
            owner[out] = name
            merged[out] = value
    return merged


__all__ = ["OnlineStore", "latest_per_entity", "materialize", "online_features"]
