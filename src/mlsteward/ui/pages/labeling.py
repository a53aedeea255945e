"""Labeling pages: the projects, one project's progress and quality audit, and the page an annotator labels
on: one item at a time, the guideline beside it, keyboard shortcuts for the labels, skip and unclear."""

from __future__ import annotations

from collections import Counter

from mlsteward.errors import InvalidInput, NotFound, NotPermitted
from mlsteward.lifecycle.label_quality import label_quality
from mlsteward.lifecycle.labeling import answer, check_adjudicator, check_annotator, item_content
from mlsteward.store._sql import now_ms
from mlsteward.store.labeling import NewAnnotation
from mlsteward.ui.render import markdown_html
from mlsteward.ui.view import Page, View
from mlsteward.workspace import Workspace

MAX_SECONDS = 600.0  # time on an item counts up to ten minutes: an abandoned tab is not labeling time
SHORTCUT_KEYS = "123456789"


def projects(view: View) -> Page:
    store = view.store.labeling
    rows = []
    for project in store.list():
        items = store.items(project.name)
        labeled = Counter(a.item for a in store.annotations(project.name) if a.outcome == "label")
        done = sum(1 for i in items if labeled[i.key] >= project.annotators_per_item)
        rows.append({"project": project, "items": len(items), "done": done})
    return Page("labeling.html", "Labeling", {"rows": rows})


def project(view: View, name: str, outcome: dict | None = None) -> Page:
    record = view.store.labeling.get(name)
    quality = label_quality(view.workspace, view.spec, name)
    role = view.spec.labeling.annotator_role if view.spec else "annotator"
    return Page("label_project.html", f"Labeling: {name}", {
        "p": record, "q": quality, "may_label": role in view.roles, "annotator_role": role,
        "may_adjudicate": _may_adjudicate(view), "outcome": outcome,
        "guideline": markdown_html(view.store.labeling.guideline(name).text)})


def _may_adjudicate(view: View) -> bool:
    if view.user is None:
        return False
    try:
        check_adjudicator(view.spec, view.user)
    except NotPermitted:
        return False
    return True


def adjudicate_from_form(view: View, name: str, form: dict[str, list[str]]) -> str:
    """Settle a conflict from the project page, as the signed-in adjudicator; returns what was decided."""
    check_adjudicator(view.spec, view.user)
    item, label = (form.get("item") or [""])[0], (form.get("label") or [""])[0]
    decision = view.workspace.acting_as(view.user).store.labeling.adjudicate(name, item, label, "from the dashboard")
    return f"item {decision.item} is {decision.label} (decided by {decision.decided_by})"


def annotate(view: View, name: str, outcome: dict | None = None) -> Page:
    """The next item for the signed-in annotator (``check_annotator`` has been called by the route)."""
    store = view.store.labeling
    record = store.get(name)
    user = check_annotator(view.spec, view.user)
    item = store.next_item(name, user) if record.status == "open" else None
    mine = [a for a in store.annotations(name) if a.annotator == user]
    labels = record.label_schema.labels
    return Page("label_item.html", f"Labeling: {name}", {
        "p": record, "item": item, "content": item_content(view.workspace, record, item.key) if item else None,
        "labels": list(zip(SHORTCUT_KEYS, labels, strict=False)) + [(None, label) for label in labels[9:]],
        "guideline": markdown_html(store.guideline(name).text), "shown_at": now_ms(), "outcome": outcome,
        "mine": Counter(a.outcome for a in mine), "mine_total": len(mine)})


def answer_from_form(view: View, name: str, form: dict[str, list[str]]) -> str:
    """Record the annotator's answer posted by the labeling page; returns what to tell them."""
    user = check_annotator(view.spec, view.user)

    def field(key: str) -> str:
        return (form.get(key) or [""])[0].strip()

    outcome = field("outcome") or "label"
    if outcome not in ("label", "skip", "unclear"):
        raise InvalidInput(f"unknown answer {outcome!r}: label, skip or unclear")
    try:
        shown_at = int(field("shown_at"))
    except ValueError:
        shown_at = None
    seconds = None if shown_at is None else min(max((now_ms() - shown_at) / 1000, 0.0), MAX_SECONDS)
    annotation = NewAnnotation(item=field("item"), annotator=user, outcome=outcome,
                               label=field("label") if outcome == "label" else None, note=field("note"),
                               seconds=seconds)
    answer(view.workspace, view.spec, name, annotation)
    said = annotation.label if outcome == "label" else {"skip": "skipped", "unclear": "flagged as unclear"}[outcome]
    return f"item {annotation.item}: {said}"




def item_file(workspace: Workspace, name: str, item_id: int) -> tuple[bytes, str]:
    """The image file of item ``item_id`` of a folder project (images only, hash-verified)."""
    project = workspace.store.labeling.get(name)
    if project.kind != "files":
        raise NotFound(f"{name} labels no files")
    item = workspace.store.labeling.item(name, item_id=item_id)
    content = item_content(workspace, project, item.key)
    if not (content.media_type or "").startswith("image/") or content.digest is None:
        raise InvalidInput(f"{item.key} is not an image the labeling page shows")
    return workspace.artifacts.get_bytes(content.digest), content.media_type


__all__ = ["adjudicate_from_form", "annotate", "answer_from_form", "item_file", "project", "projects"]
