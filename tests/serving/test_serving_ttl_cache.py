"""The request path's short-lived caches: one re-read per expiry however many requests wait at that moment, a
failed read dropping the value, and the prediction log's rows built as pandas' own conversion builds them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest

from mlsteward.serving.host import SinkItem, sink_rows
from mlsteward.serving.ttl_cache import TTLCache


def test_an_expired_value_is_read_once_while_the_others_keep_theirs() -> None:
    cache: TTLCache[int] = TTLCache(ttl_s=0.05)
    reads = []

    def load() -> int:
        reads.append(1)
        time.sleep(0.1)  # a slow store read
        return len(reads)

    assert cache.get("k", load) == 1
    time.sleep(0.06)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(cache.get("k", load))) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(reads) == 2  # one re-read, not sixteen
    assert sorted(set(seen)) == [1, 2]  # the re-reader got the new value, the others the one they had


def test_a_failed_read_drops_the_value() -> None:
    cache: TTLCache[str] = TTLCache(ttl_s=0.01)
    assert cache.get("k", lambda: "old") == "old"
    time.sleep(0.02)

    def fail() -> str:
        raise ConnectionError("store down")

    with pytest.raises(ConnectionError):
        cache.get("k", fail)
    assert cache.get("k", lambda: "new") == "new"  # read again at once
    cache.forget("k")
    assert cache.get("k", lambda: "newer") == "newer"


class _Version:
    name, version = "m", 3


def test_logged_inputs_match_pandas_conversion() -> None:
    frame = pd.DataFrame({"x": [1.5, np.nan], "n": pd.array([1, None], dtype="Int64"),
                          "s": pd.array(["a", None], dtype="string"), "t": pd.to_datetime(["2024-01-02", None]),
                          "o": ["p", None]})
    expected = frame.astype(object).where(frame.notna(), None).to_dict("records")  # what the log wrote before
    rows = sink_rows(SinkItem(prediction=_stub(frame), request_id="r", time_ms=1, latency_ms=2.0))
    assert [r["inputs"] for r in rows] == expected
    assert rows[0]["outputs"] == {"prediction": 1, "probabilities": {"no": 0.25, "yes": 0.75}}


def _stub(frame: pd.DataFrame):  # noqa: ANN202 - a Prediction-shaped record
    from types import SimpleNamespace

    return SimpleNamespace(frame=frame, version=_Version(), predictions=[1, 0], classes=["no", "yes"],
                           probabilities=[[0.25, 0.75], [0.5, 0.5]])
