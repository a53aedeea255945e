"""``FeatureView``: a named group of feature columns keyed by one entity and stamped by event time.

A view only describes the columns; its rows come from a frame the caller hands in (``source`` is a
dataset ref or a path that a higher layer resolves). ``entity_key`` is the one canonical text form
of an entity key, used by the online stores and, vectorised, by the joins: 5620, 5620.0,
``np.int64(5620)`` and ``"5620"`` are all the entity ``"5620"``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlsteward.errors import InvalidInput

SLUG_RULE = "1 to 100 letters, digits, '-' or '_' (no spaces)"
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,100}")


class FeatureView(BaseModel):
    """What a feature view's frame holds: the entity key column, the event-time column, the features.

    ``ttl_days``: a value older than this at a label's time (or at ``as_of`` when materialising)
    counts as missing; ``None`` keeps values forever. Invalid values raise pydantic's ``ValidationError``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description=f"the view's name: {SLUG_RULE}")
    entity: str = Field(min_length=1, description="the entity key column, e.g. 'occ10'")
    timestamp: str = Field(min_length=1, description="the event-timestamp column")
    features: list[str] = Field(min_length=1, description="the value columns, unique")
    ttl_days: float | None = Field(None, gt=0, description="older values count as missing; None: no limit")
    source: str | None = Field(None, description="a dataset ref 'name@version' or a path")
    description: str = ""
    owner: str = ""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _SLUG.fullmatch(value):
            raise ValueError(f"a view name must be {SLUG_RULE}")
        return value

    @field_validator("ttl_days")
    @classmethod
    def _check_ttl(cls, value: float | None) -> float | None:
        if value is not None and not math.isfinite(value):
            raise ValueError("ttl_days must be a finite number of days, or None for no limit")
        return value

    @model_validator(mode="after")
    def _check_columns(self) -> FeatureView:
        problem = None
        repeated = sorted(name for name, count in Counter(self.features).items() if count > 1)
        clash = [c for c in (self.entity, self.timestamp) if c in self.features]
        if repeated:
            problem = f"features must be unique; repeated: {repeated}"
        elif any(not f for f in self.features):
            problem = "a feature name must not be empty"
        elif clash:
            problem = f"the entity and timestamp columns are not features; remove {clash} from features"
        elif self.entity == self.timestamp:
            problem = f"entity and timestamp must be different columns; both are {self.entity!r}"
        if problem:
            raise ValueError(f"feature view {self.name!r}: {problem}")
        return self


def entity_key(value: Any) -> str:
    """The canonical text of one entity key: integral numbers without a fraction, text as it is.

    ``5620``, ``5620.0``, ``np.int64(5620)`` and ``"5620"`` all give ``"5620"``; ``2.5`` gives
    ``"2.5"``. Missing values (None, NaN, NaT, pd.NA), booleans and non-finite numbers are refused.
    """
    if isinstance(value, str):
        return value
    import numpy as np  # here, not at the top: steward.yaml's models import this module

    if isinstance(value, bool | np.bool_):
        raise InvalidInput(f"an entity key must be text or a number; got the boolean {value!r}.")
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            raise InvalidInput("an entity key is missing (NaN); drop or fill the rows without a key.")
        if not math.isfinite(number):
            raise InvalidInput(f"an entity key must be a finite number; got {number!r}.")
        return str(int(number)) if number.is_integer() else repr(number)
    if value is None or _is_missing(value):
        raise InvalidInput(f"an entity key is missing ({value!r}); drop or fill the rows without a key.")
    raise InvalidInput(
        f"an entity key must be text or a number; got {value!r} of type {type(value).__name__}. "
        "Convert the key column with .astype(str) or .astype(int)."
    )


def _is_missing(value: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


__all__ = ["SLUG_RULE", "FeatureView", "entity_key"]
