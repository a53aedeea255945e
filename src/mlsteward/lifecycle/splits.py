"""Split a dataset version into train / validation / test, each part registered as a version with
the parent and the exact split (strategy, fractions, seed) as its lineage."""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.data.splits import SplitConfig, SplitSummary, split_dataset
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.store.evidence import Evidence
from mlsteward.workspace import Workspace


class RegisteredSplit(BaseModel):
    source: str
    parts: dict[str, str]  # part name -> dataset version ref
    summary: SplitSummary


def split_and_register(workspace: Workspace, ref: str, config: SplitConfig, *, target: str | None = None,
                       run_id: str | None = None) -> RegisteredSplit:
    """Compute the split, register each part as ``<name>-<part>`` made from ``ref``, and record
    the split summary as evidence of the source version."""
    source = workspace.store.datasets.get(ref)
    df = load_dataset(workspace, source.ref)
    result = split_dataset(df, config, target=target)
    how = config.model_dump_json(exclude_none=True)
    parts = {}
    for part, frame in result.parts(df).items():
        version, _ = add_dataset(workspace, frame.reset_index(drop=True), name=f"{source.name}-{part}",
                                 parents=[source.ref], transformation=f"{part} part of split {how}",
                                 run_id=run_id, role=part)
        parts[part] = version.ref
    summary_json = result.summary.model_dump_json().encode()
    workspace.store.evidence.record(source.ref, [Evidence(
        kind="split", digest=workspace.artifacts.put_bytes(summary_json).digest, passed=None,
        summary={"parts": parts, "strategy": config.strategy, "seed": config.seed})])
    return RegisteredSplit(source=source.ref, parts=parts, summary=result.summary)
