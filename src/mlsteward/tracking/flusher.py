"""One background thread per process that flushes every open run's buffer at a fixed interval."""

from __future__ import annotations

import os
import threading
import weakref

DEFAULT_INTERVAL_S = 1.0


def flush_interval() -> float:
    """Seconds between background flushes: ``STEWARD_FLUSH_INTERVAL`` or 1.0."""
    try:
        return max(0.05, float(os.environ.get("STEWARD_FLUSH_INTERVAL", DEFAULT_INTERVAL_S)))
    except ValueError:
        return DEFAULT_INTERVAL_S


class Flusher:
    def __init__(self) -> None:
        self._runs: weakref.WeakSet = weakref.WeakSet()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, run) -> None:  # noqa: ANN001 - tracking.run.Run
        with self._lock:
            self._runs.add(run)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="steward-flusher", daemon=True)
                self._thread.start()

    def forget(self, run) -> None:  # noqa: ANN001
        with self._lock:
            self._runs.discard(run)

    def open_runs(self) -> list:
        with self._lock:
            return list(self._runs)

    def _loop(self) -> None:
        while True:
            self._wake.wait(flush_interval())
            self._wake.clear()
            for run in self.open_runs():
                run._flush_in_background()


_flusher = Flusher()


def get_flusher() -> Flusher:
    return _flusher


def _reset_after_fork() -> None:
    global _flusher
    _flusher = Flusher()


os.register_at_fork(after_in_child=_reset_after_fork)
