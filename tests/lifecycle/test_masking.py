"""Masking personal data into a derived version with lineage."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.data_stage import assess_dataset
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.lifecycle.masking import mask_dataset
from mlsteward.spec_data import DataSpec
from mlsteward.workspace import Workspace

PEOPLE = pd.DataFrame({
    "email": [f"user{i}@example.com" for i in range(40)],
    "sex": ["F", "M"] * 20,
    "spend": [float(i) for i in range(40)],
    "note": ["ok"] * 40,
})



def test_hash_masks_tagged_columns_and_keeps_sensitive_attributes(workspace: Workspace) -> None:
    version, _ = add_dataset(workspace, PEOPLE, name="people")
    assess_dataset(workspace, version.ref, DataSpec(sensitive_attributes=["sex"]))
    masked = mask_dataset(workspace, version.ref, salt="s3cret", keep=["sex"], extra_columns=["note"])
    assert masked.ref == "people-masked@1" and masked.parents == ["people@1"]
    assert masked.transformation == "personal data hashed (salted sha256): email, note"
    df = load_dataset(workspace, masked.ref)
    assert df["email"][0] == hashlib.sha256(b"s3cretuser0@example.com").hexdigest()
    assert list(df["sex"]) == list(PEOPLE["sex"]) and list(df["spend"]) == list(PEOPLE["spend"])


def test_drop_and_a_missing_salt(workspace: Workspace) -> None:
    version, _ = add_dataset(workspace, PEOPLE, name="people")
    dropped = mask_dataset(workspace, version.ref, method="drop", name="people-public")
    assert list(load_dataset(workspace, dropped.ref).columns) == ["sex", "spend", "note"]
    with pytest.raises(InvalidInput, match="salt"):
        mask_dataset(workspace, version.ref, method="hash", salt=None)
