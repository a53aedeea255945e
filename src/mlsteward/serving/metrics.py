"""The prediction service's Prometheus metrics, in a registry of its own (one per app, so two apps in
one process, or the tests, never share counts).

Labelled by ``model`` (the registered name) and ``version`` (its number); a request refused before
its model version was known (unknown model, bad token) counts with both labels empty.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)


class ServingMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("model", "version")
        self.requests = Counter("steward_prediction_requests", "Prediction requests received (v1 and v2)",
                                (*labels, "protocol"), registry=self.registry)
        self.errors = Counter("steward_prediction_errors", "Prediction requests answered with an error",
                              (*labels, "protocol", "code"), registry=self.registry)
        self.rows = Counter("steward_prediction_rows", "Rows predicted", labels, registry=self.registry)
        self.latency = Histogram("steward_prediction_latency_seconds",
                                 "Time from receiving a prediction request to its response being ready",
                                 labels, buckets=LATENCY_BUCKETS, registry=self.registry)
        self.batch_rows = Histogram("steward_prediction_batch_rows", "Rows per model call (adaptive batching)",
                                    labels, buckets=BATCH_BUCKETS, registry=self.registry)
        self.batch_requests = Histogram("steward_prediction_batch_requests", "Requests per model call",
                                        labels, buckets=BATCH_BUCKETS, registry=self.registry)
        self.log_lost = Counter("steward_prediction_log_lost_rows", "Predicted rows the prediction sink did not "
                                "take (it fell behind or failed); see the server log", registry=self.registry)
        self.models_loaded = Gauge("steward_models_loaded", "Model versions loaded in memory",
                                   registry=self.registry)

    def observe_batch(self, model: str, version: str, requests: int, rows: int) -> None:
        self.batch_rows.labels(model, version).observe(rows)
        self.batch_requests.labels(model, version).observe(requests)

    def render(self) -> tuple[bytes, str]:
        """The Prometheus text exposition and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


__all__ = ["BATCH_BUCKETS", "LATENCY_BUCKETS", "ServingMetrics"]
