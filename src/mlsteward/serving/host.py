"""Hosting registered model versions: resolve a reference, load (once) and score, batched.

``NAME@VERSION`` names one version; ``NAME@ALIAS`` and ``NAME`` are resolved at request time (a bare
name is its ``champion``, else its production version), so moving an alias moves the traffic with no
restart. A version never changes once registered: it is loaded once (hash-verified, safely, through
``load_model_version``) and kept, up to ``max_loaded`` versions, least recently used dropped first.

After each prediction the rows go to a ``PredictionSink`` through a ``SinkPump``: a queue drained by a
thread of its own, so neither the event loop nor the response ever waits on the sink's I/O.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np
import orjson
import pandas as pd

from mlsteward.errors import InvalidInput, NotFound, StewardError
from mlsteward.serving.batcher import AdaptiveBatcher
from mlsteward.serving.env_parity import EnvironmentParity, check_environment, serving_record
from mlsteward.serving.errors import MalformedBody
from mlsteward.serving.online_features import OnlineFeatures
from mlsteward.serving.rollout import Endpoint, route
from mlsteward.serving.schema import columns_from_body, columns_from_v2_inputs, frame_for_schema, v2_datatype
from mlsteward.serving.ttl_cache import TTLCache
from mlsteward.store.models import ModelVersion, parse_model_ref
from mlsteward.workspace import Workspace

log = logging.getLogger("mlsteward.serving")

DEFAULT_ALIAS = "champion"
ENDPOINT_TTL_S = 1.0  # how stale an endpoint's rollout state may be: `steward deploy` takes effect within this
OUTPUT_PREDICT, OUTPUT_PROBA = "predict", "predict_proba"


@runtime_checkable
class PredictionSink(Protocol):
    """Where served predictions go (the prediction log). ``append`` gets one dict per predicted row:
    ``{"request_id", "time_ms", "model", "version", "inputs": {column: value}, "outputs":
    {"prediction": value, "probabilities": {class: p} | None}, "latency_ms"}``; it runs in the sink's
    own thread, never in the event loop. ``close`` is called once when the server stops."""

    def append(self, rows: list[dict]) -> None: ...

    def close(self) -> None: ...


class NullSink:
    """Keeps nothing (the default)."""

    def append(self, rows: list[dict]) -> None:
        pass

    def close(self) -> None:
        pass


@dataclass
class LoadedModel:
    """A version in memory, ready to score raw rows."""

    version: ModelVersion
    model: Any
    classes: list | None
    environment: EnvironmentParity | None = None  # the running libraries against the training record

    @property
    def ref(self) -> str:
        return self.version.ref

    def score(self, frame: pd.DataFrame) -> dict[str, Any]:
        """Predictions (and class probabilities for a classifier) for the rows, computing the features once."""
        estimator, features = self.model, frame
        if hasattr(self.model, "features") and hasattr(self.model, "estimator"):  # Steward's raw-rows model
            estimator, features = self.model.estimator, self.model.features(frame)
        predictions = np.asarray(estimator.predict(features))
        probabilities = None
        if self.classes is not None and hasattr(estimator, "predict_proba"):
            probabilities = np.asarray(estimator.predict_proba(features), dtype="float64")
        return {"predictions": predictions, "probabilities": probabilities}


@dataclass
class Routed:
    """Where a request goes: the version answering it, one shadowing it, the arm, and the fallback."""

    version: ModelVersion
    shadow: ModelVersion | None = None
    arm: str = "live"
    fallback: ModelVersion | None = None


@dataclass
class Prediction:
    """One request's outputs, as JSON-ready lists, and the rows they were computed from."""

    loaded: LoadedModel
    frame: pd.DataFrame
    predictions: list
    probabilities: list[list[float]] | None
    answered_by: str | None = None  # set when a rule answered instead of the version (a fallback)

    @property
    def version(self) -> ModelVersion:
        return self.loaded.version

    @property
    def classes(self) -> list | None:
        return self.loaded.classes


class ModelHost:
    """Resolves, loads and scores model versions of one workspace."""

    def __init__(self, workspace: Workspace, batcher: AdaptiveBatcher, *, max_loaded: int = 16,
                 loader: Callable[[Workspace, str], Any] | None = None,
                 on_loaded: Callable[[int], None] | None = None, strict_environment: bool = False) -> None:
        self.workspace = workspace
        self.batcher = batcher
        self.max_loaded = max_loaded
        self.strict_environment = strict_environment  # a version trained with other library versions fails to load
        self._loader = loader
        self._on_loaded = on_loaded
        self._cache: OrderedDict[str, LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._endpoints: TTLCache[Endpoint | None] = TTLCache(ENDPOINT_TTL_S)
        self._resolved: TTLCache[ModelVersion] = TTLCache(ENDPOINT_TTL_S)
        self.features = OnlineFeatures(workspace)  # view features the requests leave out, by entity id

    # -- resolving and loading (blocking: call from a worker thread) ---------------------------------
    def resolve(self, ref: str) -> ModelVersion:
        """``NAME@VERSION``, ``NAME@ALIAS``, or ``NAME`` (its champion, else its production version), read from
        the store at most every ``ENDPOINT_TTL_S`` seconds per reference (aliases move at run time)."""
        return self._resolved.get(ref, lambda: resolve_version(self.workspace, ref))

    def route(self, ref: str, key: str) -> Routed:
        """The version answering a request for ``ref`` with sticky key ``key``, the version shadowing it, the
        fallback answering if the model raises (the endpoint's previous live version), and the arm. A bare
        ``NAME`` with a deployed endpoint follows its rollout; ``NAME@VERSION`` / ``NAME@ALIAS`` and
        undeployed models resolve as ``resolve`` does (no shadow, no fallback)."""
        name, which = parse_model_ref(ref)
        endpoint = self.endpoint(name) if which is None else None
        if endpoint is None:
            return Routed(self.resolve(ref))
        chosen = route(endpoint, key)
        shadow = self.resolve(f"{name}@{chosen.shadow}") if chosen.shadow is not None else None
        fallback = endpoint.previous if chosen.arm == "live" else endpoint.live
        return Routed(self.resolve(f"{name}@{chosen.version}"), shadow, chosen.arm,
                      self.resolve(f"{name}@{fallback}") if fallback is not None else None)

    def endpoint(self, name: str) -> Endpoint | None:
        """The endpoint's rollout state, read from the store at most every ``ENDPOINT_TTL_S`` seconds."""
        def read() -> Endpoint | None:
            record = self.workspace.store.deployments.endpoint(name)
            return Endpoint.model_validate(record.state) if record is not None else None

        return self._endpoints.get(name, read)

    def forget_endpoint(self, name: str) -> None:
        """Drop the cached rollout state of ``name`` (after a change made through this service)."""
        self._endpoints.forget(name)

    def load(self, version: ModelVersion) -> LoadedModel:
        """The version in memory, loading it on first use (once, however many requests ask at once)."""
        ref = version.ref
        with self._lock:
            if ref in self._cache:
                self._cache.move_to_end(ref)
                return self._cache[ref]
            gate = self._loading.setdefault(ref, threading.Lock())
        with gate:
            with self._lock:
                if ref in self._cache:
                    return self._cache[ref]
            started = time.perf_counter()
            environment = self._check_environment(version)  # before loading: strict mode refuses here
            model = self._load_model(ref)
            classes = None
            if version.output_schema.get("task") == "classification" or hasattr(model, "classes_"):
                classes = [_plain(c) for c in getattr(model, "classes_", [])] or None
            loaded = LoadedModel(version=version, model=model, classes=classes, environment=environment)
            with self._lock:
                self._cache[ref] = loaded
                self._loading.pop(ref, None)
                while len(self._cache) > self.max_loaded:
                    dropped, _ = self._cache.popitem(last=False)
                    log.info("unloaded %s (more than %d versions loaded)", dropped, self.max_loaded)
                count = len(self._cache)
            log.info("loaded %s in %.0f ms", ref, (time.perf_counter() - started) * 1000)
            if self._on_loaded is not None:
                self._on_loaded(count)
            return loaded

    def _check_environment(self, version: ModelVersion) -> EnvironmentParity | None:
        """The running versions of the libraries computing the predictions against those the version's training
        run recorded (None without a record); a difference is logged as a warning, or raises
        ``EnvironmentMismatch`` in strict mode."""
        try:
            recorded = (self.workspace.store.runs.get(version.run_id).environment or {}).get("packages")
        except NotFound:
            recorded = None
        compared = serving_record(recorded or {})
        if not compared:
            return None
        return check_environment(compared, version.ref, strict=self.strict_environment)

    def environment_mismatches(self) -> dict[str, dict]:
        """The loaded versions whose training libraries differ from the running ones: ref -> parity."""
        with self._lock:
            loaded = list(self._cache.values())
        return {m.ref: m.environment.model_dump() for m in loaded
                if m.environment is not None and not m.environment.matches}

    def _load_model(self, ref: str) -> Any:
        if self._loader is not None:
            return self._loader(self.workspace, ref)
        from mlsteward.lifecycle.registry import load_model_version

        return load_model_version(self.workspace, ref)

    def loaded(self) -> list[str]:
        """The versions in memory, least recently used first."""
        with self._lock:
            return list(self._cache)

    def loaded_model(self, ref: str) -> LoadedModel | None:
        with self._lock:
            return self._cache.get(ref)

    def ready(self) -> bool:
        """Whether a model can be served: one is loaded, or the default version of a registered model loads."""
        if self.loaded():
            return True
        for model in self.workspace.store.models.models():
            try:
                self.load(self.resolve(model.name))
                return True
            except StewardError as exc:
                log.warning("model %s is not servable: %s", model.name, exc.message)
        return False

    def model_ready(self, ref: str) -> tuple[ModelVersion, bool]:
        """The version ``ref`` names, and whether it loads (``NotFound`` when it does not exist)."""
        version = self.resolve(ref)
        try:
            self.load(version)
            return version, True
        except StewardError as exc:
            log.warning("model %s is not servable: %s", version.ref, exc.message)
            return version, False

    # -- requests (parsing and validating is blocking work too: call from a worker thread) ---------
    def rows_v1(self, loaded: LoadedModel, body: bytes) -> pd.DataFrame:
        """The rows of a v1 request body, checked against the version's input schema."""
        schema = loaded.version.input_schema
        return frame_for_schema(self.features.fill(columns_from_body(parse_json(body)), schema), schema)

    def rows_v2(self, loaded: LoadedModel, body: bytes) -> tuple[pd.DataFrame, dict]:
        """The rows of an Open Inference Protocol V2 request, and the request (for its id and outputs)."""
        request = parse_json(body)
        if not isinstance(request, dict):
            raise InvalidInput("an inference request is a JSON object with 'inputs': a list of tensors "
                               "{name, shape, datatype, data}, one per column")
        wanted = request.get("outputs")
        if wanted is not None:
            names = [o.get("name") if isinstance(o, dict) else None for o in wanted] \
                if isinstance(wanted, list) else [None]
            known = v2_output_names(loaded)
            unknown = [str(n) for n in names if n not in known]
            if unknown:
                raise InvalidInput(f"unknown output {', '.join(unknown)}: this model's outputs are "
                                   f"{', '.join(known)}")
        schema = loaded.version.input_schema
        frame = frame_for_schema(self.features.fill(columns_from_v2_inputs(request.get("inputs")), schema), schema)
        return frame, request

    async def predict(self, loaded: LoadedModel, frame: pd.DataFrame) -> Prediction:
        """Score the rows (batched with concurrent requests for the same version)."""
        key = (loaded.ref, tuple(frame.columns))
        outputs = await self.batcher.submit(key, frame, loaded.score)
        probabilities = outputs.get("probabilities")
        return Prediction(loaded=loaded, frame=frame, predictions=_json_values(outputs["predictions"]),
                          probabilities=None if probabilities is None else _json_values(probabilities))


def resolve_version(workspace: Workspace, ref: str) -> ModelVersion:
    """The version a request names: ``NAME@VERSION``, ``NAME@ALIAS``, or ``NAME`` (its ``champion``,
    else its production version; ``NotFound`` saying what to do when it has neither)."""
    name, which = parse_model_ref(ref)
    models = workspace.store.models
    if which is not None:
        return models.get(name, which)
    models.model(name)  # NotFound for an unknown model
    try:
        return models.get(name, DEFAULT_ALIAS)
    except NotFound:
        production = models.versions(name, status="production")
        if production:
            return production[0]
    versions = ", ".join(v.ref for v in models.versions(name)) or "none"
    raise NotFound(f"model {name!r} has no {DEFAULT_ALIAS} alias and no version in production: name a version "
                   f"or alias (NAME@VERSION; versions: {versions}), or promote one (`steward models promote`)")


# -- the shapes of responses -------------------------------------------------------------------------
def v1_response(prediction: Prediction, request_id: str) -> dict:
    response = {"model": prediction.version.ref, "request_id": request_id, "predictions": prediction.predictions,
                "probabilities": prediction.probabilities, "classes": prediction.classes}
    if prediction.answered_by:
        response["fallback"] = prediction.answered_by  # the version raised; this answered instead
    return response


def v2_output_names(loaded: LoadedModel) -> list[str]:
    return [OUTPUT_PREDICT, OUTPUT_PROBA] if loaded.classes is not None else [OUTPUT_PREDICT]


def v2_metadata(version: ModelVersion, versions: Sequence[int], loaded: LoadedModel | None = None) -> dict:
    """Open Inference Protocol model metadata: one input tensor per column, the outputs with their types."""
    columns = version.input_schema.get("columns") or []
    inputs = [{"name": c["name"], "datatype": v2_datatype(c), "shape": [-1],
               "parameters": {"kind": c.get("kind"), "nullable": c.get("nullable", True),
                              **({"categories": c["categories"]} if c.get("categories") else {})}}
              for c in columns]
    output = version.output_schema or {}
    classes = (output.get("prediction") or {}).get("classes")
    outputs = [{"name": OUTPUT_PREDICT, "datatype": _v2_type_of(classes) if classes else "FP64", "shape": [-1]}]
    if output.get("task") == "classification" or (loaded is not None and loaded.classes is not None):
        outputs.append({"name": OUTPUT_PROBA, "datatype": "FP64", "shape": [-1, len(classes or [])],
                        "parameters": {"classes": classes}})
    return {"name": version.name, "versions": [str(v) for v in versions], "platform": "mlsteward-sklearn",
            "inputs": inputs, "outputs": outputs,
            "parameters": {"version": str(version.version), "ref": version.ref, "status": version.status,
                           "aliases": version.aliases, "task": output.get("task")}}


def v2_response(prediction: Prediction, request: dict, request_id: str) -> dict:
    """Open Inference Protocol inference response: ``predict`` (shape [n]) and ``predict_proba`` (shape
    [n, classes], data flattened row-major), or only the outputs the request asked for."""
    n = len(prediction.predictions)
    outputs = [{"name": OUTPUT_PREDICT, "shape": [n], "datatype": _v2_type_of(prediction.predictions),
                "data": prediction.predictions}]
    if prediction.probabilities is not None:
        k = len(prediction.classes or [])
        outputs.append({"name": OUTPUT_PROBA, "shape": [n, k], "datatype": "FP64",
                        "data": [p for row in prediction.probabilities for p in row],
                        "parameters": {"classes": prediction.classes}})
    wanted = request.get("outputs")
    if isinstance(wanted, list):
        names = {o.get("name") for o in wanted if isinstance(o, dict)}
        outputs = [o for o in outputs if o["name"] in names]
    return {"model_name": prediction.version.name, "model_version": str(prediction.version.version),
            "id": str(request.get("id") or request_id), "parameters": {"request_id": request_id},
            "outputs": outputs}


def parse_json(body: bytes) -> Any:
    if not body:
        raise MalformedBody("the request has no body: send JSON, e.g. {\"records\": [{...}]}")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBody(f"the body is not valid JSON ({exc}): send JSON, e.g. {{\"records\": [{{...}}]}}") \
            from None


# -- the prediction log's feed ---------------------------------------------------------------------
@dataclass
class SinkItem:
    prediction: Prediction
    request_id: str
    time_ms: int
    latency_ms: float
    arm: str = "live"  # live, canary or shadow (a shadow's outputs are logged, never returned)


def sink_rows(item: SinkItem) -> list[dict]:
    """The rows ``PredictionSink.append`` receives for one request, one per predicted row."""
    p = item.prediction
    columns = [(name, p.frame[name].tolist()) for name in p.frame.columns]  # 10x faster than to_dict on 1 row
    inputs = [{name: _none_if_missing(values[i]) for name, values in columns} for i in range(len(p.frame))]
    rows = []
    for i, row_inputs in enumerate(inputs):
        probabilities = None
        if p.probabilities is not None:
            probabilities = {str(c): v for c, v in zip(p.classes or [], p.probabilities[i], strict=False)}
        rows.append({"request_id": item.request_id, "time_ms": item.time_ms, "model": p.version.name,
                     "version": p.version.version, "inputs": row_inputs,
                     "outputs": {"prediction": p.predictions[i], "probabilities": probabilities},
                     "latency_ms": item.latency_ms, "arm": item.arm})
    return rows


def _none_if_missing(value: Any) -> Any:
    missing = value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))
    return None if missing else value


class SinkPump:
    """Feeds a ``PredictionSink`` from a thread of its own: ``put`` never blocks (past ``max_queue``
    waiting requests it drops, counted in ``dropped`` and logged); ``close`` drains, then closes the sink.
    Rows dropped, or refused by the sink (its ``append`` raised), are logged and told to ``on_lost``: the
    response has already gone, so a failing sink never fails a prediction."""

    def __init__(self, sink: PredictionSink, *, max_queue: int = 10_000,
                 on_lost: Callable[[int], None] | None = None) -> None:
        self.sink = sink
        self.dropped = 0
        self._on_lost = on_lost
        self._queue: queue.Queue[SinkItem | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._active = not isinstance(sink, NullSink)

    def start(self) -> None:
        if self._active and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="steward-prediction-sink", daemon=True)
            self._thread.start()

    def put(self, item: SinkItem) -> None:
        if not self._active:
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            self._lost(len(item.prediction.predictions))
            if self.dropped == 1 or self.dropped % 1000 == 0:
                log.warning("the prediction sink is falling behind: %d requests not logged", self.dropped)

    def _run(self) -> None:
        while True:
            items = [self._queue.get()]
            while len(items) < 256:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(i is None for i in items)
            rows = [row for i in items if i is not None for row in sink_rows(i)]
            if rows:
                try:
                    self.sink.append(rows)
                except Exception:  # a failing sink must not stop serving
                    log.exception("the prediction sink failed to append %d rows", len(rows))
                    self._lost(len(rows))
            if stop:
                return

    def _lost(self, rows: int) -> None:
        if self._on_lost is not None:
            self._on_lost(rows)

    def close(self, timeout: float = 10.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None
        try:
            self.sink.close()
        except Exception:
            log.exception("the prediction sink failed to close")


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _json_values(values: Any) -> list:
    """A numpy array as JSON-ready lists (NaN and infinities as null)."""
    array = np.asarray(values)
    out = array.tolist()
    return _nulls(out) if array.dtype.kind == "f" and not np.isfinite(array).all() else out


def _nulls(values: list) -> list:
    return [_nulls(v) if isinstance(v, list) else (None if isinstance(v, float) and not math.isfinite(v) else v)
            for v in values]


def _v2_type_of(values: Sequence) -> str:
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return "BOOL"
    if isinstance(sample, int):
        return "INT64"
    if isinstance(sample, float):
        return "FP64"
    return "BYTES"


__all__ = ["DEFAULT_ALIAS", "LoadedModel", "ModelHost", "NullSink", "Prediction", "PredictionSink", "SinkItem",
           "SinkPump", "parse_json", "resolve_version", "sink_rows", "v1_response", "v2_metadata", "v2_output_names",
           "v2_response"]
