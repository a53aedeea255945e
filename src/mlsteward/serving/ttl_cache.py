"""What the service reads from the store on a request path (routes, rollout state, token identities), held for
a short time so that a change made elsewhere takes effect within it.

When a value expires, the first caller re-reads it while concurrent callers keep the value they had: a busy
service makes one read per key and period, not one per request waiting at that moment (32 concurrent clients
made 32 identical reads). A failed read drops the value, so the next caller reads again and errors reach
callers as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class TTLCache(Generic[V]):
    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._values: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        """The value of ``key``, read with ``load`` when missing or older than ``ttl_s``."""
        now = time.monotonic()
        with self._lock:
            held = self._values.get(key)
            if held is not None:
                if now - held[0] < self.ttl_s:
                    return held[1]
                self._values[key] = (now, held[1])  # this caller re-reads; the others keep this one meanwhile
        try:
            value = load()
        except BaseException:
            with self._lock:
                self._values.pop(key, None)
            raise
        with self._lock:
            if len(self._values) >= self.max_entries and key not in self._values:
                self._values.clear()
            self._values[key] = (time.monotonic(), value)
        return value

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._values.pop(key, None)


__all__ = ["TTLCache"]
