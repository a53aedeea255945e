"""The prediction service of a model bundle written by `steward package` (copied into it as ``serve.py``).

    python serve.py [--host 127.0.0.1] [--port 8080] [--strict-env] [--check]

- ``POST /predict`` with ``{"records": [{column: value, ...}, ...]}`` or ``{"columns": {column: [values]}}``
  -> ``{"model", "predictions", "probabilities", "classes"}``; rows are checked against the model's input
  schema as ``steward serve`` checks them (422 naming every wrong column); every column the model reads must
  be sent (``null`` where training saw missing values);
- ``GET /healthz`` -> ``{"status": "ok", "model", "environment"}``.

At start it reads ``bundle.json``, checks the sha256 of ``model.skops`` and ``features.skops`` against it
(a changed file is refused), loads them safely (``mlsteward.models_io.load_model``: skops, only allowed
types) and compares the installed library versions with the ones the model was trained with: a difference
is a WARNING listing them, and with ``--strict-env`` (or ``STEWARD_STRICT_ENV=1``) the service refuses to
start. It prints the address it listens on (``--port 0``: a free port) and stops on SIGTERM or Ctrl+C.
``--check`` loads and checks everything, prints the result as JSON and exits (0, or 1 when refused).

It imports only what scoring needs (numpy, pandas, scikit-learn, skops, pydantic and mlsteward's light
modules), never the store, the CLI or FastAPI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import platform
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger("mlsteward.bundle")

MAX_BODY_BYTES = 8 * 1024 * 1024


class BundleRefused(Exception):
    """The bundle cannot be served: a file was changed, or (strict) the libraries differ."""


class Bundle:
    """A bundle folder, verified and loaded: ``predict(request)`` answers a parsed request body."""

    def __init__(self, folder: Path, *, strict: bool = False) -> None:
        from mlsteward.serving.env_parity import EnvironmentMismatch, check_environment, running_versions

        self.folder = folder
        try:
            self.manifest = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise BundleRefused(f"cannot read {folder / 'bundle.json'} ({exc}): run serve.py from the bundle "
                                "folder `steward package` wrote") from exc
        self.ref = self.manifest["model"]
        recorded = dict(self.manifest["serving_packages"])
        running = running_versions(list(recorded))
        trained_python = self.manifest.get("python")
        if trained_python:  # the minor version: the image's python:X.Y-slim follows it
            recorded["python"] = ".".join(trained_python.split(".")[:2])
            running["python"] = ".".join(platform.python_version().split(".")[:2])
        try:
            self.environment = check_environment(recorded, self.ref, strict=strict, running=running)
        except EnvironmentMismatch as exc:
            raise BundleRefused(exc.message) from exc

        from mlsteward.models_io import load_model

        self.estimator = load_model(self._verified("model.skops"))
        self.features = None
        if "features.skops" in self.manifest["files"]:
            from sklearn.pipeline import Pipeline

            from mlsteward.features.definitions import FeatureDefinition
            from mlsteward.features.feature_set import FeatureSet

            pipeline = load_model(self._verified("features.skops"))
            if not isinstance(pipeline, Pipeline):
                raise BundleRefused(f"features.skops holds a {type(pipeline).__name__}, not a feature pipeline: "
                                    "package the model again with `steward package`")
            definitions = [FeatureDefinition.model_validate(d) for d in self.manifest["feature_definitions"]]
            self.features = FeatureSet(definitions, pipeline)
        classes = getattr(self.estimator, "classes_", None)
        self.classes = None if classes is None else _plain_list(classes)

    def _verified(self, name: str) -> bytes:
        expected = self.manifest["files"][name]
        data = (self.folder / name).read_bytes()
        actual = f"sha256:{hashlib.sha256(data).hexdigest()}"
        if actual != expected:
            raise BundleRefused(f"{name} was changed after packaging (sha256 {actual}, bundle.json records "
                                f"{expected}): package the model again with `steward package`")
        return data

    def predict(self, request: Any) -> dict:
        """Score the rows of a parsed request body (``InvalidInput`` / ``InvalidRows`` for bad rows)."""
        from mlsteward.serving.schema import columns_from_body, frame_for_schema

        frame = frame_for_schema(columns_from_body(request), self.manifest["input_schema"])
        features = self.features.transform(frame) if self.features is not None else frame
        predictions = _plain_list(self.estimator.predict(features))
        probabilities = None
        if self.classes is not None and hasattr(self.estimator, "predict_proba"):
            probabilities = _plain_list(self.estimator.predict_proba(features))
        return {"model": self.ref, "predictions": predictions, "probabilities": probabilities,
                "classes": self.classes}

    def health(self) -> dict:
        return {"status": "ok", "model": self.ref, "environment": self.environment.model_dump()}


def make_handler(bundle: Bundle) -> type[BaseHTTPRequestHandler]:
    from mlsteward.errors import InvalidInput, StewardError

    class Handler(BaseHTTPRequestHandler):
        server_version = "steward-bundle"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # http.server's name
            if self.path.split("?")[0] == "/healthz":
                self._send(200, bundle.health())
            else:
                self._error(404, "not_found", f"no route {self.path}: POST /predict or GET /healthz")

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/predict":
                self._error(404, "not_found", f"no route {self.path}: POST /predict or GET /healthz")
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                self.close_connection = True
                self._error(413, "payload_too_large", f"send at most {MAX_BODY_BYTES} bytes a request (split "
                                                      "the rows), with a Content-Length header")
                return
            try:
                request = json.loads(self.rfile.read(length))
            except ValueError as exc:
                self._error(400, "bad_request", f"the body is not valid JSON ({exc}): send "
                                                "{\"records\": [{...}]}")
                return
            try:
                self._send(200, bundle.predict(request))
            except StewardError as exc:
                problems = getattr(exc, "problems", None)
                extra = {"problems": [p.model_dump() for p in problems]} if problems else {}
                self._error(422 if isinstance(exc, InvalidInput) else 400, exc.code, exc.message, **extra)
            except Exception as exc:  # answered, and logged with its traceback
                log.exception("a prediction failed")
                self._error(500, "internal_error", f"the model failed on these rows ({type(exc).__name__}: "
                                                   f"{exc}); the log has the details")

        def _error(self, status: int, code: str, message: str, **extra: Any) -> None:
            self._send(status, {"error": code, "message": message, **extra})

        def _send(self, status: int, body: dict) -> None:
            data = json.dumps(body, allow_nan=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # http.server's signature
            log.info("%s %s", self.address_string(), format % args)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the model of this bundle: POST /predict, GET /healthz.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"),
                        help="address to listen on (0.0.0.0 for every interface; env HOST)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")),
                        help="port to listen on; 0 picks a free one (env PORT)")
    parser.add_argument("--strict-env", action="store_true",
                        default=os.environ.get("STEWARD_STRICT_ENV", "") not in ("", "0", "false"),
                        help="refuse to start when the installed libraries differ from the training record")
    parser.add_argument("--check", action="store_true", help="load and check the bundle, print the result, exit")
    parser.add_argument("--bundle", type=Path, default=Path(__file__).resolve().parent, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from mlsteward.errors import StewardError

    try:
        bundle = Bundle(args.bundle, strict=args.strict_env)
    except (BundleRefused, StewardError) as exc:  # a changed file, other libraries (strict), an unsafe model
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        print(json.dumps({"model": bundle.ref, "ok": True, "environment": bundle.environment.model_dump()}))
        return 0
    server = ThreadingHTTPServer((args.host, args.port), make_handler(bundle))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # PID 1 in a container: stop on `docker stop`
    host, port = server.server_address[:2]
    print(f"serving {bundle.ref} on http://{host}:{port} (POST /predict, GET /healthz)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _plain_list(values: Any) -> list:
    """A numpy array as JSON-ready lists (NaN and infinities as null)."""
    import numpy as np

    return _nulls(np.asarray(values).tolist())


def _nulls(values: list) -> list:
    return [_nulls(v) if isinstance(v, list) else (None if isinstance(v, float) and not math.isfinite(v) else v)
            for v in values]


if __name__ == "__main__":
    sys.exit(main())
