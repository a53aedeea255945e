"""API tokens: a random secret shown once, kept only as its sha256; a request's token names its user."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

import sqlalchemy as sa
from pydantic import BaseModel

from mlsteward.errors import InvalidInput, NotFound
from mlsteward.store._sql import now_ms
from mlsteward.store.schema import api_tokens

if TYPE_CHECKING:
    from mlsteward.store.store import Store, WriteTx

PREFIX = "stw_"


class TokenRecord(BaseModel):
    id: str
    user: str
    name: str
    created_by: str
    created_at_ms: int
    revoked_at_ms: int | None = None
    scope: str | None = None  # NAME or NAME@VERSION: the only model the token may call


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    def create(self, user: str, name: str = "", scope: str | None = None) -> tuple[str, TokenRecord]:
        """A new token for ``user``: returns the secret (shown once, never stored) and its record. ``scope``
        (NAME or NAME@VERSION) limits it to that model."""
        if not user.strip():
            raise InvalidInput("a token needs the user it acts as, e.g. --user dana.whitfield@example.com")
        if scope is not None:
            self._store.models.resolve(scope)  # an unknown model or version fails here
        token_id = secrets.token_hex(4)
        secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        with self._store.write() as tx:
            tx.conn.execute(api_tokens.insert().values(
                id=token_id, user=user.strip(), name=name, token_hash=token_hash(secret),
                created_by=self._store.actor, created_at_ms=now_ms(), scope=scope))
            tx.audit.append("token.created", "token", token_id, user=user.strip(), name=name, scope=scope)
        return secret, self.get(token_id)

    def identify(self, token: str) -> str | None:
        """The user a presented token acts as; None for an unknown or revoked token."""
        found = self.identify_scoped(token)
        return found[0] if found else None

    def identify_scoped(self, token: str) -> tuple[str, str | None] | None:
        """(user, scope) of a presented token; None for an unknown or revoked token."""
        t = api_tokens.c
        with self._store.read() as conn:
            row = conn.execute(sa.select(t.user, t.scope, t.revoked_at_ms)
                               .where(t.token_hash == token_hash(token))).first()
        return (row.user, row.scope) if row is not None and row.revoked_at_ms is None else None

    def revoke(self, token_id: str) -> TokenRecord:
        with self._store.write() as tx:
            done = tx.conn.execute(api_tokens.update().where(api_tokens.c.id == token_id,
                                                             api_tokens.c.revoked_at_ms.is_(None))
                                   .values(revoked_at_ms=now_ms())).rowcount
            if not done:
                self.get(token_id, conn=tx.conn)  # NotFound when unknown
                raise InvalidInput(f"token {token_id} is already revoked")
            tx.audit.append("token.revoked", "token", token_id)
        return self.get(token_id)

    def get(self, token_id: str, *, conn: sa.Connection | None = None) -> TokenRecord:
        if conn is None:
            with self._store.read() as own:
                return self.get(token_id, conn=own)
        row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
        if row is None:
            raise NotFound(f"no token {token_id!r}: `steward tokens list` shows them")
        return TokenRecord.model_validate(row._asdict())

    def list(self) -> list[TokenRecord]:
        with self._store.read() as conn:
            rows = conn.execute(sa.select(api_tokens).order_by(api_tokens.c.created_at_ms))
            return [TokenRecord.model_validate(r._asdict()) for r in rows]


def revoke_scoped(tx: WriteTx, scope: str, reason: str) -> list[str]:
    """Revoke, inside ``tx``, every live token scoped to exactly ``scope``; returns their ids."""
    t = api_tokens.c
    ids = list(tx.conn.scalars(sa.select(t.id).where(t.scope == scope, t.revoked_at_ms.is_(None))))
    if ids:
        tx.conn.execute(api_tokens.update().where(t.id.in_(ids)).values(revoked_at_ms=now_ms()))
        for token_id in ids:
            tx.audit.append("token.revoked", "token", token_id, reason=reason)
    return ids


__all__ = ["TokenRecord", "TokenStore", "revoke_scoped", "token_hash"]
