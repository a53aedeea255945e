"""Labeling in the system of record: projects, guideline versions, items, annotations and adjudications.

Every write validates first and then changes rows in one audited transaction: an import with one bad row
records nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field

from mlsteward.errors import Conflict, InvalidInput, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.schema_labeling import (
    label_adjudications,
    label_annotations,
    label_guidelines,
    label_items,
    label_projects,
)

if TYPE_CHECKING:
    from mlsteward.store.store import Store

Outcome = Literal["label", "skip", "unclear"]
ItemSource = Literal["dataset", "feedback", "monitoring"]


class LabelSchema(BaseModel):
    """The answers an annotator may give: named classes, or a rating scale such as 1-5."""

    kind: Literal["classes", "rating"] = "classes"
    labels: list[str] = Field(min_length=2)


class LabelProject(BaseModel):
    id: int
    name: str
    project: str
    dataset: str
    kind: Literal["table", "text", "files"]
    settings: dict  # id_column, text_column, fields, gold_column, label_column
    label_schema: LabelSchema
    annotators_per_item: int
    gold_share: float
    guideline_version: int
    status: Literal["open", "finished"]
    created_by: str
    created_at_ms: int


class Guideline(BaseModel):
    version: int
    text: str
    created_by: str
    created_at_ms: int


class NewItem(BaseModel):
    key: str
    source: ItemSource = "dataset"
    gold_label: str | None = None
    priority: float | None = None
    payload: dict | None = None


class Item(NewItem):
    id: int
    position: int
    added_at_ms: int


class NewAnnotation(BaseModel):
    item: str  # the item's key
    annotator: str
    outcome: Outcome = "label"
    label: str | None = None
    note: str = ""
    seconds: float | None = Field(None, ge=0)


class AnnotationRecord(NewAnnotation):
    guideline_version: int
    origin: str
    created_at_ms: int


class Adjudication(BaseModel):
    item: str
    label: str
    note: str
    decided_by: str
    decided_at_ms: int


class LabelStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    # -- projects ----------------------------------------------------------------------------------
    def create(self, project: LabelProject, guideline: str, items: list[NewItem]) -> LabelProject:
        """A new labeling project with its first guideline version and its items, in one transaction."""
        _check_items(project.label_schema, items)
        with self._store.write() as tx:
            exists = tx.conn.execute(sa.select(label_projects.c.id).where(label_projects.c.name == project.name))
            if exists.first() is not None:
                raise Conflict(f"a labeling project named {project.name!r} exists: choose another --name, or "
                               f"`steward label show {project.name}`")
            values = project.model_dump(exclude={"id"})
            values["label_schema"] = project.label_schema.model_dump()
            new_id = tx.conn.execute(label_projects.insert().values(**values)).inserted_primary_key[0]
            tx.conn.execute(label_guidelines.insert().values(project_id=new_id, version=1, text=guideline,
                                                             created_by=project.created_by,
                                                             created_at_ms=project.created_at_ms))
            _insert_items(tx.conn, new_id, items, start=0)
            tx.audit.append("labeling.created", "label_project", project.name, dataset=project.dataset,
                            items=len(items), labels=project.label_schema.labels)
        return self.get(project.name)

    def get(self, name: str, *, conn: sa.Connection | None = None) -> LabelProject:
        if conn is None:
            with self._store.read() as own:
                return self.get(name, conn=own)
        row = conn.execute(sa.select(label_projects).where(label_projects.c.name == name)).first()
        if row is None:
            raise NotFound(f"no labeling project {name!r}: `steward label list` shows them, "
                           "`steward label create` makes one")
        return LabelProject.model_validate(row._asdict())

    def list(self) -> list[LabelProject]:
        with self._store.read() as conn:
            rows = conn.execute(sa.select(label_projects).order_by(label_projects.c.id)).all()
        return [LabelProject.model_validate(row._asdict()) for row in rows]

    def set_status(self, name: str, status: Literal["open", "finished"], **details: object) -> LabelProject:
        with self._store.write() as tx:
            project = self.get(name, conn=tx.conn)
            tx.conn.execute(label_projects.update().where(label_projects.c.id == project.id).values(status=status))
            tx.audit.append(f"labeling.{status}", "label_project", name, **details)
        return self.get(name)

    # -- guidelines --------------------------------------------------------------------------------
    def add_guideline(self, name: str, text: str) -> Guideline:
        """A new guideline version; annotations made from now on cite it."""
        if not text.strip():
            raise InvalidInput("the guideline is empty: write it in Markdown, with a '## ' section per label "
                               "and one for edge cases")
        with self._store.write() as tx:
            project = self.get(name, conn=tx.conn)
            version = project.guideline_version + 1
            tx.conn.execute(label_guidelines.insert().values(project_id=project.id, version=version, text=text,
                                                             created_by=self._store.actor, created_at_ms=now_ms()))
            tx.conn.execute(label_projects.update().where(label_projects.c.id == project.id)
                            .values(guideline_version=version))
            tx.audit.append("labeling.guideline", "label_project", name, version=version)
        return self.guideline(name, version)

    def guideline(self, name: str, version: int | None = None) -> Guideline:
        project = self.get(name)
        version = version or project.guideline_version
        g = label_guidelines.c
        with self._store.read() as conn:
            row = conn.execute(sa.select(label_guidelines).where(g.project_id == project.id, g.version == version)).first()
        if row is None:
            raise NotFound(f"{name} has no guideline version {version} (it is at {project.guideline_version})")
        return Guideline.model_validate(row._asdict())

    # -- items -------------------------------------------------------------------------------------
    def add_items(self, name: str, items: list[NewItem]) -> int:
        """Add items (a review queue's); keys already in the project are left as they are. Returns the count added."""
        with self._store.write() as tx:
            project = self.get(name, conn=tx.conn)
            _check_items(project.label_schema, items)
            known = set(tx.conn.scalars(sa.select(label_items.c.key).where(label_items.c.project_id == project.id)))
            start = tx.conn.scalar(sa.select(sa.func.count()).where(label_items.c.project_id == project.id))
            fresh = [item for item in items if item.key not in known]
            _insert_items(tx.conn, project.id, fresh, start=int(start or 0))
            tx.audit.append("labeling.items_added", "label_project", name, items=len(fresh),
                            sources=sorted({item.source for item in fresh}))
        return len(fresh)

    def prioritise(self, name: str, scores: dict[str, float], *, strategy: str) -> int:
        """Set the active-learning priority of items (higher is asked first); other items keep theirs."""
        with self._store.write() as tx:
            project = self.get(name, conn=tx.conn)
            ids = _item_ids(tx.conn, project.id, scores)
            tx.conn.execute(label_items.update().where(label_items.c.id == sa.bindparam("item_id"))
                            .values(priority=sa.bindparam("score")),
                            [{"item_id": ids[key], "score": float(score)} for key, score in scores.items()])
            tx.audit.append("labeling.prioritised", "label_project", name, items=len(scores), strategy=strategy)
        return len(scores)

    def items(self, name: str) -> list[Item]:
        project = self.get(name)
        with self._store.read() as conn:
            rows = conn.execute(sa.select(label_items).where(label_items.c.project_id == project.id)
                                .order_by(label_items.c.position)).all()
        return [Item.model_validate(row._asdict()) for row in rows]

    def item(self, name: str, key: str | None = None, *, item_id: int | None = None) -> Item:
        """One item of the project, by its key or its id."""
        project = self.get(name)
        i = label_items.c
        query = sa.select(label_items).where(i.project_id == project.id,
                                             i.key == key if item_id is None else i.id == item_id)
        with self._store.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"no item {key if item_id is None else item_id!r} in labeling project {name}")
        return Item.model_validate(row._asdict())

    def next_item(self, name: str, annotator: str) -> Item | None:
        """The next item for ``annotator``: one they have not answered that still needs labels, highest
        priority first, then in dataset order (so annotators overlap on the same items)."""
        project = self.get(name)
        i, a = label_items.c, label_annotations.c
        answered = sa.select(a.item_id).where(a.project_id == project.id, a.annotator == annotator)
        labelled = (sa.select(sa.func.count()).where(a.item_id == i.id, a.outcome == "label")
                    .correlate(label_items).scalar_subquery())
        query = (sa.select(label_items).where(i.project_id == project.id, i.id.not_in(answered),
                                              labelled < project.annotators_per_item)
                 .order_by(i.priority.is_(None), i.priority.desc(), i.position).limit(1))
        with self._store.read() as conn:
            row = conn.execute(query).first()
        return Item.model_validate(row._asdict()) if row is not None else None

    # -- annotations -------------------------------------------------------------------------------
    def record(self, name: str, annotations: list[NewAnnotation], *, origin: str) -> int:
        """Record answers (from the UI, the API or an import) after checking every one; all or nothing."""
        with self._store.write() as tx:
            project = self.get(name, conn=tx.conn)
            ids = _item_ids(tx.conn, project.id, [n.item for n in annotations])
            _check_answers(tx.conn, project, annotations, ids)
            now = now_ms()
            tx.conn.execute(label_annotations.insert(), [
                {"project_id": project.id, "item_id": ids[n.item], "annotator": n.annotator, "outcome": n.outcome,
                 "label": n.label if n.outcome == "label" else None, "note": n.note, "seconds": n.seconds,
                 "guideline_version": project.guideline_version, "origin": origin, "created_at_ms": now}
                for n in annotations])
            tx.audit.append("labeling.annotated", "label_project", name, annotations=len(annotations),
                            origin=origin, annotators=sorted({n.annotator for n in annotations}))
        return len(annotations)

    def annotations(self, name: str) -> list[AnnotationRecord]:
        project = self.get(name)
        a = label_annotations.c
        query = (sa.select(label_items.c.key.label("item"), a.annotator, a.outcome, a.label, a.note, a.seconds,
                           a.guideline_version, a.origin, a.created_at_ms)
                 .join(label_items, label_items.c.id == a.item_id)
                 .where(a.project_id == project.id).order_by(a.id))
        with self._store.read() as conn:
            return [AnnotationRecord.model_validate(row._asdict()) for row in conn.execute(query)]

    def adjudicate(self, name: str, item: str, label: str, note: str = "") -> Adjudication:
        """Decide an item's label (a tie, or a conflict an adjudicator settles); replaces an earlier decision."""
        with self._store.write() as tx:
            project = self.get(name, conn=tx.conn)
            if label not in project.label_schema.labels:
                raise InvalidInput(_not_in_schema(label, project, where=f"the decision on {item!r}"))
            item_id = _item_ids(tx.conn, project.id, [item])[item]
            tx.conn.execute(label_adjudications.delete().where(label_adjudications.c.item_id == item_id))
            tx.conn.execute(label_adjudications.insert().values(
                item_id=item_id, project_id=project.id, label=label, note=note, decided_by=self._store.actor,
                decided_at_ms=now_ms()))
            tx.audit.append("labeling.adjudicated", "label_project", name, item=item, label=label)
        return next(a for a in self.adjudications(name) if a.item == item)

    def adjudications(self, name: str) -> list[Adjudication]:
        project = self.get(name)
        d = label_adjudications.c
        query = (sa.select(label_items.c.key.label("item"), d.label, d.note, d.decided_by, d.decided_at_ms)
                 .join(label_items, label_items.c.id == d.item_id).where(d.project_id == project.id))
        with self._store.read() as conn:
            return [Adjudication.model_validate(row._asdict()) for row in conn.execute(query)]


def _insert_items(conn: sa.Connection, project_id: int, items: list[NewItem], *, start: int) -> None:
    if items:
        now = now_ms()
        conn.execute(label_items.insert(), [{**item.model_dump(), "project_id": project_id, "position": start + n,
                                             "added_at_ms": now} for n, item in enumerate(items)])


def _check_items(schema: LabelSchema, items: list[NewItem]) -> None:
    keys: set[str] = set()
    for item in items:
        if item.key in keys:
            raise InvalidInput(f"item id {item.key!r} appears twice: every item needs its own id "
                               "(choose a unique --id-column)")
        keys.add(item.key)
        if item.gold_label is not None and item.gold_label not in schema.labels:
            raise InvalidInput(f"the gold answer {item.gold_label!r} of item {item.key!r} is not one of the labels "
                               f"{schema.labels}: fix the gold column or the label schema")


def _item_ids(conn: sa.Connection, project_id: int, keys: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(keys))
    i = label_items.c
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), 500):
        rows = conn.execute(sa.select(i.key, i.id).where(i.project_id == project_id,
                                                          i.key.in_(wanted[start:start + 500])))
        ids.update({row.key: row.id for row in rows})
    unknown = [key for key in wanted if key not in ids]
    if unknown:
        shown = ", ".join(repr(k) for k in unknown[:5]) + (f" and {len(unknown) - 5} more" if len(unknown) > 5 else "")
        raise InvalidInput(f"{len(unknown)} item id(s) are not in this labeling project: {shown}. Ids must match "
                           "the dataset's id column (`steward label show NAME --items` lists them); nothing was "
                           "recorded")
    return ids


def _check_answers(conn: sa.Connection, project: LabelProject, annotations: list[NewAnnotation],
                   ids: dict[str, int]) -> None:
    if project.status != "open":
        raise Conflict(f"labeling project {project.name} is finished: nothing more can be recorded")
    seen: set[tuple[str, str]] = set()
    for n in annotations:
        if n.outcome == "label" and n.label not in project.label_schema.labels:
            raise InvalidInput(_not_in_schema(n.label, project, where=f"{n.annotator}'s answer on {n.item!r}"))
        if n.outcome != "label" and n.label is not None:
            raise InvalidInput(f"{n.annotator}'s answer on {n.item!r} is '{n.outcome}' and also gives label "
                               f"{n.label!r}: give one or the other")
        if (n.item, n.annotator) in seen:
            raise InvalidInput(f"{n.annotator} labels item {n.item!r} twice in this batch: one answer per "
                               "annotator per item; nothing was recorded")
        seen.add((n.item, n.annotator))
    a = label_annotations.c
    pairs = {(ids[n.item], n.annotator) for n in annotations}
    item_of = {v: k for k, v in ids.items()}
    for start in range(0, len(pairs), 500):
        chunk = sorted(pairs)[start:start + 500]
        rows = conn.execute(sa.select(a.item_id, a.annotator).where(
            a.project_id == project.id, sa.tuple_(a.item_id, a.annotator).in_(chunk))).first()
        if rows is not None:
            raise InvalidInput(f"{rows.annotator} has already labeled item {item_of[rows.item_id]!r}: one answer "
                               "per annotator per item (an adjudicator settles disagreements with "
                               "`steward label adjudicate`); nothing was recorded")


def _not_in_schema(label: str | None, project: LabelProject, *, where: str) -> str:
    return (f"{where} is {label!r}, which is not in the label schema of {project.name}: use one of "
            f"{', '.join(project.label_schema.labels)}")


__all__ = ["Adjudication", "AnnotationRecord", "Guideline", "Item", "LabelProject", "LabelSchema", "LabelStore",
           "NewAnnotation", "NewItem"]
