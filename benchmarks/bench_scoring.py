#!/usr/bin/env python
"""Benchmark: Steward's batch scoring (``score_file``) vs the bare model's ``predict_proba``, same model, same rows.

Goal (issue 8): streaming a 1,000,000-row Parquet file through ``score_file`` (read in chunks, score, write
the scores to Parquet) reaches at least 90% of the bare model's throughput on the same rows already in
memory. Not a test, not run in CI::

    python benchmarks/bench_scoring.py               # 1,000,000 rows, 5 interleaved repetitions
    python benchmarks/bench_scoring.py --quick       # 100,000 rows, 3 repetitions: a smoke run

The model is a real registered version: the small GSS project of the registry tests (features: imputed
``prestg10`` and ``childs``, one-hot ``educcat``; a tuned LogisticRegression), built and registered
untimed, then loaded with ``load_model_version`` (the raw-rows model, feature pipeline included). The
rows: the bundled GSS data (37,887 rows) drawn with replacement to 1,000,000, plus an ``id`` column,
written once as Parquet (and CSV) before the clock starts. Arms, interleaved and rotated per repetition:

1. bare, in memory: ``model.predict_proba(frame)`` on the whole frame, already loaded (the goal's peer);
2. bare, from the file: ``model.predict_proba(pd.read_parquet(path))``;
3. Steward: ``score_file(model, path, out.parquet, keep=["id"])`` with its default 100,000-row chunks:
   reading, scoring, the ``prediction`` column and writing the output file are all inside the clock;
4. and 5., for information: the same from CSV (``pd.read_csv`` + ``predict_proba`` vs ``score_file`` of the
   CSV file).

Throughput = rows / wall seconds, the median of the repetitions; the ratio is Steward's over the bare
arm's. CPU seconds (all threads) are printed beside it. Writes benchmarks/results/scoring.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests" / "registry"))

from _bench import fmt_s, log, text_table, timed_region

RESULTS = HERE / "results"
GOAL = 0.90


def build(work: Path, rows: int) -> dict:
    import numpy as np
    from registry_project import build_project

    from mlsteward.datasets import gss_wages_with_target
    from mlsteward.lifecycle.registry import load_model_version, register_model

    project = build_project(work / "project")
    version = register_model(project["workspace"], project["spec"], project["runs"][0], "wages").version
    model = load_model_version(project["workspace"], version.ref)
    frame = gss_wages_with_target().drop(columns=["high_income"]).sample(rows, replace=True, random_state=0)
    frame = frame.reset_index(drop=True)
    frame.insert(0, "id", np.arange(rows))
    paths = {"parquet": work / "rows.parquet", "csv": work / "rows.csv"}
    frame.to_parquet(paths["parquet"], index=False)
    frame.to_csv(paths["csv"], index=False)
    project["workspace"].store.close()
    return {"model": model, "ref": version.ref, "frame": frame, "paths": paths}


def arms(data: dict, work: Path) -> dict:
    import pandas as pd

    from mlsteward.serving.batch import score_file

    model, frame, paths = data["model"], data["frame"], data["paths"]
    return {
        "bare, in memory": lambda: model.predict_proba(frame),
        "bare, read Parquet": lambda: model.predict_proba(pd.read_parquet(paths["parquet"])),
        "steward score_file Parquet -> Parquet": lambda: score_file(model, paths["parquet"], work / "out.parquet",
                                                                    keep=["id"]),
        "bare, read CSV": lambda: model.predict_proba(pd.read_csv(paths["csv"])),
        "steward score_file CSV -> Parquet": lambda: score_file(model, paths["csv"], work / "out-csv.parquet",
                                                                keep=["id"]),
    }


def check(data: dict, work: Path) -> None:
    """The timed output holds the model's own probabilities (else the comparison means nothing)."""
    import numpy as np
    import pandas as pd

    scores = pd.read_parquet(work / "out.parquet")
    np.testing.assert_array_equal(scores[["proba_0", "proba_1"]].to_numpy(), data["model"].predict_proba(data["frame"]))
    np.testing.assert_array_equal(scores["id"].to_numpy(), data["frame"]["id"].to_numpy())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="100,000 rows, 3 repetitions")
    parser.add_argument("--json", type=Path, default=None, help="where to write the results")
    args = parser.parse_args()
    rows, repeats = (100_000, 3) if args.quick else (args.rows, args.repeats)
    out_json = args.json or RESULTS / ("scoring-quick.json" if args.quick else "scoring.json")
    with tempfile.TemporaryDirectory(prefix="scoring-bench-") as folder:
        work = Path(folder)
        log(f"building the project and {rows:,} rows (untimed)")
        data = build(work, rows)
        timed = arms(data, work)
        for fn in timed.values():  # warm-up: imports, first-call costs, the OS file cache
            fn()
        check(data, work)
        wall: dict[str, list[float]] = {name: [] for name in timed}
        cpu: dict[str, list[float]] = {name: [] for name in timed}
        names = list(timed)
        for rep in range(repeats):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                with timed_region(None):
                    c, w = time.process_time(), time.perf_counter()
                    timed[name]()
                    w, c = time.perf_counter() - w, time.process_time() - c
                wall[name].append(w)
                cpu[name].append(c)
            log(f"repetition {rep + 1}: " + ", ".join(f"{n.split(',')[0].split(' ')[0]} {wall[n][-1]:.2f}s"
                                                      for n in names))
        check(data, work)
    median = {n: statistics.median(v) for n, v in wall.items()}
    rate = {n: rows / s for n, s in median.items()}
    steward, memory, parquet = ("steward score_file Parquet -> Parquet", "bare, in memory", "bare, read Parquet")
    ratios = {
        "steward Parquet / bare in memory": rate[steward] / rate[memory],
        "steward Parquet / bare read Parquet": rate[steward] / rate[parquet],
        "steward CSV / bare read CSV": rate["steward score_file CSV -> Parquet"] / rate["bare, read CSV"],
        "steward CSV / bare in memory": rate["steward score_file CSV -> Parquet"] / rate[memory],
    }
    table = [(n, fmt_s(median[n]), f"{rate[n]:,.0f}", f"{statistics.median(cpu[n]):.2f} s",
              f"{min(wall[n]):.2f}-{max(wall[n]):.2f} s") for n in names]
    results = [{"id": "scoring", "notes": [
        f"model {data['ref']} (LogisticRegression on 3 raw columns through the feature pipeline), {rows:,} rows",
        "Steward's arms read, score, compute `prediction` and write the Parquet output inside the clock",
        f"medians of {repeats} interleaved repetitions after one warm-up of each arm"]}]
    print()
    print(text_table(("arm", "wall (median)", "rows/s", "CPU (median)", "range"), table, results))
    print()
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}")
    verdict = "PASS" if ratios["steward Parquet / bare in memory"] >= GOAL else "MISS"
    print(f"goal: Steward >= {GOAL:.0%} of the bare model's in-memory throughput: {verdict}")
    out_json.parent.mkdir(parents=True, exist_ok=True)
    out_json.write_text(json.dumps({
        "benchmark": "scoring", "rows": rows, "repeats": repeats, "model": data["ref"],
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "arms": {n: {"median_seconds": median[n], "rows_per_second": rate[n], "seconds": wall[n],
                     "cpu_seconds": cpu[n]} for n in names},
        "ratios": ratios, "goal": {"steward Parquet / bare in memory": GOAL}, "verdict": verdict,
    }, indent=2))
    log(f"wrote {out_json}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
