"""Models: registered models and their versions; one version with its lineage, evaluations, model card and
promotion history (gate decisions, sign-offs, waivers, status changes); one evaluation."""

from __future__ import annotations

from mlsteward.store.evaluations import EvaluationRecord
from mlsteward.store.models import ModelVersion
from mlsteward.ui.links import artifact_href
from mlsteward.ui.render import markdown_html
from mlsteward.ui.view import Page, View


def models(view: View) -> Page:
    registered = view.store.models.models(project=view.project)
    versions = {m.name: view.store.models.versions(m.name) for m in registered}
    metrics = {name: headline_metrics(found) for name, found in versions.items()}
    return Page("models.html", "Models", {"registered": registered, "versions": versions, "metrics": metrics})


def headline_metrics(versions: list[ModelVersion], most: int = 4) -> list[str]:
    """The metrics worth a column: quality metrics before the efficiency profile's."""
    keys = sorted({k for v in versions for k in v.metrics}, key=lambda k: (k.startswith("efficiency_"), k))
    return keys[:most]


def model_version(view: View, ref: str) -> Page:
    version = view.store.models.resolve(ref)
    store = view.store
    evaluations = [_evaluation_links(e) for e in store.evaluations.list(model_run_id=version.run_id)]
    card = None
    if evaluations:
        card = markdown_html(view.workspace.artifacts.get_bytes(evaluations[0]["record"].card_digest).decode())
    subject = version.subject
    history = {"gates": store.models.gate_history(subject), "signoffs": store.signoffs.signoffs(subject),
               "waivers": store.signoffs.waivers(subject),
               "changes": store.governance.list_changes(subject=version.ref) or
               store.governance.list_changes(subject=subject)}
    return Page("model.html", f"Model {version.ref}", {"version": version, "evaluations": evaluations, "card": card,
                                                       "history": history, "lineage": _lineage_rows(version)})


def evaluation(view: View, ref: str) -> Page:
    record = view.store.evaluations.get(ref)
    card = markdown_html(view.workspace.artifacts.get_bytes(record.card_digest).decode())
    return Page("evaluation.html", f"Evaluation {record.id[:8]}", {"e": _evaluation_links(record), "card": card})


def _evaluation_links(record: EvaluationRecord) -> dict:
    return {"record": record, "report": artifact_href(record.report_digest, "performance-report.html"),
            "card": artifact_href(record.card_digest, "model-card.md"),
            "results": artifact_href(record.results_digest, "evaluation.json")}


def _lineage_rows(version: ModelVersion) -> list[tuple[str, str, str | None]]:
    """(what, value, link) for each fact of the version's lineage: its runs, datasets, feature set, evaluations."""
    rows: list[tuple[str, str, str | None]] = []
    for key, value in sorted(version.lineage.items()):
        items = value.items() if isinstance(value, dict) else [(None, v) for v in
                                                                (value if isinstance(value, list) else [value])]
        for role, item in items:
            rows.append((f"{key} ({role})" if role else key, str(item), _lineage_link(key, str(item))))
    return rows


def _lineage_link(key: str, value: str) -> str | None:
    if key in ("datasets", "upstream", "dataset") and "@" in value:
        return f"/ui/data/{value}"
    if key == "feature_set" and "@" in value:
        return f"/ui/features#{value}"
    if key in ("run", "training_run") and value not in ("None", ""):
        return f"/ui/runs/{value}"
    if key == "evaluations":
        return f"/ui/evaluations/{value}"
    return None
