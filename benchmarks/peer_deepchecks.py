"""The peer side of the evaluation benchmark: Deepchecks' full tabular suite, timed.

Standalone: run it with the Deepchecks venv's Python, not the project's (Deepchecks 0.19 does
not install next to numpy 2 / pandas 3); it does not import mlsteward. Set up (see
benchmarks/README.md)::

    python3.11 -m venv /tmp/deepchecksvenv
    /tmp/deepchecksvenv/bin/pip install "deepchecks==0.19.1" "numpy<2" "pandas<2.2" \
        "scikit-learn<1.6" "pyarrow<22"

    python benchmarks/eval_bench_data.py --out /tmp/evalbench      # project Python: the data
    /tmp/deepchecksvenv/bin/python benchmarks/peer_deepchecks.py \
        --train /tmp/evalbench/train.parquet --test /tmp/evalbench/test.parquet \
        --target high_income --cat occrecode,wrkstat,gender,educcat,maritalcat

It fits the benchmark's model itself (untimed): a scikit-learn Pipeline of a ColumnTransformer
(OneHotEncoder(handle_unknown="ignore", sparse_output=False) on the categorical columns, the
numeric ones passed through: HistGradientBoosting handles NaN) and
HistGradientBoostingClassifier(max_iter=100, random_state=0). Then it builds the two Deepchecks
Datasets (label and cat_features given) and times, with time.perf_counter, the one call a user
makes: ``full_suite().run(train_dataset=..., test_dataset=..., model=...)`` with Deepchecks'
defaults (``with_display=True``; permutation feature importance with its 120 s timeout, since the
model has no ``feature_importances_``). Nothing is parallelised explicitly; HistGradientBoosting's
OpenMP threads use the machine's cores (2 here) when Deepchecks calls predict.

Prints one JSON line on stdout: peer, version, seconds (wall), cpu_seconds (this process's CPU
time over the same region, all threads: a check on a busy machine), loadavg_1min (before, after),
rows_test, rows_train, checks (checks in the suite), results (check results: a single-dataset
check gives one per dataset), failed_checks (results that raised an unexpected error, "name: error"), not_applicable (results
Deepchecks reports as failures because the check does not apply: no datetime or index column,
regression-only, a boosting library's model), conditions_not_passed (check results with a
condition not met), per_check_seconds (each check's ``run_logic`` time, train and test runs
added, measured by wrapping it), other_seconds (the rest: building the context),
feature_importance (the permutation importance computation: its seconds are part of the first
check that needed it, Weak Segments Performance), deepchecks_messages (its log lines and
warnings), versions of the libraries.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path


def read_frame(path: Path, categorical: list[str]):  # -> pandas.DataFrame
    import pandas as pd

    if path.suffix.lower() == ".csv":
        df = pd.read_csv(path)
    else:
        df = pd.read_parquet(path)
    for col in categorical:  # a CSV loses the dtype; Parquet keeps it (and this is then a no-op)
        if df[col].dtype.name != "category":
            df[col] = df[col].astype("category")
    return df


def make_model(categorical: list[str], numeric: list[str]):  # -> sklearn Pipeline
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    pre = ColumnTransformer([
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ("num", "passthrough", numeric),
    ])
    return Pipeline([("pre", pre), ("clf", HistGradientBoostingClassifier(max_iter=100, random_state=0))])


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Time Deepchecks' full tabular suite on train/test files.")
    parser.add_argument("--train", type=Path, required=True, help="training set (.parquet or .csv)")
    parser.add_argument("--test", type=Path, required=True, help="test set (.parquet or .csv)")
    parser.add_argument("--target", required=True)
    parser.add_argument("--cat", default="", help="categorical columns, comma-separated")
    parser.add_argument("--no-display", action="store_true",
                        help="run(with_display=False): skip building the plots (not Deepchecks' default)")
    parser.add_argument("--save-html", type=Path, default=None,
                        help="write the suite's HTML report there afterwards (untimed)")
    args = parser.parse_args()
    categorical = [c for c in args.cat.split(",") if c]

    import deepchecks
    import numpy as np
    import pandas as pd
    import sklearn
    from deepchecks.core.check_result import CheckFailure
    from deepchecks.tabular import Dataset
    from deepchecks.tabular.suites import full_suite

    train = read_frame(args.train, categorical)
    test = read_frame(args.test, categorical)
    features = [c for c in train.columns if c != args.target]
    numeric = [c for c in features if c not in categorical]

    model = make_model(categorical, numeric)
    t0 = time.perf_counter()
    model.fit(train[features], train[args.target])
    fit_s = time.perf_counter() - t0

    train_ds = Dataset(train, label=args.target, cat_features=categorical)
    test_ds = Dataset(test, label=args.target, cat_features=categorical)
    suite = full_suite()

    # Per-check timing: wrap each check instance's run_logic (what Suite.run calls) with a clock.
    per_check: dict[str, float] = {}
    for check in suite.checks.values():
        original, name = check.run_logic, check.name()

        def timed(*a, _orig=original, _name=name, **kw):
            s = time.perf_counter()
            try:
                return _orig(*a, **kw)
            finally:
                per_check[_name] = per_check.get(_name, 0.0) + time.perf_counter() - s

        check.run_logic = timed

    # Permutation feature importance is computed lazily, inside the first check that asks for it
    # (Weak Segments Performance in the full suite): time it on its own too.
    import deepchecks.tabular.context as dc_context

    fi: dict = {}
    original_fi = dc_context.calculate_feature_importance_or_none

    def timed_fi(*a, **kw):
        s = time.perf_counter()
        try:
            importance, kind = original_fi(*a, **kw)
            fi.update(computed=importance is not None, type=kind)
            return importance, kind
        finally:
            fi["seconds"] = round(fi.get("seconds", 0.0) + time.perf_counter() - s, 3)

    dc_context.calculate_feature_importance_or_none = timed_fi

    collect = _Collect()
    dc_logger = logging.getLogger("deepchecks")
    dc_logger.addHandler(collect)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_before = os.getloadavg()[0]
        c0, t0 = time.process_time(), time.perf_counter()
        result = suite.run(train_dataset=train_ds, test_dataset=test_ds, model=model,
                           with_display=not args.no_display)
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
    dc_logger.removeHandler(collect)

    from deepchecks.core.errors import DatasetValidationError, ModelValidationError

    failed, not_applicable = [], []
    for r in result.results:
        if isinstance(r, CheckFailure):
            line = f"{r.get_header()}: {type(r.exception).__name__}: {str(r.exception)[:160]}"
            # Deepchecks' own "does not apply here" (no datetime / index column, regression-only,
            # a boosting library's model) vs a real error.
            is_na = isinstance(r.exception, (DatasetValidationError, ModelValidationError))
            (not_applicable if is_na else failed).append(line)
    if args.save_html:
        result.save_as_html(str(args.save_html))

    messages = collect.lines + sorted({f"{w.category.__name__}: {str(w.message)[:200]}" for w in caught})
    out = {
        "peer": "deepchecks",
        "version": deepchecks.__version__,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "loadavg_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "rows_test": len(test),
        "rows_train": len(train),
        "checks": len(suite.checks),
        "results": len(result.results),
        "failed_checks": failed,
        "not_applicable": not_applicable,
        "conditions_not_passed": sum(1 for r in result.results
                                     if not isinstance(r, CheckFailure) and not r.passed_conditions()),
        "per_check_seconds": {k: round(v, 3) for k, v in sorted(per_check.items(), key=lambda kv: -kv[1])},
        "other_seconds": round(seconds - sum(per_check.values()), 3),
        "feature_importance": fi,
        "fit_seconds": round(fit_s, 3),
        "with_display": not args.no_display,
        "deepchecks_messages": messages[:40],
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
                     "scikit-learn": sklearn.__version__},
    }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
