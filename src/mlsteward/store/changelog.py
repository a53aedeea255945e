"""The change log: written by Steward itself, inside the transaction of the change it describes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlsteward.store._sql import now_ms
from mlsteward.store.schema import change_log

if TYPE_CHECKING:
    from mlsteward.store.store import WriteTx


def append_change(tx: WriteTx, *, project: str, subject: str, kind: str, summary: str, details: dict,
                  actor: str) -> int:
    """One change-log entry (``kind``: registered, promoted, rolled_back, archived, ...); returns its id."""
    result = tx.conn.execute(change_log.insert().values(
        project=project, subject=subject, kind=kind, summary=summary, details=details, created_by=actor,
        created_at_ms=now_ms()))
    return int(result.inserted_primary_key[0])


__all__ = ["append_change"]
