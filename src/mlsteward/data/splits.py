"""Train / validation / test splits: random, stratified, grouped and time-based, seeded.

``split_dataset(df, config, target=...)`` returns a ``SplitResult``: the row positions of each part
(``indices``, sorted, kept out of the JSON) and a pydantic ``SplitSummary`` (per part: rows, share,
class distribution, group count, time range, a fingerprint of its rows; and the config) for the
report and the gate evidence. ``result.parts(df)`` cuts the frame. Storing each part as a dataset
version with lineage is the workflow layer's job; this module only computes.

**Parts.** ``fractions`` is (train, validation, test), default (0.7, 0.15, 0.15); each >= 0, summing
to 1 within 1e-9, train and test > 0. A validation fraction of 0 gives two parts, ``train`` and
``test``, for every strategy. Every requested part must receive at least one row (one group for
``grouped``), else the split is refused.

**Deterministic.** The same config on the same data (same rows in the same order) gives identical
indices. Indices are *positions* (``df.iloc``), not index labels. One ``numpy.random.RandomState(seed)``
drives every random step of a split, in the order below.

``random`` and ``stratified`` — scikit-learn's ``train_test_split`` (``shuffle=True``), applied twice:

1. the test part is split off all rows with ``test_size=test`` (scikit-learn rounds the test
   part *up*: ``ceil(test * rows)`` rows);
2. if there is a validation part, the remaining rows are split again with
   ``test_size = validation / (train + validation)`` (again rounded up), the rest being train.

So a two-part split is exactly ``train_test_split(range(rows), test_size=test, stratify=...,
random_state=seed)``, and the test part of a three-part split is the same rows as the test part
of the two-part split with the same test fraction and seed. ``stratified`` passes
``stratify=`` the ``stratify_by`` column (default: the target) at both steps, coded by its sorted
distinct values (as scikit-learn's ``numpy.unique`` does), so the class shares of every part
follow the overall shares to within a row or so per class (scikit-learn's
``StratifiedShuffleSplit`` allocation). Every class needs at least 2 rows, and no missing values.

``grouped`` — scikit-learn's ``GroupShuffleSplit`` (one split), applied twice in the same way (test
groups first, then validation groups from the rest): no group appears in two parts. It matches the
fractions by the number of *groups*, not rows, so with groups of unequal size the row shares
differ from the fractions; the summary reports the achieved row shares (``share``) beside the
requested ones. Missing group values are refused (give each such row its own group id, or drop it).

``time`` — our own code; the seed is not used. Rows are placed by ``time_column``:
``train < c1 <= validation < c2 <= test`` (two parts: ``train < c1 <= test``).

* With explicit ``cutoffs`` (c1, c2) those bounds are used as given (the fractions then only say
  whether there is a validation part: with validation 0 give c1 == c2; with validation > 0,
  c1 < c2). The time column must be datetime (cutoffs as timestamps or ISO text, time zones both
  present or both absent) or numeric (cutoffs as numbers).
* Without cutoffs, the rows are sorted by time and cut by the fractions: the train/validation
  cut aims at ``train * rows`` rows before it, the validation/test cut at
  ``(train + validation) * rows``. **Ties are kept together**: all rows of one time value go to
  the same part, so a cut is only ever made where the time value changes, at the change nearest
  its aim (the earlier one when two are equally near), leaving at least one distinct time value
  to every later part. The cuts reached are reported as ``cutoffs`` in the summary: giving them
  back as explicit cutoffs reproduces the split.

Missing time values are refused (drop or fill them first); text columns are refused (convert them
with ``pandas.to_datetime``).

**Class distribution** per part is reported for ``target`` when given (else for the
``stratify_by`` column of a stratified split) when it reads as classes: text, categorical and
boolean columns, and numeric columns with at most 20 distinct whole-number values.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from difflib import get_close_matches
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from mlsteward.errors import InvalidInput

Strategy = Literal["random", "stratified", "grouped", "time"]
TimeValue = datetime | int | float
"""A time value or cutoff: a timestamp (``pandas.Timestamp`` kept as given) or a number."""

PART_NAMES: tuple[str, str, str] = ("train", "validation", "test")
MAX_NUMERIC_CLASSES = 20
FRACTION_TOLERANCE = 1e-9
_MISSING_CLASS = "<missing>"

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


# --- helpers --------------------------------------------------------------------------------------


def _column(df: pd.DataFrame, name: str, what: str) -> pd.Series:
    if name not in df.columns:
        names = [str(c) for c in df.columns]
        close = get_close_matches(str(name), names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise InvalidInput(
            f"{what} '{name}' is not a column of the data frame.{hint} Available columns: {', '.join(names)}."
        )
    column = df[name]
    if isinstance(column, pd.DataFrame):
        raise InvalidInput(
            f"{what} '{name}' names {column.shape[1]} columns of the data frame; make column names unique."
        )
    return column


def _no_missing(series: pd.Series, what: str, advice: str) -> None:
    missing = int(series.isna().sum())
    if missing:
        raise InvalidInput(f"{what} '{series.name}' has {missing} missing value(s) of {len(series)}; {advice}")


def _codes(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes by sorted distinct value (as ``numpy.unique`` orders them), with the values."""
    try:
        codes, uniques = pd.factorize(series, sort=True)
    except TypeError:  # values that do not compare: order of appearance
        codes, uniques = pd.factorize(series, sort=False)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


def _label(value: Any) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


def _reads_as_classes(series: pd.Series) -> bool:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.dropna().to_numpy(dtype=float)
        return bool(np.all(values == np.round(values))) and len(np.unique(values)) <= MAX_NUMERIC_CLASSES
    return not (pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype))


def _class_counts(series: pd.Series) -> dict[str, int]:
    counts = series.value_counts(dropna=False, sort=False)
    counts = counts[counts > 0]
    try:
        counts = counts.sort_index()
    except TypeError:
        pass
    found: dict[str, int] = {}
    for value, count in counts.items():
        key = _MISSING_CLASS if pd.isna(value) else _label(value)
        found[key] = found.get(key, 0) + int(count)
    return found


def _time_value(value: Any) -> TimeValue:
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, np.generic):
        value = value.item()
    return value


def _shuffle_counts(n: int, test_fraction: float) -> tuple[int, int]:
    """(train, test) sizes scikit-learn's shuffle splitters give for a float ``test_size``."""
    n_test = math.ceil(test_fraction * n)
    return n - n_test, n_test


def _planned_sizes(n: int, fractions: tuple[float, float, float], parts: tuple[str, ...]) -> dict[str, int]:
    """Sizes of the parts after the two steps (test first, then validation from the rest)."""
    train, validation, test = fractions
    rest, n_test = _shuffle_counts(n, test)
    if len(parts) == 2:
        return {"train": rest, "test": n_test}
    n_train, n_validation = _shuffle_counts(rest, validation / (train + validation))
    return {"train": n_train, "validation": n_validation, "test": n_test}


def _check_sizes(n: int, unit: str, config: SplitConfig, parts: tuple[str, ...]) -> None:
    sizes = _planned_sizes(n, config.fractions, parts) if n > 0 else dict.fromkeys(parts, 0)
    empty = [name for name in parts if sizes[name] < 1]
    if empty:
        planned = ", ".join(f"{name} {sizes[name]}" for name in parts)
        raise InvalidInput(
            f"too few {unit} for {len(parts)} parts: {n} {unit} with fractions {config.fractions} give {planned} "
            f"{unit}, and every part needs at least one; use more data, larger fractions for the small parts"
            + (", or a validation fraction of 0 for two parts." if len(parts) == 3 else ".")
        )


def _sklearn_failed(exc: ValueError, strategy: str) -> InvalidInput:
    advice = {
        "stratified": "use strategy='random', merge rare classes, or give the small parts larger fractions",
        "grouped": "use more groups or give the small parts larger fractions",
    }.get(strategy, "use more rows or give the small parts larger fractions")
    return InvalidInput(f"the {strategy} split cannot be made: {exc} ({advice}).")


# --- the strategies -------------------------------------------------------------------------------


def _shuffle_split(
    n: int, config: SplitConfig, parts: tuple[str, ...], stratify: np.ndarray | None
) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(config.seed)
    train, validation, test = config.fractions
    positions = np.arange(n)
    rest, test_rows = train_test_split(
        positions, test_size=test, shuffle=True, random_state=rng, stratify=stratify
    )
    found = {"test": test_rows}
    if len(parts) == 2:
        found["train"] = rest
    else:
        rest = np.sort(rest)
        found["train"], found["validation"] = train_test_split(
            rest,
            test_size=validation / (train + validation),
            shuffle=True,
            random_state=rng,
            stratify=None if stratify is None else stratify[rest],
        )
    return found


def _stratified_codes(series: pd.Series) -> np.ndarray:
    _no_missing(
        series, "stratify column",
        "stratify by a column without missing values, fill them (e.g. as a class of their own), or drop those rows.",
    )
    codes, uniques = _codes(series)
    counts = np.bincount(codes, minlength=len(uniques))
    rare = [(uniques[i], int(counts[i])) for i in np.flatnonzero(counts < 2)]
    if rare:
        shown = ", ".join(f"{_label(value)!r} has {count} row" for value, count in rare[:10])
        more = f" and {len(rare) - 10} more" if len(rare) > 10 else ""
        raise InvalidInput(
            f"stratify column '{series.name}' has classes with fewer than 2 rows, which cannot be spread over "
            f"the parts: {shown}{more}. Use strategy='random', or merge rare classes into a larger one."
        )
    return codes


def _grouped_split(codes: np.ndarray, config: SplitConfig, parts: tuple[str, ...]) -> dict[str, np.ndarray]:
    rng = np.random.RandomState(config.seed)
    train, validation, test = config.fractions
    positions = np.arange(len(codes))
    splitter = GroupShuffleSplit(n_splits=1, test_size=test, random_state=rng)
    rest, test_rows = next(splitter.split(positions, groups=codes))
    found = {"test": test_rows}
    if len(parts) == 2:
        found["train"] = rest
    else:
        splitter = GroupShuffleSplit(n_splits=1, test_size=validation / (train + validation), random_state=rng)
        train_at, validation_at = next(splitter.split(rest, groups=codes[rest]))
        found["train"], found["validation"] = rest[train_at], rest[validation_at]
    return found


def _time_series(series: pd.Series) -> pd.Series:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not (
        pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)
    ):
        raise InvalidInput(
            f"time column '{series.name}' has dtype {dtype}; it must hold timestamps (datetime64) or numbers. "
            "Convert text with pandas.to_datetime first."
        )
    _no_missing(series, "time column", "drop those rows or fill their times before a time-based split.")
    return series


def _cutoff_for(series: pd.Series, value: TimeValue) -> Any:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        if not isinstance(value, datetime):
            raise InvalidInput(
                f"time column '{series.name}' holds timestamps, so cutoffs must be timestamps; got {value!r}."
            )
        stamp = pd.Timestamp(value)
        column_aware = getattr(series.dtype, "tz", None) is not None
        if column_aware != (stamp.tzinfo is not None):
            raise InvalidInput(
                f"time column '{series.name}' is {'time-zone aware' if column_aware else 'naive (no time zone)'} "
                f"but cutoff {value} is {'time-zone aware' if stamp.tzinfo is not None else 'naive'}; give both with "
                "a time zone or both without."
            )
        return stamp
    if isinstance(value, datetime):
        raise InvalidInput(
            f"time column '{series.name}' holds numbers ({series.dtype}), so cutoffs must be numbers; got {value}."
        )
    return value


def _time_split(
    series: pd.Series, config: SplitConfig, parts: tuple[str, ...]
) -> tuple[dict[str, np.ndarray], tuple[Any, Any], list[str]]:
    n = len(series)
    notes: list[str] = []
    if config.cutoffs is not None:
        c1, c2 = (_cutoff_for(series, value) for value in config.cutoffs)
        masks = {
            "train": (series < c1).to_numpy(),
            "validation": ((series >= c1) & (series < c2)).to_numpy(),
            "test": (series >= c2).to_numpy(),
        }
        found = {name: np.flatnonzero(masks[name]) for name in parts}
        empty = [name for name in parts if len(found[name]) == 0]
        if empty:
            raise InvalidInput(
                f"the cutoffs ({config.cutoffs[0]}, {config.cutoffs[1]}) leave the {' and '.join(empty)} part(s) "
                f"empty: '{series.name}' runs from {series.min()} to {series.max()}. Give cutoffs inside that range."
            )
        notes.append("rows placed by the given cutoffs: train < c1 <= validation < c2 <= test")
        return found, (c1, c2), notes

    codes, uniques = _codes(series)
    distinct = len(uniques)
    if distinct < len(parts):
        raise InvalidInput(
            f"too few distinct times for {len(parts)} parts: time column '{series.name}' has {distinct} distinct "
            f"value(s) over {n} rows, and all rows of one time value go to the same part; use more data"
            + (" or a validation fraction of 0 for two parts." if len(parts) == 3 else ".")
        )
    # rows up to and including distinct value j: cum[j]; a cut after value j is a boundary at cum[j]
    cum = np.cumsum(np.bincount(codes, minlength=distinct))
    train, validation, _ = config.fractions
    aims = [train * n] if len(parts) == 2 else [train * n, (train + validation) * n]
    cuts: list[int] = []
    low = 0
    for k, aim in enumerate(aims):
        high = distinct - 1 - (len(aims) - 1 - k)  # leave one distinct value for every later part
        candidates = np.arange(low, high)
        j = int(candidates[np.argmin(np.abs(cum[candidates] - aim))])
        cuts.append(j)
        low = j + 1
    bounds = [-1, *cuts, distinct - 1]
    found = {
        name: np.flatnonzero((codes > bounds[i]) & (codes <= bounds[i + 1])) for i, name in enumerate(parts)
    }
    cutoffs = [uniques[j + 1] for j in cuts]
    c1, c2 = (cutoffs[0], cutoffs[0]) if len(parts) == 2 else (cutoffs[0], cutoffs[1])
    notes.append(
        "rows sorted by time and cut by the fractions; all rows of one time value go to the same part, so each cut "
        "is made at the change of time value nearest its aim"
    )
    return found, (c1, c2), notes


# --- the public function --------------------------------------------------------------------------


def split_dataset(
    df: pd.DataFrame, config: SplitConfig | Mapping[str, Any] | None = None, *, target: str | None = None
) -> SplitResult:
    """Split ``df`` into train / (validation) / test parts as ``config`` says (default: random 70/15/15).

    ``target`` names the label column: the default ``stratify_by`` of a stratified split, and the
    column whose class distribution each part reports. See the module documentation for the rules.
    """
    if config is None:
        config = SplitConfig()
    elif isinstance(config, Mapping):
        config = SplitConfig.model_validate(dict(config))
    elif not isinstance(config, SplitConfig):
        raise InvalidInput(
            f"The 'config' parameter of split_dataset must be a SplitConfig (or a dict of its settings). "
            f"Got {config!r} instead."
        )
    if not isinstance(df, pd.DataFrame):
        raise InvalidInput(f"split_dataset needs a pandas DataFrame; got {type(df).__name__}.")
    target_column = _column(df, target, "target") if target is not None else None
    parts = config.part_names
    n = len(df)
    notes: list[str] = []
    group_codes: np.ndarray | None = None
    cutoffs: tuple[Any, Any] | None = None
    time_series: pd.Series | None = None
    class_series = target_column

    if config.strategy in ("random", "stratified"):
        stratify = None
        if config.strategy == "stratified":
            name = config.stratify_by or target
            if name is None:
                raise InvalidInput(
                    "strategy='stratified' needs the class column: give stratify_by in the config or target= to "
                    "split_dataset."
                )
            stratify_series = _column(df, name, "stratify column")
            stratify = _stratified_codes(stratify_series)
            if class_series is None:
                class_series = stratify_series
        _check_sizes(n, "rows", config, parts)
        try:
            found = _shuffle_split(n, config, parts, stratify)
        except ValueError as exc:
            raise _sklearn_failed(exc, config.strategy) from exc
        notes.append("test part split off first with train_test_split(test_size=test)")
        if len(parts) == 3:
            train, validation, _ = config.fractions
            notes.append(
                f"validation split from the remaining rows with test_size = validation / (train + validation) = "
                f"{validation:g} / {train + validation:g} = {validation / (train + validation):.6g}"
            )
    elif config.strategy == "grouped":
        group_series = _column(df, config.group_by, "group column")
        _no_missing(
            group_series, "group column",
            "give each such row a group id of its own (or a shared 'unknown' group), or drop those rows.",
        )
        group_codes, uniques = _codes(group_series)
        _check_sizes(len(uniques), "groups", config, parts)
        try:
            found = _grouped_split(group_codes, config, parts)
        except ValueError as exc:
            raise _sklearn_failed(exc, "grouped") from exc
        notes.append(
            "GroupShuffleSplit matches the fractions by number of groups, not rows; the row shares achieved are "
            "the parts' 'share'"
        )
    else:
        time_series = _time_series(_column(df, config.time_column, "time column"))
        if n < len(parts):
            raise InvalidInput(f"too few rows for {len(parts)} parts: the data frame has {n}.")
        found, cutoffs, time_notes = _time_split(time_series, config, parts)
        notes.extend(time_notes)

    if class_series is not None and not _reads_as_classes(class_series):
        notes.append(f"'{class_series.name}' does not read as classes: no class distribution reported")
        class_series = None

    indices: dict[str, np.ndarray] = {}
    summaries: dict[str, PartSummary] = {}
    for i, name in enumerate(parts):
        positions = np.sort(np.asarray(found[name], dtype=np.int64))
        positions.flags.writeable = False
        indices[name] = positions
        counts = _class_counts(class_series.iloc[positions]) if class_series is not None else None
        times = time_series.iloc[positions] if time_series is not None else None
        summaries[name] = PartSummary(
            name=name,
            rows=len(positions),
            share=len(positions) / n,
            requested_share=config.fractions[PART_NAMES.index(name)],
            rows_sha256=hashlib.sha256(positions.astype("<i8").tobytes()).hexdigest(),
            class_counts=counts,
            class_shares={k: v / len(positions) for k, v in counts.items()} if counts is not None else None,
            group_count=len(np.unique(group_codes[positions])) if group_codes is not None else None,
            time_min=_time_value(times.min()) if times is not None else None,
            time_max=_time_value(times.max()) if times is not None else None,
        )
    summary = SplitSummary(
        config=config,
        rows=n,
        target=target,
        class_column=None if class_series is None else str(class_series.name),
        class_counts=_class_counts(class_series) if class_series is not None else None,
        group_count=len(np.unique(group_codes)) if group_codes is not None else None,
        cutoffs=None if cutoffs is None else (_time_value(cutoffs[0]), _time_value(cutoffs[1])),
        parts=summaries,
        notes=notes,
    )
    return SplitResult(indices=indices, summary=summary)


__all__ = [
    "PART_NAMES",
    "PartSummary",
    "SplitConfig",
    "SplitResult",
    "SplitSummary",
    "Strategy",
    "TimeValue",
    "split_dataset",
]
