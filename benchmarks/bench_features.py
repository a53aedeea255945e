#!/usr/bin/env python
"""Side-by-side benchmark of Steward's feature store against Feast 0.67, in one run.

Not a test, not run in CI. Feast pins pandas < 3 and lives in its own virtual environment; its
side runs as a child process (``FEAST_CHILD`` below) that writes its timings as JSON, Steward's
side runs here, in the project's environment (pandas 3). See benchmarks/README.md::

    python benchmarks/bench_features.py            # the full run
    python benchmarks/bench_features.py --quick    # small sizes, a smoke run
    python benchmarks/bench_features.py --only 2   # one scenario

Scenarios, on the same generated Parquet files (seeded):

1. point-in-time join: label events (entity ``occ10``, UTC event times) against 5 feature views
   of 1,000,000 rows each (4 features each, TTL 30 days). Steward's ``historical_features`` vs
   Feast's ``get_historical_features(...).to_df()`` with its file (dask) offline store, at 10,000
   / 100,000 / 1,000,000 labels, the goal at 1,000,000 (``--feast-skip-1m``: Feast's 1,000,000
   extrapolated from its two smaller runs, and the output says how). The values of both at the
   smallest size are compared label by label.
2. online lookup of one entity's features, in process, 10,000 lookups: Steward's SQLite and
   Redis stores vs Feast's ``get_online_features`` with its SQLite online store, for one view
   (4 features) and for all 5 views (20 features); p50 / p99 per call.

Prints a table (scenario, peer, Steward, ratio, goal, PASS/MISS) and writes it as JSON to
benchmarks/results/features.json (features-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from _bench import chosen_scenarios, clock, fmt_s, log, profile_path, text_table, timed_region

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
DEFAULT_FEAST_PYTHON = "/tmp/feastvenv/bin/python"
REDIS_URL = os.environ.get("STEWARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

FULL = dict(view_rows=1_000_000, views=5, entities=100_000, steward_labels=[10_000, 100_000, 1_000_000],
            feast_labels=[10_000, 100_000, 1_000_000], lookups=10_000, runs=3, rounds=3)
QUICK = dict(view_rows=50_000, views=5, entities=5_000, steward_labels=[1_000, 3_000, 10_000],
             feast_labels=[1_000, 3_000], lookups=1_000, runs=2, rounds=2)
FEATURES = ("a", "b", "c", "d")  # per view: v{i}_a float, v{i}_b float with 5% missing, v{i}_c int, v{i}_d float
TTL_DAYS = 30
START = "2023-01-01T00:00:00+00:00"
SPAN_S = 365 * 86400


# -- data -------------------------------------------------------------------------------------------
def generate(work: Path, sizes: dict, seed: int = 7) -> dict:
    """labels.parquet (label_id, occ10, event_timestamp) and view{i}.parquet (occ10, event_timestamp,
    4 features). Event times are distinct within a view (a permutation of the year's seconds), so
    no tie-break rule can make the two tools differ."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    start = pd.Timestamp(START)
    n_labels = max(sizes["steward_labels"] + sizes["feast_labels"])
    m, entities = sizes["view_rows"], sizes["entities"]
    paths = {"labels": work / "labels.parquet", "views": []}
    seconds = rng.integers(0, SPAN_S, n_labels)
    labels = pd.DataFrame({"label_id": np.arange(n_labels), "occ10": rng.integers(0, entities, n_labels),
                           "event_timestamp": start + pd.to_timedelta(seconds, unit="s")})
    labels["event_timestamp"] = labels["event_timestamp"].dt.as_unit("us")
    labels.to_parquet(paths["labels"], index=False)
    for i in range(sizes["views"]):
        b = rng.normal(10, 3, m)
        b[rng.random(m) < 0.05] = np.nan
        frame = pd.DataFrame({
            "occ10": rng.integers(0, entities, m),
            "event_timestamp": (start + pd.to_timedelta(rng.permutation(SPAN_S)[:m], unit="s")).as_unit("us"),
            f"v{i}_a": rng.normal(0, 1, m), f"v{i}_b": b, f"v{i}_c": rng.integers(0, 1000, m),
            f"v{i}_d": rng.exponential(2.0, m)})
        path = work / f"view{i}.parquet"
        frame.to_parquet(path, index=False)
        paths["views"].append(path)
    return {"labels": str(paths["labels"]), "views": [str(p) for p in paths["views"]]}


def steward_views(n_views: int):  # noqa: ANN201 - list[FeatureView]
    from mlsteward.featurestore import FeatureView

    return [FeatureView(name=f"v{i}", entity="occ10", timestamp="event_timestamp",
                        features=[f"v{i}_{f}" for f in FEATURES], ttl_days=TTL_DAYS) for i in range(n_views)]


def percentiles(ns: list[int], cpu_ns: list[int] | None = None) -> dict:
    import numpy as np

    a = np.asarray(ns, dtype=np.float64) / 1e9
    out = dict(p50=float(np.percentile(a, 50)), p99=float(np.percentile(a, 99)), mean=float(a.mean()),
               max=float(a.max()), n=len(ns))
    if cpu_ns is not None:
        c = np.asarray(cpu_ns, dtype=np.float64) / 1e9
        out |= dict(cpu_p50=float(np.percentile(c, 50)), cpu_p99=float(np.percentile(c, 99)))
    return out


def median_round(rounds: list[dict]) -> dict:
    """The rounds summarised: p50 and p99 are the medians over the rounds; every round is kept."""
    import statistics

    out = {k: statistics.median(r[k] for r in rounds) for k in rounds[0] if k != "n"}
    return out | dict(n=rounds[0]["n"], rounds=rounds)


def fmt_us(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e6:,.0f} µs" if seconds < 1e-3 else fmt_s(seconds)


# -- the Feast child ----------------------------------------------------------------------------------
FEAST_CHILD = r'''
import json, os, sys, time, warnings
os.environ.setdefault("FEAST_USAGE", "False")
warnings.filterwarnings("ignore")
import logging
logging.disable(logging.WARNING)
from datetime import timedelta
import numpy as np, pandas as pd
import feast
from feast import Entity, FeatureStore, FeatureView, Field, FileSource, RepoConfig, ValueType
from feast.types import Float64, Int64

cfg = json.load(open(sys.argv[1]))
work = cfg["work"]
config = RepoConfig(project="bench", registry=os.path.join(work, "registry.db"), provider="local",
                    offline_store={"type": "file"},
                    online_store={"type": "sqlite", "path": os.path.join(work, "online.db")},
                    entity_key_serialization_version=3, repo_path=work)
store = FeatureStore(config=config)
occ = Entity(name="occ10", join_keys=["occ10"], value_type=ValueType.INT64)
views = []
for i, path in enumerate(cfg["views"]):
    source = FileSource(name=f"src{i}", path=path, timestamp_field="event_timestamp")
    schema = [Field(name=f"v{i}_a", dtype=Float64), Field(name=f"v{i}_b", dtype=Float64),
              Field(name=f"v{i}_c", dtype=Int64), Field(name=f"v{i}_d", dtype=Float64)]
    views.append(FeatureView(name=f"v{i}", entities=[occ], ttl=timedelta(days=cfg["ttl_days"]), schema=schema,
                             source=source, online=True))
store.apply([occ, *views])
refs = [f"v{i}:v{i}_{f}" for i in range(len(views)) for f in "abcd"]
labels = pd.read_parquet(cfg["labels"])
out = {"versions": {"feast": feast.__version__, "pandas": pd.__version__, "numpy": np.__version__,
                    "python": sys.version.split()[0]}, "join": [], "online": {}}
if cfg["join_sizes"]:
    t0 = time.perf_counter()
    store.get_historical_features(entity_df=labels.iloc[:100].copy(), features=refs).to_df()
    out["warmup_s"] = time.perf_counter() - t0
for n in cfg["join_sizes"]:
    entity_df = labels.iloc[:n].copy()
    t0 = time.perf_counter()
    df = store.get_historical_features(entity_df=entity_df, features=refs).to_df()
    seconds = time.perf_counter() - t0
    found = int(df[refs[0].split(":")[1]].notna().sum())
    out["join"].append({"labels": n, "seconds": seconds, "rows": len(df), "found": found})
    if n == cfg["check_size"]:
        cols = ["label_id"] + [r.split(":")[1] for r in refs]
        df[cols].to_parquet(os.path.join(work, "feast-join.parquet"), index=False)
    print(json.dumps({"progress": out["join"][-1]}), flush=True)
if cfg["lookups"]:
    t0 = time.perf_counter()
    store.materialize(start_date=pd.Timestamp(cfg["start"]).to_pydatetime() - timedelta(days=1),
                      end_date=pd.Timestamp(cfg["start"]).to_pydatetime() + timedelta(days=400))
    out["online"]["materialize_s"] = time.perf_counter() - t0
    keys = json.load(open(cfg["keys"]))
    for name, features in (("one_view", refs[:4]), ("five_views", refs)):
        for k in keys[:200]:  # warm-up
            store.get_online_features(features=features, entity_rows=[{"occ10": k}]).to_dict()
        rounds, sample = [], []
        for r in range(cfg["rounds"]):
            times, cpu = [], []
            for j, k in enumerate(keys):
                c0 = time.thread_time_ns(); t0 = time.perf_counter_ns()
                res = store.get_online_features(features=features, entity_rows=[{"occ10": k}]).to_dict()
                t1 = time.perf_counter_ns(); c1 = time.thread_time_ns()
                times.append(t1 - t0); cpu.append(c1 - c0)
                if r == 0 and j < 200:
                    sample.append({f.split(":")[1]: res[f.split(":")[1]][0] for f in features})
            rounds.append({"ns": times, "cpu_ns": cpu, "load": os.getloadavg()[0]})
        out["online"][name] = {"rounds": rounds, "sample": sample}
print(json.dumps(out))
'''


def run_feast(args: argparse.Namespace, work: Path, data: dict, join_sizes: list[int], lookups: list | None,
              check_size: int | None) -> dict:
    folder = work / "feast"
    folder.mkdir(exist_ok=True)
    keys_path = folder / "keys.json"
    if lookups is not None:
        keys_path.write_text(json.dumps(lookups))
    cfg = dict(work=str(folder), views=data["views"], labels=data["labels"], ttl_days=TTL_DAYS, start=START,
               join_sizes=join_sizes, check_size=check_size, lookups=lookups is not None, keys=str(keys_path),
               rounds=args.rounds)
    cfg_path = folder / "config.json"
    cfg_path.write_text(json.dumps(cfg))
    env = os.environ | {"FEAST_USAGE": "False", "PYTHONWARNINGS": "ignore"}
    t0 = clock()
    proc = subprocess.run([args.feast_python, "-c", FEAST_CHILD, str(cfg_path)], cwd=folder, env=env,
                          capture_output=True, text=True)
    wall = clock() - t0
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-25:])
        raise RuntimeError(f"the Feast child failed (exit {proc.returncode}):\n{tail}")
    lines = [line for line in proc.stdout.strip().splitlines() if line.startswith("{")]
    res = json.loads(lines[-1])
    res["wall_s"] = wall
    return res


def result(sid: str, title: str, peer_name: str, peer_cell: str, steward_cell: str, ratio: float | None,
           ratio_text: str, goal_text: str, passed: bool | None, peer: dict | None, steward: dict,
           notes: list[str]) -> dict:
    status = "INFO" if passed is None else ("PASS" if passed else "MISS")
    return dict(id=sid, title=title, peer_name=peer_name, peer_cell=peer_cell, steward_cell=steward_cell,
                ratio=ratio, ratio_text=ratio_text, goal_text=goal_text, status=status, peer=peer,
                steward=steward, notes=notes)


# -- scenario 1: the point-in-time join -----------------------------------------------------------------
def compare_joins(steward_out, feast_path: Path) -> dict:  # noqa: ANN001
    """Feast's rows against Steward's rows of the same label ids, value by value (NaN = NaN)."""
    import numpy as np
    import pandas as pd

    feast = pd.read_parquet(feast_path).set_index("label_id").sort_index()
    ours_all = steward_out.set_index("label_id").sort_index()
    ours = ours_all.loc[feast.index, feast.columns]
    mismatched = {}
    for col in feast.columns:
        a = ours[col].to_numpy(dtype=np.float64, na_value=np.nan)
        b = feast[col].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = ~((a == b) | (np.isnan(a) & np.isnan(b)))
        if bad.any():
            mismatched[col] = int(bad.sum())
    complete = ours_all[feast.columns].notna().all(axis=1)
    return dict(labels=len(ours_all), feast_rows=len(feast), mismatched=mismatched,
                steward_rows_with_all_20=int(complete.sum()),
                feast_rows_are_complete_rows=bool(set(feast.index) >= set(complete[complete].index)),
                found_share=float(ours_all[feast.columns[0]].notna().mean()))


def scenario_1(work: Path, sizes: dict, args: argparse.Namespace, data: dict) -> list[dict]:
    import pandas as pd

    from mlsteward.featurestore import historical_features

    views = steward_views(sizes["views"])
    labels_all = pd.read_parquet(data["labels"])
    frames = [pd.read_parquet(p) for p in data["views"]]
    feast_sizes = [n for n in sizes["feast_labels"] if not (args.feast_skip_1m and n >= 1_000_000)]
    check = min(feast_sizes)
    steward: dict[int, dict] = {}
    for n in sorted(set(sizes["steward_labels"]) | set(feast_sizes)):
        labels = labels_all.iloc[:n].copy()
        join_times, read_join_times = [], []
        for r in range(sizes["runs"] if n < 1_000_000 else 2):
            with timed_region(profile_path(args, f"s1-{n}") if r == 0 else None):
                t0 = clock()
                out = historical_features(labels, list(zip(views, frames, strict=True)), timestamp="event_timestamp")
                join_times.append(clock() - t0)
            with timed_region(None):
                t0 = clock()
                read = [pd.read_parquet(p) for p in data["views"]]
                historical_features(labels, list(zip(views, read, strict=True)), timestamp="event_timestamp")
                read_join_times.append(clock() - t0)
                del read
        steward[n] = dict(labels=n, join_s=sorted(join_times)[len(join_times) // 2], join_runs=join_times,
                          read_join_s=sorted(read_join_times)[len(read_join_times) // 2],
                          read_join_runs=read_join_times, found=int(out[views[0].features[0]].notna().sum()))
        if n == check:
            check_out = out
        log(f"  Steward {n:,} labels: join {fmt_s(steward[n]['join_s'])}, read 5 views + join "
            f"{fmt_s(steward[n]['read_join_s'])}")

    log(f"  Feast: get_historical_features at {feast_sizes} labels in {args.feast_python}")
    feast = run_feast(args, work, data, feast_sizes, None, check)
    by_n = {j["labels"]: j for j in feast["join"]}
    for n, j in by_n.items():
        log(f"  Feast {n:,} labels: {fmt_s(j['seconds'])}")
    agreement = compare_joins(check_out, work / "feast" / "feast-join.parquet")
    log(f"  values compared at {check:,} labels: {agreement}")

    fv = feast["versions"]
    common = [
        f"data: {sizes['views']} views x {sizes['view_rows']:,} rows (occ10 over {sizes['entities']:,} entities, "
        f"4 features each: 3 float64, one with 5% missing, 1 int64; event times distinct within a view, UTC), "
        f"TTL {TTL_DAYS} days; labels: occ10 + UTC event time over the same year; seed 7, Parquet files",
        f"Feast {fv['feast']} (pandas {fv['pandas']}, numpy {fv['numpy']}) in its own venv as a child process, "
        f"file offline store (dask); timed: get_historical_features(entity_df, 20 refs).to_df(), after apply() "
        f"and a 100-row warm-up ({fmt_s(feast.get('warmup_s'))}); Feast reads the 5 view files inside the call",
        "Steward timed two ways: read the 5 view Parquet files + historical_features (like Feast: the ratio "
        "uses this), and historical_features alone on frames in memory; median of "
        f"{sizes['runs']} runs (2 at 1,000,000)",
        f"same answers: at {check:,} labels, every row Feast returned was compared with Steward's row of the same "
        f"label id, 20 values each (NaN = NaN): "
        f"{'identical' if not agreement['mismatched'] else 'MISMATCHES ' + str(agreement['mismatched'])}",
        f"rows returned: Steward all {agreement['labels']:,} label rows ({agreement['found_share']:.0%} with a "
        f"value from view v0 within the TTL); Feast {agreement['feast_rows']:,} — its file store drops a label row "
        "when a view has rows for that entity but none in [label time - TTL, label time] (_filter_ttl removes every "
        f"merged row); Steward has all 20 values in {agreement['steward_rows_with_all_20']:,} rows",
    ]
    results = []
    biggest = max(sizes["steward_labels"])
    for n in sorted(by_n):
        s, f = steward[n], by_n[n]
        speed, alone = f["seconds"] / s["read_join_s"], f["seconds"] / s["join_s"]
        goal = n == biggest
        results.append(result(
            f"1.{len(results) + 1}", f"PIT join {n:,} labels x 5 views of {sizes['view_rows']:,}",
            f"Feast {fv['feast']}", fmt_s(f["seconds"]),
            f"{fmt_s(s['read_join_s'])} (join alone {fmt_s(s['join_s'])})", speed,
            f"{speed:,.1f}x faster (join alone {alone:,.1f}x)",
            ">= 5x faster" if goal else f"information (goal at {biggest:,})", speed >= 5 if goal else None,
            f, s, common if not results else []))
    if biggest not in by_n:
        (n1, f1), (n2, f2) = sorted(by_n.items())[-2:] if len(by_n) > 1 else (sorted(by_n.items())[0],) * 2
        slope = max(0.0, (f2["seconds"] - f1["seconds"]) / (n2 - n1)) if n2 != n1 else f2["seconds"] / n2
        extrapolated = f2["seconds"] + slope * (biggest - n2)
        s = steward[biggest]
        speed, alone = extrapolated / s["read_join_s"], extrapolated / s["join_s"]
        note = (f"Feast at {biggest:,} labels not run (--feast-skip-1m or --quick); extrapolated linearly from its "
                f"{n1:,} and {n2:,} runs ({fmt_s(f1['seconds'])}, {fmt_s(f2['seconds'])}: "
                f"{slope * 1e6:,.1f} s per million labels on top of the {n2:,} time) = {fmt_s(extrapolated)}; "
                "Feast's merge grows with labels x rows per entity, so linear is if anything generous to Feast")
        results.append(result(
            f"1.{len(results) + 1}", f"PIT join {biggest:,} labels x 5 views of {sizes['view_rows']:,}",
            f"Feast {fv['feast']} (extrapolated)", f"~{fmt_s(extrapolated)}",
            f"{fmt_s(s['read_join_s'])} (join alone {fmt_s(s['join_s'])})", speed,
            f"~{speed:,.1f}x faster (join alone ~{alone:,.1f}x)", ">= 5x faster", speed >= 5,
            dict(extrapolated_s=extrapolated, from_sizes=[n1, n2]), s, [note]))
    results[0]["feast_child"] = dict(versions=fv, warmup_s=feast.get("warmup_s"), wall_s=feast["wall_s"])
    return results


# -- scenario 2: online lookups -----------------------------------------------------------------------
def lookups(call, keys: list[int], rounds: int) -> dict:  # noqa: ANN001
    """``rounds`` passes over ``keys`` after a warm-up: wall and thread CPU time of every call."""
    import time

    for k in keys[:200]:  # warm-up
        call(k)
    summaries = []
    for _ in range(rounds):
        times, cpu = [], []
        for k in keys:
            c0 = time.thread_time_ns()
            t0 = time.perf_counter_ns()
            call(k)
            t1 = time.perf_counter_ns()
            c1 = time.thread_time_ns()
            times.append(t1 - t0)
            cpu.append(c1 - c0)
        summaries.append(percentiles(times, cpu) | dict(load=os.getloadavg()[0]))
    return median_round(summaries)


def scenario_2(work: Path, sizes: dict, args: argparse.Namespace, data: dict) -> list[dict]:
    import numpy as np
    import pandas as pd

    from mlsteward.featurestore import RedisOnlineStore, SqliteOnlineStore, materialize, online_features

    views = steward_views(sizes["views"])
    names = [v.name for v in views]
    frames = [pd.read_parquet(p) for p in data["views"]]
    rng = np.random.default_rng(11)
    keys = rng.integers(0, sizes["entities"], sizes["lookups"]).tolist()

    steward: dict[str, dict] = {}
    stores = {"sqlite": SqliteOnlineStore(work / "steward-online.db")}
    prefix = f"steward-bench-{uuid.uuid4().hex[:10]}"
    try:
        stores["redis"] = RedisOnlineStore(REDIS_URL, prefix=prefix)
    except Exception as exc:  # noqa: BLE001 - reported, the SQLite rows still run
        log(f"  Redis unavailable ({exc}); its rows are skipped")
    samples = {}
    try:
        for kind, store in stores.items():
            t0 = clock()
            rows = sum(materialize(v, f, store) for v, f in zip(views, frames, strict=True))
            mat = clock() - t0
            one = lookups(lambda k, s=store: s.get("v0", k), keys, args.rounds)
            five = lookups(lambda k, s=store: online_features(s, k, names), keys, args.rounds)
            steward[kind] = dict(materialize_s=mat, rows=rows, one_view=one, five_views=five)
            samples[kind] = [online_features(store, k, names) for k in keys[:200]]
            log(f"  Steward {kind}: materialize {rows:,} rows in {fmt_s(mat)}; one view p50 {fmt_us(one['p50'])} "
                f"p99 {fmt_us(one['p99'])}; five views p50 {fmt_us(five['p50'])} p99 {fmt_us(five['p99'])}")
    finally:
        if "redis" in stores:
            client = stores["redis"]._client
            for key in client.scan_iter(match=f"{prefix}:*", count=1000):
                client.unlink(key)
        for store in stores.values():
            store.close()

    log(f"  Feast: materialize + get_online_features (SQLite online store) in {args.feast_python}")
    feast = run_feast(args, work, data, [], keys, None)
    fo = feast["online"]
    f_stats = {name: median_round([percentiles(r["ns"], r["cpu_ns"]) | dict(load=r["load"])
                                   for r in fo[name]["rounds"]]) for name in ("one_view", "five_views")}
    log(f"  Feast: materialize {fmt_s(fo['materialize_s'])}; one view p50 {fmt_us(f_stats['one_view']['p50'])}, "
        f"five views p50 {fmt_us(f_stats['five_views']['p50'])}")
    same = all(_same_values(samples[kind][j], fo["five_views"]["sample"][j]) for kind in samples
               for j in range(len(fo["five_views"]["sample"])))

    fv = feast["versions"]
    notes = [
        f"the {sizes['views']} views of scenario 1 materialised: each entity's latest row ({sizes['entities']:,} "
        f"entities per view); Steward materialize() per view (SQLite {fmt_s(steward['sqlite']['materialize_s'])}"
        + (f", Redis {fmt_s(steward['redis']['materialize_s'])}" if "redis" in steward else "")
        + f"), Feast store.materialize(start, end) ({fmt_s(fo['materialize_s'])}), all untimed for the lookups",
        f"{sizes['lookups']:,} lookups of random entity keys (seed 11, same keys for all), one call per entity, "
        f"after 200 warm-up calls, in process, {sizes['rounds']} rounds: p50 and p99 are the medians of the rounds' "
        "(every round is in the JSON); wall time per call with perf_counter_ns, the thread's CPU time beside it",
        "wall p99 vs CPU p99 (median rounds): " + "; ".join(
            f"{who} {scope.replace('_', ' ')} {fmt_us(st['p99'])} vs {fmt_us(st['cpu_p99'])}"
            for who, stats in [(f"Steward {k}", steward[k]) for k in steward] + [("Feast", f_stats)]
            for scope, st in stats.items() if scope in ("one_view", "five_views"))
        + " — what is not CPU is waiting: for the Redis reply, or descheduled on this shared 2-core machine "
        f"(load average during the rounds: {_loads(steward, f_stats)})",
        "one view: Steward store.get('v0', key) -> dict of 4 values; Feast get_online_features(4 refs, "
        "[{'occ10': key}]).to_dict(). Five views: Steward online_features(store, key, 5 views) (Redis: one Lua "
        "call for all 5 views); Feast get_online_features(20 refs, ...).to_dict()",
        f"same answers: the first 200 lookups' 20 values equal Feast's for every Steward store: {same}",
        f"Redis {REDIS_URL} on loopback (no persistence); Feast {fv['feast']} in its own venv as a child process",
    ]
    results = []
    for scope, label in (("one_view", "1 view, 4 features"), ("five_views", "5 views, 20 features")):
        f = f_stats[scope]
        for kind in ("sqlite", "redis"):
            if kind not in steward:
                continue
            s = steward[kind][scope]
            ratio = f["p50"] / s["p50"]
            sid = f"2.{len(results) + 1}"
            results.append(result(
                sid, f"online lookup, {label}: Steward {kind} p50", f"Feast {fv['feast']} sqlite",
                f"p50 {fmt_us(f['p50'])}", f"p50 {fmt_us(s['p50'])}", ratio, f"{ratio:,.0f}x lower",
                ">= 3x lower p50" if kind == "sqlite" else "information", ratio >= 3 if kind == "sqlite" else None,
                f, s, notes if not results else []))
            results.append(result(
                f"2.{len(results) + 1}", f"online lookup, {label}: Steward {kind} p99", f"Feast {fv['feast']} sqlite",
                f"p99 {fmt_us(f['p99'])}", f"p99 {fmt_us(s['p99'])}", f["p99"] / s["p99"],
                f"{f['p99'] / s['p99']:,.0f}x lower", "p99 < 1 ms", s["p99"] < 1e-3, f, s, []))
    return results


def _loads(steward: dict, feast: dict) -> str:
    loads = [r["load"] for stats in [*steward.values(), feast] for scope, st in stats.items()
             if scope in ("one_view", "five_views") for r in st["rounds"]]
    return f"{min(loads):.1f}–{max(loads):.1f}"


def _same_values(ours: dict, theirs: dict) -> bool:
    import math

    for name, value in theirs.items():
        mine = ours.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            if mine is not None:
                return False
        elif mine is None or abs(float(mine) - float(value)) > 1e-12 * max(1.0, abs(float(value))):
            return False
    return True


# -- driver -------------------------------------------------------------------------------------------
SCENARIOS = {1: scenario_1, 2: scenario_2}


def table(results: list[dict]) -> str:
    head = ("#", "scenario", "peer", "peer result", "Steward", "ratio", "goal", "result")
    rows = [(r["id"], r["title"], r["peer_name"], r["peer_cell"], r["steward_cell"], r["ratio_text"],
             r["goal_text"], r["status"]) for r in results]
    return text_table(head, rows, results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--only", action="append", default=[], help="run only these scenarios (1-2)")
    parser.add_argument("--feast-python", default=DEFAULT_FEAST_PYTHON,
                        help=f"python of the venv with Feast (default {DEFAULT_FEAST_PYTHON})")
    parser.add_argument("--feast-skip-1m", action="store_true",
                        help="scenario 1: do not run Feast at 1,000,000 labels (about half a minute); extrapolate")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="folder for the data and stores (default: benchmarks/results/work-features-…)")
    parser.add_argument("--keep", action="store_true", help="keep the data and stores after the run")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the results (default: benchmarks/results/features.json, "
                             "features-quick.json with --quick)")
    parser.add_argument("--profile-dir", type=Path, default=None,
                        help="profile Steward's joins with cProfile into this folder (ratios then mean nothing)")
    args = parser.parse_args()
    args.only = chosen_scenarios(parser, args, SCENARIOS)
    return args


def main() -> int:
    args = parse_args()
    import mlsteward

    if not Path(args.feast_python).exists():
        raise SystemExit(f"no Feast venv at {args.feast_python}: see benchmarks/README.md (or pass --feast-python)")
    sizes = QUICK if args.quick else FULL
    args.rounds = sizes["rounds"]
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    work = (args.workdir or RESULTS / f"work-features-{stamp}").resolve()
    work.mkdir(parents=True, exist_ok=args.workdir is not None)
    if args.profile_dir:
        args.profile_dir = args.profile_dir.resolve()
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    json_path = (args.json or RESULTS / ("features-quick.json" if args.quick else "features.json")).resolve()
    load = os.getloadavg()
    log(f"work folder {work}; mlsteward {mlsteward.__version__}; scenarios {args.only}"
        f"{' (quick)' if args.quick else ''}; load average {load[0]:.2f} on {os.cpu_count()} cores")
    results, walls = [], {}
    started = clock()
    try:
        t0 = clock()
        data = generate(work, sizes)
        log(f"  data generated in {fmt_s(clock() - t0)}")
        for number in args.only:
            log(f"scenario {number} …")
            t0 = clock()
            rs = SCENARIOS[number](work, sizes, args, data)
            walls[number] = clock() - t0
            for r in rs:
                log(f"[{r['id']}] {r['peer_name']} {r['peer_cell']}, Steward {r['steward_cell']}, "
                    f"{r['ratio_text']}, goal {r['goal_text']}: {r['status']}")
            results.extend(rs)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(results))
    load_end = os.getloadavg()
    import numpy
    import pandas

    report = dict(
        benchmark="features", when=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        quick=args.quick, sizes=sizes, profiled=bool(args.profile_dir), total_wall_s=clock() - started,
        scenario_wall_s=walls,
        versions=dict(python=platform.python_version(), mlsteward=mlsteward.__version__, pandas=pandas.__version__,
                      numpy=numpy.__version__, feast_python=args.feast_python),
        machine=dict(platform=platform.platform(), cpus=os.cpu_count(), load_average_start=load,
                     load_average_end=load_end),
        source_tree=source_tree(), results=results, table=table(results))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nload average: {load[0]:.2f} at the start, {load_end[0]:.2f} at the end ({os.cpu_count()} cores; "
          "other work on the machine shows in these numbers)")
    print(f"written: {json_path}")
    return 0 if all(r["status"] in ("PASS", "INFO") for r in results) else 1


def source_tree() -> dict:
    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(HERE.parent), *cmd], capture_output=True, text=True,
                                  check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    return dict(commit=git("rev-parse", "--short", "HEAD") or "unknown",
                changed_under_src=[line for line in git("status", "--short", "--", "src").splitlines() if line])


if __name__ == "__main__":
    sys.exit(main())
