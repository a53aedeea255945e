"""How to split and what a split did: ``SplitConfig``, ``SplitResult``, ``SplitSummary``.

**Parts.** ``fractions`` is (train, validation, test), default (0.7, 0.15, 0.15); each >= 0, summing
to 1 within 1e-9, train and test > 0. A validation fraction of 0 gives two parts, ``train`` and
``test``, for every strategy. Every requested part must receive at least one row (one group for
``grouped``), else the split is refused.

``SplitConfig`` validates all of this (and which options go with which strategy) when it is built,
raising ``InvalidInput``. A ``SplitResult`` holds the row positions of each part (``indices``,
sorted, kept out of the JSON) and the pydantic ``SplitSummary`` for the report and the gate
evidence.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mlsteward.errors import InvalidInput

Strategy = Literal["random", "stratified", "grouped", "time"]
TimeValue = datetime | int | float
"""A time value or cutoff: a timestamp (``pandas.Timestamp`` kept as given) or a number."""

PART_NAMES: tuple[str, str, str] = ("train", "validation", "test")
FRACTION_TOLERANCE = 1e-9

_STRATEGY_OPTION = {"stratified": "stratify_by", "grouped": "group_by", "time": "time_column"}


# --- config ---------------------------------------------------------------------------------------


def _as_time_value(value: Any) -> Any:
    """Normalise one cutoff: numpy scalars to Python, dates / datetime64 / ISO text to Timestamps."""
    if isinstance(value, bool | np.bool_):
        raise InvalidInput(f"a cutoff must be a timestamp or a number; got the boolean {value!r}.")
    if isinstance(value, np.datetime64 | date | str):
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise InvalidInput(
                f"cutoff {value!r} is not a readable timestamp; give ISO text such as '2024-06-30' or "
                "'2024-06-30T12:00', a datetime, or a number for a numeric time column."
            ) from exc
        if pd.isna(stamp):
            raise InvalidInput(f"cutoff {value!r} is missing (NaT); give a timestamp.")
        return stamp
    if isinstance(value, np.integer | np.floating):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"a cutoff must be a finite number; got {value!r}.")
    return value


def _compare_key(value: Any) -> tuple[str, Any]:
    if isinstance(value, datetime):
        return "time", pd.Timestamp(value)
    return "number", value


class SplitConfig(BaseModel):
    """How to split: the strategy, the fractions, the seed and the column the strategy reads.

    Any invalid value raises ``mlsteward.errors.InvalidInput`` (not pydantic's ``ValidationError``),
    with what was wrong and what to do.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy: Strategy = Field("random", description="random, stratified, grouped or time")
    fractions: tuple[float, float, float] = Field(
        (0.7, 0.15, 0.15), description="(train, validation, test); validation 0 gives two parts"
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of every random step (not used by 'time')")
    stratify_by: str | None = Field(None, description="stratified: the class column (default: the target)")
    group_by: str | None = Field(None, description="grouped: no value of this column appears in two parts")
    time_column: str | None = Field(None, description="time: the column rows are ordered by")
    cutoffs: tuple[TimeValue, TimeValue] | None = Field(
        None, description="time: explicit (c1, c2), train < c1 <= validation < c2 <= test"
    )

    @model_validator(mode="wrap")
    @classmethod
    def _as_invalid_input(cls, data: Any, handler: Any) -> SplitConfig:
        try:
            return handler(data)
        except ValidationError as exc:
            problems = []
            for error in exc.errors():
                where = ".".join(str(part) for part in error["loc"]) or "config"
                problems.append(f"{where}: {error['msg']} (got {error.get('input')!r})")
            allowed = ", ".join(cls.model_fields)
            raise InvalidInput(
                f"invalid split config: {'; '.join(problems)}. Allowed settings: {allowed}."
            ) from exc

    @field_validator("cutoffs", mode="before")
    @classmethod
    def _normalise_cutoffs(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | np.ndarray):
            raise InvalidInput(f"cutoffs must be two values (c1, c2) with c1 <= c2; got {value!r}.")
        values = list(value)
        if len(values) != 2:
            raise InvalidInput(
                f"cutoffs must be exactly two values (c1, c2): train < c1 <= validation < c2 <= test; got "
                f"{len(values)}: {values!r}. For a two-part split give a validation fraction of 0 and c1 == c2."
            )
        return tuple(_as_time_value(v) for v in values)

    @field_validator("fractions")
    @classmethod
    def _check_fractions(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        shown = "(" + ", ".join(f"{v:g}" for v in value) + ")"
        if not all(math.isfinite(v) for v in value):
            raise InvalidInput(f"fractions (train, validation, test) must be finite numbers; got {shown}.")
        negative = [name for name, v in zip(PART_NAMES, value, strict=True) if v < 0]
        if negative:
            raise InvalidInput(
                f"fractions (train, validation, test) must not be negative; got {shown} "
                f"({', '.join(negative)} negative)."
            )
        total = math.fsum(value)
        if abs(total - 1) > FRACTION_TOLERANCE:
            raise InvalidInput(
                f"fractions (train, validation, test) must sum to 1; got {shown}, which sums to {total:.12g}. "
                "For example (0.7, 0.15, 0.15), or (0.8, 0, 0.2) for train and test only."
            )
        empty = [name for name, v in zip(PART_NAMES, value, strict=True) if name != "validation" and v == 0]
        if empty:
            raise InvalidInput(
                f"the {' and '.join(empty)} fraction must be above 0 (only validation may be 0); got {shown}."
            )
        return value

    @model_validator(mode="after")
    def _check_options(self) -> SplitConfig:
        for strategy, option in _STRATEGY_OPTION.items():
            if getattr(self, option) is not None and self.strategy != strategy:
                raise InvalidInput(
                    f"{option}={getattr(self, option)!r} is only used by strategy='{strategy}', but the strategy is "
                    f"'{self.strategy}'; set strategy='{strategy}' or leave {option} out."
                )
        if self.cutoffs is not None and self.strategy != "time":
            raise InvalidInput(
                f"cutoffs are only used by strategy='time', but the strategy is '{self.strategy}'; set "
                "strategy='time' with a time_column, or leave cutoffs out."
            )
        if self.strategy == "grouped" and self.group_by is None:
            raise InvalidInput("strategy='grouped' needs group_by: the column whose values must not cross parts.")
        if self.strategy == "time" and self.time_column is None:
            raise InvalidInput("strategy='time' needs time_column: the column rows are ordered by.")
        if self.cutoffs is not None:
            (kind1, c1), (kind2, c2) = (_compare_key(c) for c in self.cutoffs)
            if kind1 != kind2:
                raise InvalidInput(
                    f"cutoffs must be two timestamps or two numbers; got {self.cutoffs[0]!r} and {self.cutoffs[1]!r}."
                )
            try:
                out_of_order = c1 > c2
            except TypeError as exc:  # time-zone aware against naive
                raise InvalidInput(
                    f"cutoffs {self.cutoffs[0]} and {self.cutoffs[1]} cannot be compared ({exc}); give both with a "
                    "time zone or both without."
                ) from exc
            if out_of_order:
                raise InvalidInput(
                    f"cutoffs are out of order: c1={self.cutoffs[0]} is after c2={self.cutoffs[1]}; give them as "
                    "(c1, c2) with c1 <= c2 (train < c1 <= validation < c2 <= test)."
                )
            if self.fractions[1] > 0 and c1 == c2:
                raise InvalidInput(
                    f"cutoffs c1 and c2 are equal ({self.cutoffs[0]}), which leaves no validation part, but the "
                    f"validation fraction is {self.fractions[1]:g}; give c1 < c2, or fractions with validation 0 "
                    "for a two-part split."
                )
            if self.fractions[1] == 0 and c1 != c2:
                raise InvalidInput(
                    f"the validation fraction is 0 (train and test only), but the cutoffs {self.cutoffs[0]} and "
                    f"{self.cutoffs[1]} leave [c1, c2) for a validation part; give c1 == c2 (train < c1 <= test) "
                    "or a validation fraction above 0."
                )
        return self

    @property
    def part_names(self) -> tuple[str, ...]:
        """``("train", "validation", "test")``, or ``("train", "test")`` when validation is 0."""
        return PART_NAMES if self.fractions[1] > 0 else ("train", "test")


# --- results --------------------------------------------------------------------------------------


class PartSummary(BaseModel):
    """One part of a split."""

    name: str
    rows: int
    share: float = Field(description="rows / all rows (achieved)")
    requested_share: float = Field(description="the fraction asked for")
    rows_sha256: str = Field(description="sha256 of the part's sorted row positions as little-endian int64")
    class_counts: dict[str, int] | None = Field(None, description="rows per class of the class column")
    class_shares: dict[str, float] | None = Field(None, description="share of the part's rows per class")
    group_count: int | None = Field(None, description="grouped: distinct groups in the part")
    time_min: TimeValue | None = Field(None, description="time: earliest time in the part")
    time_max: TimeValue | None = Field(None, description="time: latest time in the part")


class SplitSummary(BaseModel):
    """What a split did, for the report and the gate evidence."""

    config: SplitConfig
    rows: int = Field(description="rows of the data frame split")
    target: str | None = None
    class_column: str | None = Field(None, description="the column whose class distribution is reported")
    class_counts: dict[str, int] | None = Field(None, description="overall rows per class")
    group_count: int | None = Field(None, description="grouped: distinct groups overall")
    cutoffs: tuple[TimeValue, TimeValue] | None = Field(
        None, description="time: the cutoffs used (given, or reached by the fractions)"
    )
    parts: dict[str, PartSummary]
    notes: list[str] = Field(default_factory=list)


class SplitResult(BaseModel):
    """The row positions of each part (``indices``, not serialised) and the ``summary``."""

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    indices: dict[str, np.ndarray] = Field(
        exclude=True, repr=False, description="part name -> sorted row positions (read-only int64 arrays)"
    )
    summary: SplitSummary

    def parts(self, df: pd.DataFrame) -> dict[str, pd.DataFrame]:
        """``{part name: rows of df}`` (by position), for the same data frame that was split."""
        if not isinstance(df, pd.DataFrame):
            raise InvalidInput(f"parts() needs the pandas DataFrame that was split; got {type(df).__name__}.")
        if len(df) != self.summary.rows:
            raise InvalidInput(
                f"this split was made on {self.summary.rows} rows but the data frame has {len(df)}; pass the same "
                "data frame that was split."
            )
        return {name: df.iloc[positions] for name, positions in self.indices.items()}
