"""Benchmark: Steward's default evaluation suite vs Deepchecks' full tabular suite, same model, same data.

Goal (issue 6): the default suite on a 50,000-row test set, on 2 cores, at least 3x faster than
Deepchecks' full tabular suite on the same model and data.

Both sides get the same files (``eval_bench_data.py``: 20,000 training rows and a 50,000-row test
set from the bundled GSS data) and fit the same model untimed: a Pipeline of a ColumnTransformer
(OneHotEncoder on the five text columns, numbers passed through) and
HistGradientBoostingClassifier(max_iter=100, random_state=0). Timed: the one call a user makes:
``run_suite(SuiteInputs(...))`` for Steward (every default check: metrics with 1,000 bootstrap
resamples, 5-fold cross-validation on the training rows, calibration with isotonic recalibration,
the cost-optimal threshold, slices, fairness by gender, permutation importance and partial
dependence, robustness, ablation, failure modes, uplift and the promotion gate) and
``full_suite().run(train_dataset, test_dataset, model)`` for Deepchecks, which runs in its own venv
(``peer_deepchecks.py``; Deepchecks 0.19 does not install next to numpy 2 / pandas 3)::

    python3.11 -m venv /tmp/deepchecksvenv
    /tmp/deepchecksvenv/bin/pip install "deepchecks==0.19.1" "numpy<2" "pandas<2.2" "scikit-learn<1.6" "pyarrow<22"
    python benchmarks/bench_evaluation.py [--deepchecks-python /tmp/deepchecksvenv/bin/python] [--repeats 3]

Recalibration is fitted on 5,000 of the training rows here (the lifecycle uses the validation
split); it costs the same. Prints per-check seconds and the ratio (Deepchecks seconds / Steward
seconds, medians over ``--repeats``), wall and CPU.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bench import log  # noqa: E402
from eval_bench_data import write_eval_data  # noqa: E402

GOAL = 3.0


def steward_once(data: dict) -> dict:
    import pandas as pd
    import yaml
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from mlsteward.evaluate.suite import SuiteInputs, run_suite
    from mlsteward.spec import Spec
    from mlsteward.train.baselines import majority_baseline
    from mlsteward.train.metrics import score_estimator

    train, test = pd.read_parquet(data["train"]), pd.read_parquet(data["test"])
    target = data["target"]
    model = Pipeline([
        ("features", ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                                         data["categorical"])], remainder="passthrough")),
        ("model", HistGradientBoostingClassifier(max_iter=100, random_state=0))])
    x_train, y_train = train.drop(columns=[target]), train[target]
    model.fit(x_train, y_train)
    x_test, y_test = test.drop(columns=[target]), test[target]
    majority = score_estimator("roc_auc", majority_baseline("classification").fit(x_train, y_train), x_test, y_test)
    spec = Spec.model_validate(yaml.safe_load(GATE_SPEC))
    calib = train.sample(5000, random_state=0)
    inputs = SuiteInputs(model=model, frame=x_test, y=y_test, metric_name="roc_auc", config=spec.evaluation,
                         sensitive=["gender"], gate=spec.gates["promotion"], baselines={"majority": majority},
                         train=(x_train, y_train), calibration_rows=(calib.drop(columns=[target]), calib[target]))
    cpu, wall = time.process_time(), time.perf_counter()
    result = run_suite(inputs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"seconds": wall, "cpu_seconds": cpu, "per_check": {c.name: c.seconds for c in result.checks},
            "statuses": {c.name: c.status for c in result.checks}}


GATE_SPEC = """
project: bench
charter: {problem: p, decision: d, prediction_target: t, kpis: {ml: [{name: roc_auc, target: 0.8, timeframe: now}]}}
evaluation: {costs: {false_positive: 5, false_negative: 50}}
gates:
  promotion:
    - {metric: roc_auc, min: 0.8}
    - {metric: expected_calibration_error, max: 0.05}
    - fairness: {metric: demographic_parity_difference, by: gender, max: 0.1}
"""


def peer_once(python: str, data: dict) -> dict:
    cmd = [python, str(HERE / "peer_deepchecks.py"), "--train", data["train"], "--test", data["test"],
           "--target", data["target"], "--cat", ",".join(data["categorical"])]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"the Deepchecks run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--deepchecks-python", default="/tmp/deepchecksvenv/bin/python")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each side (medians reported)")
    parser.add_argument("--skip-peer", action="store_true", help="time Steward only")
    args = parser.parse_args()
    if not args.skip_peer and not os.path.exists(args.deepchecks_python):
        parser.error(f"{args.deepchecks_python} not found: create the Deepchecks venv (see the docstring) or "
                     "pass --skip-peer")
    with tempfile.TemporaryDirectory(prefix="eval-bench-") as folder:
        data = write_eval_data(folder)
        log(f"data: {data['train_rows']:,} training rows, {data['test_rows']:,} test rows")
        ours, theirs = [], []
        for i in range(args.repeats):
            ours.append(steward_once(data))
            log(f"steward run {i + 1}: {ours[-1]['seconds']:.1f} s wall, {ours[-1]['cpu_seconds']:.1f} s CPU")
            if not args.skip_peer:
                theirs.append(peer_once(args.deepchecks_python, data))
                log(f"deepchecks run {i + 1}: {theirs[-1]['seconds']:.1f} s wall, "
                    f"{theirs[-1]['cpu_seconds']:.1f} s CPU")
    print("\nSteward per check (last run, seconds):")
    for name, seconds in ours[-1]["per_check"].items():
        print(f"  {name:<18} {seconds:7.2f}  {ours[-1]['statuses'][name]}")
    wall = statistics.median(r["seconds"] for r in ours)
    cpu = statistics.median(r["cpu_seconds"] for r in ours)
    print(f"\nSteward default suite: {wall:.1f} s wall, {cpu:.1f} s CPU (median of {len(ours)})")
    if theirs:
        peer_wall = statistics.median(r["seconds"] for r in theirs)
        peer_cpu = statistics.median(r["cpu_seconds"] for r in theirs)
        print(f"Deepchecks {theirs[-1].get('version')} full suite: {peer_wall:.1f} s wall, {peer_cpu:.1f} s CPU")
        slowest = sorted((theirs[-1].get("per_check_seconds") or {}).items(), key=lambda kv: -kv[1])[:3]
        if slowest:
            print("  slowest Deepchecks checks (last run): " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
        ratio = peer_wall / wall
        print(f"ratio (Deepchecks / Steward): {ratio:.1f}x wall, {peer_cpu / cpu:.1f}x CPU; goal >= {GOAL:g}x: "
              f"{'PASS' if ratio >= GOAL else 'MISS'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
