"""The built-in finders of the deliverables registry: one per kind of evidence, registered with ``finder``
(the rules are in ``mlsteward.lifecycle.deliverables``)."""

from __future__ import annotations

import json
from collections.abc import Callable

from mlsteward.errors import NotFound
from mlsteward.lifecycle.deliverable_sources import Sources, artifact_digest
from mlsteward.lifecycle.deliverables import DeliverableEvidence, Found, finder
from mlsteward.store.evaluations import EvaluationRecord
from mlsteward.store.evidence import Evidence
from mlsteward.store.governance import CharterVersion
from mlsteward.store.runs import RunRecord

_NOT_RECORDED = "the charter has not been recorded yet: `steward status` records steward.yaml's charter"


def _charter_link(version: CharterVersion) -> DeliverableEvidence:
    return DeliverableEvidence(kind="charter_version", ref=f"{version.project}@{version.version}",
                               command=f"steward charter show {version.version}", at_ms=version.created_at_ms,
                               by=version.created_by)


def _charter_part(src: Sources, keys: set[str] | None, what: str) -> Found:
    """Present / stale from the recorded charter versions: ``keys`` are the parts this deliverable covers."""
    if src.charter_changes is None:
        return Found("missing", _NOT_RECORDED)
    latest = src.charter_versions[-1]
    changed = [k for k in src.charter_changes if keys is None or k in keys]
    if changed:
        return Found("stale", f"steward.yaml changed {', '.join(changed)} since charter version {latest.version}: "
                              f"`steward status` records the new {what}", [_charter_link(latest)])
    return Found("present", f"charter version {latest.version}", [_charter_link(latest)])


@finder("project_charter")
def _project_charter(src: Sources) -> Found:
    return _charter_part(src, None, "charter")


@finder("kpi_sheet")
def _kpi_sheet(src: Sources) -> Found:
    kpis = src.spec.charter.kpis
    count = len(kpis.business) + len(kpis.product) + len(kpis.ml)
    if not count and src.spec.charter.baseline is None:
        return Found("missing", "the charter has no KPI and no baseline: add them under charter.kpis and "
                                "charter.baseline in steward.yaml")
    found = _charter_part(src, {"kpis", "baseline"}, "KPIs and baseline")
    if found.status == "present":
        found.note = (f"{count} KPI(s), baseline {'recorded' if src.spec.charter.baseline else 'not given'}; "
                      + found.note)
    return found


@finder("risk_register")
def _risk_register(src: Sources) -> Found:
    if not src.spec.charter.risks:
        return Found("missing", "the charter lists no risks: add them under charter.risks in steward.yaml")
    found = _charter_part(src, {"risks"}, "risks")
    if found.status == "missing":
        return found
    register = src.risk_register
    links = (found.evidence or []) + [DeliverableEvidence(
        kind="risk_register", ref=f"{len(register.risks)} risks", command="steward risks list")]
    escalated = [r.id for r in register.escalated]
    if escalated and found.status == "present":
        return Found("stale", f"review overdue for {', '.join(escalated)}: their owners record what they did with "
                              "`steward risks act RISK --action ...`", links)
    found.evidence = links
    if found.status == "present":
        found.note = f"{len(register.risks)} risk(s), none overdue; " + found.note
    return found


# governance logs ----------------------------------------------------------------------------------


@finder("decision_log")
def _decision_log(src: Sources) -> Found:
    decisions = src.store.governance.list_decisions(src.project)
    if not decisions:
        return Found("missing", "no decision recorded: `steward decisions add` records one")
    newest = decisions[0]
    return Found("present", f"{len(decisions)} decision(s); latest: {newest.title}", [DeliverableEvidence(
        kind="decision_log", ref=f"{len(decisions)} decisions", command="steward decisions list",
        at_ms=newest.created_at_ms, by=newest.decided_by)])


@finder("change_log")
def _change_log(src: Sources) -> Found:
    changes = src.store.governance.list_changes(src.project)
    if not changes:
        return Found("missing", "no change recorded: Steward writes the change log when a model version is "
                                "registered, promoted or rolled back (`steward models register`)")
    newest = changes[0]
    return Found("present", f"{len(changes)} change(s); latest: {newest.summary}", [DeliverableEvidence(
        kind="change_log", ref=f"{len(changes)} changes", command="steward changelog",
        at_ms=newest.created_at_ms, by=newest.created_by)])


# feasibility --------------------------------------------------------------------------------------


@finder("feasibility_report")
def _feasibility_report(src: Sources) -> Found:
    study = src.feasibility
    if study is None:
        return Found("missing", "no feasibility study: `steward feasibility NAME@VERSION` runs one")
    links = [DeliverableEvidence(kind="run_artifact", ref=f"{study.run_id}/{path}", digest=digest, file=path,
                                 command=f"steward runs show {study.run_id[:8]}", at_ms=study.at_ms)
             for path, digest in (("feasibility-report.html", study.report_digest),
                                  ("feasibility.json", study.result_digest)) if digest]
    return Found("present", f"{study.decision or '?'} on {study.dataset or '?'} ({study.metric or '?'}, run "
                            f"{study.run_id[:8]})", links)


def _run_artifact(run: RunRecord, path: str, command: str) -> DeliverableEvidence:
    return DeliverableEvidence(kind="run_artifact", ref=f"{run.id}/{path}", digest=artifact_digest(run, path),
                               file=path, command=command, at_ms=run.end_time_ms or run.start_time_ms,
                               by=run.created_by)


# datasets -----------------------------------------------------------------------------------------


@finder("data_availability")
def _data_availability(src: Sources) -> Found:
    if not src.datasets:
        return Found("missing", "no dataset registered: `steward data add PATH --name NAME` registers one")
    links = [DeliverableEvidence(kind="dataset_version", ref=v.ref, digest=v.digest, file=f"{v.ref}.{v.format}",
                                 in_pack=False, command=f"steward data show {v.ref}", at_ms=v.created_at_ms,
                                 by=v.created_by) for v in src.datasets]
    rows = ", ".join(f"{v.ref} ({v.rows:,} {'files' if v.kind == 'folder' else 'rows'})" for v in src.datasets)
    return Found("present", f"{len(src.datasets)} dataset(s): {rows}", links)


Accept = Callable[[Sources, Evidence], bool]
_FILES = {"profile": "profile.json", "quality": "quality.json", "pii": "pii.json", "leakage": "leakage.json",
          "contract": "contract.yaml", "report": "data-report.html"}


def _by_dataset(src: Sources, kind: str, what: str, command: str, accept: Accept = lambda s, e: True) -> Found:
    """The dataset rule (module docstring): evidence ``kind`` on the latest version of every dataset that
    has it on some version. ``command`` is formatted with ``ref``."""
    links, stale, present = [], [], []
    for latest in src.datasets:
        for version in src.versions(latest.name):
            evidence = src.evidence(version.ref).get(kind)
            if evidence is None or not accept(src, evidence):
                continue
            links.append(DeliverableEvidence(
                kind="dataset_evidence", ref=f"{version.ref}:{kind}", digest=evidence.digest,
                file=f"{version.ref}-{_FILES.get(kind, kind)}", command=command.format(ref=version.ref),
                at_ms=evidence.created_at_ms, by=evidence.created_by))
            (present if version.version == latest.version else stale).append((version.ref, latest.ref))
            break
    if not links:
        return Found("missing", f"no {what} recorded: `steward data assess NAME@VERSION` (or `steward data add`) "
                                "records one")
    if stale:
        newer = "; ".join(f"{latest} has none (latest with one: {ref})" for ref, latest in stale)
        return Found("stale", f"a newer dataset version has no {what}: {newer}; `steward data assess "
                              f"{stale[0][1]}` records it", links)
    return Found("present", f"{what} of {', '.join(ref for ref, _ in present)}", links)


def _quality_met(src: Sources, evidence: Evidence) -> bool:
    return evidence.passed is not False


def _has_target(src: Sources, evidence: Evidence) -> bool:
    return src.artifact_json(evidence.digest).get("target") is not None


@finder("clean_dataset")
def _clean_dataset(src: Sources) -> Found:
    found = _by_dataset(src, "quality", "passed quality check", "steward data show {ref}", _quality_met)
    if found.status == "missing":
        failed = [v.ref for v in src.datasets if (e := src.evidence(v.ref).get("quality")) and e.passed is False]
        if failed:
            found.note = (f"quality SLAs failed on {', '.join(failed)} (steward.yaml data.quality): fix the data and "
                          "register a new version with `steward data add`")
    return found


@finder("eda_report")
def _eda_report(src: Sources) -> Found:
    return _by_dataset(src, "report", "EDA report", "steward data report {ref}")


@finder("imbalance_summary")
def _imbalance_summary(src: Sources) -> Found:
    found = _by_dataset(src, "profile", "target profile", "steward data report {ref}", _has_target)
    if found.status == "missing":
        found.note = ("no profiled dataset version has a target: set data.target in steward.yaml and "
                      "`steward data assess NAME@VERSION`")
        return found
    notes = []
    for link in found.evidence or []:
        target = src.artifact_json(link.digest).get("target") or {}
        if target.get("imbalance_ratio") is not None:
            notes.append(f"{link.ref.split(':')[0]}: {target['name']} {target.get('imbalance') or 'imbalance'} "
                         f"(majority/minority {target['imbalance_ratio']:.2f})")
        else:
            notes.append(f"{link.ref.split(':')[0]}: {target.get('name')} ({target.get('kind')})")
    if found.status == "present":
        found.note = "; ".join(notes)
    return found


@finder("leakage_log")
def _leakage_log(src: Sources) -> Found:
    found = _by_dataset(src, "leakage", "leakage screening", "steward data show {ref}")
    if found.status == "present":
        flagged = [f"{link.ref.split(':')[0]}: {', '.join(sorted(evidence.summary))}" for link in found.evidence or []
                   if (evidence := src.evidence(link.ref.split(":")[0]).get("leakage")) and evidence.summary]
        found.note += f" (flagged columns {'; '.join(flagged)})" if flagged else " (no column flagged)"
    record = src.feature_set
    log = record.summary.get("leakage_log") if record else None
    if log:
        flagged = sorted(k for k, v in (record.summary.get("leakage") or {}).items() if v != "clear")
        found.evidence = (found.evidence or []) + [DeliverableEvidence(
            kind="feature_set_leakage_log", ref=record.ref, digest=log, file=f"{record.ref}-feature-leakage.json",
            command="steward features list", at_ms=record.created_at_ms, by=record.created_by)]
        features = f"engineered features of {record.ref}: " + (f"flagged {', '.join(flagged)}" if flagged else "clear")
        if found.status == "missing":
            return Found("present", features, found.evidence)
        found.note += f"; {features}"
    return found


# features -----------------------------------------------------------------------------------------


def _normalised(value: object) -> object:
    return json.loads(json.dumps(value, sort_keys=True, default=str))


def _feature_set_found(src: Sources, command: str) -> Found:
    record = src.feature_set
    if record is None:
        return Found("missing", f"no feature set {src.feature_set_name!r} fitted: `steward features fit --dataset "
                                "NAME@VERSION` fits one")
    link = DeliverableEvidence(kind="feature_set", ref=record.ref, digest=record.digest, file=f"{record.ref}.skops",
                               in_pack=False, command=command.format(ref=record.ref), at_ms=record.created_at_ms,
                               by=record.created_by)
    declared = _normalised([d.model_dump(exclude_defaults=True) for d in src.spec.features.definitions])
    if declared != _normalised(record.definitions):
        return Found("stale", f"steward.yaml's feature definitions changed since {record.ref} was fitted: "
                              f"`steward features fit --dataset {record.dataset}` refits them", [link])
    return Found("present", f"{record.ref}: {len(record.definitions)} feature(s) fitted on {record.dataset}", [link])


@finder("feature_documentation")
def _feature_documentation(src: Sources) -> Found:
    return _feature_set_found(src, "steward features show {ref}")


@finder("data_dictionary")
def _data_dictionary(src: Sources) -> Found:
    return _feature_set_found(src, "steward features dictionary {ref}")


@finder("feature_catalog")
def _feature_catalog(src: Sources) -> Found:
    declared = [d.name for d in src.spec.features.definitions]
    if not declared:
        return Found("missing", "steward.yaml defines no features: add them under features.definitions")
    record = src.feature_set
    if record is None:
        return Found("missing", f"none of the {len(declared)} feature(s) of steward.yaml is fitted: `steward "
                                "features fit --dataset NAME@VERSION`")
    fitted = {d.get("name"): _normalised(d) for d in record.definitions}
    unfitted = [d.name for d in src.spec.features.definitions
                if fitted.get(d.name) != _normalised(d.model_dump(exclude_defaults=True))]
    link = DeliverableEvidence(kind="feature_set", ref=record.ref, command="steward features list",
                               at_ms=record.created_at_ms, by=record.created_by)
    if unfitted:
        return Found("stale", f"not in {record.ref} as defined in steward.yaml: {', '.join(unfitted)}; `steward "
                              f"features fit --dataset {record.dataset}` refits them", [link])
    views = len(src.spec.features.views)
    return Found("present", f"{len(declared)} feature(s) in {record.ref}" + (f", {views} view(s)" if views else ""),
                 [link])


# training -----------------------------------------------------------------------------------------


def _training_found(src: Sources, describe: Callable[[dict], str]) -> Found:
    run = src.training_run
    if run is None:
        return Found("missing", "no finished training: `steward train --train NAME@V --validation NAME@V` trains "
                                "the candidates")
    link = _run_artifact(run, "training-result.json", f"steward runs show {run.id[:8]}")
    if link.digest is None:
        link = DeliverableEvidence(kind="run", ref=run.id, command=f"steward runs show {run.id[:8]}",
                                   at_ms=run.end_time_ms or run.start_time_ms, by=run.created_by)
    newer = _newer_inputs(src, run)
    if newer:
        return Found("stale", f"training run {run.id[:8]} is older than its inputs: {'; '.join(newer)}; train again "
                              "with `steward train`", [link])
    return Found("present", describe(src.training_result or {}), [link])


def _newer_inputs(src: Sources, run: RunRecord) -> list[str]:
    """The training split or feature set of ``run`` that has a newer version."""
    found = []
    train = run.params.get("train")
    if train and "@" in train:
        name, _, version = train.partition("@")
        latest = src.latest_version_number(name)
        if latest is not None and version.isdigit() and latest > int(version):
            found.append(f"{name}@{latest} is newer than the training split {train}")
    feature_set = run.params.get("feature_set")
    if feature_set and "@" in feature_set:
        name, _, version = feature_set.partition("@")
        try:
            latest = src.store.feature_sets.get(name).version
        except NotFound:
            latest = None
        if latest is not None and version.isdigit() and latest > int(version):
            found.append(f"feature set {name}@{latest} is newer than {feature_set}")
    return found


@finder("experimentation_logs")
def _experimentation_logs(src: Sources) -> Found:
    def describe(result: dict) -> str:
        trials = sum(c.get("trials", 0) for c in result.get("candidates", []))
        return (f"training run {src.training_run.id[:8]}: {len(result.get('baselines', []))} baseline(s), "
                f"{len(result.get('candidates', []))} candidate(s), {trials} tuning trial(s), each a tracked run")
    return _training_found(src, describe)


@finder("baseline_vs_candidate")
def _baseline_vs_candidate(src: Sources) -> Found:
    def describe(result: dict) -> str:
        metric = result.get("metric", "?")
        best = next((c for c in result.get("candidates", []) if c.get("name") == result.get("best")), None)
        baselines = ", ".join(f"{b['name']} {b['value']:.4g}" for b in result.get("baselines", []))
        if best is None:
            return f"{metric}: baselines {baselines}"
        return f"{metric}: best {best['name']} {best['value']:.4g} ({best['uplift']:+.4g}) vs baselines {baselines}"
    return _training_found(src, describe)


@finder("efficiency_profile")
def _efficiency_profile(src: Sources) -> Found:
    def describe(result: dict) -> str:
        candidates = result.get("candidates", [])
        over = sorted({f"{c['name']}: {b['name']}" for c in candidates for b in c.get("budgets", [])
                       if not b.get("passed")})
        budgets = f"over budget: {', '.join(over)}" if over else "every charter budget met"
        return f"{len(candidates)} candidate(s) profiled (fit and predict time, memory, size); {budgets}"
    return _training_found(src, describe)


# evaluation ---------------------------------------------------------------------------------------


def _evaluation_found(src: Sources, file: str | None, digest_of: Callable[[EvaluationRecord], str],
                      command: str) -> Found:
    evaluation = src.evaluation
    if evaluation is None:
        return Found("missing", "no evaluation: `steward evaluate best --data NAME@VERSION` evaluates the best "
                                "model on the test split")
    link = DeliverableEvidence(kind="evaluation", ref=evaluation.id, digest=digest_of(evaluation), file=file,
                               command=command.format(id=evaluation.id[:8]), at_ms=evaluation.created_at_ms,
                               by=evaluation.created_by)
    describes = f"evaluation {evaluation.id[:8]} of model run {evaluation.model_run_id[:8]} on {evaluation.dataset}"
    newer = _newer_models(src, evaluation)
    if newer:
        return Found("stale", f"{describes}, but {newer}: evaluate it with `steward evaluate`", [link])
    return Found("present", f"{describes}: {evaluation.metric} {_number(evaluation.value)}, promotion gate: "
                            f"{evaluation.gate}", [link])


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _newer_models(src: Sources, evaluation: EvaluationRecord) -> str | None:
    """What makes the evaluation describe an old model: a newer training, or a later model version of
    another run."""
    training = src.training_run
    try:
        model_run = src.store.runs.get(evaluation.model_run_id)
    except NotFound:
        model_run = None
    if training is not None and model_run is not None and training.id != model_run.parent_id \
            and training.start_time_ms > model_run.start_time_ms:
        return f"training run {training.id[:8]} is newer than the evaluated model's"
    later = [v for v in src.store.models.versions(project=src.project)
             if v.created_at_ms > evaluation.created_at_ms and v.run_id != evaluation.model_run_id]
    if later:
        return f"model version {later[0].ref} (another run) was registered after it"
    return None


@finder("performance_report")
def _performance_report(src: Sources) -> Found:
    return _evaluation_found(src, "performance-report.html", lambda e: e.report_digest, "steward evaluations show {id}")


@finder("model_card")
def _model_card(src: Sources) -> Found:
    return _evaluation_found(src, "model-card.md", lambda e: e.card_digest, "steward evaluations show {id} --card")


_CHECK_RAN = ("pass", "fail", "warn", "info")


def _check_found(src: Sources, check: str, what: str) -> Found:
    found = _evaluation_found(src, "evaluation.json", lambda e: e.results_digest, "steward evaluations show {id}")
    if found.status == "missing":
        return found
    status = src.evaluation.checks.get(check)
    if status not in _CHECK_RAN:
        state = "did not run" if status is None else status
        return Found("missing", f"the {what} check ({check}) {state} in evaluation {src.evaluation.id[:8]}: "
                                f"`steward evaluate best --data NAME@VERSION --check {check}`", found.evidence)
    found.note = f"{check} check: {status}; " + found.note
    return found


@finder("explainability_bundle")
def _explainability_bundle(src: Sources) -> Found:
    return _check_found(src, "explain", "explainability")


@finder("failure_modes")
def _failure_modes(src: Sources) -> Found:
    return _check_found(src, "failure_modes", "failure modes")
