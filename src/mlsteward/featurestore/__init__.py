"""The feature store: feature views, point-in-time correct training sets, online lookups.

``historical_features`` joins label events with feature views as of each event's time (never a
value from the future); ``materialize`` writes each entity's latest values to an online store
(SQLite by default, Redis for a shared server) where one entity's features are a lookup away.
"""

from importlib import import_module

_LAZY = {
    "FeatureView": "mlsteward.featurestore.views",
    "entity_key": "mlsteward.featurestore.views",
    "historical_features": "mlsteward.featurestore.offline",
    "OnlineStore": "mlsteward.featurestore.online",
    "latest_per_entity": "mlsteward.featurestore.online",
    "materialize": "mlsteward.featurestore.online",
    "online_features": "mlsteward.featurestore.online",
    "SqliteOnlineStore": "mlsteward.featurestore.online_sqlite",
    "RedisOnlineStore": "mlsteward.featurestore.online_redis",
}


def __getattr__(name: str):  # noqa: ANN202 - loaded on first use: steward.yaml reads views.py alone
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlsteward.featurestore' has no attribute {name!r}")


__all__ = [
    "FeatureView",
    "OnlineStore",
    "RedisOnlineStore",
    "SqliteOnlineStore",
    "entity_key",
    "historical_features",
    "latest_per_entity",
    "materialize",
    "online_features",
]
