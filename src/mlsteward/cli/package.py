"""``steward package NAME VERSION``: a self-contained bundle serving one model version (see
``mlsteward.lifecycle.packaging``)."""

from __future__ import annotations

from pathlib import Path

import typer

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json


def package(
    name: str = typer.Argument(..., help="The registered model, e.g. churn."),
    version: str = typer.Argument(..., help="Its version number (or an alias such as champion)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="The folder to write the bundle into (new or "
                                                                     "empty); default ./NAME-VERSION-bundle."),
    force: bool = typer.Option(False, "--force", help="Replace the content of a non-empty folder."),
    json_: bool = JSON,
) -> None:
    """Write a self-contained bundle of a model version: the model and feature pipeline (skops, hash-verified),
    bundle.json (schemas, digests, the training environment), requirements.lock (the versions recorded at
    training), Steward's code as a wheel, serve.py (POST /predict, GET /healthz; it checks the installed
    library versions against the training record at start) and a Dockerfile. Recorded as a run tagged
    kind=package."""
    from mlsteward.lifecycle.packaging import package_model

    workspace = open_workspace()
    folder = output if output is not None else Path(f"{name}-{version}-bundle")
    result = package_model(workspace, project_spec(workspace), f"{name}@{version}", folder, force=force)
    if json_:
        print_json(result)
        return
    size = sum(f.bytes for f in result.files) / 1e6
    console.print(f"Wrote the bundle of {result.model} to {result.folder}: {len(result.files)} files, {size:.1f} MB, "
                  f"Python {result.python}, {len(result.requirements)} pinned requirements "
                  f"(run {result.run_id[:8]}, {result.seconds:.1f}s).", highlight=False)
    if result.not_installed:
        console.print("Recorded at training, not needed to serve (not in the lock): "
                      + ", ".join(f"{n} {v}" for n, v in result.not_installed.items()), highlight=False)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    console.print(f"Run it: cd {result.folder} && docker build -t {name} . && docker run -p 8080:8080 {name}\n"
                  "   or: pip install -r requirements.lock && pip install --no-deps wheels/*.whl && python serve.py",
                  highlight=False)


__all__ = ["package"]
