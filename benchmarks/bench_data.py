#!/usr/bin/env python
"""Side-by-side benchmark of Steward's data stage against ydata-profiling and DVC, in one run.

Not a test, not run in CI. The peers live in their own virtual environments (ydata-profiling
does not install next to numpy 2 / pandas 3; DVC pulls in many packages) and run as child
processes; see benchmarks/README.md::

    python benchmarks/bench_data.py            # the full run (about ten minutes)
    python benchmarks/bench_data.py --quick    # small sizes, a smoke run
    python benchmarks/bench_data.py --only 2   # one scenario (repeat --only or use 1,3)

Scenarios:

1. profile 1,000,000 rows x 30 mixed columns, read from one Parquet file: Steward's
   ``profile_dataset(df)`` vs ``ProfileReport(df, minimal=True).get_description()``; time and
   peak RSS, each tool in its own child process.
2. register a 1 GiB Parquet file: ``ArtifactStore.put_file`` and ``steward data add --no-assess``
   vs ``dvc add``; hashlib sha256 of the same file as the floor. Each run twice, the second
   (warm page cache) reported.
3. register a folder of 20,000 files of 4 KiB: ``add_dataset(workspace, folder)`` vs
   ``dvc add folder``; then the re-add of the unchanged folder.

Prints a table (scenario, peer, Steward, ratio, goal, PASS/MISS) and writes it as JSON to
benchmarks/results/data.json (data-quick.json with --quick).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import hashlib
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from _bench import chosen_scenarios, clock, fmt_s, log, profile_path, text_table, timed_region

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
GIB = 1 << 30

FULL = dict(profile_rows=1_000_000, big_file_bytes=GIB, folder_files=20_000, file_bytes=4096, runs=2)
QUICK = dict(profile_rows=100_000, big_file_bytes=64 << 20, folder_files=2_000, file_bytes=4096, runs=2)

DEFAULT_YDATA_PYTHON = "/tmp/ydatavenv/bin/python"
DEFAULT_DVC = "/tmp/dvcvenv/bin/dvc"


# -- helpers ----------------------------------------------------------------------------------
def fmt_mb(n_bytes: float | None) -> str:
    return "-" if n_bytes is None else f"{n_bytes / 1e6:,.0f} MB"


def mbps(n_bytes: int, seconds: float) -> float:
    return n_bytes / seconds / 1e6


def run_child(cmd: list[str], *, cwd: Path, env: dict | None = None, out_dir: Path,
              name: str) -> dict:
    """Run ``cmd`` as a child process; return wall seconds, exit code, its stdout / stderr and its
    own rusage (``os.wait4``: this child only, not every child so far as RUSAGE_CHILDREN)."""
    stdout_path, stderr_path = out_dir / f"{name}.stdout", out_dir / f"{name}.stderr"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        t0 = clock()
        proc = subprocess.Popen(cmd, cwd=str(cwd), env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = clock() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    return dict(wall_s=wall, returncode=proc.returncode, stdout=stdout_path.read_text(errors="replace"),
                stderr=stderr_path.read_text(errors="replace"), maxrss_bytes=usage.ru_maxrss * 1024,
                user_s=usage.ru_utime, sys_s=usage.ru_stime)


def check_child(res: dict, what: str) -> None:
    if res["returncode"] != 0:
        tail = "\n".join(res["stderr"].strip().splitlines()[-25:])
        raise RuntimeError(f"{what} failed (exit {res['returncode']}):\n{tail}")


def last_json_line(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON line in the child's output: {text[-500:]!r}")


def result(sid: str, title: str, peer_name: str, peer_cell: str, steward_cell: str, ratio: float | None,
           ratio_text: str, goal_text: str, passed: bool | None, peer: dict | None, steward: dict,
           notes: list[str]) -> dict:
    status = "INFO" if passed is None else ("PASS" if passed else "MISS")
    return dict(id=sid, title=title, peer_name=peer_name, peer_cell=peer_cell, steward_cell=steward_cell,
                ratio=ratio, ratio_text=ratio_text, goal_text=goal_text, status=status, peer=peer,
                steward=steward, notes=notes)


def settle() -> None:
    """Before a timed region: flush every dirty page (of the untimed preparation, e.g. a copy or
    a deleted store) so that its write-back is not charged to the next tool."""
    os.sync()


def disk_probe(work: Path, n_bytes: int = 256 << 20) -> float:
    """Seconds to write ``n_bytes`` and fsync them: how busy the shared disk is right now."""
    path = work / "disk-probe.bin"
    block = os.urandom(1 << 20)
    settle()
    t0 = clock()
    with open(path, "wb") as f:
        for _ in range(n_bytes >> 20):
            f.write(block)
        f.flush()
        os.fsync(f.fileno())
    seconds = clock() - t0
    path.unlink()
    settle()
    return seconds


def drop_tree(path: Path) -> None:
    """Remove a folder, read-only files included (DVC's cache files are mode 0444)."""
    if path.exists():
        subprocess.run(["chmod", "-R", "u+w", str(path)], check=False)
        shutil.rmtree(path, ignore_errors=True)


# -- data generation (in a child process, so the benchmark's own RSS stays small) -------------
def make_profile_table(rows: int, seed: int):  # noqa: ANN201 - pyarrow.Table
    """1 million rows x 30 columns by default: 8 floats (6 with missing values), 6 ints, 5 strings
    of low cardinality (one with missing values), 3 of high cardinality, 4 booleans, 4 datetimes
    (one with missing values). Written with pyarrow (no pandas metadata), so pandas 2 and pandas
    3 read it with their own defaults."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rng = np.random.default_rng(seed)
    n = rows

    def missing(values: np.ndarray, share: float) -> pa.Array:
        return pa.array(values, mask=rng.random(n) < share)

    def levels(k: int, prefix: str, zipf: float = 0.0, share_missing: float = 0.0) -> pa.Array:
        names = np.array([f"{prefix}_{j:03d}" for j in range(k)])
        p = 1.0 / np.arange(1, k + 1) ** zipf
        values = names[rng.choice(k, size=n, p=p / p.sum())]
        return missing(values, share_missing) if share_missing else pa.array(values)

    base = rng.normal(50, 10, n)
    cols: dict[str, pa.Array] = {
        # floats
        "f_normal": pa.array(base),
        "f_correlated": pa.array(0.8 * base + rng.normal(0, 6, n)),
        "f_normal_na1": missing(rng.normal(0, 1, n), 0.01),
        "f_lognormal_na5": missing(rng.lognormal(3, 1, n), 0.05),
        "f_uniform_na20": missing(rng.uniform(-1, 1, n), 0.20),
        "f_exponential": pa.array(rng.exponential(2.0, n)),
        "f_price_na2": missing(np.round(rng.gamma(2.0, 30.0, n), 2), 0.02),
        "f_sparse_na60": missing(rng.normal(100, 15, n), 0.60),
        # ints
        "i_small": pa.array(rng.integers(0, 10, n)),
        "i_age": pa.array(rng.integers(18, 90, n)),
        "i_count": pa.array(rng.poisson(3.0, n)),
        "i_large": pa.array(rng.integers(0, 10**9, n)),
        "i_id": pa.array(rng.permutation(n).astype(np.int64) + 1_000_000),
        "i_signed": pa.array(rng.integers(-5000, 5000, n)),
        # strings, low cardinality
        "s_country": levels(3, "country", zipf=1.0),
        "s_segment": levels(10, "segment"),
        "s_city": levels(50, "city", zipf=1.1),
        "s_product": levels(200, "product", zipf=0.8),
        "s_status_na10": levels(5, "status", share_missing=0.10),
    }
    # strings, high cardinality: e-mail addresses (~430k distinct), transaction keys (all
    # distinct), short free-text comments (4 words from a 2,000-word vocabulary)
    cols["s_email"] = pc.binary_join_element_wise(
        "user", pc.cast(pa.array(rng.integers(0, 700_000, n)), pa.string()), "@example.com", "")
    cols["s_txn_key"] = pc.binary_join_element_wise(
        "tx-", pc.cast(pa.array(rng.permutation(n).astype(np.int64) * 7919 + 10**12), pa.string()), "")
    vocab = np.array([f"w{j}{'abcdefgh'[j % 8] * (1 + j % 5)}" for j in range(2000)])
    words = [pa.array(vocab[rng.integers(0, len(vocab), n)]) for _ in range(4)]
    cols["s_comment"] = pc.binary_join_element_wise(*words, " ")
    # booleans
    for name, p in (("b_half", 0.5), ("b_tenth", 0.1), ("b_rare", 0.01), ("b_mostly", 0.9)):
        cols[name] = pa.array(rng.random(n) < p)
    # datetimes
    start = np.datetime64("2020-01-01T00:00:00", "s")
    cols["d_event"] = pa.array((start + rng.integers(0, 5 * 365 * 86400, n)).astype("datetime64[us]"))
    cols["d_signup_day"] = pa.array((np.datetime64("2015-01-01", "D")
                                     + rng.integers(0, 3650, n)).astype("datetime64[us]"))
    cols["d_update_na10"] = missing((start + rng.integers(0, 86400 * 900, n)).astype("datetime64[us]"), 0.10)
    cols["d_birth"] = pa.array((np.datetime64("1940-01-01", "D")
                                + rng.integers(0, 65 * 365, n)).astype("datetime64[us]"))
    table = pa.table(cols)
    assert table.num_columns == 30, table.num_columns
    return table


def make_big_parquet(path: str, target_bytes: int, seed: int) -> dict:
    """A data-like Parquet file of at least ``target_bytes``: batches of 1,000,000 rows (as many
    as it takes) of 6 float64 columns, 2 int64 and 1 string column (categorical, dictionary
    encoded), snappy compression (the default). Random floats barely compress, so the file is
    mostly data pages, like a real table of measurements."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    batch = 1_000_000
    cities = np.array([f"city_{j:03d}" for j in range(300)])
    rows, t = 0, 0
    sink = pa.OSFile(path, "wb")
    writer = None
    while sink.tell() < target_bytes:
        n = batch
        if writer is not None and rows:  # the last batch: only as many rows as still needed
            per_row = sink.tell() / rows
            n = max(1000, min(batch, int((target_bytes - sink.tell()) / per_row) + 1000))
        cols = {f"x{j}": pa.array(rng.normal(j, 1 + j, n)) for j in range(6)}
        cols["user_id"] = pa.array(rng.integers(0, 10**9, n))
        cols["ts_ms"] = pa.array(1_600_000_000_000 + np.arange(rows, rows + n, dtype=np.int64) * 37)
        cols["city"] = pa.array(cities[rng.integers(0, len(cities), n)])
        table = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(sink, table.schema, compression="snappy")
        writer.write_table(table, row_group_size=batch)
        rows += n
        t += 1
    writer.close()
    sink.close()
    return dict(rows=rows, bytes=os.path.getsize(path), batches=t)


def make_folder(root: str, files: int, size: int, seed: int) -> dict:
    """``files`` files of ``size`` random bytes (all distinct), 1,000 per subfolder."""
    import numpy as np

    rng = np.random.default_rng(seed)
    blob = rng.bytes(files * size)
    for i in range(files):
        sub = os.path.join(root, f"part-{i // 1000:03d}")
        if i % 1000 == 0:
            os.makedirs(sub, exist_ok=True)
        with open(os.path.join(sub, f"file-{i:06d}.bin"), "wb") as f:
            f.write(blob[i * size:(i + 1) * size])
    return dict(files=files, bytes=files * size)


def generator_main(argv: list[str]) -> int:
    what, path, size, seed = argv[0], argv[1], int(argv[2]), int(argv[3])
    if what == "profile":
        import pyarrow.parquet as pq

        table = make_profile_table(size, seed)
        pq.write_table(table, path, compression="snappy")
        out = dict(rows=table.num_rows, columns=table.num_columns, bytes=os.path.getsize(path))
    elif what == "big":
        out = make_big_parquet(path, size, seed)
    elif what == "folder":
        out = make_folder(path, size, int(argv[4]), seed)
    else:
        raise SystemExit(f"unknown data kind {what!r}")
    print(json.dumps(out))
    return 0


def generate(kind: str, path: Path, size: int, seed: int, work: Path, *extra: str) -> dict:
    res = run_child([sys.executable, __file__, "--generate", kind, str(path), str(size), str(seed), *extra],
                    cwd=work, out_dir=work, name=f"generate-{kind}")
    check_child(res, f"generating the {kind} data")
    info = last_json_line(res["stdout"])
    info["seconds"] = res["wall_s"]
    return info


# -- scenario 1: profile ----------------------------------------------------------------------
# Both children: import the library, read the Parquet file with pandas, note RSS, then time the
# profile alone. VmHWM / VmRSS come from /proc/self/status (this process's own memory).
CHILD_COMMON = textwrap.dedent("""
    import gc, json, os, sys, time

    def mem():
        out = {}
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
        return out

    path = sys.argv[1]
    import pandas as pd
""")

CHILD_STEWARD = CHILD_COMMON + textwrap.dedent("""
    import mlsteward
    from mlsteward.data.profile import profile_dataset
    profile_to = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    load_s = time.perf_counter() - t0
    gc.collect()
    loaded = mem()
    prof = None
    if profile_to:
        import cProfile
        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    p = profile_dataset(df)
    seconds = time.perf_counter() - t0
    if prof:
        prof.disable()
        prof.dump_stats(profile_to)
    end = mem()
    types = {}
    for c in p.column_profiles:
        types[c.inferred_type] = types.get(c.inferred_type, 0) + 1
    print(json.dumps(dict(seconds=seconds, load_s=load_s, rss_loaded=loaded["VmRSS"],
                          hwm_after_load=loaded["VmHWM"], hwm=end["VmHWM"], rows=p.rows, columns=p.columns,
                          types=types, duplicate_rows=p.duplicate_rows,
                          correlations=p.correlations is not None,
                          dtypes=sorted({str(t) for t in df.dtypes}),
                          versions=dict(mlsteward=mlsteward.__version__, pandas=pd.__version__,
                                        numpy=__import__("numpy").__version__,
                                        pyarrow=__import__("pyarrow").__version__))))
""")

CHILD_YDATA = CHILD_COMMON + textwrap.dedent("""
    import warnings
    warnings.filterwarnings("ignore")
    import ydata_profiling
    from ydata_profiling import ProfileReport
    t0 = time.perf_counter()
    df = pd.read_parquet(path)
    load_s = time.perf_counter() - t0
    gc.collect()
    loaded = mem()
    t0 = time.perf_counter()
    report = ProfileReport(df, minimal=True, progress_bar=False)
    description = report.get_description()
    seconds = time.perf_counter() - t0
    end = mem()
    types = {}
    for v in description.variables.values():
        types[v["type"]] = types.get(v["type"], 0) + 1
    print(json.dumps(dict(seconds=seconds, load_s=load_s, rss_loaded=loaded["VmRSS"],
                          hwm_after_load=loaded["VmHWM"], hwm=end["VmHWM"], rows=len(df), columns=df.shape[1],
                          types=types, dtypes=sorted({str(t) for t in df.dtypes}),
                          versions=dict(ydata_profiling=ydata_profiling.__version__, pandas=pd.__version__,
                                        numpy=__import__("numpy").__version__,
                                        pyarrow=__import__("pyarrow").__version__))))
""")


def scenario_1(work: Path, sizes: dict, args: argparse.Namespace) -> list[dict]:
    rows = sizes["profile_rows"]
    folder = work / "s1"
    folder.mkdir()
    data = folder / "profile.parquet"
    log(f"  writing {rows:,} rows x 30 columns to Parquet (seed 1, child process)")
    info = generate("profile", data, rows, 1, folder)
    log(f"  {info['bytes'] / 1e6:,.0f} MB Parquet in {info['seconds']:.1f} s")

    prof_file = profile_path(args, "s1")
    log("  Steward: profile_dataset(df) in a child process")
    s_res = run_child([sys.executable, "-c", CHILD_STEWARD, str(data), str(prof_file or "")],
                      cwd=folder, out_dir=folder, name="steward-profile")
    check_child(s_res, "Steward's profile child")
    steward = last_json_line(s_res["stdout"]) | dict(wall_s=s_res["wall_s"], maxrss_bytes=s_res["maxrss_bytes"],
                                                      user_s=s_res["user_s"], sys_s=s_res["sys_s"])
    if prof_file:
        with open(prof_file.with_suffix(".txt"), "w") as out:
            stats = pstats.Stats(str(prof_file), stream=out)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(30)
    log(f"  Steward {fmt_s(steward['seconds'])}, peak RSS {fmt_mb(steward['hwm'])}")

    log(f"  ydata-profiling: ProfileReport(df, minimal=True).get_description() in {args.ydata_python}")
    y_res = run_child([args.ydata_python, "-c", CHILD_YDATA, str(data)], cwd=folder, out_dir=folder,
                      name="ydata-profile", env=os.environ | {"YDATA_PROFILING_NO_ANALYTICS": "True"})
    check_child(y_res, "ydata-profiling's child")
    ydata = last_json_line(y_res["stdout"]) | dict(wall_s=y_res["wall_s"], maxrss_bytes=y_res["maxrss_bytes"],
                                                    user_s=y_res["user_s"], sys_s=y_res["sys_s"])
    log(f"  ydata-profiling {fmt_s(ydata['seconds'])}, peak RSS {fmt_mb(ydata['hwm'])}")

    title = f"profile {rows:,} rows x 30 cols"
    speed = ydata["seconds"] / steward["seconds"]
    yv, sv = ydata["versions"], steward["versions"]
    peer_name = f"ydata-profiling {yv['ydata_profiling']}"
    cpu = lambda r: r["user_s"] + r["sys_s"]  # noqa: E731
    notes_time = [
        f"ydata-profiling {yv['ydata_profiling']} (pandas {yv['pandas']}, numpy {yv['numpy']}, pyarrow "
        f"{yv['pyarrow']}) in its own venv; Steward {sv['mlsteward']} (pandas {sv['pandas']}, numpy "
        f"{sv['numpy']}, pyarrow {sv['pyarrow']}); each in its own child process reading the same "
        f"Parquet file ({info['bytes'] / 1e6:,.0f} MB, seed 1)",
        "timed: ydata `ProfileReport(df, minimal=True, progress_bar=False)` + `.get_description()` "
        "(computes the description set; no HTML or JSON rendering); Steward `profile_dataset(df)`; "
        "reading the file and imports are outside the clock",
        "work done: ydata minimal mode skips correlations, duplicates, samples and string lengths; "
        f"Steward also computes Pearson + Spearman correlations (100,000-row sample: "
        f"{steward['correlations']}), exact duplicate rows ({steward['duplicate_rows']}) and deep memory "
        "— Steward does more work",
        f"types found: Steward {steward['types']}; ydata {ydata['types']}",
        f"CPU (user+sys, whole child incl. read): Steward {cpu(steward):.1f} s, ydata {cpu(ydata):.1f} s; "
        "ydata describes columns in a thread pool (pool_size=0: one per core, 2 here)",
        f"dtypes as read: Steward (pandas {sv['pandas']}) {steward['dtypes']}; ydata (pandas {yv['pandas']}) "
        f"{ydata['dtypes']}",
    ]
    r_time = result("1a", title + ": time", peer_name, fmt_s(ydata["seconds"]), fmt_s(steward["seconds"]),
                    speed, f"{speed:,.1f}x faster", ">= 5x faster", speed >= 5, ydata, steward, notes_time)

    mem_ratio = ydata["hwm"] / steward["hwm"]
    inc_s = steward["hwm"] - steward["rss_loaded"]
    inc_y = ydata["hwm"] - ydata["rss_loaded"]
    notes_mem = [
        "peak RSS = VmHWM of each child process (its own address space: read + profile + imports); "
        f"os.wait4 ru_maxrss agrees: Steward {fmt_mb(steward['maxrss_bytes'])}, ydata {fmt_mb(ydata['maxrss_bytes'])}",
        f"RSS with the frame loaded: Steward {fmt_mb(steward['rss_loaded'])}, ydata {fmt_mb(ydata['rss_loaded'])} "
        f"(pandas {yv['pandas']} holds strings as Python objects, pandas {sv['pandas']} as Arrow-backed str); "
        f"peak above it: Steward +{fmt_mb(inc_s)}, ydata +{fmt_mb(inc_y)}"
        + ("" if steward["hwm"] > steward["hwm_after_load"] else
           f" (Steward's peak was reached while reading the file: {fmt_mb(steward['hwm_after_load'])})"),
    ]
    r_mem = result("1b", title + ": peak RSS", peer_name, fmt_mb(ydata["hwm"]), fmt_mb(steward["hwm"]),
                   mem_ratio, f"{mem_ratio:,.2f}x lower", "lower peak", steward["hwm"] < ydata["hwm"],
                   dict(hwm=ydata["hwm"], rss_loaded=ydata["rss_loaded"]),
                   dict(hwm=steward["hwm"], rss_loaded=steward["rss_loaded"]), notes_mem)
    return [r_time, r_mem]


# -- scenario 2: a 1 GiB file -------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def dvc_env(work: Path) -> dict:
    return os.environ | {"DVC_NO_ANALYTICS": "1", "DVC_SITE_CACHE_DIR": str(work / "dvc-site-cache")}


def steward_env(project: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    return env | {"STEWARD_STORE_URL": f"sqlite:///{project / '.steward' / 'steward.db'}",
                  "STEWARD_ARTIFACTS_URL": str(project / ".steward" / "artifacts"), "STEWARD_USER": "bench"}


def fresh_dvc_repo(path: Path, args: argparse.Namespace, work: Path) -> None:
    drop_tree(path)
    path.mkdir(parents=True)
    res = run_child([args.dvc, "init", "--no-scm", "-q"], cwd=path, env=dvc_env(work), out_dir=work,
                    name="dvc-init")
    check_child(res, "dvc init")


def scenario_2(work: Path, sizes: dict, args: argparse.Namespace) -> list[dict]:
    from mlsteward.artifacts import ArtifactStore

    target = sizes["big_file_bytes"]
    runs = sizes["runs"]
    folder = work / "s2"
    folder.mkdir()
    big = folder / "big.parquet"
    log(f"  writing a {target / GIB:.3g} GiB Parquet file (seed 2, child process)")
    info = generate("big", big, target, 2, folder)
    size = info["bytes"]
    log(f"  {size:,} bytes, {info['rows']:,} rows in {info['seconds']:.1f} s")
    gib = size / GIB

    # the floor: hashlib sha256 of the file, 1 MiB reads
    settle()  # the generator's write-back is not charged to anyone
    raw_times = []
    for _ in range(runs):
        gc.collect()
        settle()
        t0 = clock()
        digest = sha256_file(big)
        raw_times.append(clock() - t0)
    raw = raw_times[-1]
    log(f"  raw sha256: {fmt_s(raw)} ({mbps(size, raw):,.0f} MB/s); runs {[round(t, 2) for t in raw_times]}")

    # Steward: ArtifactStore.put_file into a fresh store each run
    put_times = []
    for i in range(runs):
        store_dir = folder / "steward-store"
        drop_tree(store_dir)
        store = ArtifactStore(str(store_dir))
        settle()
        with timed_region(profile_path(args, "s2-put") if i == runs - 1 else None):
            t0 = clock()
            ref = store.put_file(big)
            put_times.append(clock() - t0)
        assert ref.digest == "sha256:" + digest and ref.size == size
    put = put_times[-1]
    drop_tree(folder / "steward-store")
    log(f"  Steward put_file: {fmt_s(put)}; runs {[round(t, 2) for t in put_times]}")

    # Steward: `steward data add FILE --no-assess` as a command, in a fresh project each run (the
    # store is created beforehand, untimed, as `dvc init` is for DVC)
    cli_times, cli_out = [], None
    for i in range(runs):
        project = folder / "steward-project"
        drop_tree(project)
        project.mkdir()
        env = steward_env(project)
        check_child(run_child([sys.executable, "-m", "mlsteward.cli", "store", "upgrade"], cwd=project, env=env,
                              out_dir=folder, name="steward-store-upgrade"), "steward store upgrade")
        settle()
        res = run_child([sys.executable, "-m", "mlsteward.cli", "data", "add", str(big), "--name", "big",
                         "--no-assess", "--json"], cwd=project, env=env, out_dir=folder, name=f"steward-add-{i}")
        check_child(res, "steward data add")
        cli_out = json.loads(res["stdout"])
        assert cli_out["dataset"]["digest"] == "sha256:" + digest, cli_out
        cli_times.append(res["wall_s"])
    cli = cli_times[-1]
    log(f"  steward data add --no-assess: {fmt_s(cli)}; runs {[round(t, 2) for t in cli_times]}")
    settle()  # the same file again, unchanged, into the same project
    res = run_child([sys.executable, "-m", "mlsteward.cli", "data", "add", str(big), "--name", "big",
                     "--no-assess", "--json"], cwd=project, env=env, out_dir=folder, name="steward-readd")
    check_child(res, "steward data add (again)")
    cli_readd = res["wall_s"]
    log(f"  steward data add again (unchanged): {fmt_s(cli_readd)}")

    # informational: the default `steward data add` (with the assessment: profile, quality, PII)
    assess = None
    if not args.skip_assess:
        project = folder / "steward-project-assess"
        drop_tree(project)
        project.mkdir()
        env = steward_env(project)
        check_child(run_child([sys.executable, "-m", "mlsteward.cli", "store", "upgrade"], cwd=project, env=env,
                              out_dir=folder, name="steward-store-upgrade"), "steward store upgrade")
        res = run_child([sys.executable, "-m", "mlsteward.cli", "data", "add", str(big), "--name", "big", "--json"],
                        cwd=project, env=env, out_dir=folder, name="steward-add-assess")
        check_child(res, "steward data add (with assessment)")
        assess = dict(wall_s=res["wall_s"], maxrss_bytes=res["maxrss_bytes"])
        log(f"  steward data add (default, with assessment): {fmt_s(assess['wall_s'])}, "
            f"peak RSS {fmt_mb(assess['maxrss_bytes'])}")
        drop_tree(project)

    # DVC: `dvc add` in a fresh `dvc init --no-scm` repo each run; the file is copied into the
    # repo first (untimed; that also leaves it in the page cache)
    dvc_times, dvc_md5 = [], None
    for i in range(runs):
        repo = folder / "dvc-repo"
        fresh_dvc_repo(repo, args, folder)
        shutil.copyfile(big, repo / big.name)
        settle()
        res = run_child([args.dvc, "add", big.name], cwd=repo, env=dvc_env(folder), out_dir=folder,
                        name=f"dvc-add-{i}")
        check_child(res, "dvc add")
        dvc_times.append(res["wall_s"])
        text = (repo / f"{big.name}.dvc").read_text()
        dvc_md5 = text.split("md5:")[1].split()[0]
        assert f"size: {size}" in text, text
    dvc_t = dvc_times[-1]
    settle()
    res = run_child([args.dvc, "add", big.name], cwd=repo, env=dvc_env(folder), out_dir=folder, name="dvc-readd")
    check_child(res, "dvc add (again)")
    dvc_readd = res["wall_s"]
    log(f"  dvc add again (unchanged): {fmt_s(dvc_readd)}")
    cache_type = subprocess.run([args.dvc, "config", "cache.type"], cwd=folder / "dvc-repo", env=dvc_env(folder),
                                capture_output=True, text=True).stdout.strip() or "default (reflink,copy)"
    drop_tree(folder / "dvc-repo")
    drop_tree(folder / "steward-project")
    log(f"  dvc add: {fmt_s(dvc_t)} ({mbps(size, dvc_t):,.0f} MB/s); runs {[round(t, 2) for t in dvc_times]}")

    startup = startup_costs(args, folder)
    common = [f"a real data-like file: a {size:,}-byte Parquet file ({info['rows']:,} rows: 6 float64, 2 int64, "
              "1 string column; random values, snappy), not random bytes",
              f"{runs} runs each, the last reported (warm page cache; caches cannot be dropped here): "
              f"raw sha256 {[round(t, 2) for t in raw_times]} s, put_file {[round(t, 2) for t in put_times]} s, "
              f"steward data add {[round(t, 2) for t in cli_times]} s, dvc add {[round(t, 2) for t in dvc_times]} s"]
    peer = dict(seconds=dvc_t, times_s=dvc_times, mb_per_s=mbps(size, dvc_t), md5=dvc_md5, cache_type=cache_type)
    raw_part = dict(seconds=raw, times_s=raw_times, mb_per_s=mbps(size, raw), sha256=digest)
    put_part = dict(seconds=put, times_s=put_times, mb_per_s=mbps(size, put))
    cli_part = dict(seconds=cli, times_s=cli_times, mb_per_s=mbps(size, cli), assess=assess)
    title = f"register a {gib:.2g} GiB Parquet file"
    dvc_cell = f"{fmt_s(dvc_t)} ({mbps(size, dvc_t):,.0f} MB/s)"
    raw_cell = f"{fmt_s(raw)} ({mbps(size, raw):,.0f} MB/s)"
    out = []
    r = dvc_t / put
    out.append(result("2a", title + ": ArtifactStore.put_file", f"dvc add {args.dvc_version}", dvc_cell,
                      f"{fmt_s(put)} ({mbps(size, put):,.0f} MB/s)", r, f"{r:,.1f}x faster", ">= 5x faster",
                      r >= 5, peer, put_part,
                      common + [f"dvc add runs as a command (its fixed cost, {fmt_s(startup['dvc'])} to add a 3-line "
                                f"file, is in its time); put_file runs in this process into a fresh store; dvc cache.type "
                                f"{cache_type}: the file is copied into .dvc/cache and hashed with md5"]))
    r = put / raw
    out.append(result("2b", title + ": put_file vs raw hash", "hashlib sha256", raw_cell,
                      f"{fmt_s(put)}", r, f"{r:,.2f}x raw", "<= 1.5x raw", r <= 1.5, raw_part, put_part,
                      ["put_file reads 1 MiB chunks, hashes (sha256), writes a temp file, fsyncs it, renames it "
                       "into place and fsyncs the folder; the raw hash only reads and hashes"]))
    r = dvc_t / cli
    out.append(result("2c", title + ": steward data add", f"dvc add {args.dvc_version}", dvc_cell,
                      f"{fmt_s(cli)} ({mbps(size, cli):,.0f} MB/s)", r, f"{r:,.1f}x faster", ">= 5x faster",
                      r >= 5, peer, cli_part,
                      [f"`python -m mlsteward.cli data add FILE --name big --no-assess --json` as a command "
                       f"(fixed cost: {fmt_s(startup['steward'])} to add a 3-line file, mostly imports), fresh project and store "
                       "each run (store created untimed by `steward store upgrade`, as `dvc init` is untimed)",
                       "--no-assess: dvc add does not profile; "
                       + ("the default with the assessment (profile, quality SLAs, PII, read of the whole "
                          f"table) took {fmt_s(assess['wall_s'])}, peak RSS {fmt_mb(assess['maxrss_bytes'])} "
                          "(one run)" if assess else "the default with the assessment was not run (--skip-assess)")]))
    r = cli / raw
    out.append(result("2d", title + ": steward data add vs raw hash", "hashlib sha256", raw_cell, fmt_s(cli), r,
                      f"{r:,.2f}x raw", "<= 1.5x raw", r <= 1.5, raw_part, cli_part,
                      ["the command's time includes Python start-up and imports, opening the store, reading "
                       "the Parquet footer and recording the version"]))
    r = dvc_readd / cli_readd
    out.append(result("2e", title + ": re-add unchanged", f"dvc add {args.dvc_version}", fmt_s(dvc_readd),
                      fmt_s(cli_readd), r, f"{r:,.1f}x faster", "(information)", None,
                      dict(readd_s=dvc_readd), dict(readd_s=cli_readd),
                      ["the same file added again into the same project / repo, unchanged (one run each): "
                       "DVC finds it in its state database (path, inode, size, mtime) and does not hash it; "
                       "Steward has no such cache for a single file: it hashes and copies (and fsyncs) the "
                       "whole file again before finding the object already stored"]))
    return out


def startup_costs(args: argparse.Namespace, work: Path) -> dict:
    """Wall time of each command adding a 3-line CSV file: the fixed cost in a command's time
    (start-up, imports, opening the store or repo); the best of 3, each in a fresh project / repo."""
    if getattr(args, "_startup", None):
        return args._startup
    s_times, d_times = [], []
    for i in range(3):
        project = work / f"startup-steward-{i}"
        project.mkdir()
        env = steward_env(project)
        (project / "tiny.csv").write_text("a,b\n1,2\n3,4\n")
        check_child(run_child([sys.executable, "-m", "mlsteward.cli", "store", "upgrade"], cwd=project, env=env,
                              out_dir=work, name="steward-store-upgrade"), "steward store upgrade")
        res = run_child([sys.executable, "-m", "mlsteward.cli", "data", "add", "tiny.csv", "--name", "tiny",
                         "--no-assess"], cwd=project, env=env, out_dir=work, name="steward-tiny")
        check_child(res, "steward data add tiny.csv")
        s_times.append(res["wall_s"])
        repo = work / f"startup-dvc-{i}"
        fresh_dvc_repo(repo, args, work)
        (repo / "tiny.csv").write_text("a,b\n1,2\n3,4\n")
        res = run_child([args.dvc, "add", "tiny.csv"], cwd=repo, env=dvc_env(work), out_dir=work, name="dvc-tiny")
        check_child(res, "dvc add tiny.csv")
        d_times.append(res["wall_s"])
        drop_tree(project)
        drop_tree(repo)
    args._startup = dict(steward=min(s_times), dvc=min(d_times))
    return args._startup


# -- scenario 3: a folder of many small files ---------------------------------------------------
def scenario_3(work: Path, sizes: dict, args: argparse.Namespace) -> list[dict]:
    from mlsteward.lifecycle.datasets import add_dataset, folder_manifest
    from mlsteward.settings import Settings
    from mlsteward.workspace import Workspace

    n, fsize = sizes["folder_files"], sizes["file_bytes"]
    folder = work / "s3"
    folder.mkdir()
    source = folder / "images"
    log(f"  writing {n:,} files of {fsize:,} bytes (seed 3, 1,000 per subfolder)")
    info = generate("folder", source, n, 3, folder, str(fsize))
    log(f"  written in {info['seconds']:.1f} s")

    # Steward: add_dataset on a Workspace over a fresh SQLite store (opened before the clock)
    project = folder / "steward-project"
    project.mkdir()
    ws = Workspace(Settings(project_root=project, spec_path=None, store_url=f"sqlite:///{project / 'steward.db'}",
                            artifacts_url=str(project / "artifacts")))
    ws.store  # noqa: B018 - creates the database (untimed)
    hashed: list[int] = []
    original = ws.artifacts.put_files

    def counting_put_files(paths):  # noqa: ANN001, ANN202 - counts the files read (not a change to Steward)
        hashed.append(len(paths))
        return original(paths)

    ws.artifacts.put_files = counting_put_files
    settle()
    with timed_region(profile_path(args, "s3-add")):
        t0 = clock()
        version, created = add_dataset(ws, source, name="images")
        s_add = clock() - t0
    first_hashed = sum(hashed)
    assert created and version.rows == n and first_hashed == n, (version, first_hashed)
    assert len(folder_manifest(ws, version.ref)) == n
    hashed.clear()
    settle()
    with timed_region(profile_path(args, "s3-readd")):
        t0 = clock()
        again, created_again = add_dataset(ws, source, name="images")
        s_readd = clock() - t0
    re_hashed = sum(hashed)
    assert not created_again and again.ref == version.ref
    ws.store.close()
    log(f"  Steward add_dataset: {fmt_s(s_add)} ({n / s_add:,.0f} files/s); re-add {fmt_s(s_readd)} "
        f"({re_hashed} files re-hashed)")

    # DVC: the folder copied into a fresh repo (untimed), then `dvc add images`, then again
    repo = folder / "dvc-repo"
    fresh_dvc_repo(repo, args, folder)
    shutil.copytree(source, repo / "images")
    settle()
    res = run_child([args.dvc, "add", "images"], cwd=repo, env=dvc_env(folder), out_dir=folder, name="dvc-add")
    check_child(res, "dvc add folder")
    d_add = res["wall_s"]
    text = (repo / "images.dvc").read_text()
    assert f"nfiles: {n}" in text, text
    settle()
    res = run_child([args.dvc, "add", "images"], cwd=repo, env=dvc_env(folder), out_dir=folder, name="dvc-readd")
    check_child(res, "dvc add folder again")
    d_readd = res["wall_s"]
    drop_tree(repo)
    drop_tree(project)
    log(f"  dvc add: {fmt_s(d_add)} ({n / d_add:,.0f} files/s); re-add {fmt_s(d_readd)}")

    startup = startup_costs(args, folder)
    title = f"register a folder of {n:,} x {fsize // 1024} KiB files"
    r = d_add / s_add
    peer = dict(seconds=d_add, files_per_s=n / d_add, readd_s=d_readd)
    steward = dict(seconds=s_add, files_per_s=n / s_add, readd_s=s_readd, files_hashed=first_hashed,
                   files_rehashed=re_hashed)
    out = [result("3a", title, f"dvc add {args.dvc_version}", f"{n / d_add:,.0f} files/s ({fmt_s(d_add)})",
                  f"{n / s_add:,.0f} files/s ({fmt_s(s_add)})", r, f"{r:,.1f}x faster", ">= 10x files/s",
                  r >= 10, peer, steward,
                  [f"random bytes, {n // 1000 if n >= 1000 else 1} subfolders; Steward: "
                   "`add_dataset(workspace, folder, name=...)` in this process on a fresh SQLite store "
                   "(opened untimed); DVC: `dvc add images` as a command in a fresh `dvc init --no-scm` repo, the "
                   f"folder copied in untimed (its fixed cost, {fmt_s(startup['dvc'])} to add a 3-line file, is in "
                   "its time)",
                   "Steward's put_files calls os.sync() once per 1,000 files: that flushes the whole machine's "
                   "dirty pages, other engineers' included, so its time depends on their load"])]
    r = d_readd / s_readd
    out.append(result("3b", title + ": re-add unchanged", f"dvc add {args.dvc_version}", fmt_s(d_readd),
                      f"{fmt_s(s_readd)}, {re_hashed} files re-hashed", r, f"{r:,.1f}x faster",
                      "0 files re-hashed", re_hashed == 0, peer, steward,
                      ["the same folder added again, unchanged: Steward compares path, size and mtime with its "
                       "digest cache and re-reads nothing (counted by wrapping ArtifactStore.put_files in this "
                       "script); DVC checks its state database; the ratio is for information"]))
    return out


# -- driver -----------------------------------------------------------------------------------
SCENARIOS = {1: scenario_1, 2: scenario_2, 3: scenario_3}


def table(results: list[dict]) -> str:
    head = ("#", "scenario", "peer", "peer result", "Steward", "ratio", "goal", "result")
    rows = [(r["id"], r["title"], r["peer_name"], r["peer_cell"], r["steward_cell"], r["ratio_text"],
             r["goal_text"], r["status"]) for r in results]
    return text_table(head, rows, results)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--only", action="append", default=[],
                        help="run only these scenarios (1-3); repeat or comma-separate")
    parser.add_argument("--ydata-python", default=DEFAULT_YDATA_PYTHON,
                        help=f"python of the venv with ydata-profiling (default {DEFAULT_YDATA_PYTHON})")
    parser.add_argument("--dvc", default=DEFAULT_DVC, help=f"the dvc command (default {DEFAULT_DVC})")
    parser.add_argument("--skip-assess", action="store_true",
                        help="scenario 2: skip the informational `steward data add` with assessment")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="parent folder for the data and stores (default: benchmarks/results/work-…)")
    parser.add_argument("--keep", action="store_true", help="keep the data and stores after the run")
    parser.add_argument("--json", type=Path, default=None,
                        help="where to write the results (default: benchmarks/results/data.json, "
                             "data-quick.json with --quick)")
    parser.add_argument("--profile-dir", type=Path, default=None,
                        help="profile Steward's timed regions with cProfile into this folder "
                             "(slows Steward down: ratios of such a run are not comparable)")
    parser.add_argument("--generate", nargs="+", help=argparse.SUPPRESS)  # internal: the data child
    args = parser.parse_args()
    args.only = chosen_scenarios(parser, args, SCENARIOS)
    return args


def peer_versions(args: argparse.Namespace) -> dict:
    versions = {}
    if 1 in args.only:
        if not Path(args.ydata_python).exists():
            raise SystemExit(f"no ydata-profiling venv at {args.ydata_python}: see benchmarks/README.md "
                             "(or pass --ydata-python)")
    if {2, 3} & set(args.only):
        try:
            versions["dvc"] = subprocess.run([args.dvc, "--version"], capture_output=True, text=True,
                                             check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError) as exc:
            raise SystemExit(f"cannot run {args.dvc} ({exc}): see benchmarks/README.md (or pass --dvc)") from exc
    args.dvc_version = versions.get("dvc", "")
    return versions


def main() -> int:
    args = parse_args()
    if args.generate:
        return generator_main(args.generate)
    import mlsteward

    sizes = QUICK if args.quick else FULL
    versions = peer_versions(args)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    work = (args.workdir or RESULTS / f"work-data-{stamp}").resolve()
    work.mkdir(parents=True, exist_ok=args.workdir is not None)
    if args.profile_dir:
        args.profile_dir = args.profile_dir.resolve()
        args.profile_dir.mkdir(parents=True, exist_ok=True)
    json_path = (args.json or RESULTS / ("data-quick.json" if args.quick else "data.json")).resolve()
    load = os.getloadavg()
    disk_start = disk_probe(work)
    tree = source_tree()
    log(f"source tree: {tree['commit']}, {len(tree['changed_under_src'])} files changed under src/ "
        f"(uncommitted work is measured as it is); disk: 256 MiB write + fsync in {disk_start:.2f} s")
    log(f"work folder {work}; mlsteward {mlsteward.__version__}, dvc {versions.get('dvc', '-')}; "
        f"scenarios {args.only}{' (quick)' if args.quick else ''}; load average {load[0]:.2f} on "
        f"{os.cpu_count()} cores")
    results, walls = [], {}
    started = clock()
    try:
        for number in args.only:
            log(f"scenario {number} …")
            t0 = clock()
            rs = SCENARIOS[number](work, sizes, args)
            walls[number] = clock() - t0
            for r in rs:
                r["wall_s"] = walls[number]
                log(f"[{r['id']}] {r['peer_name']} {r['peer_cell']}, Steward {r['steward_cell']}, "
                    f"{r['ratio_text']}, goal {r['goal_text']}: {r['status']}")
            results.extend(rs)
    finally:
        disk_end = disk_probe(work) if work.exists() else None
        if not args.keep:
            drop_tree(work)
    print()
    print(table(results))
    load_end = os.getloadavg()
    report = dict(
        benchmark="data", when=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        quick=args.quick, sizes=sizes, profiled=bool(args.profile_dir), total_wall_s=clock() - started,
        scenario_wall_s=walls,
        versions=dict(python=platform.python_version(), mlsteward=mlsteward.__version__,
                      ydata_python=args.ydata_python, **versions,
                      **{k: v for r in results for k, v in _child_versions(r).items()}),
        machine=dict(platform=platform.platform(), cpus=os.cpu_count(), load_average_start=load,
                     load_average_end=load_end, disk_probe_s_start=disk_start, disk_probe_s_end=disk_end,
                     disk_probe="seconds to write 256 MiB and fsync, in the work folder"),
        source_tree=tree,
        results=results, table=table(results))
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nload average: {load[0]:.2f} at the start, {load_end[0]:.2f} at the end ({os.cpu_count()} cores; "
          "other work on the machine shows in these numbers); 256 MiB write + fsync: "
          f"{disk_start:.2f} s at the start, {disk_end if disk_end is None else round(disk_end, 2)} s at the end")
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


def _child_versions(r: dict) -> dict:
    out = {}
    if r["id"] == "1a":
        out["ydata_side"] = r["peer"]["versions"]
        out["steward_side"] = r["steward"]["versions"]
    return out


if __name__ == "__main__":
    sys.exit(main())
