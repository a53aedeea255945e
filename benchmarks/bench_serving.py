#!/usr/bin/env python
"""Benchmark: online serving, ``steward serve`` vs ``mlflow models serve``, the same scikit-learn model.

Goals (issue 8): under 32 concurrent clients sending single-row predictions, Steward's p99 latency is at
most 0.5x MLflow's and its throughput at least 2x MLflow's. Not a test, not run in CI. Runs in the
benchmark venv (MLflow and Steward both installed; see benchmarks/README.md)::

    /tmp/benchvenv/bin/python benchmarks/bench_serving.py              # 3 rounds of 20 s per server: ~5 minutes
    /tmp/benchvenv/bin/python benchmarks/bench_serving.py --quick      # 1 round of 5 s per server: a smoke run

The model is a real registered version: the small GSS project of the registry tests (imputed ``prestg10``
and ``childs``, one-hot ``educcat``, a tuned LogisticRegression), built and registered untimed. MLflow gets
the very same fitted object: ``load_model_version`` (the raw-rows model, feature pipeline inside) saved
with ``mlflow.sklearn.save_model`` (skops, Steward's classes listed as trusted) and served with
``--env-manager local`` by the same interpreter. Both servers run on loopback in their own processes with
their defaults (one uvicorn worker each); Steward's arms:

- ``steward serve``: its defaults: API token required (looked up in the store per request), every
  prediction logged to Parquet segments, adaptive batching (wait up to 2 ms);
- ``steward serve --no-auth --no-prediction-log``: for information, what auth and the log cost.

MLflow answers ``predict_proba`` (``pyfunc_predict_fn``), Steward both predictions and probabilities;
the answers to 200 rows are compared before the load starts. The driver is a separate process (this file
with ``--drive``) running ``mlsteward.serving.loadtest.drive_endpoint``: lean HTTP/1.1 clients, 32
coroutines, each with its own kept-alive connection, sending one request at a time (a closed loop),
bodies encoded beforehand (the same rows in the same order for every server: ``{"records": [row]}`` /
``{"dataframe_records": [row]}``). Warm-up first, not counted; then the measured phase. The server's
CPU seconds over the measured phase (its processes, from /proc) and the driver's are reported beside.
The servers run in rounds (``--repeats``, default 3), the order rotated per round, a fresh server
process per arm and round; a ratio is the median of the per-round ratios (the arms of one round share
the machine's state), the table shows the medians of each arm's rounds. Writes benchmarks/results/serving.json (serving-quick.json with --quick); exit status 1 if a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "registry"))

from _bench import log, text_table

RESULTS = HERE / "results"
P99_GOAL, THROUGHPUT_GOAL = 0.5, 2.0
COLUMNS = ["prestg10", "childs", "educcat"]
TICK = os.sysconf("SC_CLK_TCK")


# -- the driver (a child process) --------------------------------------------------------------------
def drive(args: argparse.Namespace) -> None:
    from mlsteward.serving.loadtest import drive_endpoint

    bodies = [line.encode() for line in Path(args.bodies).read_text().splitlines() if line]
    headers = dict(h.split(":", 1) for h in args.header)
    warm = drive_endpoint(args.drive, bodies, clients=args.clients, seconds=args.warmup, headers=headers,
                          warmup_seconds=0)
    print(f"WARM {warm.requests} {warm.errors}", flush=True)
    result = drive_endpoint(args.drive, bodies, clients=args.clients, seconds=args.seconds, headers=headers,
                            warmup_seconds=0)
    usage = os.times()
    out = json.loads(result.model_dump_json())
    out["driver_cpu_s"] = round(usage.user + usage.system, 2)
    out["warmup_requests"], out["warmup_errors"] = warm.requests, warm.errors
    Path(args.out).write_text(json.dumps(out, indent=2))
    print("DONE", flush=True)


# -- set-up ------------------------------------------------------------------------------------------
def build(work: Path) -> dict:
    import mlflow.sklearn
    import numpy as np
    import orjson
    import skops.io
    from registry_project import build_project

    from mlsteward.lifecycle.datasets import load_dataset
    from mlsteward.lifecycle.load_test import sample_records
    from mlsteward.lifecycle.registry import load_model_version, register_model

    project = build_project(work / "project")
    workspace = project["workspace"]
    version = register_model(workspace, project["spec"], project["runs"][0], "wages").version
    workspace.store.models.set_alias("wages", "champion", version.version)
    token, _ = workspace.store.tokens.create("bench", "serving benchmark")
    model = load_model_version(workspace, version.ref)
    trusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    mlflow.sklearn.save_model(model, str(work / "mlflow-model"), pyfunc_predict_fn="predict_proba",
                              skops_trusted_types=trusted)
    records, _ = sample_records(workspace, project["parts"]["test"], "wages", seed=1)
    rng = np.random.default_rng(0)
    order = rng.integers(0, len(records), 4096)
    bodies = {"steward": work / "bodies-steward.jsonl", "mlflow": work / "bodies-mlflow.jsonl"}
    for kind, key in (("steward", "records"), ("mlflow", "dataframe_records")):
        bodies[kind].write_text("\n".join(orjson.dumps({key: [records[i]]}).decode() for i in order) + "\n")
    check = load_dataset(workspace, project["parts"]["test"])[COLUMNS].head(200)
    expected = model.predict_proba(check)
    workspace.store.close()
    return {"ref": version.ref, "token": token, "bodies": bodies, "check": check, "expected": expected,
            "store": f"sqlite:///{work / 'project' / 's.db'}", "artifacts": str(work / "project" / "artifacts"),
            "trusted_types": trusted, "model_type": type(model).__name__}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(kind: str, work: Path, data: dict, port: int) -> subprocess.Popen:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "STEWARD_STORE_URL": data["store"],
           "STEWARD_ARTIFACTS_URL": data["artifacts"],
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # mlflow runs `uvicorn`
    logfile = open(work / f"server-{kind}-{port}.log", "w")  # noqa: SIM115 - closed with the process
    if kind == "mlflow":
        command = [str(Path(sys.executable).with_name("mlflow")), "models", "serve", "-m", str(work / "mlflow-model"),
                   "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)]
    else:
        command = [sys.executable, "-m", "mlsteward.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                   "--model", data["ref"], "--log-level", "warning"]
        if kind == "steward-lean":
            command += ["--no-auth", "--no-prediction-log"]
    return subprocess.Popen(command, cwd=work / "project", env=env, stdout=logfile, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}; see its log in the work folder")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # the group this script started (mlflow runs uvicorn as a child)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants, from /proc."""
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def check_answers(kind: str, url: str, data: dict, headers: dict) -> None:
    import httpx
    import numpy as np

    rows = data["check"].astype(object).where(data["check"].notna(), None).to_dict("records")
    if kind == "mlflow":
        body = httpx.post(url, json={"dataframe_records": rows}, headers=headers, timeout=60).json()
        got = np.asarray(body["predictions"], dtype=float)
    else:
        body = httpx.post(url, json={"records": rows}, headers=headers, timeout=60).json()
        got = np.asarray(body["probabilities"], dtype=float)
    np.testing.assert_allclose(got, data["expected"], rtol=0, atol=1e-9, err_msg=f"{kind} answers differ")


def run_arm(kind: str, work: Path, data: dict, args: argparse.Namespace) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_server(kind, work, data, port)
    try:
        started = time.perf_counter()
        wait_ready(base + ("/ping" if kind == "mlflow" else "/readyz"), process)
        startup = time.perf_counter() - started
        if kind == "mlflow":
            url, headers, bodies = f"{base}/invocations", {}, data["bodies"]["mlflow"]
        else:
            url = f"{base}/v1/models/wages/predict"
            headers = {} if kind == "steward-lean" else {"Authorization": f"Bearer {data['token']}"}
            bodies = data["bodies"]["steward"]
        check_answers(kind, url, data, headers)
        out = work / f"result-{kind}.json"
        command = [sys.executable, __file__, "--drive", url, "--bodies", str(bodies), "--out", str(out),
                   "--clients", str(args.clients), "--seconds", str(args.seconds), "--warmup", str(args.warmup)]
        command += [arg for k, v in headers.items() for arg in ("--header", f"{k}:{v}")]
        driver = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        warm_line = driver.stdout.readline().strip()
        cpu0, load0 = tree_cpu_seconds(process.pid), os.getloadavg()[0]
        driver.stdout.read()
        if driver.wait() != 0:
            raise RuntimeError(f"the driver failed on {kind}")
        cpu = tree_cpu_seconds(process.pid) - cpu0
        result = json.loads(out.read_text())
        result.update(kind=kind, server_startup_s=round(startup, 2), server_cpu_s=round(cpu, 2),
                      server_cpu_ms_per_request=round(1000 * cpu / max(1, result["requests"]), 3),
                      load_average=[round(load0, 2), round(os.getloadavg()[0], 2)], warm=warm_line)
        lat = result["latency_ms"] or {}
        log(f"{kind}: {result['requests']:,} requests, {result['errors']} errors, {result['throughput_rps']:,.1f} "
            f"req/s, p50 {lat.get('p50')} p95 {lat.get('p95')} p99 {lat.get('p99')} ms; server CPU {cpu:.1f} s "
            f"({result['server_cpu_ms_per_request']} ms/request), driver CPU {result['driver_cpu_s']} s")
        return result
    finally:
        stop_server(process)


# -- the run -----------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 s per server after 2 s of warm-up")
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per server (default 20)")
    parser.add_argument("--warmup", type=float, default=None, help="warm-up seconds per server (default 5)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of all servers, order rotated (default 3)")
    parser.add_argument("--skip-lean", action="store_true", help="skip the informational --no-auth arm")
    parser.add_argument("--json", type=Path, default=None, help="where the results go")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    # the driver's own options (internal)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--bodies", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--header", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        args.seconds = args.seconds or 20.0
        args.warmup = 5.0 if args.warmup is None else args.warmup
        drive(args)
        return 0
    args.seconds = args.seconds or (5.0 if args.quick else 20.0)
    args.repeats = 1 if args.quick else args.repeats
    args.warmup = args.warmup if args.warmup is not None else (2.0 if args.quick else 5.0)
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    RESULTS.mkdir(exist_ok=True)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="work-serving-", dir=RESULTS))
    work.mkdir(parents=True, exist_ok=True)
    try:
        log(f"building and registering the model in {work}")
        data = build(work)
        arms = ["steward", "mlflow"] + ([] if args.skip_lean else ["steward-lean"])
        rounds = []
        for r in range(args.repeats):  # the order rotates per round: the machine's state drifts
            order = arms[r % len(arms):] + arms[:r % len(arms)]
            log(f"round {r + 1} of {args.repeats}: {', '.join(order)}")
            rounds.append({kind: run_arm(kind, work, data, args) for kind in order})
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return report(rounds, data, args)


def _ratios(rounds: list[dict], kind: str) -> tuple[list[float], list[float]]:
    """Per round: ``kind``'s p99 over MLflow's, and its throughput over MLflow's."""
    p99 = [r[kind]["latency_ms"]["p99"] / r["mlflow"]["latency_ms"]["p99"] for r in rounds]
    rps = [r[kind]["throughput_rps"] / r["mlflow"]["throughput_rps"] for r in rounds]
    return p99, rps


def report(rounds: list[dict], data: dict, args: argparse.Namespace) -> int:
    import statistics

    import mlflow
    import sklearn

    import mlsteward

    median = statistics.median
    summary, rows = {}, []
    for kind in rounds[0]:
        runs = [r[kind] for r in rounds]
        summary[kind] = {key: round(median(r["latency_ms"][key] for r in runs), 3) for key in ("p50", "p95", "p99")}
        summary[kind] |= {"throughput_rps": round(median(r["throughput_rps"] for r in runs), 2),
                          "server_cpu_ms_per_request": round(median(r["server_cpu_ms_per_request"] for r in runs), 3),
                          "requests": sum(r["requests"] for r in runs), "errors": sum(r["errors"] for r in runs)}
        m = summary[kind]
        rows.append((kind, f"{m['requests']:,}", m["errors"], f"{m['p50']:.2f}", f"{m['p95']:.2f}", f"{m['p99']:.2f}",
                     f"{m['throughput_rps']:,.1f}", f"{m['server_cpu_ms_per_request']:.2f}"))
    p99s, rpss = _ratios(rounds, "steward")
    p99_ratio, rps_ratio = median(p99s), median(rpss)
    per_round = f"per round: {', '.join(f'{x:.3f}' for x in p99s)}"
    goals = [
        {"id": "p99", "result": "steward p99 / mlflow p99", "value": round(p99_ratio, 3), "goal": f"<= {P99_GOAL}",
         "status": "PASS" if p99_ratio <= P99_GOAL else "MISS", "notes": [per_round]},
        {"id": "throughput", "result": "steward req/s / mlflow req/s", "value": round(rps_ratio, 3),
         "goal": f">= {THROUGHPUT_GOAL}", "status": "PASS" if rps_ratio >= THROUGHPUT_GOAL else "MISS",
         "notes": [f"per round: {', '.join(f'{x:.3f}' for x in rpss)}"]},
    ]
    if "steward-lean" in summary:
        lean_p99, lean_rps = _ratios(rounds, "steward-lean")
        goals[0]["notes"].append(f"steward --no-auth --no-prediction-log (information): p99 ratio "
                                 f"{median(lean_p99):.3f}, throughput ratio {median(lean_rps):.3f} (medians)")
    head = ("server (medians of rounds)", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "req/s",
            "server CPU ms/req")
    print(text_table(head, rows, []))
    print(text_table(("ratio", "value", "goal", "status"),
                     [(g["result"], g["value"], g["goal"], g["status"]) for g in goals], goals))
    out = {"benchmark": "serving", "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
           "versions": {"mlflow": mlflow.__version__, "mlsteward": mlsteward.__version__,
                        "scikit-learn": sklearn.__version__},
           "settings": {"clients": args.clients, "seconds": args.seconds, "warmup": args.warmup, "rows_per_request": 1,
                        "repeats": args.repeats},
           "model": {"ref": data["ref"], "type": data["model_type"], "mlflow_trusted_types": data["trusted_types"]},
           "summary": summary, "rounds": rounds, "goals": goals}
    path = args.json or RESULTS / ("serving-quick.json" if args.quick else "serving.json")
    path.write_text(json.dumps(out, indent=2))
    log(f"wrote {path}")
    return 0 if all(g["status"] == "PASS" for g in goals) else 1


if __name__ == "__main__":
    sys.exit(main())
