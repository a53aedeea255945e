"""``RedisOnlineStore``: the online store on a shared Redis server.

Keys, under ``<prefix>:fv:<view>``:

* ``:g<n>`` — generation n, a hash: canonical entity key -> orjson blob of ``{feature: value}``;
* ``:ptr`` — the current generation's number; ``:next`` — the generation counter (INCR);
* ``:meta`` — a hash: generation, entity, features (JSON), rows, written_at;
* and ``<prefix>:views`` — the set of view names.

``write`` takes a fresh generation number, fills its hash in pipelined batches (the hash carries
an expiry while it is being written, so a writer that dies leaves nothing behind for long), then
one Lua script persists it, flips the pointer, updates the meta and unlinks the old generation —
atomically. Any failure before the flip deletes the new hash; the old generation is served all
along. Lookups are one Lua call (pointer + HGET in one round trip, one consistent generation).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from itertools import islice
from typing import Any

import orjson
import pandas as pd

from mlsteward.errors import Conflict, InvalidInput, NotFound, StoreUnavailable
from mlsteward.featurestore._values import encoded_rows
from mlsteward.featurestore.online import OnlineStore
from mlsteward.featurestore.views import FeatureView, entity_key

try:
    import redis
except ImportError:  # pragma: no cover - the [redis] extra
    redis = None

BATCH_FIELDS = 2_000  # fields per HSET
BATCH_COMMANDS = 10  # HSETs per pipeline round trip
STAGING_EXPIRY_S = 3_600  # a generation being written vanishes this long after its last batch

# KEYS[1] pointer; ARGV[1] generation key prefix, ARGV[2] entity
_GET = """
local g = redis.call('GET', KEYS[1])
if not g then return {0} end
return {1, redis.call('HGET', ARGV[1] .. g, ARGV[2])}
"""
# KEYS[1] pointer; ARGV[1] generation key prefix, ARGV[2..] entities
_GET_MANY = """
local g = redis.call('GET', KEYS[1])
if not g then return {0} end
local key = ARGV[1] .. g
local out = {1}
for i = 2, #ARGV do out[i] = redis.call('HGET', key, ARGV[i]) end
return out
"""
# KEYS pointers of the views; ARGV[1] entity, ARGV[1 + i] generation key prefix of view i
_GET_VIEWS = """
local out = {}
for i = 1, #KEYS do
  local g = redis.call('GET', KEYS[i])
  if g then
    out[2 * i - 1] = 1
    out[2 * i] = redis.call('HGET', ARGV[i + 1] .. g, ARGV[1])
  else
    out[2 * i - 1] = 0
    out[2 * i] = false
  end
end
return out
"""
# KEYS: pointer, meta, views set, new generation; ARGV: generation, generation key prefix, view,
# entity, features JSON, rows, written_at. Refuses to go back to an older generation.
_FLIP = """
local old = redis.call('GET', KEYS[1])
if old and tonumber(old) > tonumber(ARGV[1]) then
  redis.call('UNLINK', KEYS[4])
  return -1
end
redis.call('PERSIST', KEYS[4])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'generation', ARGV[1], 'entity', ARGV[4], 'features', ARGV[5], 'rows', ARGV[6],
           'written_at', ARGV[7])
redis.call('SADD', KEYS[3], ARGV[3])
if old and old ~= ARGV[1] then redis.call('UNLINK', ARGV[2] .. old) end
return old and tonumber(old) or 0
"""


class RedisOnlineStore(OnlineStore):
    """An online store on the Redis server at ``url``, its keys under ``prefix``."""

    def __init__(self, url: str = "redis://127.0.0.1:6379/0", prefix: str = "steward") -> None:
        if redis is None:
            raise StoreUnavailable("RedisOnlineStore needs the redis package: pip install 'mlsteward[redis]'.")
        if not prefix or any(c in prefix for c in " \t\r\n"):
            raise InvalidInput(f"the Redis key prefix must be non-empty text without spaces; got {prefix!r}.")
        self.url, self.prefix = url, prefix
        try:
            self._client = redis.Redis.from_url(url)
            self._client.ping()
        except redis.RedisError as exc:
            raise StoreUnavailable(f"cannot reach Redis at {url}: {exc}. Start the server or fix the URL.") from exc
        self._get = self._client.register_script(_GET)
        self._get_many = self._client.register_script(_GET_MANY)
        self._get_views = self._client.register_script(_GET_VIEWS)
        self._flip = self._client.register_script(_FLIP)

    def _base(self, view_name: str) -> str:
        return f"{self.prefix}:fv:{view_name}"

    def _unknown(self, view_name: str) -> NotFound:
        return NotFound(f"the online store has no view {view_name!r}; materialize it first (views: {self.views()}).")

    # -- reading ------------------------------------------------------------------------------
    def get(self, view_name: str, key: Any) -> dict[str, Any] | None:
        base = self._base(view_name)
        reply = self._call(self._get, [base + ":ptr"], [base + ":g", entity_key(key)])
        if reply[0] == 0:
            raise self._unknown(view_name)
        blob = reply[1] if len(reply) > 1 else None
        return None if blob is None else orjson.loads(blob)

    def get_many(self, view_name: str, keys: Sequence[Any]) -> list[dict[str, Any] | None]:
        base = self._base(view_name)
        texts = [entity_key(k) for k in keys]
        reply = self._call(self._get_many, [base + ":ptr"], [base + ":g", *texts])
        if reply[0] == 0:
            raise self._unknown(view_name)
        blobs = list(reply[1:]) + [None] * (len(texts) - (len(reply) - 1))  # trailing nils are dropped
        return [None if b is None else orjson.loads(b) for b in blobs]

    def get_views(self, view_names: Sequence[str], key: Any) -> list[dict[str, Any] | None]:
        """One entity's values in several views: one script, one round trip, one consistent read."""
        names = list(view_names)
        if not names:
            return []
        bases = [self._base(name) for name in names]
        reply = self._call(self._get_views, [b + ":ptr" for b in bases], [entity_key(key), *(b + ":g" for b in bases)])
        reply = list(reply) + [None] * (2 * len(names) - len(reply))
        out = []
        for i, name in enumerate(names):
            if reply[2 * i] == 0:
                raise self._unknown(name)
            blob = reply[2 * i + 1]
            out.append(None if blob is None else orjson.loads(blob))
        return out

    def _call(self, script: Any, keys: list[str], args: list[str]) -> Any:
        """EVALSHA of a registered script (loaded again if the server forgot it)."""
        try:
            try:
                return self._client.evalsha(script.sha, len(keys), *keys, *args)
            except redis.exceptions.NoScriptError:
                return script(keys=keys, args=args)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"Redis at {self.url} failed: {exc}") from exc

    def views(self) -> list[str]:
        return sorted(v.decode() for v in self._client.smembers(f"{self.prefix}:views"))

    def features(self, view_name: str) -> list[str]:
        raw = self._client.hget(self._base(view_name) + ":meta", "features")
        if raw is None:
            raise self._unknown(view_name)
        return orjson.loads(raw)

    # -- writing ------------------------------------------------------------------------------
    def write(self, view: FeatureView, latest: pd.DataFrame) -> int:
        count, rows = encoded_rows(view, latest)
        base = self._base(view.name)
        generation = int(self._client.incr(base + ":next"))
        staging = f"{base}:g{generation}"
        pointer = base + ":ptr"
        try:
            self._fill(staging, rows)
            flipped = self._flip(
                keys=[pointer, base + ":meta", f"{self.prefix}:views", staging],
                args=[generation, base + ":g", view.name, view.entity, orjson.dumps(view.features),
                      count, datetime.now(UTC).isoformat()],
            )
        except BaseException as exc:
            self._discard(staging, pointer, generation)
            if isinstance(exc, redis.RedisError):
                raise StoreUnavailable(f"writing view {view.name!r} to Redis at {self.url} failed: {exc}") from exc
            raise
        if flipped == -1:
            raise Conflict(
                f"view {view.name!r}: a newer generation was written while this one was being written; "
                "the newer one is kept. Materialize again if this data is the newer."
            )
        return count

    def _discard(self, staging: str, pointer: str, generation: int) -> None:
        """Delete a generation that did not become current (best effort: its expiry is the fallback)."""
        try:
            if self._client.get(pointer) != str(generation).encode():
                self._client.unlink(staging)
        except redis.RedisError:
            pass

    def _fill(self, staging: str, rows: Any) -> None:
        """HSET the rows into ``staging`` in pipelined batches, refreshing its expiry each round trip."""
        while True:
            pipe = self._client.pipeline(transaction=False)
            commands = 0
            for _ in range(BATCH_COMMANDS):
                batch = dict(islice(rows, BATCH_FIELDS))
                if not batch:
                    break
                pipe.hset(staging, mapping=batch)
                commands += 1
            if not commands:
                return
            pipe.expire(staging, STAGING_EXPIRY_S)
            pipe.execute()

    def close(self) -> None:
        self._client.close()


__all__ = ["RedisOnlineStore"]
