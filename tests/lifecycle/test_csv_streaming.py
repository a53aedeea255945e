"""A CSV is streamed into its Parquet snapshot: the same bytes as the in-memory conversion, the types
``read_csv`` infers over the whole file even when they change in a late block, and memory that does
not follow the file's size."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle import datasets
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.workspace import Workspace

BLOCK = datasets.CSV_BLOCK_BYTES


def _rows(n: int, seed: int = 0) -> str:
    """``n`` CSV rows of mixed types (no header), about 40 bytes each."""
    rng = np.random.default_rng(seed)
    city = rng.choice(["Oslo", "Lima", "Pune", "Kyiv", "Nuuk"], n)
    wage = np.round(rng.normal(50_000, 20_000, n), 2).astype(str)
    wage[rng.random(n) < 0.05] = ""
    day = (np.datetime64("2020-01-01") + rng.integers(0, 1000, n)).astype(str)
    flag = np.where(rng.random(n) < 0.3, "true", "false")
    return "".join(f"{i},{a},{w},{c},{d},{f}\n" for i, a, w, c, d, f in
                   zip(range(n), rng.integers(18, 90, n), wage, city, day, flag, strict=True))


HEADER = "id,age,wage,city,day,flag\n"


def _in_memory_snapshot(path: Path, row_group: int | None = None, encoding: str = "utf-8") -> bytes:
    """What add wrote before streaming: the whole CSV read, then pq.write_table."""
    out = path.parent / f"{path.name}.reference.parquet"
    pq.write_table(datasets._read_csv(path, encoding), out, compression="zstd", row_group_size=row_group)
    return out.read_bytes()


def _snapshot(workspace: Workspace, path: Path, name: str = "t", **kw) -> tuple[bytes, object]:  # noqa: ANN003
    version, _ = add_dataset(workspace, path, name=name, **kw)
    return workspace.artifacts.get_bytes(version.digest), version


@pytest.mark.parametrize("kind", ["csv", "csv.gz", "tsv", "latin-1"])
def test_streamed_snapshot_is_byte_identical_to_the_in_memory_one(workspace: Workspace, tmp_path: Path,
                                                                   kind: str) -> None:
    text = HEADER + _rows(100_000)  # about 4 MB: several blocks of 1 MiB
    assert len(text) > 3 * BLOCK
    path = tmp_path / f"data.{kind if kind != 'latin-1' else 'csv'}"
    encoding = "utf-8"
    if kind == "csv.gz":
        path.write_bytes(gzip.compress(text.encode()))
    elif kind == "tsv":
        path.write_text(text.replace(",", "\t"))
    elif kind == "latin-1":
        encoding = "latin-1"
        path.write_bytes(text.replace("Lima", "Málaga").encode("latin-1"))
    else:
        path.write_text(text)
    stored, version = _snapshot(workspace, path, encoding=encoding)
    assert stored == _in_memory_snapshot(path, encoding=encoding)
    assert version.rows == 100_000 and [c["type"] for c in version.column_types] == \
        ["int64", "int64", "double", "string", "date32[day]", "bool"]


def test_row_groups_cut_across_blocks_match_write_table(workspace: Workspace, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A row group ends in the middle of a block (1 MiB blocks of ~27,000 rows, groups of 25,000)."""
    monkeypatch.setattr(datasets, "ROW_GROUP_ROWS", 25_000)
    path = tmp_path / "groups.csv"
    path.write_text(HEADER + _rows(130_000, seed=1))
    stored, _ = _snapshot(workspace, path)
    assert stored == _in_memory_snapshot(path, row_group=25_000)
    meta = pq.ParquetFile(pa.BufferReader(stored)).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [25_000] * 5 + [5_000]


def test_a_wide_row_group_is_cut_at_the_byte_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datasets, "ROW_GROUP_BYTES", 1 << 19)
    path = tmp_path / "wide.csv"
    path.write_text(HEADER + _rows(100_000, seed=2))
    out = tmp_path / "wide.parquet"
    schema, rows = datasets._CsvStream(path, "utf-8").write(str(out))
    meta = pq.read_metadata(out)
    assert rows == meta.num_rows == 100_000 and meta.num_row_groups > 2
    assert pq.read_table(out).equals(pcsv.read_csv(path))  # same content, smaller row groups


@pytest.mark.parametrize(("late", "column", "expected"), [
    ("12.5", "age", "double"),  # an integer column turns out to be real
    ("unknown", "age", "string"),  # ... or text
    ("2021-06-01 10:00:00", "day", "timestamp[s]"),  # dates turn out to be timestamps
    ("maybe", "flag", "string"),
    ("99999999999999999999", "id", "double"),  # too large for int64
])
def test_a_type_change_in_a_late_block_widens_the_column_like_read_csv(
        workspace: Workspace, tmp_path: Path, late: str, column: str, expected: str) -> None:
    rows = _rows(70_000).splitlines(keepends=True)  # 2+ blocks before the odd value
    fields = rows[-1].rstrip("\n").split(",")
    fields[HEADER.strip().split(",").index(column)] = late
    path = tmp_path / "late.csv"
    path.write_text(HEADER + "".join(rows[:-1]) + ",".join(fields) + "\n")
    assert len(HEADER) + sum(map(len, rows[:-1])) > 2 * BLOCK
    stored, version = _snapshot(workspace, path)
    types = {c["name"]: c["type"] for c in version.column_types}
    assert types[column] == expected
    assert types == {f.name: str(f.type) for f in pcsv.read_csv(path).schema}
    assert stored == _in_memory_snapshot(path)  # the same bytes as reading it whole
    whole = pcsv.read_csv(path)  # (Parquet keeps seconds as milliseconds)
    assert pq.read_table(pa.BufferReader(stored)).cast(whole.schema).equals(whole)
    assert len(load_dataset(workspace, version.ref)) == 70_000


@pytest.mark.parametrize(("later", "expected"), [
    (["5", "7"], "int64"),
    (["2020-01-01T10:00:00Z", "2020-01-02T00:00:00+02:00"], "timestamp[s, tz=UTC]"),
    (["2020-01-01T10:00:00Z", "7"], "string"),  # loosened twice
])
def test_a_column_empty_in_the_first_block_takes_the_type_of_its_later_values(
        tmp_path: Path, later: list[str], expected: str) -> None:
    path = tmp_path / "sparse.csv"
    path.write_text("note,n\n" + ",1\n" * 600_000 + "".join(f"{v},2\n" for v in later))
    out = tmp_path / "sparse.parquet"
    schema, rows = datasets._CsvStream(path, "utf-8").write(str(out))
    assert rows == 600_000 + len(later) and str(schema.field("note").type) == expected
    pq.write_table(pcsv.read_csv(path), tmp_path / "whole.parquet", compression="zstd")
    assert out.read_bytes() == (tmp_path / "whole.parquet").read_bytes()


def test_late_bad_rows_fail_with_the_same_messages_and_register_nothing(workspace: Workspace,
                                                                       tmp_path: Path) -> None:
    head = (HEADER + _rows(30_000)).encode()
    cases = {
        "ragged.csv": (head + b"1,2,3\n", "different number of fields"),
        "encoding.csv": (head + "7,30,1.0,M\xe1laga,2020-01-01,true\n".encode("latin-1"),
                         "not valid utf-8.*--encoding latin-1"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(InvalidInput, match=message) as info:
            add_dataset(workspace, path, name="bad")
        assert name in str(info.value)
    assert workspace.store.datasets.list() == []
    assert not list((tmp_path / "artifacts").rglob("sha256/*/*"))


def test_same_content_gives_the_same_version(workspace: Workspace, tmp_path: Path) -> None:
    text = HEADER + _rows(50_000, seed=4)
    first_path, copy_path, gz_path = tmp_path / "a.csv", tmp_path / "copy.csv", tmp_path / "a.csv.gz"
    first_path.write_text(text)
    copy_path.write_text(text)
    gz_path.write_bytes(gzip.compress(text.encode()))
    first, created = add_dataset(workspace, first_path, name="t")
    again, created_again = add_dataset(workspace, first_path, name="t")
    copy, _ = add_dataset(workspace, copy_path, name="t")
    compressed, _ = add_dataset(workspace, gz_path, name="t")
    assert created and not created_again
    assert again.ref == copy.ref == compressed.ref == first.ref == "t@1"
    assert first.digest == "sha256:" + hashlib.sha256(workspace.artifacts.get_bytes(first.digest)).hexdigest()


CHILD = textwrap.dedent("""
    import json, sys
    from pathlib import Path

    def status():
        out = {}
        with open("/proc/self/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) * 1024
        return out

    from mlsteward.lifecycle.datasets import add_dataset
    from mlsteward.settings import Settings
    from mlsteward.workspace import Workspace

    root = Path(sys.argv[1])
    ws = Workspace(Settings(project_root=root, spec_path=None, store_url=f"sqlite:///{root / 's.db'}",
                            artifacts_url=str(root / "artifacts")))
    add_dataset(ws, root / "tiny.csv", name="tiny")  # warm up: first use of the store and writers
    base = status()["VmRSS"]
    peaks, rows = [], []
    for name in sys.argv[2:]:
        version, _ = add_dataset(ws, root / name, name=name.split(".")[0])
        peaks.append(status()["VmHWM"] - base)
        rows.append(version.rows)
    print(json.dumps(dict(peaks=peaks, rows=rows)))
""")


@pytest.mark.slow
def test_memory_does_not_follow_the_file_size(tmp_path: Path) -> None:
    """CSV files of ~180 MB and ~450 MB (2 and 5 million rows, several row groups each) streamed
    in a child process: the peak above its resting memory (about one row group, plus the reader
    and the writer) is the same for both and well below the file; reading the whole file first
    (the former path) peaked near 3x the file's size."""
    rng = np.random.default_rng(5)
    n = 500_000
    chunk = pa.table({"id": np.arange(n), "x": rng.normal(size=n), "y": rng.lognormal(size=n),
                      "z": rng.random(n), "w": rng.normal(100, 15, n),
                      "city": rng.choice(np.array(["Oslo", "Lima", "Pune", "Kyiv", "Nuuk"]), n)})
    sink = pa.BufferOutputStream()
    pcsv.write_csv(chunk, sink, pcsv.WriteOptions(include_header=False))
    body = sink.getvalue().to_pybytes()
    header = b'"id","x","y","z","w","city"\n'
    (tmp_path / "tiny.csv").write_bytes(header + body[:body.index(b"\n", 1000) + 1])
    sizes = {}
    for name, copies in (("small.csv", 4), ("large.csv", 10)):
        with open(tmp_path / name, "wb") as f:
            f.write(header)
            for _ in range(copies):
                f.write(body)
        sizes[name] = (tmp_path / name).stat().st_size
    assert sizes["large.csv"] > 420e6
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), "small.csv", "large.csv"],
                              capture_output=True, text=True, timeout=300)
    finally:  # pytest keeps its last temporary folders: not 1 GB of them
        for leftover in [tmp_path / "small.csv", tmp_path / "large.csv", *tmp_path.glob("artifacts/**/*")]:
            if leftover.is_file():
                leftover.unlink()
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    small, large = result["peaks"]
    print(f"CSV {sizes['small.csv'] / 1e6:.0f} MB: +{small / 1e6:.0f} MB; "
          f"CSV {sizes['large.csv'] / 1e6:.0f} MB: +{large / 1e6:.0f} MB")
    assert result["rows"] == [4 * n, 10 * n]
    assert large < 0.6 * sizes["large.csv"]  # well below the file (measured: ~210 MB for 450 MB)
    assert large < 1.25 * small + 32e6  # and it does not grow with the file
