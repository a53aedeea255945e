"""Where a recorded piece of evidence is shown on the dashboard."""

from __future__ import annotations

from urllib.parse import quote

from mlsteward.lifecycle.evidence_lookup import EvidenceLink

READABLE = {".html": "text/html; charset=utf-8", ".md": "text/plain; charset=utf-8", ".json": "application/json",
            ".yaml": "text/plain; charset=utf-8", ".yml": "text/plain; charset=utf-8",
            ".txt": "text/plain; charset=utf-8", ".csv": "text/plain; charset=utf-8"}


def evidence_href(link: EvidenceLink | None) -> str | None:
    """The dashboard page of a gate's or deliverable's evidence (None when it has none)."""
    if link is None:
        return None
    file = getattr(link, "file", None)
    if link.digest and file and _suffix(file) in READABLE:
        return artifact_href(link.digest, file)
    pages = {"run": "/ui/runs/", "run_artifact": "/ui/runs/", "dataset": "/ui/data/", "dataset_version": "/ui/data/",
             "dataset_evidence": "/ui/data/", "model_version": "/ui/models/", "evaluation": "/ui/evaluations/",
             "feature_set": "/ui/features#", "feature_set_leakage_log": "/ui/features#",
             "deployment": "/ui/deployments#", "monitor_run": "/ui/monitoring/runs/", "prediction_log": "/ui/monitoring#"}
    if link.kind in pages:
        return pages[link.kind] + quote(link.ref.split(":", 1)[0], safe="@")
    return "/ui/governance"


def artifact_href(digest: str, file: str) -> str:
    return f"/ui/artifacts/{quote(digest, safe=':')}/{quote(file)}"


def _suffix(file: str) -> str:
    return "." + file.rsplit(".", 1)[-1].lower() if "." in file else ""


def media_type(file: str) -> str | None:
    """The content type an artifact named ``file`` is shown with; None for what the dashboard never serves
    (data, models, pipelines)."""
    return READABLE.get(_suffix(file))


__all__ = ["artifact_href", "evidence_href", "media_type"]
