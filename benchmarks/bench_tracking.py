#!/usr/bin/env python
"""Side-by-side benchmark of Steward's experiment tracking against MLflow, in one process.

Not a test, not run in CI. Needs a venv with both packages (see benchmarks/README.md)::

    python benchmarks/bench_tracking.py            # the full run (several minutes)
    python benchmarks/bench_tracking.py --quick    # small sizes, a smoke run
    python benchmarks/bench_tracking.py --only 4   # one scenario (repeat --only or use 1,3)

Both tools write to SQLite files in fresh folders under the same parent (same disk). Each
scenario gets its own pair of databases. Prints a table (ops/s per tool, ratio steward/mlflow,
goal, PASS/MISS) and writes it as JSON to benchmarks/results/tracking.json.
"""

from __future__ import annotations

import os

# Before mlflow is imported: no telemetry, and synchronous logging (the default, made explicit).
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"] = "false"

import argparse  # noqa: E402
import datetime as _dt  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import mlflow  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from mlflow.entities import Metric, Param  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

import mlsteward  # noqa: E402
from _bench import chosen_scenarios, clock, fmt_s, log, profile_path, text_table, timed_region  # noqa: E402
from mlsteward.store.filters import compile_filter  # noqa: E402
from mlsteward.store.schema import latest_metrics, run_metrics, run_params, runs  # noqa: E402
from mlsteward.tracking.environment import capture_environment  # noqa: E402
from mlsteward.workspace import get_workspace  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

FULL = dict(s1_calls=5_000, s2_metrics=5_000, s2_chunk=1_000, s3_runs=200, s4_runs=1_000,
            s5_runs=100_000, search_reps=7, n_params=10, n_metrics=10)
QUICK = dict(s1_calls=300, s2_metrics=2_000, s2_chunk=1_000, s3_runs=20, s4_runs=200,
             s5_runs=5_000, search_reps=5, n_params=10, n_metrics=10)

SEARCH_FILTER = "metrics.m0 > 0.5"
SEARCH_LIMIT = 100
RARE_FILTER = "metrics.m0 > 0.9999"


# -- helpers ----------------------------------------------------------------------------------
def rate(n: int, seconds: float) -> float:
    return n / seconds if seconds > 0 else float("inf")


def fmt_rate(ops: float | None) -> str:
    if ops is None:
        return "-"
    return f"{ops:,.0f} ops/s" if ops >= 100 else f"{ops:,.1f} ops/s"


class Folder:
    """One scenario's pair of fresh stores, side by side under the benchmark's work folder."""

    def __init__(self, root: Path, name: str) -> None:
        self.path = root / name
        self.path.mkdir(parents=True, exist_ok=False)
        self.mlflow_uri = f"sqlite:///{self.path / 'mlflow.db'}"
        self.mlflow_artifacts = str(self.path / "mlflow-artifacts")
        self.steward_url = f"sqlite:///{self.path / 'steward.db'}"
        self.steward_artifacts = str(self.path / "steward-artifacts")

    def use_mlflow(self, experiment: str) -> str:
        """Point MLflow here and create the experiment (this creates the database: not timed)."""
        mlflow.set_tracking_uri(self.mlflow_uri)
        return MlflowClient().create_experiment(experiment, artifact_location=self.mlflow_artifacts)

    def use_steward(self) -> None:
        """Point Steward here and open the store (this creates the database: not timed)."""
        mlsteward.set_store(store_url=self.steward_url, artifacts_url=self.steward_artifacts)
        get_workspace(self.steward_url, self.steward_artifacts).store  # noqa: B018 - opens/creates

    def steward_store(self):  # noqa: ANN201
        return get_workspace(self.steward_url, self.steward_artifacts).store


def run_data(n_runs: int, n_params: int, n_metrics: int, seed: int) -> list[tuple[dict, dict]]:
    """The same params/metrics per run for both tools; m0 is uniform in [0, 1)."""
    rnd = random.Random(seed)
    return [({f"p{j}": f"value-{j}-{i % 7}" for j in range(n_params)},
             {f"m{j}": rnd.random() for j in range(n_metrics)}) for i in range(n_runs)]


def result(sid: str, title: str, unit: str, goal: float, mlflow_part: dict | None, steward_part: dict,
           notes: list[str], *, kind: str = "ratio") -> dict:
    if kind == "ratio":
        ratio = steward_part["ops_per_s"] / mlflow_part["ops_per_s"]
        passed = ratio >= goal
        goal_text = f">= {goal:g}x"
    else:  # kind == "seconds": an absolute goal on Steward's time (its "seconds": the worst case)
        ratio = None
        passed = steward_part["seconds"] < goal
        goal_text = f"< {goal:g} s median"
    return dict(id=sid, title=title, unit=unit, mlflow=mlflow_part, steward=steward_part, ratio=ratio,
                goal=goal, goal_text=goal_text, status="PASS" if passed else "MISS", notes=notes)


# -- scenario 1: log_metric one call at a time ------------------------------------------------
def scenario_1(root: Path, sizes: dict, args: argparse.Namespace) -> dict:
    n = sizes["s1_calls"]
    n_mlflow = min(n, args.mlflow_s1_calls) if args.mlflow_s1_calls else n
    rnd = random.Random(1)
    values = [rnd.random() for _ in range(n)]
    folder = Folder(root, "s1")
    notes = []

    eid = folder.use_mlflow("bench-s1")
    with mlflow.start_run(experiment_id=eid, run_name="r") as active:
        with timed_region(None):
            t0 = clock()
            for i in range(n_mlflow):
                mlflow.log_metric("loss", values[i], step=i)
            mlflow_s = clock() - t0
        run_id = active.info.run_id
    got = len(MlflowClient().get_metric_history(run_id, "loss"))
    assert got == n_mlflow, f"mlflow stored {got} points, expected {n_mlflow}"
    mlflow_part = dict(n=n_mlflow, seconds=mlflow_s, ops_per_s=rate(n_mlflow, mlflow_s))
    if n_mlflow != n:
        mlflow_part["scaled_seconds_for_n"] = mlflow_s * n / n_mlflow
        notes.append(f"MLflow measured on {n_mlflow:,} calls (not {n:,}); its ops/s is the rate over "
                     f"those calls, its time for {n:,} is scaled ({mlflow_part['scaled_seconds_for_n']:.1f} s)")

    folder.use_steward()
    with mlsteward.start_run(experiment="bench-s1", name="r") as run:
        with timed_region(profile_path(args, "s1")):
            t0 = clock()
            for i in range(n):
                run.log_metric("loss", values[i], step=i)
            run.flush()
            steward_s = clock() - t0
    got = len(folder.steward_store().runs.metric_history(run.id, "loss"))
    assert got == n, f"steward stored {got} points, expected {n}"
    steward_part = dict(n=n, seconds=steward_s, ops_per_s=rate(n, steward_s))
    notes.append("Steward's timed region includes run.flush() (every point committed when the clock "
                 "stops); its background flusher (1 s interval) was running too")
    return result("1", f"log_metric x{n:,}, one call at a time, one run", "calls", 50, mlflow_part,
                  steward_part, notes)


# -- scenario 2: batch logging ----------------------------------------------------------------
def scenario_2(root: Path, sizes: dict, args: argparse.Namespace) -> dict:
    n, chunk = sizes["s2_metrics"], sizes["s2_chunk"]
    steps = n // chunk
    rnd = random.Random(2)
    # Each call: `chunk` distinct keys (m0..m{chunk-1}) at one step; `steps` calls in all.
    values = [{f"m{k}": rnd.random() for k in range(chunk)} for _ in range(steps)]
    folder = Folder(root, "s2")

    eid = folder.use_mlflow("bench-s2")
    client = MlflowClient()
    ts = int(time.time() * 1000)
    batches = [[Metric(key=k, value=v, timestamp=ts, step=s) for k, v in values[s].items()]
               for s in range(steps)]
    with mlflow.start_run(experiment_id=eid, run_name="r") as active:
        run_id = active.info.run_id
        with timed_region(None):
            t0 = clock()
            for batch in batches:
                client.log_batch(run_id, metrics=batch)
            mlflow_s = clock() - t0
    got = client.get_run(run_id).data.metrics
    assert len(got) == chunk and len(client.get_metric_history(run_id, "m0")) == steps
    mlflow_part = dict(n=n, seconds=mlflow_s, ops_per_s=rate(n, mlflow_s), calls=steps)

    folder.use_steward()
    with mlsteward.start_run(experiment="bench-s2", name="r") as run:
        with timed_region(profile_path(args, "s2")):
            t0 = clock()
            for s in range(steps):
                run.log_batch(metrics=values[s], step=s)
            steward_s = clock() - t0
    store = folder.steward_store()
    assert len(store.runs.get(run.id).metrics) == chunk and len(store.runs.metric_history(run.id, "m0")) == steps
    steward_part = dict(n=n, seconds=steward_s, ops_per_s=rate(n, steward_s), calls=steps)
    notes = [f"{steps} calls of {chunk:,} metrics each ({chunk:,} keys x {steps} steps); MLflow caps a "
             f"log_batch at 1,000 metrics, Steward's log_batch is given the same chunks and commits "
             f"before returning; MLflow's Metric objects are built before the clock starts"]
    return result("2", f"{n:,} metrics via log_batch ({steps} x {chunk:,})", "metrics", 5, mlflow_part,
                  steward_part, notes)


# -- scenario 3: many small runs --------------------------------------------------------------
def scenario_3(root: Path, sizes: dict, args: argparse.Namespace) -> dict:
    n = sizes["s3_runs"]
    data = run_data(n, sizes["n_params"], sizes["n_metrics"], seed=3)
    folder = Folder(root, "s3")

    eid = folder.use_mlflow("bench-s3")
    warm = MlflowClient().create_experiment("warmup", artifact_location=folder.mlflow_artifacts + "-warm")
    with mlflow.start_run(experiment_id=warm, run_name="warmup"):  # first-run costs (git lookups…)
        mlflow.log_params(data[0][0])
        mlflow.log_metrics(data[0][1])
    with timed_region(None):
        t0 = clock()
        for i, (params, metrics) in enumerate(data):
            with mlflow.start_run(experiment_id=eid, run_name=f"r{i}"):
                mlflow.log_params(params)
                mlflow.log_metrics(metrics)
        mlflow_s = clock() - t0
    found = mlflow.search_runs(experiment_ids=[eid], max_results=n + 10, output_format="list")
    assert len(found) == n and all(r.info.status == "FINISHED" and len(r.data.params) == sizes["n_params"]
                                   for r in found)
    mlflow_part = dict(n=n, seconds=mlflow_s, ops_per_s=rate(n, mlflow_s))

    folder.use_steward()
    with mlsteward.start_run(experiment="warmup", name="warmup"):
        mlsteward.log_params(data[0][0])
        mlsteward.log_metrics(data[0][1])
    with timed_region(profile_path(args, "s3")):
        t0 = clock()
        for i, (params, metrics) in enumerate(data):
            with mlsteward.start_run(experiment="bench-s3", name=f"r{i}"):
                mlsteward.log_params(params)
                mlsteward.log_metrics(metrics)
        steward_s = clock() - t0
    found = mlsteward.search_runs(experiment="bench-s3", limit=n + 10)
    assert len(found) == n and all(r.status == "finished" and len(r.params) == sizes["n_params"]
                                   and len(r.metrics) == sizes["n_metrics"] for r in found)
    steward_part = dict(n=n, seconds=steward_s, ops_per_s=rate(n, steward_s))
    notes = [f"each run: start, log_params ({sizes['n_params']}), log_metrics ({sizes['n_metrics']}), end, "
             "with each tool's fluent API; one untimed warm-up run per tool first"]
    return result("3", f"{n} runs x ({sizes['n_params']} params + {sizes['n_metrics']} metrics)", "runs",
                  10, mlflow_part, steward_part, notes)


# -- scenario 4: metric-filtered search over 1,000 runs ---------------------------------------
def time_repeated(fn, reps: int) -> tuple[float, list[float], object]:  # noqa: ANN001
    """(first call's seconds, the following ``reps`` calls' seconds, last result)."""
    gc.collect()
    t0 = clock()
    out = fn()
    first = clock() - t0
    times = []
    for _ in range(reps):
        t0 = clock()
        out = fn()
        times.append(clock() - t0)
    return first, times, out


def scenario_4(root: Path, sizes: dict, args: argparse.Namespace) -> dict:
    n, reps = sizes["s4_runs"], sizes["search_reps"]
    data = run_data(n, sizes["n_params"], sizes["n_metrics"], seed=4)
    expected = sum(1 for _, m in data if m["m0"] > 0.5)
    want = min(SEARCH_LIMIT, expected)
    folder = Folder(root, "s4")

    eid = folder.use_mlflow("bench-s4")
    client = MlflowClient()
    log(f"  populating MLflow with {n:,} runs (client.create_run + log_batch + set_terminated, not timed)")
    t0 = clock()
    for i, (params, metrics) in enumerate(data):
        run_id = client.create_run(eid, run_name=f"r{i}").info.run_id
        ts = int(time.time() * 1000)
        client.log_batch(run_id, metrics=[Metric(k, v, ts, 0) for k, v in metrics.items()],
                         params=[Param(k, v) for k, v in params.items()])
        client.set_terminated(run_id)
    mlflow_populate_s = clock() - t0

    def mlflow_search():  # noqa: ANN202
        return mlflow.search_runs(experiment_ids=[eid], filter_string=SEARCH_FILTER,
                                  max_results=SEARCH_LIMIT, output_format="list")

    m_first, m_times, out = time_repeated(mlflow_search, reps)
    assert len(out) == want and all(r.data.metrics["m0"] > 0.5 and len(r.data.params) == sizes["n_params"]
                                    for r in out), "mlflow search returned unexpected runs"
    m_median = statistics.median(m_times)
    mlflow_part = dict(n=1, median_s=m_median, first_s=m_first, times_s=m_times, seconds=m_median,
                       ops_per_s=1 / m_median, returned=len(out), populate_s=mlflow_populate_s)
    mlflow_names = {r.info.run_name for r in out}

    folder.use_steward()
    log(f"  populating Steward with {n:,} runs (start_run + log_params + log_metrics + end, not timed)")
    t0 = clock()
    for i, (params, metrics) in enumerate(data):
        with mlsteward.start_run(experiment="bench-s4", name=f"r{i}") as run:
            run.log_params(params)
            run.log_metrics(metrics, step=0)
    steward_populate_s = clock() - t0

    def steward_search():  # noqa: ANN202
        return mlsteward.search_runs(SEARCH_FILTER, experiment="bench-s4", limit=SEARCH_LIMIT)

    with timed_region(profile_path(args, "s4")):
        s_first, s_times, out = time_repeated(steward_search, reps)
    assert len(out) == want and all(r.metrics["m0"] > 0.5 and len(r.params) == sizes["n_params"]
                                    for r in out), "steward search returned unexpected runs"
    s_median = statistics.median(s_times)
    steward_part = dict(n=1, median_s=s_median, first_s=s_first, times_s=s_times, seconds=s_median,
                        ops_per_s=1 / s_median, returned=len(out), populate_s=steward_populate_s)
    same = len(mlflow_names & {r.name for r in out})
    notes = [f"'{SEARCH_FILTER}', limit {SEARCH_LIMIT}, {expected:,} of {n:,} runs match; both return "
             f"runs with params and metrics loaded (MLflow: output_format='list')",
             f"median of {reps} repetitions after a first call (first: MLflow {fmt_s(m_first)}, "
             f"Steward {fmt_s(s_first)}); ops/s = 1 / median",
             f"{same} of the {want} runs returned are the same runs by name (both order newest first)",
             f"population, not timed in the ratio: MLflow {mlflow_populate_s:.1f} s, "
             f"Steward {steward_populate_s:.1f} s"]
    return result("4", f"search '{SEARCH_FILTER}' over {n:,} runs, limit {SEARCH_LIMIT}", "searches",
                  10, mlflow_part, steward_part, notes)


# -- scenario 5: Steward alone, the same search over 100,000 runs ------------------------------
def scenario_5(root: Path, sizes: dict, args: argparse.Namespace) -> dict:
    n, reps = sizes["s5_runs"], sizes["search_reps"]
    n_params, n_metrics = sizes["n_params"], sizes["n_metrics"]
    folder = Folder(root, "s5")
    folder.use_steward()
    store = folder.steward_store()
    experiment = "bench-s5"
    environment = capture_environment(str(Path.cwd()))  # what a real run records
    rnd = random.Random(5)
    base_ms = int(time.time() * 1000) - n * 1000
    chunk = 20_000
    expected = 0
    log(f"  bulk-inserting {n:,} runs, {n * n_params:,} params, {n * n_metrics:,} latest metrics "
        f"and {n * n_metrics:,} metric-history rows (SQLAlchemy Core executemany, one transaction)")
    t0 = clock()
    with store.engine.begin() as conn:
        for start in range(0, n, chunk):
            run_rows, param_rows, metric_rows = [], [], []
            for i in range(start, min(n, start + chunk)):
                run_id = uuid.UUID(int=rnd.getrandbits(128), version=4).hex
                started = base_ms + i * 1000
                params = {f"p{j}": f"value-{j}-{i % 7}" for j in range(n_params)}
                metrics = {f"m{j}": rnd.random() for j in range(n_metrics)}
                expected += metrics["m0"] > 0.5
                # the summary the store's write path keeps beside the tables (store/runs.py)
                summary = {"params": params, "tags": {}, "artifacts": [], "metrics": metrics}
                run_rows.append(dict(id=run_id, experiment=experiment, name=f"r{i}", status="finished",
                                     parent_id=None, start_time_ms=started, end_time_ms=started + 900,
                                     environment=environment, summary=summary, seed=None,
                                     created_by=store.actor))
                param_rows.extend(dict(run_id=run_id, key=k, value=v) for k, v in params.items())
                metric_rows.extend(dict(run_id=run_id, key=k, value=v, step=0, timestamp_ms=started + 500)
                                   for k, v in metrics.items())
            conn.execute(runs.insert(), run_rows)
            conn.execute(run_params.insert(), param_rows)
            conn.execute(latest_metrics.insert(), metric_rows)
            conn.execute(run_metrics.insert(), metric_rows)
    populate_s = clock() - t0
    db_mb = (folder.path / "steward.db").stat().st_size / 1e6
    log(f"  populated in {populate_s:.1f} s; steward.db {db_mb:,.0f} MB (+ WAL)")

    # The query plan SQLite picks, for the record.
    query = (sa.select(runs.c.id).where(compile_filter(SEARCH_FILTER)).where(runs.c.experiment == experiment)
             .order_by(runs.c.start_time_ms.desc(), runs.c.id).limit(SEARCH_LIMIT))
    sql = str(query.compile(dialect=store.engine.dialect, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as conn:
        plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]

    # Cold 1: a fresh process that imports mlsteward, points at the store and searches once.
    cold_process = fresh_process_search(folder, experiment)
    # Cold 2: in this process, after dropping every pooled connection (SQLite's page cache is per
    # connection; the OS file cache stays warm: we just wrote the file).
    store.engine.dispose()

    def steward_search():  # noqa: ANN202
        return mlsteward.search_runs(SEARCH_FILTER, experiment=experiment, limit=SEARCH_LIMIT)

    with timed_region(profile_path(args, "s5")):
        first, times, out = time_repeated(steward_search, reps)
    want = min(SEARCH_LIMIT, expected)
    assert len(out) == want and all(r.metrics["m0"] > 0.5 and len(r.params) == n_params for r in out)
    median = statistics.median(times)
    # The worst case: a filter almost no run matches, so the newest-first walk cannot stop early.
    _, rare_times, rare_out = time_repeated(
        lambda: mlsteward.search_runs(RARE_FILTER, experiment=experiment, limit=SEARCH_LIMIT), 3)
    rare_median = statistics.median(rare_times)
    steward_part = dict(n=1, runs_in_store=n, median_s=median, first_s=first, times_s=times,
                        cold_process_s=cold_process, seconds=max(median, rare_median), ops_per_s=1 / median,
                        returned=len(out), populate_s=populate_s, db_mb=db_mb, query_plan=plan, sql=sql,
                        rare_filter=RARE_FILTER, rare_median_s=rare_median, rare_returned=len(rare_out))
    notes = [f"store populated by bulk SQL inserts into runs (with their summaries), run_params, latest_metrics and run_metrics "
             f"({populate_s:.0f} s, not timed); the audit trail was NOT filled (search does not read it); "
             f"no ANALYZE was run (a store made through the API has none either)",
             f"median of {reps} repetitions; cold: first query in this process after dropping pooled "
             f"connections {fmt_s(first)}, first query in a fresh process (store open + schema check + "
             f"search) {fmt_s(cold_process)}; OS file cache warm in both",
             f"worst case '{RARE_FILTER}' ({len(rare_out)} of {n:,} runs match, every run is visited): "
             f"{fmt_s(rare_median)} median of 3; the goal is judged on the slower of the two",
             "SQLite plan: " + " | ".join(plan)]
    return result("5", f"Steward alone: search '{SEARCH_FILTER}' over {n:,} runs", "searches", 1.0, None,
                  steward_part, notes, kind="seconds")


def fresh_process_search(folder: Folder, experiment: str) -> float | None:
    code = textwrap.dedent(f"""
        import time, mlsteward
        mlsteward.set_store(store_url={folder.steward_url!r}, artifacts_url={folder.steward_artifacts!r})
        t0 = time.perf_counter()
        out = mlsteward.search_runs({SEARCH_FILTER!r}, experiment={experiment!r}, limit={SEARCH_LIMIT})
        print(time.perf_counter() - t0, len(out))
    """)
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                              cwd=str(folder.path), check=True)
        return float(done.stdout.split()[0])
    except (subprocess.SubprocessError, ValueError, IndexError) as exc:
        log(f"  fresh-process search failed: {exc}")
        return None


# -- driver -----------------------------------------------------------------------------------
SCENARIOS = {1: scenario_1, 2: scenario_2, 3: scenario_3, 4: scenario_4, 5: scenario_5}


def cell_mlflow(r: dict) -> str:
    part = r["mlflow"]
    if part is None:
        return "-"
    return fmt_rate(part["ops_per_s"]) if "median_s" not in part else f"{fmt_s(part['median_s'])} median"


def cell_steward(r: dict) -> str:
    part = r["steward"]
    if "median_s" not in part:
        return fmt_rate(part["ops_per_s"])
    text = f"{fmt_s(part['median_s'])} median"
    if r["id"] == "5":
        text += f" (cold {fmt_s(part['first_s'])}; worst {fmt_s(part['rare_median_s'])})"
    return text


def table(results: list[dict]) -> str:
    head = ("#", "scenario", "MLflow", "Steward", "ratio", "goal", "result")
    rows = [(r["id"], r["title"], cell_mlflow(r), cell_steward(r),
             "-" if r["ratio"] is None else f"{r['ratio']:,.1f}x", r["goal_text"], r["status"])
            for r in results]
    return text_table(head, rows, results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run (about a minute)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only these scenarios (1-5); repeat or comma-separate")
    parser.add_argument("--mlflow-s1-calls", type=int, default=0,
                        help="measure MLflow's scenario 1 on this many calls and scale (default: all)")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="parent folder for the fresh stores (default: benchmarks/results/work-…)")
    parser.add_argument("--keep", action="store_true", help="keep the stores after the run")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the results (default: benchmarks/results/tracking.json, "
                             "tracking-quick.json with --quick)")
    parser.add_argument("--profile-dir", type=Path, default=None,
                        help="profile Steward's timed regions with cProfile into this folder "
                             "(slows Steward down: ratios of such a run are not comparable)")
    args = parser.parse_args()
    args.only = chosen_scenarios(parser, args, SCENARIOS)
    return args


def main() -> int:
    args = parse_args()
    sizes = QUICK if args.quick else FULL
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore")
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    root = (args.workdir or RESULTS / f"work-{stamp}").resolve() / "stores"
    root.mkdir(parents=True, exist_ok=False)
    if args.profile_dir:
        args.profile_dir = args.profile_dir.resolve()
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    json_path = (args.json or RESULTS / ("tracking-quick.json" if args.quick else "tracking.json")).resolve()
    cwd = Path.cwd()
    os.chdir(root)  # anything either tool writes relative to the working folder stays in the work folder
    log(f"stores under {root}; mlflow {mlflow.__version__}, mlsteward {mlsteward.__version__}, "
        f"sqlite {sqlite3.sqlite_version}; scenarios {args.only}{' (quick)' if args.quick else ''}")
    results = []
    started = clock()
    try:
        for number in args.only:
            log(f"scenario {number} …")
            t0 = clock()
            r = SCENARIOS[number](root, sizes, args)
            r["wall_s"] = clock() - t0
            results.append(r)
            ratio = "" if r["ratio"] is None else f"ratio {r['ratio']:,.1f}x, "
            log(f"scenario {number}: MLflow {cell_mlflow(r)}, Steward {cell_steward(r)}, {ratio}"
                f"goal {r['goal_text']}: {r['status']} ({r['wall_s']:.0f} s)")
    finally:
        os.chdir(cwd)
        if not args.keep:
            shutil.rmtree(root.parent if args.workdir is None else root, ignore_errors=True)
    print()
    print(table(results))
    report = dict(
        benchmark="tracking", when=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        quick=args.quick, sizes=sizes, profiled=bool(args.profile_dir), total_wall_s=clock() - started,
        versions=dict(python=platform.python_version(), mlflow=mlflow.__version__,
                      mlsteward=mlsteward.__version__, sqlalchemy=sa.__version__,
                      sqlite=sqlite3.sqlite_version),
        machine=dict(platform=platform.platform(), cpus=os.cpu_count()),
        settings=dict(MLFLOW_DISABLE_TELEMETRY=os.environ["MLFLOW_DISABLE_TELEMETRY"],
                      MLFLOW_ENABLE_ASYNC_LOGGING=os.environ["MLFLOW_ENABLE_ASYNC_LOGGING"],
                      STEWARD_FLUSH_INTERVAL=os.environ.get("STEWARD_FLUSH_INTERVAL", "1 (default)"),
                      stores="SQLite files in fresh folders under one parent (same disk)"),
        results=results, table=table(results))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten: {json_path}")
    return 0 if all(r["status"] == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
