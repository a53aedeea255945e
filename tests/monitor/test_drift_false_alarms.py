"""False alarms: with no shift, the default tests call drift at about their nominal 5% rate.

The issue's bar: over 1,000 repeated no-shift samples of 1,000 rows each, the false-alarm rate of every
default test at the 5% level stays within 3.5%-6.5% (the binomial standard error of a 5% rate over
1,000 draws is 0.7 points, so the band is about +-2.2 standard errors). At 1,000 rows the defaults are
``ks`` (numeric) and ``chi2`` (categorical). The populations are real data: the bundled GSS sample,
drawn with replacement (reference and current from the same rows), plus a continuous normal.

GSS's numeric columns are integers with many ties (``childs`` has 9 values). ``scipy.stats.ks_2samp``
computes its p-value for continuous data, and with ties it is conservative: over 20,000 draws it called
drift in 1.1% (childs), 2.8% (year, prestg10), 3.0% (age) and 4.2% (occ10) of them. On tied data ``ks``
therefore uses the exact permutation p-value given the pooled values (``ks_ties_p_value``, checked in
tests/monitor/test_ks_ties.py). An exact test calls drift in at most 5% of draws; with ties D takes few
values and the level it can attain is somewhat lower: over 20,000 draws 4.3% (age) to 4.7% (childs,
prestg10, occ10). On those raw columns the band is asserted over 4,000 draws (the 1,000 below and 3,000
more, standard error 0.35 points): 1,000 draws of a test whose rate is 4.3-4.7% leave the band by
chance now and then, as the 1,000 here do for prestg10 (7.3%, when the exact conditional rates of these
very draws average 4.8%) and age (3.4%; 4.5%). The columns made continuous (uniform noise of one unit
added: the same shape, no ties) take scipy's path and are held to the band over the 1,000 draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlsteward.datasets import gss_label_events
from mlsteward.monitor import DRIFT_TESTS, dataset_drift, default_drift_test

REPETITIONS, ROWS, LEVEL = 1_000, 1_000, 0.05
TIED_REPETITIONS = 4_000
BAND = (0.035, 0.065)

NUMERIC = ["age", "prestg10", "occ10", "childs", "year"]
CATEGORICAL = ["occrecode", "wrkstat", "gender", "educcat", "maritalcat"]


@pytest.fixture(scope="module")
def rates() -> dict[str, dict[str, float]]:
    """Per population: the share of draws with p < 5% (and the p-values) and the share the default
    decision (with the effect-size floor) calls drift; and the last draw's frames, for the cross-check
    below."""
    gss = gss_label_events()
    g = np.random.default_rng(20261123)
    populations: dict[str, tuple[str, np.ndarray]] = {"normal": ("numeric", np.empty(0))}
    for col in NUMERIC:
        populations[col] = ("numeric", gss[col].dropna().to_numpy(dtype=np.float64))
        populations[f"{col}+noise"] = ("numeric", populations[col][1])
    for col in CATEGORICAL:
        codes = gss[col].cat.codes.to_numpy()
        populations[col] = ("categorical", codes[codes >= 0].astype(np.int64))
    out: dict[str, dict[str, float]] = {}
    draws: dict[str, np.ndarray] = {}
    for name, (kind, values) in populations.items():
        test = DRIFT_TESTS[default_drift_test(kind, ROWS, ROWS)]
        if name == "normal":
            samples = g.normal(size=(REPETITIONS, 2 * ROWS))
        else:
            samples = values[g.integers(0, len(values), size=(REPETITIONS, 2 * ROWS))]
            if name.endswith("+noise"):
                samples = samples + g.uniform(-0.5, 0.5, size=samples.shape)
        p_values, drifted = np.empty(REPETITIONS), np.empty(REPETITIONS, dtype=bool)
        for i, sample in enumerate(samples):
            reference, current = sample[:ROWS], sample[ROWS:]
            statistic, p_value = test.compute(reference, current)
            effect = test.effect_size(reference, current, statistic)
            p_values[i] = p_value
            drifted[i] = p_value < test.default_threshold and effect >= test.default_effect_floor
        out[name] = {"test": test.name, "p_rate": float(np.mean(p_values < LEVEL)),
                     "drift_rate": float(np.mean(drifted)), "p_last": float(p_values[-1]),
                     "drifted_last": bool(drifted[-1]), "p_values": p_values}
        draws[name] = samples[-1]
    out["_last"] = draws  # type: ignore[assignment]
    return out


def test_the_defaults_at_1000_rows_are_ks_and_chi2(rates: dict) -> None:
    assert {rates[c]["test"] for c in ["normal", *NUMERIC]} == {"ks"}
    assert {rates[c]["test"] for c in CATEGORICAL} == {"chi2"}
    assert DRIFT_TESTS["ks"].default_threshold == DRIFT_TESTS["chi2"].default_threshold == LEVEL


@pytest.mark.parametrize("population", ["normal", *(f"{c}+noise" for c in NUMERIC), *CATEGORICAL])
def test_false_alarm_rate_is_within_the_band(rates: dict, population: str) -> None:
    rate = rates[population]["p_rate"]
    assert BAND[0] <= rate <= BAND[1], (population, rate)


@pytest.fixture(scope="module")
def tied_rates(rates: dict) -> dict[str, tuple[float, float]]:
    """Per raw (tied) GSS numeric column: the share of p < 5% over the 1,000 draws of ``rates``, and
    over those and ``TIED_REPETITIONS - REPETITIONS`` more."""
    gss = gss_label_events()
    g = np.random.default_rng(20261124)
    test = DRIFT_TESTS["ks"]
    out: dict[str, tuple[float, float]] = {}
    for col in NUMERIC:
        values = gss[col].dropna().to_numpy(dtype=np.float64)
        more = np.empty(TIED_REPETITIONS - REPETITIONS)
        for i in range(len(more)):
            sample = values[g.integers(0, len(values), size=2 * ROWS)]
            more[i] = test.compute(sample[:ROWS], sample[ROWS:])[1]
        first = rates[col]["p_values"]
        out[col] = (float(np.mean(first < LEVEL)), float(np.mean(np.concatenate([first, more]) < LEVEL)))
    return out


@pytest.mark.parametrize("population", NUMERIC)
def test_ks_on_tied_real_columns_is_within_the_band(tied_rates: dict, population: str) -> None:
    first, all_draws = tied_rates[population]
    assert BAND[0] <= all_draws <= BAND[1], (population, first, all_draws)


def test_the_effect_size_floor_never_raises_the_rate(rates: dict) -> None:
    for name, rate in rates.items():
        if name == "_last":
            continue
        assert rate["drift_rate"] <= rate["p_rate"], name
        if rate["test"] == "ks" and name not in NUMERIC:
            # without ties a significant D at 1,000 vs 1,000 exceeds 0.061 > floor 0.05 (with ties
            # the exact p-value can be significant below it: childs at D = 0.049 in some draws)
            assert rate["drift_rate"] == rate["p_rate"], name
    # Cramér's V >= 0.1 needs chi2 >= 20 on 2,000 values: above the 5% critical value of any of these
    assert rates["gender"]["drift_rate"] == 0.0


def test_the_public_call_decides_as_the_loop_above(rates: dict) -> None:
    """The loop ran each registered test by hand; ``dataset_drift`` on the last draw agrees."""
    draws = rates["_last"]
    reference = pd.DataFrame({name: sample[:ROWS] for name, sample in draws.items()})
    current = pd.DataFrame({name: sample[ROWS:] for name, sample in draws.items()})
    for col in CATEGORICAL:  # as a text column, the way a user's data comes
        reference[col] = reference[col].map(lambda code: f"level {code}")
        current[col] = current[col].map(lambda code: f"level {code}")
    result = dataset_drift(reference, current)
    for column in result.columns:
        expected = rates[column.column]
        assert column.test == expected["test"]
        assert column.p_value == pytest.approx(expected["p_last"], rel=1e-12)
        assert column.drifted == expected["drifted_last"]
