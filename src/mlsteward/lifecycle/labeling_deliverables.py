"""The label quality audit as a deliverable of the data stage: the audit stored with each labeling project's
newest label version (agreement, gold accuracy, conflicts, confused labels and the guideline sections)."""

from __future__ import annotations

from mlsteward.lifecycle.deliverable_sources import Sources
from mlsteward.lifecycle.deliverables import DeliverableEvidence, Found, finder


@finder("label_audit")
def _label_audit(src: Sources) -> Found:
    projects = [p for p in src.store.labeling.list() if p.project == src.project]
    if not projects:
        return Found("missing", "no labeling project: only a project that labels its data needs one "
                                "(`steward label create`)")
    audits = {}  # labeling project -> (its newest label version, the audit evidence)
    for version in src.store.datasets.list():  # the latest version of every dataset, oldest name first
        evidence = src.evidence(version.ref).get("label_quality")
        if evidence is not None:
            audits[evidence.summary.get("project")] = (version, evidence)
    links, waiting = [], []
    for project in projects:
        if project.name not in audits:
            waiting.append(project.name)
            continue
        version, evidence = audits[project.name]
        links.append(DeliverableEvidence(kind="dataset_evidence", ref=f"{version.ref}:label_quality",
                                         digest=evidence.digest, file=f"{version.ref}-label-audit.json",
                                         command=f"steward label quality {project.name}",
                                         at_ms=evidence.created_at_ms, by=evidence.created_by))
    if waiting:
        return Found("stale" if links else "missing", f"no label version of {', '.join(waiting)} yet: "
                     f"`steward label finish {waiting[0]} --checkpoint` writes one with its audit", links or None)
    return Found("present", "label quality audits of " + ", ".join(link.ref.split(":")[0] for link in links), links)
