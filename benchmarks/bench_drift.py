"""Benchmark: a monitor run's drift check on 1,000,000 x 25, Steward vs Evidently and a bare scipy loop.

Goals (issue "monitoring", item 1, Performance): the monitor run (``drift(profile, current)`` against
reference statistics computed once) is at least 10x faster than Evidently 0.7.23's DataDriftPreset
report on the same data, with at most 0.5x its peak memory, and no slower than a bare loop of the same
scipy calls. Not a test, not run in CI. From the repository root, in the project's environment::

    python benchmarks/bench_drift.py                 # 1,000,000 rows: ~3-5 minutes, Evidently most of it
    python benchmarks/bench_drift.py --rows 100000   # a smoke run
    python benchmarks/bench_drift.py --skip-peer     # Steward and scipy only

Evidently needs pandas < 3 and runs in its own venv (``peer_evidently.py`` is its side; see
benchmarks/README.md)::

    python -m venv /tmp/benchvenv-evidently
    /tmp/benchvenv-evidently/bin/pip install "evidently==0.7.23" "pandas<3" pyarrow

The data (a child process writes it to Parquet, untimed): reference and current of ``--rows`` rows each,
25 columns built from the bundled GSS wages sample (61,697 real rows) resampled with replacement, rows
drawn jointly so the columns keep their correlations: six numeric columns as they are (year, realrinc,
age, occ10, prestg10, childs: integers and GSS's missing values, 39% for realrinc), fourteen more made
from them with scaling and Gaussian noise (continuous), and the five categorical ones as text (occrecode,
wrkstat, gender, educcat, maritalcat). Planted in the current: three numeric columns shifted by 0.3 of
their standard deviation and a quarter of ``maritalcat`` set to "Never Married".

Each arm runs in a fresh process of its own (peak memory is then the arm's alone, read as ``VmHWM`` of
``/proc/self/status``: ``ru_maxrss`` would carry the parent's peak across the exec). Reading the Parquet
files is not timed; the peak memory includes it, as it would in a real run.

- Evidently: ``Dataset.from_pandas`` of both frames with a ``DataDefinition`` naming the column types,
  then ``Report([DataDriftPreset()]).run(current, reference)``: its defaults at this size are normed
  Wasserstein >= 0.1 and Jensen-Shannon >= 0.1.
- Steward, once per reference: ``reference_profile(reference)`` and ``profile.to_bytes()``, written to a
  file (reported apart: a monitor stores it with the reference version).
- Steward, each monitor run: ``ReferenceProfile.from_bytes`` of the file's bytes, then
  ``drift(profile, current)`` with its defaults (the same tests as Evidently's at this size). The goal
  compares this with Evidently.
- Steward without a profile, for information: ``drift(reference, current)`` of the two frames.
- The bare scipy loop: per numeric column ``scipy.stats.wasserstein_distance(ref, cur) / np.std(ref)``
  (missing values dropped), per categorical column ``value_counts`` of both sides over the union of
  categories and ``scipy.spatial.distance.jensenshannon(..., base=2)``.

The Steward and scipy arms run ``--repeats`` times (default 3; the table shows medians), Evidently once.
The drift scores of the three are compared column by column (printed: the largest difference).
Writes benchmarks/results/drift.json; the exit status is 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _bench import fmt_s, log, text_table

RESULTS = HERE / "results"
SPEED_GOAL, MEMORY_GOAL = 10.0, 0.5
BASES = ["year", "realrinc", "age", "occ10", "prestg10", "childs"]
CATEGORICAL = ["occrecode", "wrkstat", "gender", "educcat", "maritalcat"]
NUMERIC = [f"n{k:02d}_{BASES[k % len(BASES)]}" for k in range(20)]
SHIFTED = [NUMERIC[3], NUMERIC[10], NUMERIC[17]]
SHIFT_SD = 0.3


# -- the child processes -----------------------------------------------------------------------------
def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu() -> float:
    t = os.times()
    return t.user + t.system


def emit(record: dict) -> None:
    record.update(peak_rss_mb=round(peak_rss_mb(), 1))
    print(json.dumps(record), flush=True)


def child_data(args: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd

    from mlsteward.datasets import load_gss_wages

    wages = load_gss_wages()
    spread = {b: float(np.nanstd(wages[b].to_numpy(dtype=float))) for b in BASES}

    def frame(seed: int, planted: bool) -> pd.DataFrame:
        g = np.random.default_rng(seed)
        rows = wages.iloc[g.integers(0, len(wages), args.rows)].reset_index(drop=True)
        out = {}
        for k, name in enumerate(NUMERIC):
            base = BASES[k % len(BASES)]
            values = rows[base].to_numpy(dtype=np.float64)
            if k >= len(BASES):  # a derived, continuous column
                values = values * (1.0 + 0.25 * (k // len(BASES))) + g.normal(0.0, 0.2 * spread[base], args.rows)
            if planted and name in SHIFTED:
                values = values + SHIFT_SD * float(np.nanstd(values))
            out[name] = values
        for col in CATEGORICAL:
            text = rows[col].astype(object).where(rows[col].notna(), None)
            if planted and col == "maritalcat":
                text = text.where(g.uniform(size=args.rows) >= 0.25, "Never Married")
            out[col] = pd.array(text, dtype="str")
        return pd.DataFrame(out)

    frame(1, False).to_parquet(args.reference)
    frame(2, True).to_parquet(args.current)
    emit({"arm": "data", "rows": args.rows})


def child_profile(args: argparse.Namespace) -> None:
    import pandas as pd

    from mlsteward.monitor import reference_profile

    reference = pd.read_parquet(args.reference)
    before = rss_mb()
    start, cpu0 = time.perf_counter(), cpu()
    profile = reference_profile(reference)
    profiled = time.perf_counter() - start
    data = profile.to_bytes()
    seconds, cpu1 = time.perf_counter() - start, cpu()
    Path(args.profile).write_bytes(data)
    emit({"arm": "steward_profile", "seconds": round(seconds, 3), "profile_seconds": round(profiled, 3),
          "to_bytes_seconds": round(seconds - profiled, 3), "cpu_seconds": round(cpu1 - cpu0, 2),
          "profile_mb": round(len(data) / 2**20, 1), "rss_before_mb": round(before, 1)})


def child_monitor(args: argparse.Namespace) -> None:
    import pandas as pd

    from mlsteward.monitor import ReferenceProfile, drift

    current = pd.read_parquet(args.current)
    data = Path(args.profile).read_bytes()
    before = rss_mb()
    start, cpu0 = time.perf_counter(), cpu()
    profile = ReferenceProfile.from_bytes(data)
    del data
    loaded = time.perf_counter() - start
    result = drift(profile, current)
    seconds, cpu1 = time.perf_counter() - start, cpu()
    emit({"arm": "steward_monitor", "seconds": round(seconds, 3), "load_seconds": round(loaded, 3),
          "drift_seconds": round(seconds - loaded, 3), "cpu_seconds": round(cpu1 - cpu0, 2),
          "rss_before_mb": round(before, 1), **_summary(result)})


def child_frames(args: argparse.Namespace) -> None:
    import pandas as pd

    from mlsteward.monitor import drift

    reference, current = pd.read_parquet(args.reference), pd.read_parquet(args.current)
    before = rss_mb()
    start, cpu0 = time.perf_counter(), cpu()
    result = drift(reference, current)
    seconds, cpu1 = time.perf_counter() - start, cpu()
    emit({"arm": "steward_frames", "seconds": round(seconds, 3), "cpu_seconds": round(cpu1 - cpu0, 2),
          "rss_before_mb": round(before, 1), **_summary(result)})


def _summary(result: Any) -> dict:  # a DatasetDrift
    return {"drifted_columns": sorted(result.drifted_columns()), "dataset_drifted": result.drifted,
            "tests": sorted({c.test for c in result.columns}),
            "drift_values": {c.column: c.statistic for c in result.columns}}


def child_scipy(args: argparse.Namespace) -> None:
    import numpy as np
    import pandas as pd
    from scipy.spatial.distance import jensenshannon
    from scipy.stats import wasserstein_distance

    reference, current = pd.read_parquet(args.reference), pd.read_parquet(args.current)
    before = rss_mb()
    start, cpu0 = time.perf_counter(), cpu()
    values = {}
    for col in NUMERIC:
        ref = reference[col].dropna().to_numpy()
        cur = current[col].dropna().to_numpy()
        values[col] = float(wasserstein_distance(ref, cur) / np.std(ref))
    for col in CATEGORICAL:
        ref_counts, cur_counts = reference[col].value_counts(), current[col].value_counts()
        union = ref_counts.index.union(cur_counts.index)
        ref_counts = ref_counts.reindex(union, fill_value=0).to_numpy()
        cur_counts = cur_counts.reindex(union, fill_value=0).to_numpy()
        values[col] = float(jensenshannon(ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum(), base=2))
    seconds, cpu1 = time.perf_counter() - start, cpu()
    emit({"arm": "scipy_loop", "seconds": round(seconds, 3), "cpu_seconds": round(cpu1 - cpu0, 2),
          "rss_before_mb": round(before, 1), "drift_values": values,
          "drifted_columns": sorted(c for c, v in values.items() if v >= 0.1)})


CHILDREN = {"data": child_data, "profile": child_profile, "monitor": child_monitor, "frames": child_frames,
            "scipy": child_scipy}


# -- the driver --------------------------------------------------------------------------------------
def run(cmd: list[str]) -> dict:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1])


def child(arm: str, paths: dict, rows: int) -> dict:
    return run([sys.executable, __file__, "--child", arm, "--rows", str(rows),
                *(x for key, path in paths.items() for x in (f"--{key}", str(path)))])


def largest_gap(a: dict, b: dict) -> float:
    common = [c for c in a if c in b and isinstance(a[c], float) and isinstance(b[c], float)]
    return max((abs(a[c] - b[c]) for c in common), default=float("nan"))


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3, help="runs of each Steward / scipy arm (median)")
    parser.add_argument("--evidently-python", default="/tmp/benchvenv-evidently/bin/python")
    parser.add_argument("--skip-peer", action="store_true", help="Steward and scipy only")
    parser.add_argument("--workdir", type=Path, help="where the Parquet files go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json", type=Path, help="where to write the results (default results/drift.json)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--reference", help=argparse.SUPPRESS)
    parser.add_argument("--current", help=argparse.SUPPRESS)
    parser.add_argument("--profile", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        CHILDREN[args.child](args)
        return
    if not args.skip_peer and not os.path.exists(args.evidently_python):
        parser.error(f"no Evidently venv at {args.evidently_python}: set it up (benchmarks/README.md), pass "
                     "--evidently-python, or --skip-peer")

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-drift-"))
    work.mkdir(parents=True, exist_ok=True)
    paths = {"reference": work / "reference.parquet", "current": work / "current.parquet",
             "profile": work / "reference.profile"}
    load = [os.getloadavg()[0]]
    try:
        log(f"writing {args.rows:,} x 25 reference and current to {work}")
        child("data", paths, args.rows)
        profiles, monitors, frames, loops = [], [], [], []
        for i in range(args.repeats):
            profiles.append(child("profile", paths, args.rows))
            log(f"[{i + 1}] Steward reference profile: {fmt_s(profiles[-1]['seconds'])}, "
                f"{profiles[-1]['profile_mb']} MB, peak {profiles[-1]['peak_rss_mb']:.0f} MB")
            monitors.append(child("monitor", paths, args.rows))
            log(f"[{i + 1}] Steward monitor run drift(profile, current): {fmt_s(monitors[-1]['seconds'])}, "
                f"peak {monitors[-1]['peak_rss_mb']:.0f} MB")
            frames.append(child("frames", paths, args.rows))
            log(f"[{i + 1}] Steward drift(reference, current) without a profile: {fmt_s(frames[-1]['seconds'])}, "
                f"peak {frames[-1]['peak_rss_mb']:.0f} MB")
            loops.append(child("scipy", paths, args.rows))
            log(f"[{i + 1}] bare scipy loop: {fmt_s(loops[-1]['seconds'])}, peak {loops[-1]['peak_rss_mb']:.0f} MB")
            load.append(os.getloadavg()[0])
        peer = None
        if not args.skip_peer:
            log("Evidently DataDriftPreset (one run: a few minutes at 1,000,000 rows)")
            peer = run([args.evidently_python, str(HERE / "peer_evidently.py"),
                        "--reference", str(paths["reference"]), "--current", str(paths["current"]),
                        "--numeric", ",".join(NUMERIC), "--categorical", ",".join(CATEGORICAL)])
            log(f"Evidently {peer['version']}: {fmt_s(peer['seconds'])}, peak {peer['peak_rss_mb']:.0f} MB")
            load.append(os.getloadavg()[0])
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    monitor_s, monitor_mb = median_of(monitors, "seconds"), median_of(monitors, "peak_rss_mb")
    loop_s = median_of(loops, "seconds")
    rows, results = [], []
    goals_met = True

    def add(what: str, peer_value: str, steward_value: str, ratio: str, goal: str, verdict: str,
            notes: list[str] | None = None) -> None:
        rows.append((len(rows) + 1, what, peer_value, steward_value, ratio, goal, verdict))
        results.append({"id": len(rows), "what": what, "peer": peer_value, "steward": steward_value,
                        "ratio": ratio, "goal": goal, "verdict": verdict, "notes": notes or []})

    if peer is not None:
        speed, memory = peer["seconds"] / monitor_s, monitor_mb / peer["peak_rss_mb"]
        goals_met &= speed >= SPEED_GOAL and memory <= MEMORY_GOAL
        cpu_note = (f"Evidently CPU {peer['cpu_seconds']} s (from_pandas {fmt_s(peer['dataset_seconds'])}); "
                    f"Steward CPU {median_of(monitors, 'cpu_seconds')} s (profile load "
                    f"{fmt_s(median_of(monitors, 'load_seconds'))}, drift {fmt_s(median_of(monitors, 'drift_seconds'))})")
        add("monitor run vs Evidently, wall", fmt_s(peer["seconds"]), fmt_s(monitor_s), f"{speed:,.0f}x faster",
            f">= {SPEED_GOAL:g}x", "PASS" if speed >= SPEED_GOAL else "MISS", [cpu_note])
        memory_note = (f"after reading the data: Evidently {peer['rss_before_mb']:,.0f} MB (both frames), Steward "
                       f"{median_of(monitors, 'rss_before_mb'):,.0f} MB (current frame + profile bytes)")
        add("monitor run vs Evidently, peak RSS", f"{peer['peak_rss_mb']:,.0f} MB", f"{monitor_mb:,.0f} MB",
            f"{memory:.2f}x", f"<= {MEMORY_GOAL:g}x", "PASS" if memory <= MEMORY_GOAL else "MISS", [memory_note])
    loop_ratio = loop_s / monitor_s
    goals_met &= loop_ratio >= 1.0
    add("monitor run vs bare scipy loop, wall", fmt_s(loop_s), fmt_s(monitor_s), f"{loop_ratio:.1f}x faster",
        ">= 1x", "PASS" if loop_ratio >= 1.0 else "MISS",
        [f"scipy loop peak RSS {median_of(loops, 'peak_rss_mb'):,.0f} MB"])
    profile_note = (f"{profiles[0]['profile_mb']} MB of bytes; to_bytes {fmt_s(median_of(profiles, 'to_bytes_seconds'))}"
                    f"; peak RSS {median_of(profiles, 'peak_rss_mb'):,.0f} MB")
    add("reference profile, once per reference", "-", fmt_s(median_of(profiles, "seconds")), "-", "information",
        "INFO", [profile_note])
    add("drift(reference, current) without a profile", "-", fmt_s(median_of(frames, "seconds")), "-", "information",
        "INFO", [f"peak RSS {median_of(frames, 'peak_rss_mb'):,.0f} MB"])

    ours = monitors[0]["drift_values"]
    checks = [
        f"largest score difference, Steward vs the scipy loop: {largest_gap(ours, loops[0]['drift_values']):.2e}",
        f"Steward with a profile vs without: {largest_gap(ours, frames[0]['drift_values']):.2e}",
        f"Steward drifted: {monitors[0]['drifted_columns']} (tests {monitors[0]['tests']})",
        f"planted: {[*SHIFTED, 'maritalcat']}",
    ]
    if peer is not None:
        theirs = peer["drift_values"]
        numeric_gap = largest_gap({c: ours[c] for c in NUMERIC}, theirs)
        # Evidently's Jensen-Shannon distance uses the natural logarithm, ours base 2: sqrt(ln 2) apart
        natural = {c: ours[c] * math.sqrt(math.log(2)) for c in CATEGORICAL}
        gaps = (f"largest difference from Evidently's scores: numeric {numeric_gap:.2e}; categorical, ours x "
                f"sqrt(ln 2) (its JS distance uses ln, ours log2): {largest_gap(natural, theirs):.2e}")
        checks.insert(1, gaps)
        checks.append(f"Evidently drifted: {peer['drifted_columns']} (methods {peer['methods']})")
    print()
    print(f"{args.rows:,} x 25 (20 numeric, 5 categorical), reference and current; medians of {args.repeats} "
          f"Steward / scipy runs, Evidently once; load average {min(load):.1f}-{max(load):.1f}")
    print(text_table(("#", "what", "peer", "Steward", "ratio", "goal", "result"), rows, results))
    for line in checks:
        print("  " + line)
    out = args.json or RESULTS / ("drift.json" if args.rows == 1_000_000 else f"drift-{args.rows}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": args.rows, "repeats": args.repeats, "loadavg": load, "table": results,
                               "checks": checks, "evidently": peer, "steward_monitor": monitors,
                               "steward_profile": profiles, "steward_frames": frames, "scipy_loop": loops},
                              indent=2))
    log(f"wrote {out}")
    sys.exit(0 if goals_met else 1)


if __name__ == "__main__":
    main()
