#!/usr/bin/env python
"""What tracking costs a hyperparameter search: plain Optuna vs Optuna + Steward's callback vs
Optuna + MLflow's callback (optuna-integration's ``MLflowCallback``), in one process.

Not a test, not run in CI. Needs the venv with MLflow (see benchmarks/README.md)::

    /tmp/benchvenv/bin/python benchmarks/bench_training.py            # 100 trials x 25 repeats
    /tmp/benchvenv/bin/python benchmarks/bench_training.py --quick    # 30 trials x 3, a smoke run

Each arm runs the same study: ``TPESampler(seed=0)``, 100 trials of a DecisionTreeClassifier
(depth, leaf size, criterion) on 4,000 rows of the bundled GSS data (4 numeric features), scored
on 2,000 others: a few ms per trial. The timed region is a whole search as a user runs it: (a)
create the study and optimize; (b) the same inside a Steward parent run with ``StewardCallback``,
ending with ``callback.flush()`` and the parent's end (everything committed); (c) the same inside
an MLflow parent run with ``MLflowCallback(..., mlflow_kwargs={"nested": True})``. Each tool writes
to a SQLite file in a fresh folder per repetition, created before the clock starts. Arms are
interleaved (rotated order) and repeated; an overhead is the median of the per-repetition ratios
(the ratio of the arms' medians is shown beside it). Prints a table (overheads, their ratio,
goal, PASS/MISS) and writes it as JSON to benchmarks/results/training.json.
"""

from __future__ import annotations

import os

# Before mlflow is imported: no telemetry, and synchronous logging (the default, made explicit).
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import mlflow  # noqa: E402
import optuna  # noqa: E402
import sklearn  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402
from optuna_integration.mlflow import MLflowCallback  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

import mlsteward  # noqa: E402
from _bench import clock, fmt_s, log, text_table, timed_region  # noqa: E402
from mlsteward.datasets import gss_wages_with_target  # noqa: E402
from mlsteward.tracking.optuna_callback import StewardCallback  # noqa: E402
from mlsteward.workspace import get_workspace  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

FULL = dict(trials=100, repeats=25, warmup_trials=10)
QUICK = dict(trials=30, repeats=3, warmup_trials=5)
SEED = 0
FEATURES = ["year", "age", "prestg10", "childs"]
ARMS = ("plain", "steward", "mlflow")
GOAL_STEWARD_OVERHEAD = 0.05  # at most 5 % over plain Optuna
GOAL_RATIO = 3.0  # MLflow's overhead at least 3x Steward's


# -- the search -------------------------------------------------------------------------------
def load_data() -> tuple:
    """4,000 training and 2,000 validation rows of GSS (numeric features, high_income target)."""
    frame = gss_wages_with_target()[[*FEATURES, "high_income"]].dropna().sample(6_000, random_state=SEED)
    X, y = frame[FEATURES].to_numpy(float), frame["high_income"].to_numpy()
    return X[:4_000], X[4_000:], y[:4_000], y[4_000:]


def make_objective(data: tuple):  # noqa: ANN201
    X_train, X_valid, y_train, y_valid = data

    def objective(trial: optuna.Trial) -> float:
        model = DecisionTreeClassifier(
            max_depth=trial.suggest_int("max_depth", 2, 12),
            min_samples_leaf=trial.suggest_int("min_samples_leaf", 1, 50),
            criterion=trial.suggest_categorical("criterion", ["gini", "entropy"]),
            random_state=SEED)
        return model.fit(X_train, y_train).score(X_valid, y_valid)

    return objective


def new_study() -> optuna.Study:
    return optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=SEED))


# -- the arms: each returns (study, what to check afterwards) ----------------------------------
class Folder:
    """One repetition's fresh stores for one arm."""

    def __init__(self, root: Path, name: str) -> None:
        self.path = root / name
        self.path.mkdir(parents=True, exist_ok=False)


def prepare_steward(folder: Folder) -> dict:
    url, artifacts = f"sqlite:///{folder.path / 'steward.db'}", str(folder.path / "steward-artifacts")
    mlsteward.set_store(store_url=url, artifacts_url=artifacts)
    get_workspace(url, artifacts).store  # noqa: B018 - opens / creates the database, untimed
    return dict(url=url, artifacts=artifacts)


def prepare_mlflow(folder: Folder) -> dict:
    uri = f"sqlite:///{folder.path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    eid = MlflowClient().create_experiment("bench-training", artifact_location=str(folder.path / "mlflow-artifacts"))
    return dict(uri=uri, experiment_id=eid)


def run_plain(objective, trials: int, _setup: dict) -> tuple:  # noqa: ANN001
    study = new_study()
    study.optimize(objective, n_trials=trials)
    return study, None


def run_steward(objective, trials: int, _setup: dict) -> tuple:  # noqa: ANN001
    with mlsteward.start_run(experiment="bench-training", name="study") as parent:
        callback = StewardCallback(parent)
        study = new_study()
        study.optimize(objective, n_trials=trials, callbacks=[callback])
        callback.flush()
    return study, parent.id


def run_mlflow(objective, trials: int, setup: dict) -> tuple:  # noqa: ANN001
    with mlflow.start_run(experiment_id=setup["experiment_id"], run_name="study") as parent:
        callback = MLflowCallback(tracking_uri=setup["uri"], metric_name="value", create_experiment=False,
                                  mlflow_kwargs={"nested": True, "experiment_id": setup["experiment_id"]})
        study = new_study()
        study.optimize(objective, n_trials=trials, callbacks=[callback])
    return study, parent.info.run_id


def check_steward(setup: dict, parent_id: str, study: optuna.Study) -> None:
    store = get_workspace(setup["url"], setup["artifacts"]).store
    kids = store.runs.search(f"parent_id = '{parent_id}'", limit=100_000)
    got = sorted((int(r.tags["trial_number"]), r.metrics["value"]) for r in kids)
    assert got == [(t.number, t.value) for t in study.trials], "Steward's child runs differ from the study"
    assert store.runs.get(parent_id).metrics["best_value"] == study.best_value


def check_mlflow(setup: dict, parent_id: str, study: optuna.Study) -> None:
    kids = MlflowClient().search_runs([setup["experiment_id"]], f"tags.mlflow.parentRunId = '{parent_id}'",
                                      max_results=50_000)
    got = sorted((int(r.data.tags["number"]), r.data.metrics["value"]) for r in kids)
    assert got == [(t.number, t.value) for t in study.trials], "MLflow's runs differ from the study"


ARM_FUNCS = {"plain": (None, run_plain, None), "steward": (prepare_steward, run_steward, check_steward),
             "mlflow": (prepare_mlflow, run_mlflow, check_mlflow)}


def measure(arm: str, objective, trials: int, root: Path, tag: str, values_ref: list | None) -> dict:  # noqa: ANN001
    prepare, run, check = ARM_FUNCS[arm]
    setup = prepare(Folder(root, f"{arm}-{tag}")) if prepare else {}
    with timed_region(None):
        c0, t0 = time.process_time(), clock()
        study, parent_id = run(objective, trials, setup)
        wall, cpu = clock() - t0, time.process_time() - c0
    values = [t.value for t in study.trials]
    if values_ref is not None:
        assert values == values_ref, f"{arm}: the search differs from the plain one (seed, sampler)"
    if check:
        check(setup, parent_id, study)
    return dict(wall_s=wall, cpu_s=cpu, load=os.getloadavg()[0], values=values)


# -- results ----------------------------------------------------------------------------------
def pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:+.1f} %"


def summarise(samples: dict[str, list[dict]], trials: int, repeats: int) -> list[dict]:
    """Overheads judged on the median of per-repetition ratios (each repetition runs the three arms
    back to back, so they share the machine's state); the ratio of the arms' medians is beside it."""
    med = {a: statistics.median(s["wall_s"] for s in samples[a]) for a in ARMS}
    cpu = {a: statistics.median(s["cpu_s"] for s in samples[a]) for a in ARMS}
    tools = ("steward", "mlflow")
    paired = {a: statistics.median(s["wall_s"] / p["wall_s"] - 1 for s, p in zip(samples[a], samples["plain"],
                                                                                  strict=True)) for a in tools}
    of_medians = {a: med[a] / med["plain"] - 1 for a in tools}
    cpu_over = {a: cpu[a] / cpu["plain"] - 1 for a in tools}
    per_trial_ms = {a: paired[a] * med["plain"] / trials * 1000 for a in tools}

    def notes(a: str) -> list[str]:
        return [f"median of {repeats} per-repetition overheads (arms interleaved, order rotated); ratio of "
                f"the arms' medians {pct(of_medians[a])}; about {per_trial_ms[a]:+.2f} ms per trial; CPU time "
                f"(all threads) {pct(cpu_over[a])}"]

    common = dict(median_wall_s=med, median_cpu_s=cpu, paired=paired, of_medians=of_medians, cpu_over=cpu_over)
    steward, mlflow_ = paired["steward"], paired["mlflow"]
    rows = [
        dict(id="1", title=f"Steward overhead over plain Optuna ({trials} trials)", value=steward,
             text=pct(steward), goal_text=f"<= {GOAL_STEWARD_OVERHEAD:.0%}",
             status="PASS" if steward <= GOAL_STEWARD_OVERHEAD else "MISS", notes=notes("steward"), **common),
        dict(id="2", title=f"MLflow overhead over plain Optuna ({trials} trials)", value=mlflow_,
             text=pct(mlflow_), goal_text="information", status="INFO", notes=notes("mlflow"), **common),
    ]
    if steward <= 0:
        rows.append(dict(id="3", title="overhead ratio MLflow / Steward", value=None, goal_text=f">= {GOAL_RATIO:g}x",
                         text="Steward's overhead <= 0 (below the noise)", status="PASS" if mlflow_ > 0 else "MISS",
                         notes=[], **common))
    else:
        ratio = mlflow_ / steward
        rows.append(dict(id="3", title="overhead ratio MLflow / Steward", value=ratio, text=f"{ratio:,.1f}x",
                         goal_text=f">= {GOAL_RATIO:g}x", status="PASS" if ratio >= GOAL_RATIO else "MISS",
                         notes=[f"ratio of the medians' overheads: "
                                f"{of_medians['mlflow'] / of_medians['steward']:,.1f}x" if of_medians["steward"] > 0
                                else "ratio of the medians' overheads: Steward's <= 0"], **common))
    return rows


def table(rows: list[dict]) -> str:
    head = ("#", "measure", "plain Optuna", "Optuna + Steward", "Optuna + MLflow", "value", "goal", "result")
    med = rows[0]["median_wall_s"]
    cells = [(r["id"], r["title"], fmt_s(med["plain"]), fmt_s(med["steward"]) if r["id"] != "2" else "-",
              fmt_s(med["mlflow"]) if r["id"] != "1" else "-", r["text"], r["goal_text"], r["status"])
             for r in rows]
    return text_table(head, cells, rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="30 trials x 3 repetitions, a smoke run")
    parser.add_argument("--trials", type=int, default=None, help="trials per search (default 100; quick 30)")
    parser.add_argument("--repeats", type=int, default=None, help="repetitions of each arm (default 25; quick 3)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="parent folder for the fresh stores (default: benchmarks/results/work-training-…)")
    parser.add_argument("--keep", action="store_true", help="keep the stores after the run")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the results (default: benchmarks/results/training.json, "
                             "training-quick.json with --quick)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    sizes = dict(QUICK if args.quick else FULL)
    sizes.update({k: v for k, v in (("trials", args.trials), ("repeats", args.repeats)) if v})
    trials, repeats = sizes["trials"], sizes["repeats"]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")  # MLflowCallback is deprecated in optuna-integration 4.9+
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    root = (args.workdir or RESULTS / f"work-training-{stamp}").resolve() / "stores"
    root.mkdir(parents=True, exist_ok=False)
    json_path = (args.json or RESULTS / ("training-quick.json" if args.quick else "training.json")).resolve()
    objective = make_objective(load_data())
    cwd = Path.cwd()
    os.chdir(root)  # anything a tool writes relative to the working folder stays in the work folder
    log(f"stores under {root}; optuna {optuna.__version__}, mlflow {mlflow.__version__}, mlsteward "
        f"{mlsteward.__version__}, scikit-learn {sklearn.__version__}; {trials} trials x {repeats} repetitions")
    load_start = os.getloadavg()
    samples: dict[str, list[dict]] = {a: [] for a in ARMS}
    started = clock()
    try:
        log(f"warm-up: each arm once with {sizes['warmup_trials']} trials (imports, git lookup, caches), untimed")
        for arm in ARMS:
            measure(arm, objective, sizes["warmup_trials"], root, "warmup", None)
        reference = measure("plain", objective, trials, root, "reference", None)["values"]
        for rep in range(repeats):
            order = ARMS[rep % 3:] + ARMS[: rep % 3]
            for arm in order:
                s = measure(arm, objective, trials, root, f"r{rep}", reference)
                samples[arm].append({k: v for k, v in s.items() if k != "values"})
            log(f"repetition {rep + 1}/{repeats} ({' → '.join(order)}): " + ", ".join(
                f"{a} {fmt_s(samples[a][-1]['wall_s'])}" for a in ARMS))
    finally:
        os.chdir(cwd)
        mlsteward.set_store(None, None)
        if not args.keep:
            shutil.rmtree(root.parent if args.workdir is None else root, ignore_errors=True)
    rows = summarise(samples, trials, repeats)
    load_end = os.getloadavg()
    rows[0]["notes"].append(f"load average (1/5/15 min) at start {load_start[0]:.2f}/{load_start[1]:.2f}/"
                            f"{load_start[2]:.2f}, at end {load_end[0]:.2f}/{load_end[1]:.2f}/{load_end[2]:.2f} "
                            f"on {os.cpu_count()} CPUs")
    print()
    print(table(rows))
    report = dict(
        benchmark="training", when=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        quick=args.quick, sizes=sizes, total_wall_s=clock() - started,
        versions=dict(python=platform.python_version(), optuna=optuna.__version__, mlflow=mlflow.__version__,
                      mlsteward=mlsteward.__version__, scikit_learn=sklearn.__version__,
                      sqlite=sqlite3.sqlite_version),
        machine=dict(platform=platform.platform(), cpus=os.cpu_count(), load_start=load_start, load_end=load_end),
        settings=dict(MLFLOW_DISABLE_TELEMETRY=os.environ["MLFLOW_DISABLE_TELEMETRY"],
                      MLFLOW_ENABLE_ASYNC_LOGGING=os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"],
                      STEWARD_FLUSH_INTERVAL=os.environ.get("STEWARD_FLUSH_INTERVAL", "1 (default)"),
                      sampler=f"TPESampler(seed={SEED})", model="DecisionTreeClassifier on 4,000 GSS rows",
                      stores="SQLite files in fresh folders per arm and repetition"),
        samples=samples, results=rows, table=table(rows))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {json_path}")
    return 0 if all(r["status"] in ("PASS", "INFO") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
