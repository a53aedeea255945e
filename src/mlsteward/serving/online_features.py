"""Features a model reads that the request does not send, fetched from the online store by entity id.

The project's steward.yaml names its feature views (``features.views``: an entity key column and the
features it holds) and its online store (``features.online_store``, written by ``steward features
materialize``). When a model's input schema needs a view's feature and the request leaves it out but carries
the view's entity key (e.g. ``occ10``), the service reads each row's value from the online store before the
rows are checked and scored, so callers send ids, not feature values. A value the request sends itself wins;
an entity the store does not hold gives a missing value (the pipeline imputes it where training saw missing
values, else the 422 names the column). Without a steward.yaml, views or such a model, nothing is fetched.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mlsteward.workspace import Workspace

if TYPE_CHECKING:
    from mlsteward.featurestore.online import OnlineStore

log = logging.getLogger("mlsteward.serving")


class OnlineFeatures:
    """Fills a request's columns from the online store (see the module docstring); one per server."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._lock = threading.Lock()
        self._loaded = False
        self._views: list = []  # FeatureView
        self._store: OnlineStore | None = None  # opened on first need

    def fill(self, columns: dict[str, list], input_schema: Mapping[str, Any]) -> dict[str, list]:
        """``columns`` with every missing feature the schema reads and a view provides, by the rows' entity ids."""
        needed = [c["name"] for c in input_schema.get("columns", []) if c["name"] not in columns]
        if not needed:
            return columns
        views = self._plans(needed, columns)
        if not views:
            return columns
        filled = dict(columns)
        for view, features in views:
            ids = columns[view.entity]
            keyed = [i for i, key in enumerate(ids) if key is not None]  # a row without an id gets missing values
            found = dict(zip(keyed, self._online().get_many(view.name, [ids[i] for i in keyed]), strict=True))
            for feature in features:
                filled[feature] = [None if found.get(i) is None else found[i].get(feature) for i in range(len(ids))]
        return filled

    def close(self) -> None:
        if self._store is not None:
            self._store.close()

    def _plans(self, needed: Sequence[str], columns: Mapping[str, list]) -> list[tuple[Any, list[str]]]:
        """(view, the needed features it holds) for each view whose entity key the request carries."""
        self._load()
        plans = []
        for view in self._views:
            features = [f for f in view.features if f in needed]
            if features and view.entity in columns:
                plans.append((view, features))
        return plans

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            self._loaded = True
            path = self.workspace.settings.spec_path
            if path is None:
                return
            from mlsteward.spec import load_spec

            self._spec = load_spec(path)
            self._views = list(self._spec.features.views)

    def _online(self) -> OnlineStore:
        with self._lock:
            if self._store is None:
                from mlsteward.lifecycle.feature_store import open_online_store

                self._store = open_online_store(self.workspace, self._spec.features.online_store)
                log.info("reading view features from the online store %s", self._spec.features.online_store.kind)
            return self._store


__all__ = ["OnlineFeatures"]
