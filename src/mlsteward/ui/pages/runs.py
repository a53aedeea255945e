"""Runs: the tracked runs with filter and sort, one run, and runs compared side by side."""

from __future__ import annotations

from collections import Counter

from mlsteward.errors import FilterSyntaxError, InvalidInput
from mlsteward.store.runs import RunRecord
from mlsteward.ui.charts import grouped_bars, lines
from mlsteward.ui.links import artifact_href, media_type
from mlsteward.ui.view import Page, View

LIMIT = 500
METRIC_COLUMNS = 6  # the most common metrics get a column of their own


def runs(view: View) -> Page:
    query, experiment = view.arg("filter", "") or "", view.arg("experiment") or None
    error = None
    try:
        found = view.store.runs.search(query or None, experiment=experiment, limit=LIMIT)
    except FilterSyntaxError as exc:
        found, error = [], str(exc)
    counts = Counter(key for run in found for key in run.metrics)
    metric_keys = sorted(key for key, _ in counts.most_common(METRIC_COLUMNS))
    experiments = sorted({run.experiment for run in view.store.runs.search(limit=LIMIT)})
    return Page("runs.html", "Runs", {"runs": found, "metric_keys": metric_keys, "filter": query, "error": error,
                                      "experiment": experiment or "", "experiments": experiments, "limit": LIMIT})


def run(view: View, run: str) -> Page:
    record = view.store.runs.get(run)
    children = view.store.runs.search(f"parent_id = '{record.id}'", limit=LIMIT) if not record.parent_id else []
    charts = _history_charts(view, [record])
    artifacts = [(a, artifact_href(a.digest, a.path.rsplit("/", 1)[-1]) if media_type(a.path) else None)
                 for a in record.artifacts]
    return Page("run.html", f"Run {record.name}", {"run": record, "children": children, "charts": charts,
                                                    "artifacts": artifacts})


def compare(view: View) -> Page:
    ids = view.args("id")
    if len(ids) < 2:
        raise InvalidInput("choose two or more runs to compare (tick them on the Runs page)")
    chosen = view.store.runs.get_many(ids)
    params = _table(chosen, "params")
    metrics = _table(chosen, "metrics")
    charts = _history_charts(view, chosen)
    summary = None
    if metrics:
        keys = [key for key, _, _ in metrics]
        summary = grouped_bars(keys, {_label(r): [r.metrics.get(k) for k in keys] for r in chosen}, y_title="value")
    return Page("compare.html", f"Comparing {len(chosen)} runs", {"runs": chosen, "params": params,
                                                                  "metrics": metrics, "charts": charts,
                                                                  "summary": summary})


def _label(record: RunRecord) -> str:
    return f"{record.name} ({record.id[:8]})"


def _table(chosen: list[RunRecord], attribute: str) -> list[tuple[str, list, bool]]:
    """(key, the value of each run, whether they differ), for every key any of the runs has."""
    keys = sorted({k for r in chosen for k in getattr(r, attribute)})
    rows = []
    for key in keys:
        values = [getattr(r, attribute).get(key) for r in chosen]
        rows.append((key, values, len({repr(v) for v in values}) > 1))
    return rows


def _history_charts(view: View, chosen: list[RunRecord]) -> list[tuple[str, dict]]:
    """One line chart per metric logged at more than one step by any of the runs (its history)."""
    charts = []
    for key in sorted({k for r in chosen for k in r.metrics}):
        histories = {_label(r): view.store.runs.metric_history(r.id, key) for r in chosen if key in r.metrics}
        if max(len(points) for points in histories.values()) < 2:
            continue
        series = {label: ([p.step for p in points], [p.value for p in points]) for label, points in histories.items()}
        charts.append((key, lines(series, x_title="step", y_title=key, height=280)))
    return charts
