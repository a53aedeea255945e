"""``steward score``: a registered model over a CSV or Parquet file (or a folder of Parquet files)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from mlsteward.cli.common import JSON, open_workspace
from mlsteward.cli.output import console, print_json


class Engine(str, Enum):
    local = "local"
    ray = "ray"


MODEL = typer.Argument(..., metavar="MODEL", help="The model version: NAME@VERSION, NAME@ALIAS (e.g. NAME@champion) or NAME (its "
                                  "latest version).")
INPUT = typer.Argument(..., metavar="INPUT", help="A CSV file, a Parquet file or a folder of Parquet files.")
OUTPUT = typer.Argument(..., metavar="OUTPUT", help="Where the scores go: a .parquet or .csv file (--engine ray: a "
                                                    "new folder of Parquet parts).")
ENGINE = typer.Option(Engine.local, "--engine", "-e", case_sensitive=False,
                      help="local: stream the input in chunks in this process; ray: one Ray task per partition of a "
                           "partitioned Parquet input (needs the extra: pip install 'mlsteward\\[ray]').")
CHUNK_ROWS = typer.Option(100_000, "--chunk-rows", min=1, help="Rows scored at a time (memory holds a few chunks).")
KEEP = typer.Option(None, "--keep", "-k", help="An input column to copy to the output, e.g. an id to join the "
                                               "scores on (repeatable).")
TRUSTED = typer.Option(False, "--trusted", help="Load a pickle-format model (runs any code it holds: only for a "
                                                "model from a source you trust).")


def score(
    model: str = MODEL,
    input_path: Path = INPUT,
    output: Path = OUTPUT,
    engine: Engine = ENGINE,
    chunk_rows: int = CHUNK_ROWS,
    keep: list[str] | None = KEEP,
    trusted: bool = TRUSTED,
    json_: bool = JSON,
) -> None:
    """Score every row of INPUT with a registered model version into OUTPUT: the kept columns, `prediction` and
    one `proba_<class>` column per class, in the input's order. The input is checked against the version's
    input schema first; the output appears only when complete."""
    workspace = open_workspace()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("rows"),
                  TimeElapsedColumn(), console=console, transient=True, disable=json_) as bar:
        task = bar.add_task(f"scoring with {model}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        if engine is Engine.ray:
            from mlsteward.serving.batch_ray import score_with_ray

            result = score_with_ray(workspace, model, input_path, output, keep=keep, chunk_rows=chunk_rows,
                                    progress=progress, trusted=trusted)
        else:
            from mlsteward.serving.batch import score_version

            result = score_version(workspace, model, input_path, output, keep=keep, chunk_rows=chunk_rows,
                                   progress=progress, trusted=trusted)
    if json_:
        print_json(result)
        return
    unit = "partitions" if result.engine == "ray" else "chunks"
    console.print(f"scored {result.rows:,} rows with {result.model} in {result.seconds:.1f} s "
                  f"({result.rows_per_second:,.0f} rows/s, {result.chunks} {unit}, engine {result.engine})\n"
                  f"scores: {result.output}  (columns: {', '.join(result.columns)})", highlight=False, soft_wrap=True)
