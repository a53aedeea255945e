"""The module-level tracking API (``mlsteward.start_run``, ``mlsteward.log_metric``, …).

Each thread has its own stack of active runs; a run started while another is active becomes its
child (nested run). Logging with no active run starts one in the ``default`` experiment, as MLflow
users expect. Runs still open when the interpreter exits are flushed and ended as finished.
"""

from __future__ import annotations

import atexit
import random
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from mlsteward.errors import InvalidInput
from mlsteward.store.datasets import DatasetVersion
from mlsteward.store.runs import ArtifactEntry, RunRecord
from mlsteward.tracking.environment import capture_environment
from mlsteward.tracking.flusher import get_flusher
from mlsteward.tracking.run import Run
from mlsteward.workspace import Workspace, get_workspace

DEFAULT_EXPERIMENT = "default"

_local = threading.local()
_store_urls: dict[str, str | None] = {"store_url": None, "artifacts_url": None}
_workspace: list[Workspace] = []  # resolved when the first run starts, until set_store() is called


def _stack() -> list[Run]:
    if not hasattr(_local, "runs"):
        _local.runs = []
    return _local.runs


def set_store(store_url: str | None = None, artifacts_url: str | None = None) -> None:
    """Point the module-level API at a store (default: resolved from env / steward.yaml / .steward)."""
    _store_urls.update(store_url=store_url, artifacts_url=artifacts_url)
    _workspace.clear()


def _current_workspace() -> Workspace:
    if not _workspace:
        _workspace.append(get_workspace(**_store_urls))
    return _workspace[0]


def start_run(experiment: str = DEFAULT_EXPERIMENT, name: str | None = None, *,
              tags: Mapping[str, object] | None = None, seed: int | None = None,
              parent: Run | str | None = None, nested: bool = True) -> Run:
    """Start a run and make it the active one; use it as a context manager to end it.

    ``seed`` seeds Python's and NumPy's random generators and is recorded. A run started while
    another is active is its child unless ``nested=False``; ``parent`` names one explicitly.
    """
    if not isinstance(experiment, str) or not experiment.strip():
        raise InvalidInput(f"experiment must be a non-empty name; got {experiment!r}")
    if seed is not None:
        _seed_everything(seed)
    stack = _stack()
    if parent is None and nested and stack:
        parent = stack[-1]
    parent_id = parent.id if isinstance(parent, Run) else parent
    workspace = _current_workspace()
    record = workspace.store.runs.create(
        experiment=experiment, name=name, parent_id=parent_id, seed=seed,
        environment=capture_environment(str(workspace.settings.project_root)),
        tags={str(k): str(v) for k, v in (tags or {}).items()})
    run = Run(workspace, record, on_end=[_pop])
    stack.append(run)
    return run


def active_run() -> Run | None:
    stack = _stack()
    return stack[-1] if stack else None


def end_run(status: str = "finished") -> None:
    run = active_run()
    if run is not None:
        run.end(status)


def _current() -> Run:
    return active_run() or start_run()


def log_param(key: str, value: object) -> None:
    _current().log_param(key, value)


def log_params(params: Mapping[str, object]) -> None:
    _current().log_params(params)


def log_metric(key: str, value: float, step: int | None = None, timestamp: int | None = None) -> None:
    _current().log_metric(key, value, step=step, timestamp=timestamp)


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    _current().log_metrics(metrics, step=step)


def set_tag(key: str, value: object) -> None:
    _current().set_tag(key, value)


def set_tags(tags: Mapping[str, object]) -> None:
    _current().set_tags(tags)


def log_batch(metrics: Mapping[str, float] | None = None, params: Mapping[str, object] | None = None,
              tags: Mapping[str, object] | None = None, step: int | None = None) -> None:
    _current().log_batch(metrics=metrics, params=params, tags=tags, step=step)


def log_artifact(path: str | Path, name: str | None = None) -> ArtifactEntry:
    return _current().log_artifact(path, name=name)


def flush() -> None:
    """Commit everything the active run has buffered."""
    run = active_run()
    if run is not None:
        run.flush()


def get_run(run_id: str) -> RunRecord:
    return _current_workspace().store.runs.get(run_id)


def search_runs(filter: str | None = None, *, experiment: str | None = None,  # noqa: A002
                limit: int = 100) -> list[RunRecord]:
    """Runs matching a filter such as ``metrics.roc_auc > 0.8 and params.model = 'lgbm'``."""
    return _current_workspace().store.runs.search(filter, experiment=experiment, limit=limit)


def log_dataset(data: object, name: str, *, owner: str = "", description: str = "",
                parents: list[str] | tuple[str, ...] = (), transformation: str = "", role: str = "input",
                ) -> DatasetVersion:
    """Register a dataset version (a pandas / polars / Arrow frame, or a path to a CSV or Parquet
    file or a folder); identical content returns the existing version. Inside a run, the run
    records that it used the version (with ``role``)."""
    from mlsteward.lifecycle.datasets import add_dataset

    run = active_run()
    if run is not None:
        run.flush()
    version, _ = add_dataset(_current_workspace(), data, name=name, owner=owner, description=description,
                             parents=parents, transformation=transformation,
                             run_id=run.id if run else None, role=role)
    return version


def load_dataset(ref: str, role: str = "input"):  # noqa: ANN201 - pandas.DataFrame
    """The table of ``name``, ``name@latest`` or ``name@3`` as a pandas DataFrame. Inside a run,
    the run records that it used this exact version (with ``role``)."""
    from mlsteward.lifecycle.datasets import load_dataset as load

    run = active_run()
    return load(_current_workspace(), ref, run_id=run.id if run else None, role=role)


def assess_dataset(ref: str, *, target: str | None = None):  # noqa: ANN201 - DataAssessment
    """Profile a dataset version and check its quality SLAs, PII and leakage (steward.yaml's
    ``data:`` section), recorded as evidence of the data stage."""
    from mlsteward.lifecycle.data_stage import assess_dataset as assess
    from mlsteward.spec import load_spec
    from mlsteward.spec_data import DataSpec

    workspace = _current_workspace()
    spec = load_spec(workspace.settings.spec_path) if workspace.settings.spec_path else None
    return assess(workspace, ref, spec.data if spec else DataSpec(), target=target,
                  project=spec.project if spec else None)


def check_data(data: object, against: str):  # noqa: ANN201 - DataCheck
    """Check a CSV / Parquet path or a dataset version against a version's contract and for drift."""
    from mlsteward.lifecycle.data_check import check_against

    return check_against(_current_workspace(), data, against)


def _pop(run: Run) -> None:
    stack = _stack()
    if run in stack:
        stack.remove(run)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed(seed % 2**32)


@atexit.register
def _end_open_runs() -> None:
    for run in get_flusher().open_runs():
        try:
            run.end("finished")
        except Exception as exc:  # the interpreter is exiting: report, do not raise
            print(f"steward: could not end run {run.id}: {exc}", file=sys.stderr)
