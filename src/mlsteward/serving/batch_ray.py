"""Batch scoring on Ray (the ``[ray]`` extra): one task per partition of a partitioned Parquet input.

The partitions are the files of a folder of Parquet files, or the row groups of one Parquet file split
into contiguous ranges (about two per CPU of the cluster). Each task opens the workspace, loads the pinned
model version itself (``NAME@VERSION``, read through its sha256 like every load) and scores its partition
with the single-machine code (``mlsteward.serving.batch.score_parts``) into ``part-00000.parquet``,
``part-00001.parquet``, … in input order: read in name order, the parts are the single-machine output row
for row. The parts are written into a temporary folder beside ``output_dir`` that is renamed into place
when every task has finished, so a failed job leaves no partial output.

A running Ray is used as it is (``ray.init`` called already, or ``RAY_ADDRESS`` / ``address=`` naming a
cluster); otherwise a local one is started with ``num_cpus`` CPUs and no dashboard, and shut down at the end.
"""

from __future__ import annotations

import itertools
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from mlsteward.errors import InvalidInput
from mlsteward.ray_engine import import_ray, start_ray, task_result
from mlsteward.serving.batch import (
    Part,
    Progress,
    ScoringResult,
    Source,
    prepare,
    schema_columns,
    score_parts,
)
from mlsteward.settings import Settings
from mlsteward.workspace import Workspace


def partitions(source: Source, target: int) -> list[Part]:
    """The input's partitions: each file of a folder, or one file's row groups in up to ``target`` ranges."""
    if source.kind != "parquet":
        raise InvalidInput(f"the Ray engine scores partitioned Parquet (a folder of Parquet files, or a Parquet "
                           f"file with several row groups); {str(source.path)!r} is CSV: convert it to Parquet, or "
                           "score it with the local engine (--engine local)")
    if len(source.parts) > 1:
        return list(source.parts)
    import pyarrow.parquet as pq

    path = source.parts[0].path
    groups = pq.ParquetFile(path).metadata.num_row_groups
    if groups <= 1:
        return [Part(path)]
    count = max(1, min(target, groups))
    bounds = [round(i * groups / count) for i in range(count + 1)]
    return [Part(path, tuple(range(a, b))) for a, b in itertools.pairwise(bounds) if b > a]


def score_partition(settings: Settings, ref: str, trusted: bool, source: Source, part: Part, output: str,
                    inputs: list[str], keep: list[str], chunk_rows: int, numeric: list[str]) -> int:
    """One Ray task: load the version (hash-verified) and score one partition into ``output``; its rows."""
    from mlsteward.lifecycle.registry import load_model_version

    workspace = Workspace(settings, create=False)
    try:
        model = load_model_version(workspace, ref, trusted=trusted)
    finally:
        if "store" in workspace.__dict__:
            workspace.store.close()
    rows, _ = score_parts(model, source, [part], Path(output), inputs=inputs, keep=keep, chunk_rows=chunk_rows,
                          numeric=set(numeric), workers=1)  # a task holds one CPU
    return rows




def _check_output_dir(output_dir: Path) -> None:
    if output_dir.exists() and (not output_dir.is_dir() or any(output_dir.iterdir())):
        raise InvalidInput(f"the output {str(output_dir)!r} exists and is not an empty folder: the Ray engine "
                           "writes a folder of Parquet parts; name a new folder, or remove that one")
    if not output_dir.parent.is_dir():
        raise InvalidInput(f"the output's folder {str(output_dir.parent)!r} does not exist: create it first")


def score_with_ray(workspace: Workspace, ref: str, input_path: str | os.PathLike, output_dir: str | os.PathLike,
                   *, keep: Sequence[str] | None = None, chunk_rows: int = 100_000, num_cpus: int = 2,
                   address: str | None = None, partitions_per_cpu: int = 2, progress: Progress | None = None,
                   trusted: bool = False) -> ScoringResult:
    """Score a folder of Parquet files (or a Parquet file's row groups) with version ``ref`` on Ray into the
    folder ``output_dir`` (one ``part-NNNNN.parquet`` per partition, in input order).

    Same columns and the same numbers as ``score_version``; the input is checked against the version's
    input schema before Ray starts. ``progress(rows_done, total_rows)`` is called as partitions finish.
    """
    started = time.perf_counter()
    version = workspace.store.models.resolve(ref)  # pinned: an alias moved meanwhile changes nothing
    columns, numeric = schema_columns(version)
    if columns is None:
        raise InvalidInput(f"model {version.ref} records no input schema (its run has no feature set), so Ray "
                           "tasks cannot be checked against it: score it with the local engine (--engine local)")
    source, inputs, keep = prepare(None, input_path, None, keep=keep, chunk_rows=chunk_rows, input_columns=columns,
                                   what=f"model {version.ref}")
    output_dir = Path(output_dir)
    _check_output_dir(output_dir)
    ray = import_ray("score with the local engine (--engine local)")
    started_ray = start_ray(ray, address, num_cpus)
    temp = output_dir.with_name(f".{output_dir.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        cpus = int(ray.cluster_resources().get("CPU", num_cpus)) or 1
        parts = partitions(source, max(1, cpus * partitions_per_cpu))
        temp.mkdir()
        task = ray.remote(num_cpus=1, max_retries=0)(score_partition)
        names = [f"part-{i:05d}.parquet" for i in range(len(parts))]
        pending = {task.remote(workspace.settings, version.ref, trusted, source, part, str(temp / name), inputs,
                               keep, int(chunk_rows), list(numeric or [])): name
                   for part, name in zip(parts, names, strict=True)}
        done_rows = 0
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for future in ready:
                pending.pop(future)
                done_rows += task_result(ray, future)
                if progress is not None:
                    progress(done_rows, source.total_rows)
        if output_dir.exists():
            output_dir.rmdir()  # empty, checked above
        os.replace(temp, output_dir)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    finally:
        if started_ray:
            ray.shutdown()
    seconds = time.perf_counter() - started
    probabilities = (version.output_schema or {}).get("probabilities", {}).get("columns") or []
    names_out = [*keep, "prediction"] + [f"proba_{c}" for c in probabilities]
    return ScoringResult(model=version.ref, engine="ray", input=str(source.path), output=str(output_dir),
                         format="parquet", rows=done_rows, chunks=len(parts), columns=names_out,
                         files=[str(output_dir / n) for n in names], seconds=seconds,
                         rows_per_second=done_rows / seconds if seconds else 0.0)




__all__ = ["partitions", "score_partition", "score_with_ray"]
