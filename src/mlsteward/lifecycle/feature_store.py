"""The feature store of a project: the views of steward.yaml over registered datasets, point-in-time
training sets registered as dataset versions with lineage, materialisation to the online store, and
the serving path (online values + request fields → the fitted feature set)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.features.feature_set import FeatureSet
from mlsteward.featurestore import FeatureView, historical_features, latest_per_entity
from mlsteward.featurestore.online import OnlineStore
from mlsteward.lifecycle.datasets import add_dataset, load_dataset
from mlsteward.spec import Spec
from mlsteward.spec_features import OnlineStoreConfig
from mlsteward.store.datasets import DatasetVersion
from mlsteward.workspace import Workspace


class Materialized(BaseModel):
    view: str
    source: str
    entities: int
    store: str
    as_of: str | None


def open_online_store(workspace: Workspace, config: OnlineStoreConfig) -> OnlineStore:
    """The online store steward.yaml names: SQLite (a file beside steward.yaml) or Redis."""
    if config.kind == "redis":
        from mlsteward.featurestore.online_redis import RedisOnlineStore

        return RedisOnlineStore(config.url, prefix=config.prefix)
    from mlsteward.featurestore.online_sqlite import SqliteOnlineStore

    path = Path(config.path)
    path = path if path.is_absolute() else workspace.settings.project_root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteOnlineStore(path)


def view_named(spec: Spec, name: str) -> FeatureView:
    for view in spec.features.views:
        if view.name == name:
            return view
    known = ", ".join(v.name for v in spec.features.views) or "none"
    raise NotFound(f"no feature view {name!r} in steward.yaml (views: {known}): add it under features.views")


def view_frame(workspace: Workspace, view: FeatureView) -> tuple[pd.DataFrame, str]:
    """The rows of a view's source dataset version, and that version's reference."""
    if not view.source:
        raise InvalidInput(f"feature view {view.name!r} has no source: set features.views[].source to a dataset "
                           "NAME or NAME@VERSION (register the data with `steward data add`)")
    version = workspace.store.datasets.get(view.source)
    return load_dataset(workspace, version.ref), version.ref


def materialize_views(workspace: Workspace, spec: Spec, names: Sequence[str] | None = None, *,
                      as_of: Any = None) -> list[Materialized]:
    """Write each view's latest values per entity to the online store; each view all or nothing.

    Every view is read and checked before the first is written, so bad input in one view leaves the
    online store as it was.
    """
    views = [view_named(spec, n) for n in names] if names else list(spec.features.views)
    if not views:
        raise InvalidInput("steward.yaml defines no feature views: add them under features.views")
    prepared = []
    for view in views:
        frame, ref = view_frame(workspace, view)
        prepared.append((view, ref, latest_per_entity(frame, view, as_of=as_of)))
    store = open_online_store(workspace, spec.features.online_store)
    done = []
    try:
        for view, ref, latest in prepared:
            count = store.write(view, latest)
            done.append(Materialized(view=view.name, source=ref, entities=count, store=spec.features.online_store.kind,
                                     as_of=None if as_of is None else str(as_of)))
    finally:
        store.close()
    with workspace.store.write() as tx:
        tx.audit.append("features.materialized", "project", spec.project, store=spec.features.online_store.kind,
                        views={m.view: {"source": m.source, "entities": m.entities} for m in done})
    return done


def training_set(workspace: Workspace, spec: Spec, labels: str, views: Sequence[str], *, timestamp: str,
                 name: str | None = None) -> tuple[DatasetVersion, bool, list[str]]:
    """Join label events with views as of each event's time; register the result with its lineage.

    Label rows whose entity key is missing are kept, with the view's features missing (noted).
    Returns (version, created, notes).
    """
    chosen = [view_named(spec, v) for v in views]
    label_version = workspace.store.datasets.get(labels)
    frame = load_dataset(workspace, label_version.ref)
    pairs, sources, notes = [], [], []
    for view in chosen:
        view_rows, ref = view_frame(workspace, view)
        pairs.append((view, view_rows))
        sources.append(ref)
    joined = _join_keeping_missing_keys(frame, pairs, timestamp, notes)
    how = (f"point-in-time join of {label_version.ref} (at {timestamp}) with "
           + ", ".join(f"view {v.name} over {s}" + (f" (ttl {v.ttl_days:g} days)" if v.ttl_days else "")
                       for v, s in zip(chosen, sources, strict=True)))
    version, created = add_dataset(workspace, joined, name=name or f"{label_version.name}-training",
                                   parents=[label_version.ref, *sources], transformation=how)
    return version, created, notes


def serve_features(feature_set: FeatureSet, store: OnlineStore, request: Mapping[str, Any],
                   views: Sequence[FeatureView]) -> pd.DataFrame:
    """The serving path: each view's online values for the request's entity, merged with the request's
    own fields, through the same fitted pipeline as training (one row)."""
    row = dict(request)
    for view, values in zip(views, store.get_views([v.name for v in views], _entity(request, views)), strict=True):
        if view.entity not in request:
            raise InvalidInput(f"the request lacks {view.entity!r}, the entity key of view {view.name!r}")
        for feature in view.features:
            row[feature] = None if values is None else values.get(feature)
    return feature_set.transform(pd.DataFrame([row]))


def batch_features(workspace: Workspace, spec: Spec, feature_set: FeatureSet, source: str | Path,
                   destination: str | Path, *, views: Sequence[str] = (), timestamp: str | None = None,
                   batch_rows: int = 100_000) -> int:
    """The batch-scoring path: a Parquet file's rows, joined with ``views`` as of each row's ``timestamp``,
    through the fitted pipeline batch by batch into a Parquet file (written under a temporary name and
    renamed when complete). Returns the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if views and timestamp is None:
        raise InvalidInput("joining views needs the rows' timestamp column: pass --timestamp")
    pairs = [(view_named(spec, v), view_frame(workspace, view_named(spec, v))[0]) for v in views]
    destination = Path(destination)
    partial = destination.with_name(f".{destination.name}.partial")
    rows, writer = 0, None
    try:
        for batch in pq.ParquetFile(source).iter_batches(batch_size=batch_rows):
            rows_in = batch.to_pandas()
            if pairs:
                rows_in = _join_keeping_missing_keys(rows_in, pairs, timestamp, [])
            table = pa.Table.from_pandas(feature_set.transform(rows_in), preserve_index=False)
            writer = writer or pq.ParquetWriter(partial, table.schema)
            writer.write_table(table.cast(writer.schema))  # one schema, whatever a batch's values
            rows += table.num_rows
        if writer is None:
            raise InvalidInput(f"{source} has no rows to compute features for")
        writer.close()
        partial.replace(destination)
    except BaseException:
        if writer is not None:
            writer.close()
        partial.unlink(missing_ok=True)
        raise
    return rows


def _entity(request: Mapping[str, Any], views: Sequence[FeatureView]) -> Any:
    entities = {v.entity for v in views}
    if len(entities) != 1:
        raise InvalidInput(f"serve_features reads views of one entity; got {sorted(entities)}: call it per entity")
    entity = next(iter(entities))
    if entity not in request or request[entity] is None:
        raise InvalidInput(f"the request lacks {entity!r}, the entity key of the views")
    return request[entity]


def _join_keeping_missing_keys(frame: pd.DataFrame, pairs: list, timestamp: str, notes: list[str]) -> pd.DataFrame:
    keyed = pd.Series(True, index=frame.index)
    for view, _ in pairs:
        if view.entity in frame.columns:
            keyed &= frame[view.entity].notna()
    if keyed.all():
        return historical_features(frame, pairs, timestamp=timestamp)
    notes.append(f"{int((~keyed).sum()):,} label rows have no entity key: their view features are missing")
    joined = historical_features(frame[keyed], pairs, timestamp=timestamp)
    return pd.concat([joined, frame[~keyed]]).loc[frame.index]
