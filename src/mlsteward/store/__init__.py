"""The system of record: SQLite by default, PostgreSQL at scale (see ``Store``)."""

from mlsteward.store.store import Store, WriteTx, store_revision, upgrade_store

__all__ = ["Store", "WriteTx", "store_revision", "upgrade_store"]
