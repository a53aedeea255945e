"""Load testing a prediction endpoint from this process: N concurrent clients for D seconds (or R requests).

``run_load_test`` drives Steward's ``POST /v1/models/{model}/predict`` with rows sampled from the records
given; ``drive_endpoint`` drives any JSON POST endpoint with request bodies given already encoded (the
side-by-side benchmark uses it for MLflow's ``/invocations``, so both servers meet the same client).

The clients are coroutines, each with one kept-alive connection of ``mlsteward.serving.loadtest_client`` (a
lean HTTP/1.1 client: the driver must not take the CPU of the server it measures; httpx for ``https://``). Each
sends a request, waits for its answer, and sends the next: a closed loop, so the throughput measured is what the
server sustains at that concurrency. Latency is the wall time of one request as the client sees it
(connection reuse, JSON decoding of the answer not included). A warm-up phase, not counted, comes first.
Requests still in flight when the time is up are awaited and counted; the duration ends with the last.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

import numpy as np
import orjson
from pydantic import BaseModel, Field

from mlsteward.errors import InvalidInput
from mlsteward.serving.loadtest_client import Connection


class LatencySummary(BaseModel):
    """Request latencies in milliseconds (linear-interpolated percentiles, as ``numpy.percentile``)."""

    p50: float
    p95: float
    p99: float
    max: float
    mean: float


class LoadTestResult(BaseModel):
    """What a load test measured: requests, errors, latency percentiles and throughput."""

    url: str = Field(description="the endpoint driven")
    model: str | None = Field(None, description="the model reference requested (Steward endpoints)")
    clients: int = Field(description="concurrent clients (each one request at a time)")
    rows_per_request: int
    target_seconds: float | None = Field(None, description="how long the test was asked to run")
    target_requests: int | None = Field(None, description="how many requests the test was asked to send")
    warmup_seconds: float
    started_at_ms: int = Field(description="when the measured phase began (epoch ms)")
    duration_s: float = Field(description="measured phase: first request sent to last answer received")
    requests: int = Field(description="requests completed in the measured phase, errors included")
    errors: int
    errors_by_status: dict[str, int] = Field(description="HTTP status (or transport error) -> count")
    latency_ms: LatencySummary | None = Field(description="over the successful requests; None if there were none")
    throughput_rps: float = Field(description="successful requests per second")
    rows_per_second: float
    answered_by: dict[str, int] = Field({}, description="the version that answered (Steward's 'model' field) -> "
                                                        "count, over a sample of the answers")

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def metrics(self) -> dict[str, float]:
        """The numbers to log on a tracked run (scikit-learn naming: latencies and error rate lower is better)."""
        out = {"requests": float(self.requests), "errors": float(self.errors), "error_rate": self.error_rate,
               "throughput_rps": self.throughput_rps, "rows_per_second": self.rows_per_second,
               "duration_s": self.duration_s, "clients": float(self.clients)}
        if self.latency_ms is not None:
            out |= {f"latency_{k}_ms": v for k, v in self.latency_ms.model_dump().items()}
        return out


def summarise_latencies(latencies_s: Sequence[float]) -> LatencySummary | None:
    """Percentiles of latencies given in seconds, reported in milliseconds."""
    if not len(latencies_s):
        return None
    ms = np.asarray(latencies_s, dtype=float) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return LatencySummary(p50=round(float(p50), 3), p95=round(float(p95), 3), p99=round(float(p99), 3),
                          max=round(float(ms.max()), 3), mean=round(float(ms.mean()), 3))


def predict_url(url: str, model: str) -> str:
    """Steward's v1 prediction endpoint of ``model`` on the service at ``url`` (a base URL)."""
    return f"{url.rstrip('/')}/v1/models/{model}/predict"


def request_bodies(records: Sequence[Mapping[str, Any]], rows_per_request: int = 1, *, count: int = 512,
                   seed: int = 0, key: str = "records") -> list[bytes]:
    """``count`` JSON bodies ``{key: [rows_per_request rows]}``, rows drawn at random (seeded) from ``records``,
    encoded once so that the clients spend no time on JSON while the clock runs."""
    if not records:
        raise InvalidInput("no rows to send: the load test needs at least one record")
    if rows_per_request < 1:
        raise InvalidInput(f"rows_per_request must be at least 1. Got {rows_per_request} instead.")
    rng = random.Random(seed)
    rows = list(records)
    return [orjson.dumps({key: rng.choices(rows, k=rows_per_request)}, option=orjson.OPT_SERIALIZE_NUMPY)
            for _ in range(max(1, count))]


def run_load_test(url: str, model: str, records: Sequence[Mapping[str, Any]], *, clients: int = 32,
                  seconds: float | None = 30.0, requests: int | None = None, rows_per_request: int = 1,
                  token: str | None = None, warmup_seconds: float = 1.0, timeout_s: float = 30.0,
                  seed: int = 0) -> LoadTestResult:
    """Drive Steward's prediction endpoint of ``model`` on the service at ``url`` (e.g. ``http://host:8000``)
    with ``clients`` concurrent clients, each sending ``rows_per_request`` rows drawn from ``records`` per
    request, for ``seconds`` (or until ``requests`` requests are done, whichever is first)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    result = drive_endpoint(predict_url(url, model), request_bodies(records, rows_per_request, seed=seed),
                            clients=clients, seconds=seconds, requests=requests, headers=headers,
                            warmup_seconds=warmup_seconds, timeout_s=timeout_s, rows_per_request=rows_per_request)
    return result.model_copy(update={"model": model})


def drive_endpoint(url: str, bodies: Sequence[bytes], *, clients: int = 32, seconds: float | None = 30.0,
                   requests: int | None = None, headers: Mapping[str, str] | None = None,
                   warmup_seconds: float = 1.0, timeout_s: float = 30.0, rows_per_request: int = 1) -> LoadTestResult:
    """POST the JSON ``bodies`` (in turn) to ``url`` from ``clients`` concurrent clients; see the module's notes.

    A 2xx answer is a success; anything else is counted under its status code, and a failure to connect or
    a timeout under the exception's name (``ConnectError``, ``ReadTimeout``, ...).
    """
    _check(clients, seconds, requests, warmup_seconds, bodies)
    coroutine = _drive(url, list(bodies), clients, seconds, requests, dict(headers or {}), warmup_seconds,
                       timeout_s, rows_per_request)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    # called from inside an event loop (a notebook): run ours in a thread of its own
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(coroutine)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="steward-loadtest")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


def _check(clients: int, seconds: float | None, requests: int | None, warmup: float, bodies: Sequence[bytes]) -> None:
    if clients < 1:
        raise InvalidInput(f"clients must be at least 1. Got {clients} instead.")
    if seconds is None and requests is None:
        raise InvalidInput("give the load test a limit: seconds, requests, or both")
    if seconds is not None and seconds <= 0:
        raise InvalidInput(f"seconds must be positive. Got {seconds} instead.")
    if requests is not None and requests < 1:
        raise InvalidInput(f"requests must be at least 1. Got {requests} instead.")
    if warmup < 0:
        raise InvalidInput(f"warmup_seconds must be 0 or more. Got {warmup} instead.")
    if not bodies:
        raise InvalidInput("no request bodies to send")


async def _drive(url: str, bodies: list[bytes], clients: int, seconds: float | None, requests: int | None,
                 headers: dict[str, str], warmup: float, timeout_s: float, rows_per_request: int) -> LoadTestResult:
    async with _clients(url, clients, headers, timeout_s) as posts:
        if warmup > 0:
            await _phase(posts, bodies, warmup, None)
        started_ms = int(time.time() * 1000)
        started = time.perf_counter()
        latencies, statuses, answered, count = await _phase(posts, bodies, seconds, requests)
        duration = time.perf_counter() - started
    errors = {k: v for k, v in statuses.items() if not k.startswith("2")}
    ok = len(latencies)
    return LoadTestResult(
        url=url, clients=clients, rows_per_request=rows_per_request, target_seconds=seconds, target_requests=requests,
        warmup_seconds=warmup, started_at_ms=started_ms, duration_s=round(duration, 4), requests=count,
        errors=sum(errors.values()), errors_by_status=dict(sorted(errors.items())),
        latency_ms=summarise_latencies(latencies), throughput_rps=round(ok / duration, 2) if duration else 0.0,
        rows_per_second=round(ok * rows_per_request / duration, 2) if duration else 0.0, answered_by=dict(answered))


Post = Callable[[bytes], Awaitable[tuple[int, bytes]]]


@contextlib.asynccontextmanager
async def _clients(url: str, clients: int, headers: dict[str, str], timeout_s: float) -> AsyncIterator[list[Post]]:
    """One ``post(body) -> (status, content)`` per client, each on its own connection."""
    if url.startswith("http://"):
        connections = [Connection(url, headers, timeout_s) for _ in range(clients)]
        try:
            yield [c.post for c in connections]
        finally:
            for c in connections:
                c.close()
        return
    import httpx

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(limits=limits, timeout=timeout_s,
                                 headers={"Content-Type": "application/json", **headers}) as client:
        async def post(body: bytes) -> tuple[int, bytes]:
            response = await client.post(url, content=body)
            return response.status_code, response.content

        yield [post] * clients


async def _phase(posts: list[Post], bodies: list[bytes], seconds: float | None,
                 requests: int | None) -> tuple[list[float], Counter, Counter, int]:
    deadline = time.perf_counter() + seconds if seconds is not None else float("inf")
    latencies: list[float] = []
    statuses: Counter = Counter()
    answered: Counter = Counter()
    sent = 0

    clients = len(posts)

    async def worker(index: int) -> None:
        nonlocal sent
        i, post = index, posts[index]
        while time.perf_counter() < deadline and (requests is None or sent < requests):
            sent += 1
            body = bodies[i % len(bodies)]
            i += clients
            begun = time.perf_counter()
            try:
                status, content = await post(body)
            except Exception as exc:  # noqa: BLE001 - a transport failure is a counted error, not a crash
                statuses[type(exc).__name__] += 1
                continue
            elapsed = time.perf_counter() - begun
            statuses[str(status)] += 1
            if 200 <= status < 300:
                latencies.append(elapsed)
                if len(latencies) % 64 == 1:  # which version answered, sampled: parsing every answer costs
                    answered[_model_of(content)] += 1

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return latencies, statuses, answered, sum(statuses.values())


def _model_of(content: bytes) -> str:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return "?"
    return str(body.get("model", "?")) if isinstance(body, dict) else "?"


__all__ = ["LatencySummary", "LoadTestResult", "drive_endpoint", "predict_url", "request_bodies", "run_load_test",
           "summarise_latencies"]
