"""Check new data against a registered version: its contract (schema, ranges, categories,
nullability) and the drift of every column, with the one drift implementation in core."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from mlsteward.data.contract import ContractCheck, DataContract, check_contract, infer_contract
from mlsteward.lifecycle.datasets import load_dataset, read_table
from mlsteward.monitor import DatasetDrift, dataset_drift
from mlsteward.workspace import Workspace


class DataCheck(BaseModel):
    data: str
    against: str
    contract: ContractCheck
    drift: DatasetDrift

    @property
    def passed(self) -> bool:
        return self.contract.passed and not self.drift.drifted


def contract_of(workspace: Workspace, ref: str) -> DataContract:
    """The contract recorded for a version (inferred now if the version was never assessed)."""
    version = workspace.store.datasets.get(ref)
    recorded = workspace.store.evidence.of(version.ref).get("contract")
    if recorded is not None:
        return DataContract.from_yaml(workspace.artifacts.get_bytes(recorded.digest).decode())
    return infer_contract(load_dataset(workspace, version.ref), name=version.name)


def read_data(workspace: Workspace, data: str | os.PathLike, encoding: str = "utf-8") -> tuple[pd.DataFrame, str]:
    """A CSV / Parquet file or a dataset version reference as a frame, with a label saying which."""
    path = Path(data)
    if path.is_file():
        return read_table(path, encoding).to_pandas(), str(path)
    version = workspace.store.datasets.get(str(data))
    return load_dataset(workspace, version.ref), version.ref


def check_against(workspace: Workspace, data: str | os.PathLike, reference: str, *,
                  encoding: str = "utf-8") -> DataCheck:
    """``data`` is a CSV / Parquet path or a dataset reference; ``reference`` a dataset version."""
    current, label = read_data(workspace, data, encoding)
    against = workspace.store.datasets.get(reference)
    reference_df: pd.DataFrame = load_dataset(workspace, against.ref)
    return DataCheck(data=label, against=against.ref, contract=check_contract(current, contract_of(workspace, against.ref)),
                     drift=dataset_drift(reference_df, current))
