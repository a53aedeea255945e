"""Quality SLAs against independent pandas computations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from mlsteward.data.profile import profile_dataset
from mlsteward.data.quality import check_quality
from mlsteward.spec_data import QualitySLA

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "a": [1.0, np.nan, 3.0, 1.0, np.nan, 1.0],
        "b": ["x", "y", None, "x", "z", "x"],
        "seen": pd.to_datetime(["2026-11-01", "2026-11-10", "2026-11-20", "2026-11-01", "2026-10-01", "2026-11-01"]),
    })


def test_each_sla_against_pandas() -> None:
    df = _frame()
    sla = QualitySLA(min_completeness=0.9, max_duplicate_rate=0.1, min_rows=5, max_rows=6, max_age_days=2)
    result = check_quality(profile_dataset(df), sla, time_column="seen", now=NOW)
    by_name = {c.name: c for c in result.checks}
    completeness = df.notna().to_numpy().mean()  # 15 of 18 cells
    assert by_name["completeness"].observed == completeness and not by_name["completeness"].passed
    duplicates = df.duplicated().mean()  # rows 3 and 5 repeat row 0
    assert by_name["duplicate_rate"].observed == duplicates == 2 / 6 and not by_name["duplicate_rate"].passed
    assert by_name["min_rows"].passed and by_name["max_rows"].passed
    age = (NOW - df["seen"].max().tz_localize("UTC")).total_seconds() / 86400
    assert by_name["freshness"].observed == age == 3.0 and not by_name["freshness"].passed
    assert not result.passed
    relaxed = check_quality(profile_dataset(df), QualitySLA(min_completeness=0.8, max_age_days=3), time_column="seen",
                            now=NOW)
    assert relaxed.passed


def test_freshness_without_dates_is_not_checked_and_does_not_fail() -> None:
    df = pd.DataFrame({"year": [2017, 2018], "v": [1, 2]})
    result = check_quality(profile_dataset(df), QualitySLA(max_age_days=30), time_column="year", now=NOW)
    assert result.checks[0].passed is None and "holds no dates" in result.checks[0].note and result.passed
    missing = check_quality(profile_dataset(df), QualitySLA(max_age_days=30), time_column="when", now=NOW)
    assert missing.checks[0].passed is False and "'when' is not in the data" in missing.checks[0].note
    unset = check_quality(profile_dataset(df), QualitySLA(max_age_days=30), now=NOW)
    assert "set data.time_column" in unset.checks[0].note
