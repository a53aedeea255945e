"""Splits: random and stratified on real data (checked against scikit-learn), grouped, time-based, errors."""

from __future__ import annotations

import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from mlsteward.data.splits import PART_NAMES, SplitConfig, SplitResult, SplitSummary, split_dataset
from mlsteward.errors import InvalidInput

FRACTION_SETS = [(0.7, 0.15, 0.15), (0.6, 0.2, 0.2), (0.5, 0.3, 0.2), (0.8, 0.1, 0.1)]


@pytest.fixture(scope="module")
def cancer() -> pd.DataFrame:
    return load_breast_cancer(as_frame=True).frame


def grouped_frame(seed: int = 0) -> pd.DataFrame:
    """60 patients with 1 to 20 visits each, in shuffled row order."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 21, 60)
    patients = np.repeat([f"p{i:02d}" for i in range(60)], sizes)
    frame = pd.DataFrame({"patient": patients, "x": rng.normal(size=len(patients))})
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def time_frame(seed: int = 0) -> pd.DataFrame:
    """120 days with 1 to 9 rows each (many ties), in shuffled row order."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    times = np.repeat(days, rng.integers(1, 10, len(days)))
    return pd.DataFrame({"when": rng.permutation(times), "x": rng.normal(size=len(times))})


def assert_partition(result: SplitResult, n: int, names: tuple[str, ...] = PART_NAMES) -> None:
    """Every row in exactly one part; each part's positions sorted, unique, read-only."""
    assert tuple(result.indices) == names
    assert tuple(result.summary.parts) == names
    together = np.concatenate(list(result.indices.values()))
    assert len(together) == n
    assert np.array_equal(np.sort(together), np.arange(n))
    for name, positions in result.indices.items():
        assert positions.dtype == np.int64
        assert np.all(np.diff(positions) > 0)
        assert not positions.flags.writeable
        part = result.summary.parts[name]
        assert part.rows == len(positions)
        assert part.share == pytest.approx(len(positions) / n)
        assert part.rows_sha256 == hashlib.sha256(positions.astype("<i8").tobytes()).hexdigest()


def sklearn_sizes(n: int, fractions: tuple[float, float, float]) -> dict[str, int]:
    """Sizes by hand: test = ceil(test * n); validation = ceil(validation / (train + validation) * rest)."""
    train, validation, test = fractions
    n_test = math.ceil(test * n)
    rest = n - n_test
    n_validation = math.ceil(validation / (train + validation) * rest)
    return {"train": rest - n_validation, "validation": n_validation, "test": n_test}


# --- random and stratified on breast cancer ------------------------------------------------------


@pytest.mark.parametrize("fractions", FRACTION_SETS)
def test_random_split_sizes_and_partition(cancer: pd.DataFrame, fractions: tuple[float, float, float]) -> None:
    result = split_dataset(cancer, SplitConfig(fractions=fractions, seed=3), target="target")
    assert_partition(result, len(cancer))
    assert {name: len(p) for name, p in result.indices.items()} == sklearn_sizes(len(cancer), fractions)
    assert result.summary.rows == len(cancer)
    for name, part in result.summary.parts.items():
        assert part.requested_share == fractions[PART_NAMES.index(name)]
        assert abs(part.share - part.requested_share) < 2 / len(cancer)
        expected = cancer["target"].iloc[result.indices[name]].value_counts()
        assert part.class_counts == {str(k): int(v) for k, v in sorted(expected.items())}


@pytest.mark.parametrize("seed", [0, 1, 7, 42])
def test_random_two_part_split_is_train_test_split(cancer: pd.DataFrame, seed: int) -> None:
    result = split_dataset(cancer, SplitConfig(fractions=(0.75, 0, 0.25), seed=seed))
    assert_partition(result, len(cancer), ("train", "test"))
    train, test = train_test_split(np.arange(len(cancer)), test_size=0.25, random_state=seed)
    assert np.array_equal(result.indices["train"], np.sort(train))
    assert np.array_equal(result.indices["test"], np.sort(test))


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("fractions", FRACTION_SETS)
def test_stratified_class_shares_follow_the_overall_share(
    cancer: pd.DataFrame, fractions: tuple[float, float, float], seed: int
) -> None:
    result = split_dataset(cancer, SplitConfig(strategy="stratified", fractions=fractions, seed=seed), target="target")
    assert_partition(result, len(cancer))
    assert {name: len(p) for name, p in result.indices.items()} == sklearn_sizes(len(cancer), fractions)
    # independent computation: a label per row from the indices, then a crosstab against the target
    label = np.empty(len(cancer), dtype=object)
    for name, positions in result.indices.items():
        label[positions] = name
    table = pd.crosstab(label, cancer["target"].to_numpy())
    overall = cancer["target"].value_counts(normalize=True)
    for name in PART_NAMES:
        rows = table.loc[name].sum()
        for cls in overall.index:
            assert abs(table.loc[name, cls] - overall[cls] * rows) <= 1, (name, cls)
        assert result.summary.parts[name].class_counts == {str(c): int(table.loc[name, c]) for c in table.columns}
        shares = result.summary.parts[name].class_shares
        assert shares == pytest.approx({str(c): table.loc[name, c] / rows for c in table.columns})
    assert result.summary.class_column == "target"
    assert result.summary.class_counts == {"0": 212, "1": 357}


@pytest.mark.parametrize("seed", [0, 1, 7, 42, 2**32 - 1])
@pytest.mark.parametrize("test_fraction", [0.15, 0.2, 0.3])
def test_stratified_two_part_split_is_train_test_split(cancer: pd.DataFrame, seed: int, test_fraction: float) -> None:
    config = SplitConfig(strategy="stratified", fractions=(1 - test_fraction, 0, test_fraction), seed=seed)
    result = split_dataset(cancer, config, target="target")
    assert_partition(result, len(cancer), ("train", "test"))
    train, test = train_test_split(cancer, test_size=test_fraction, stratify=cancer["target"], random_state=seed)
    assert np.array_equal(result.indices["train"], np.sort(cancer.index.get_indexer(train.index)))
    assert np.array_equal(result.indices["test"], np.sort(cancer.index.get_indexer(test.index)))


def test_three_part_test_set_equals_the_two_part_test_set(cancer: pd.DataFrame) -> None:
    for strategy in ("random", "stratified"):
        three_parts = SplitConfig(strategy=strategy, fractions=(0.6, 0.2, 0.2), seed=5)
        three = split_dataset(cancer, three_parts, target="target")
        two = split_dataset(cancer, SplitConfig(strategy=strategy, fractions=(0.8, 0, 0.2), seed=5), target="target")
        assert np.array_equal(three.indices["test"], two.indices["test"])
        assert np.array_equal(np.union1d(three.indices["train"], three.indices["validation"]), two.indices["train"])


def test_validation_is_split_from_the_rest_with_train_test_split(cancer: pd.DataFrame) -> None:
    """The second step by hand: the same RandomState continues, on the sorted remaining rows."""
    config = SplitConfig(strategy="stratified", fractions=(0.7, 0.15, 0.15), seed=11)
    result = split_dataset(cancer, config, target="target")
    y = cancer["target"].to_numpy()
    rng = np.random.RandomState(11)
    rest, test = train_test_split(np.arange(len(y)), test_size=0.15, stratify=y, random_state=rng)
    rest = np.sort(rest)
    train, validation = train_test_split(rest, test_size=0.15 / 0.85, stratify=y[rest], random_state=rng)
    assert np.array_equal(result.indices["test"], np.sort(test))
    assert np.array_equal(result.indices["validation"], np.sort(validation))
    assert np.array_equal(result.indices["train"], np.sort(train))
    assert any("0.15 / 0.85" in note for note in result.summary.notes)


def test_stratify_by_another_column_reports_the_target(cancer: pd.DataFrame) -> None:
    frame = cancer.assign(size=pd.qcut(cancer["mean radius"], 4, labels=["s", "m", "l", "xl"]))
    result = split_dataset(frame, SplitConfig(strategy="stratified", stratify_by="size", seed=2), target="target")
    assert_partition(result, len(frame))
    overall = frame["size"].value_counts(normalize=True)
    for positions in result.indices.values():
        counts = frame["size"].iloc[positions].value_counts()
        for cls in overall.index:
            assert abs(counts[cls] - overall[cls] * len(positions)) <= 1
    assert result.summary.class_column == "target"
    without_target = split_dataset(frame, SplitConfig(strategy="stratified", stratify_by="size", seed=2))
    assert without_target.summary.class_column == "size"
    assert without_target.indices.keys() == result.indices.keys()
    assert all(np.array_equal(without_target.indices[k], result.indices[k]) for k in result.indices)


def test_continuous_target_has_no_class_distribution(cancer: pd.DataFrame) -> None:
    result = split_dataset(cancer, SplitConfig(seed=1), target="mean radius")
    assert result.summary.class_column is None
    assert all(part.class_counts is None for part in result.summary.parts.values())
    assert any("does not read as classes" in note for note in result.summary.notes)


# --- grouped --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_grouped_split_keeps_every_group_in_one_part(seed: int) -> None:
    frame = grouped_frame(seed)
    result = split_dataset(frame, SplitConfig(strategy="grouped", group_by="patient", seed=seed))
    assert_partition(result, len(frame))
    groups = {name: set(frame["patient"].iloc[p]) for name, p in result.indices.items()}
    assert not groups["train"] & groups["validation"]
    assert not groups["train"] & groups["test"]
    assert not groups["validation"] & groups["test"]
    assert set().union(*groups.values()) == set(frame["patient"])
    # fractions are matched by groups, not rows: 60 groups -> ceil(.15 * 60) = 9 test groups, ...
    assert {name: len(g) for name, g in groups.items()} == sklearn_sizes(60, (0.7, 0.15, 0.15))
    summary = result.summary
    assert summary.group_count == 60
    for name, part in summary.parts.items():
        assert part.group_count == len(groups[name])
        assert part.share == pytest.approx(len(result.indices[name]) / len(frame))
    assert any("by number of groups, not rows" in note for note in summary.notes)


def test_grouped_two_part_split_is_group_shuffle_split() -> None:
    frame = grouped_frame(4)
    result = split_dataset(frame, SplitConfig(strategy="grouped", group_by="patient", fractions=(0.8, 0, 0.2), seed=9))
    assert_partition(result, len(frame), ("train", "test"))
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=9)
    train, test = next(splitter.split(frame, groups=frame["patient"]))
    assert np.array_equal(result.indices["train"], np.sort(train))
    assert np.array_equal(result.indices["test"], np.sort(test))


# --- time -----------------------------------------------------------------------------------------


def brute_force_cut(sorted_times: np.ndarray, aim: float, low_value_index: int, high_value_index: int) -> int:
    """Rows before the best cut: among the changes of value allowed, the one nearest aim (earlier on ties)."""
    changes = [i for i in range(1, len(sorted_times)) if sorted_times[i] != sorted_times[i - 1]]
    allowed = changes[low_value_index:high_value_index]
    return min(allowed, key=lambda i: (abs(i - aim), i))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_time_split_orders_parts_and_keeps_ties_together(seed: int) -> None:
    frame = time_frame(seed)
    n = len(frame)
    result = split_dataset(frame, SplitConfig(strategy="time", time_column="when", seed=123))
    assert_partition(result, n)
    times = {name: frame["when"].iloc[p] for name, p in result.indices.items()}
    assert times["train"].max() < times["validation"].min() <= times["validation"].max() < times["test"].min()
    # ties kept together: each time value appears in exactly one part
    owner = pd.concat([pd.Series(name, index=t.unique()) for name, t in times.items()])
    assert owner.index.is_unique and set(owner.index) == set(frame["when"])
    # the cuts are the changes of time value nearest 0.7 n and 0.85 n (checked by brute force)
    ordered = np.sort(frame["when"].to_numpy())
    first = brute_force_cut(ordered, 0.7 * n, 0, -1)
    changes_before_first = sum(1 for i in range(1, first + 1) if ordered[i] != ordered[i - 1])
    second = brute_force_cut(ordered, 0.85 * n, changes_before_first, None)
    assert len(result.indices["train"]) == first
    assert len(result.indices["validation"]) == second - first
    summary = result.summary
    assert summary.cutoffs == (ordered[first], ordered[second])
    for name, part in summary.parts.items():
        assert part.time_min == times[name].min() and part.time_max == times[name].max()
    # the cuts reached, given back as explicit cutoffs, reproduce the split
    again = split_dataset(frame, SplitConfig(strategy="time", time_column="when", cutoffs=summary.cutoffs))
    assert all(np.array_equal(again.indices[k], result.indices[k]) for k in result.indices)


def test_time_split_with_explicit_cutoffs() -> None:
    frame = time_frame(5)
    config = SplitConfig(strategy="time", time_column="when", cutoffs=("2024-03-01", "2024-04-01"))
    result = split_dataset(frame, config)
    assert_partition(result, len(frame))
    when = frame["when"]
    c1, c2 = pd.Timestamp("2024-03-01"), pd.Timestamp("2024-04-01")
    assert np.array_equal(result.indices["train"], np.flatnonzero(when < c1))
    assert np.array_equal(result.indices["validation"], np.flatnonzero((when >= c1) & (when < c2)))
    assert np.array_equal(result.indices["test"], np.flatnonzero(when >= c2))
    assert result.summary.cutoffs == (c1, c2)
    assert result.summary.parts["validation"].time_min == c1  # c1 <= validation: the cutoff day is in validation


def test_time_split_two_parts_numeric_and_time_zones() -> None:
    frame = pd.DataFrame({"step": np.repeat(np.arange(10), 3), "x": 0.0})
    result = split_dataset(frame, SplitConfig(strategy="time", time_column="step", fractions=(0.8, 0, 0.2)))
    assert_partition(result, len(frame), ("train", "test"))
    assert len(result.indices["train"]) == 24 and result.summary.cutoffs == (8, 8)
    explicit = split_dataset(
        frame, SplitConfig(strategy="time", time_column="step", fractions=(0.5, 0, 0.5), cutoffs=(2.5, 2.5))
    )
    assert np.array_equal(explicit.indices["train"], np.arange(9))
    aware = time_frame(1).assign(when=lambda f: f["when"].dt.tz_localize("Europe/Berlin"))
    result = split_dataset(aware, SplitConfig(strategy="time", time_column="when", cutoffs=("2024-02-01T00:00+01:00",
                                                                                             "2024-03-01T00:00+01:00")))
    assert result.summary.parts["train"].time_max < pd.Timestamp("2024-02-01", tz="Europe/Berlin")


# --- determinism and serialisation ----------------------------------------------------------------


@pytest.mark.parametrize(
    "config, frame_name",
    [
        (SplitConfig(seed=8), "cancer"),
        (SplitConfig(strategy="stratified", seed=8), "cancer"),
        (SplitConfig(strategy="grouped", group_by="patient", seed=8), "grouped"),
        (SplitConfig(strategy="time", time_column="when"), "time"),
    ],
)
def test_same_config_and_data_give_identical_indices(
    cancer: pd.DataFrame, config: SplitConfig, frame_name: str
) -> None:
    frame = {"cancer": cancer, "grouped": grouped_frame(), "time": time_frame()}[frame_name]
    target = "target" if frame_name == "cancer" else None
    first = split_dataset(frame, config, target=target)
    second = split_dataset(frame.copy(), config.model_copy(), target=target)
    assert all(np.array_equal(first.indices[k], second.indices[k]) for k in first.indices)
    assert first.summary == second.summary
    if config.strategy != "time":
        other = split_dataset(frame, config.model_copy(update={"seed": 9}), target=target)
        assert not np.array_equal(first.indices["test"], other.indices["test"])


def test_summary_is_json_without_the_indices(cancer: pd.DataFrame) -> None:
    result = split_dataset(cancer, {"strategy": "stratified", "seed": 4}, target="target")
    dumped = json.loads(result.model_dump_json())
    assert set(dumped) == {"summary"}
    assert dumped["summary"]["parts"]["test"]["rows"] == len(result.indices["test"])
    assert SplitSummary.model_validate_json(result.summary.model_dump_json()) == result.summary
    timed = split_dataset(time_frame(), SplitConfig(strategy="time", time_column="when")).summary
    assert SplitSummary.model_validate_json(timed.model_dump_json()) == timed


def test_parts_cuts_the_frame(cancer: pd.DataFrame) -> None:
    frame = cancer.set_index(pd.RangeIndex(1000, 1000 + len(cancer)))
    result = split_dataset(frame, SplitConfig(seed=1))
    parts = result.parts(frame)
    assert list(parts) == list(PART_NAMES)
    for name, part in parts.items():
        pd.testing.assert_frame_equal(part, frame.iloc[result.indices[name]])
    with pytest.raises(InvalidInput, match="made on 569 rows but the data frame has 100"):
        result.parts(frame.head(100))


def test_default_config_is_random_70_15_15(cancer: pd.DataFrame) -> None:
    result = split_dataset(cancer)
    assert result.summary.config == SplitConfig(strategy="random", fractions=(0.7, 0.15, 0.15), seed=0)
    assert_partition(result, len(cancer))


# --- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"fractions": (0.7, 0.2, 0.2)}, r"must sum to 1; got \(0.7, 0.2, 0.2\), which sums to 1.1"),
        ({"fractions": (0.7, 0.15, 0.15 + 2e-9)}, "must sum to 1"),
        ({"fractions": (1.1, -0.2, 0.1)}, r"must not be negative.*validation negative"),
        ({"fractions": (1.0, 0.0, 0.0)}, "test fraction must be above 0"),
        ({"fractions": (0.5, 0.5)}, "fractions"),
        ({"strategy": "kfold"}, "strategy: Input should be 'random', 'stratified', 'grouped' or 'time'"),
        ({"strategy": "grouped"}, "needs group_by"),
        ({"strategy": "time"}, "needs time_column"),
        ({"group_by": "patient"}, "only used by strategy='grouped'"),
        ({"stratify_by": "y", "strategy": "grouped", "group_by": "g"}, "only used by strategy='stratified'"),
        ({"strategy": "time", "time_column": "t", "cutoffs": ("2024-05-01", "2024-02-01")}, "out of order"),
        ({"strategy": "time", "time_column": "t", "cutoffs": (5, 5)}, "leaves no validation part"),
        ({"strategy": "time", "time_column": "t", "fractions": (0.8, 0, 0.2), "cutoffs": (1, 5)}, "give c1 == c2"),
        ({"strategy": "time", "time_column": "t", "cutoffs": (1, "2024-01-01")}, "two timestamps or two numbers"),
        ({"strategy": "time", "time_column": "t", "cutoffs": ("soon", "later")}, "not a readable timestamp"),
        ({"strategy": "time", "time_column": "t", "cutoffs": (1, 2, 3)}, "exactly two values"),
        ({"seed": -1}, "seed"),
        ({"sead": 1}, "Extra inputs are not permitted"),
    ],
)
def test_invalid_config_raises_invalid_input(settings: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        SplitConfig(**settings)
    with pytest.raises(InvalidInput, match=message):
        split_dataset(pd.DataFrame({"t": [1, 2, 3]}), settings)


def test_fractions_within_tolerance_are_accepted() -> None:
    assert SplitConfig(fractions=(0.7, 0.15, 0.15 + 5e-10)).fractions[2] == pytest.approx(0.15)


def test_rare_class_is_named_with_its_count(cancer: pd.DataFrame) -> None:
    frame = cancer.assign(label=np.where(cancer["target"] == 1, "benign", "malignant"))
    frame.loc[frame.index[0], "label"] = "unknown"
    with pytest.raises(InvalidInput, match=r"'unknown' has 1 row.*strategy='random'.*merge rare classes"):
        split_dataset(frame, SplitConfig(strategy="stratified"), target="label")
    # and the random split of the same data works
    assert_partition(split_dataset(frame, SplitConfig(), target="label"), len(frame))


def test_stratification_scikit_learn_refuses_is_invalid_input() -> None:
    frame = pd.DataFrame({"y": np.repeat(list("abcde"), 2)})  # test part of 2 rows cannot hold 5 classes
    with pytest.raises(InvalidInput, match="stratified split cannot be made.*number of classes"):
        split_dataset(frame, SplitConfig(strategy="stratified", fractions=(0.8, 0, 0.2)), target="y")


def test_missing_columns_are_named_with_the_available_ones(cancer: pd.DataFrame) -> None:
    frame = grouped_frame()
    with pytest.raises(InvalidInput, match=r"group column 'patients' is not a column.*Did you mean 'patient'\?.*"
                                           r"Available columns: patient, x\."):
        split_dataset(frame, SplitConfig(strategy="grouped", group_by="patients"))
    with pytest.raises(InvalidInput, match=r"time column 'date' is not a column.*Available columns: when, x\."):
        split_dataset(time_frame(), SplitConfig(strategy="time", time_column="date"))
    with pytest.raises(InvalidInput, match=r"stratify column 'klass' is not a column"):
        split_dataset(cancer, SplitConfig(strategy="stratified", stratify_by="klass"))
    with pytest.raises(InvalidInput, match=r"target 'label' is not a column"):
        split_dataset(cancer, SplitConfig(), target="label")
    with pytest.raises(InvalidInput, match="needs the class column"):
        split_dataset(cancer, SplitConfig(strategy="stratified"))


def test_too_few_rows_or_groups_or_times() -> None:
    with pytest.raises(InvalidInput, match=r"too few rows for 3 parts: 2 rows .* give train 0, validation 1, test 1"):
        split_dataset(pd.DataFrame({"x": range(2)}), SplitConfig())
    with pytest.raises(InvalidInput, match=r"too few rows for 3 parts: 0 rows"):
        split_dataset(pd.DataFrame({"x": []}), SplitConfig())
    assert_partition(split_dataset(pd.DataFrame({"x": range(3)}), SplitConfig()), 3)  # one row each
    with pytest.raises(InvalidInput, match=r"too few rows for 2 parts: 1 rows .* give train 0, test 1"):
        split_dataset(pd.DataFrame({"x": [1]}), SplitConfig(fractions=(0.5, 0, 0.5)))
    frame = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": range(4)})
    with pytest.raises(InvalidInput, match=r"too few groups for 3 parts: 2 groups"):
        split_dataset(frame, SplitConfig(strategy="grouped", group_by="g"))
    with pytest.raises(InvalidInput, match=r"too few distinct times for 3 parts.*2 distinct value\(s\) over 4 rows"):
        split_dataset(frame.assign(t=[1, 1, 2, 2]), SplitConfig(strategy="time", time_column="t"))


def test_time_column_errors() -> None:
    frame = time_frame()
    with pytest.raises(InvalidInput, match=r"leave the train part\(s\) empty: 'when' runs from 2024-01-01"):
        split_dataset(frame, SplitConfig(strategy="time", time_column="when", cutoffs=("2023-01-01", "2024-02-01")))
    with pytest.raises(InvalidInput, match="holds timestamps, so cutoffs must be timestamps"):
        split_dataset(frame, SplitConfig(strategy="time", time_column="when", cutoffs=(1, 2)))
    with pytest.raises(InvalidInput, match="naive .* but cutoff .* is time-zone aware"):
        split_dataset(frame, SplitConfig(strategy="time", time_column="when",
                                         cutoffs=("2024-02-01T00:00Z", "2024-03-01T00:00Z")))
    with pytest.raises(InvalidInput, match="Convert text with pandas.to_datetime"):
        split_dataset(frame.assign(when=frame["when"].astype(str)), SplitConfig(strategy="time", time_column="when"))
    with pytest.raises(InvalidInput, match=r"time column 'when' has 1 missing value"):
        split_dataset(frame.assign(when=frame["when"].where(frame.index != 3)),
                      SplitConfig(strategy="time", time_column="when"))


def test_missing_group_and_class_values_are_refused(cancer: pd.DataFrame) -> None:
    frame = grouped_frame().astype({"patient": object})
    frame.loc[5, "patient"] = None
    with pytest.raises(InvalidInput, match=r"group column 'patient' has 1 missing value.*group id of its own"):
        split_dataset(frame, SplitConfig(strategy="grouped", group_by="patient"))
    labels = cancer["target"].astype(float).where(cancer.index != 0)
    with pytest.raises(InvalidInput, match=r"stratify column 'target' has 1 missing value"):
        split_dataset(cancer.assign(target=labels), SplitConfig(strategy="stratified"), target="target")


def test_wrong_argument_types() -> None:
    with pytest.raises(InvalidInput, match="must be a SplitConfig"):
        split_dataset(pd.DataFrame({"x": range(10)}), "random")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="needs a pandas DataFrame"):
        split_dataset(np.arange(10), SplitConfig())  # type: ignore[arg-type]
