"""The deployment stage's deliverables, generated from what serving recorded: the API/serving docs (each
endpoint's routes and the request schema of the version it serves), the deployment pipeline definition (the
rollout each endpoint went through and the gates a change must pass), the observability spec (the
service's metrics, the prediction and feedback logs, the monitors' alert rules and where alerts go), and the
security & compliance checklist (the newest `steward scan`: SBOM, licences, vulnerability audit)."""

from __future__ import annotations

from mlsteward.lifecycle.deliverable_sources import Sources
from mlsteward.lifecycle.deliverables import DeliverableEvidence, Found, finder
from mlsteward.lifecycle.evidence_lookup import latest_security_scan
from mlsteward.store.deployments import EndpointRecord

NOTHING_DEPLOYED = "nothing deployed yet: `steward deploy MODEL --version V` (then `steward serve`)"
METRICS = ("steward_prediction_requests", "steward_prediction_errors", "steward_prediction_latency_seconds",
           "steward_prediction_rows", "steward_prediction_batch_rows", "steward_models_loaded")


def _endpoints(src: Sources) -> list[EndpointRecord]:
    return src.store.deployments.endpoints(src.project)


def _endpoint_evidence(record: EndpointRecord, command: str) -> DeliverableEvidence:
    return DeliverableEvidence(kind="deployment", ref=record.model, command=command, at_ms=record.updated_at_ms,
                               by=record.updated_by, in_pack=False)


@finder("serving_docs")
def _serving_docs(src: Sources) -> Found:
    endpoints = _endpoints(src)
    if not endpoints:
        return Found("missing", NOTHING_DEPLOYED)
    parts = []
    for record in endpoints:
        live = src.store.models.get(record.model, str(record.state["live"]))
        columns = [c["name"] for c in live.input_schema.get("columns", [])]
        parts.append(f"{live.ref}: POST /v1/models/{record.model}/predict and /v2/models/{record.model}/infer, "
                     f"{len(columns)} input column(s) ({', '.join(columns[:8])}{', …' if len(columns) > 8 else ''})")
    return Found("present", "; ".join(parts) + ". The OpenAPI document is at /openapi.json of `steward serve`, "
                            "Swagger UI at /docs", [_endpoint_evidence(r, f"steward models show {r.model}")
                                                    for r in endpoints])


@finder("deployment_pipeline")
def _deployment_pipeline(src: Sources) -> Found:
    endpoints = _endpoints(src)
    if not endpoints:
        return Found("missing", NOTHING_DEPLOYED)
    roles = src.spec.governance.promoter_roles or src.spec.charter.roles
    parts = []
    for record in endpoints:
        history = src.store.deployments.history(record.model)[::-1]  # oldest first
        steps = " → ".join(f"{h.action} v{h.version}" if h.version else h.action for h in history[-8:])
        previous = record.state.get("previous")
        parts.append(f"{record.model}: {steps} (rollback target: {f'v{previous}' if previous else 'none yet'})")
    rules = (f"a live deploy needs a version the promotion gate let into production; canary and shadow take any "
             f"registered version; only {', '.join(roles) or 'a stakeholder'} may deploy or roll back")
    return Found("present", "; ".join(parts) + f". {rules}",
                 [_endpoint_evidence(r, f"steward deployments history {r.model}") for r in endpoints])


@finder("observability_spec")
def _observability_spec(src: Sources) -> Found:
    endpoints = _endpoints(src)
    if not endpoints:
        return Found("missing", NOTHING_DEPLOYED)
    segments = {kind: src.store.predictions.segments(kind) for kind in ("predictions", "feedback")}
    monitors = src.spec.monitoring.monitors
    logged = ", ".join(f"{sum(s.rows for s in found):,} {kind} rows in {len(found)} segment(s)"
                       for kind, found in segments.items())
    alerting = src.spec.monitoring.alerting
    where = "the log " + alerting.log + (f" and the webhook {alerting.webhook}" if alerting.webhook else "")
    note = (f"Prometheus /metrics ({', '.join(METRICS)}, per model version); {logged}; "
            f"{len(monitors)} monitor(s) with {sum(len(m.alerts) for m in monitors)} alert rule(s) to {where}")
    if not monitors:
        return Found("stale", note + ": add monitoring.monitors to steward.yaml so the logs are watched")
    if not segments["predictions"]:
        return Found("stale", note + ": nothing served has been logged yet (`steward serve` logs by default)")
    newest = max(segments["predictions"], key=lambda s: s.created_at_ms)
    return Found("present", note, [
        DeliverableEvidence(kind="prediction_log", ref=newest.id, command="steward monitor runs",
                            at_ms=newest.created_at_ms, in_pack=False),
        DeliverableEvidence(kind="steward_yaml", ref="monitoring", command="steward validate", in_pack=False)])


@finder("security_checklist")
def _security_checklist(src: Sources) -> Found:
    scan = latest_security_scan(src.workspace, src.project)
    if scan is None:
        return Found("missing", "no dependency and licence review: `steward scan` (with --advisories OSV.json where "
                                "no advisory service is reachable)")
    audited = (f"{scan.vulnerabilities} known vulnerability(ies)" if scan.audit_status == "audited"
               else "NOT audited for vulnerabilities (no advisory database)")
    note = (f"scan {scan.run_id[:8]}: {scan.packages} packages in the SBOM, {scan.licences_flagged} disallowed "
            f"licence(s), {audited}; {'passed' if scan.passed else 'not passed'}")
    evidence = [DeliverableEvidence(kind="run", ref=scan.run_id, digest=digest, file=file, command="steward scan",
                                    at_ms=scan.at_ms) for digest, file in ((scan.report_digest, "security-scan.html"),
                                                                            (scan.sbom_digest, "sbom.cdx.json"))
                if digest]
    newer = [v.ref for v in src.store.models.versions(project=src.project) if v.created_at_ms > scan.at_ms]
    if newer:
        return Found("stale", f"{note}; model version(s) {', '.join(newer)} registered since: scan again", evidence)
    return Found("present", note, evidence)
