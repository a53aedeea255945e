"""The peer side of the drift benchmark: Evidently's DataDriftPreset report, timed.

Standalone: run it with the Evidently venv's Python, not the project's (Evidently 0.7.23 needs
pandas < 3); it does not import mlsteward. Set up (see benchmarks/README.md)::

    python -m venv /tmp/benchvenv-evidently
    /tmp/benchvenv-evidently/bin/pip install "evidently==0.7.23" "pandas<3" pyarrow

    /tmp/benchvenv-evidently/bin/python benchmarks/peer_evidently.py \
        --reference ref.parquet --current cur.parquet --numeric n00,n01,... --categorical c0,c1,...

It reads both Parquet files (untimed), then times, with time.perf_counter, what a user does:
``Dataset.from_pandas`` of both frames with a ``DataDefinition`` naming the numeric and categorical
columns, and ``Report([DataDriftPreset()]).run(current, reference)`` with Evidently's defaults
(normed Wasserstein >= 0.1 / Jensen-Shannon >= 0.1 above 1,000 rows; dataset drift at a 50% share).
Telemetry is off (``DO_NOT_TRACK=1``).

Prints one JSON line on stdout: peer, version, seconds (the timed region), dataset_seconds (its
``from_pandas`` part), cpu_seconds (this process, all threads, over the region), peak_rss_mb (the
process's peak resident memory, ``VmHWM``: reading the data included), rss_before_mb (resident
memory once the data is read), drifted_columns (the columns its ValueDrift results call drifted),
drifted_columns_count (its DriftedColumnsCount value), drift_values (column -> its drift score),
methods (the drift methods it chose), versions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

os.environ.setdefault("DO_NOT_TRACK", "1")


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``: ``ru_maxrss`` would carry the parent's peak across
    the exec that started this process)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", required=True)
    parser.add_argument("--current", required=True)
    parser.add_argument("--numeric", required=True, help="comma-separated numeric columns")
    parser.add_argument("--categorical", required=True, help="comma-separated categorical columns")
    args = parser.parse_args()

    import evidently
    import numpy
    import pandas as pd
    import scipy
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    numeric, categorical = args.numeric.split(","), args.categorical.split(",")
    reference = pd.read_parquet(args.reference)
    current = pd.read_parquet(args.current)
    before = rss_mb()
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)

    start, cpu0 = time.perf_counter(), os.times()
    ref_ds = Dataset.from_pandas(reference, data_definition=definition)
    cur_ds = Dataset.from_pandas(current, data_definition=definition)
    datasets = time.perf_counter() - start
    snapshot = Report([DataDriftPreset()]).run(cur_ds, ref_ds)
    seconds, cpu1 = time.perf_counter() - start, os.times()

    drifted, values, methods, count = [], {}, {}, None
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        kind = str(config.get("type", ""))
        if kind.endswith("DriftedColumnsCount"):
            count = metric.get("value")
        if not kind.endswith("ValueDrift"):
            continue
        column, value, threshold = config["column"], metric.get("value"), config.get("threshold")
        method = str(config.get("method", ""))
        values[column], methods[column] = value, method
        # distance methods drift at value >= threshold; p-value methods ("K-S p_value") at value < threshold
        if not isinstance(value, (int, float)) or threshold is None:
            continue
        if (value < threshold) if "p_value" in method else (value >= threshold):
            drifted.append(column)
    print(json.dumps({
        "peer": "evidently", "version": evidently.__version__, "seconds": round(seconds, 3),
        "dataset_seconds": round(datasets, 3),
        "cpu_seconds": round((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system), 2),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_before_mb": round(before, 1), "rows": [len(reference), len(current)],
        "drifted_columns": sorted(drifted), "drifted_columns_count": count, "drift_values": values,
        "methods": sorted(set(methods.values())),
        "versions": {"pandas": pd.__version__, "numpy": numpy.__version__, "scipy": scipy.__version__},
    }), flush=True)


if __name__ == "__main__":
    main()
