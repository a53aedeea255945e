"""An ONNX copy of a fitted estimator, for fast serving, kept only when it predicts as the estimator does.

The ONNX graph covers the estimator (its input is the feature set's output); the feature pipeline
still runs in Python. skl2onnx and onnxruntime are optional (``pip install mlsteward[onnx]``): without
them, or for a model they cannot convert, the note says why and the skops model is used alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

TOLERANCE = 1e-4  # largest difference in probability (or relative, in prediction) accepted


def export_onnx(estimator: Any, features: Any) -> tuple[bytes | None, str]:
    """(ONNX bytes, note) when ``estimator`` converts and its ONNX outputs match on ``features``, else
    (None, why not)."""
    name = type(estimator).__name__
    if features is None or not len(features):
        return None, "not converted: no training rows to check the ONNX model against"
    try:
        import onnxruntime as ort
        from skl2onnx import to_onnx
    except ImportError:
        return None, "not converted: install skl2onnx and onnxruntime (pip install mlsteward[onnx])"
    x = np.asarray(features, dtype=np.float32)
    try:
        options = {id(estimator): {"zipmap": False}} if hasattr(estimator, "predict_proba") else None
        model = to_onnx(estimator, x[:1], options=options).SerializeToString()
        session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
        outputs = session.run(None, {session.get_inputs()[0].name: x})
    except Exception as exc:  # noqa: BLE001 - skl2onnx and onnxruntime raise many kinds; keep the first line
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
        return None, f"not converted: {name} does not convert to ONNX here ({first})"
    difference = _difference(estimator, features, outputs)
    if difference > TOLERANCE:
        return None, f"not kept: the ONNX model of {name} differs from it by {difference:.2g} on training rows"
    return model, f"converted; matches {name} within {TOLERANCE:g} on {len(x)} training rows"


def _difference(estimator: Any, features: Any, outputs: list) -> float:
    """The largest difference between the ONNX outputs and the estimator's own on the same rows."""
    if hasattr(estimator, "predict_proba") and len(outputs) > 1:
        return float(np.max(np.abs(np.asarray(outputs[1]) - estimator.predict_proba(features))))
    expected = np.asarray(estimator.predict(features), dtype=float)
    got = np.asarray(outputs[0], dtype=float).reshape(expected.shape)
    return float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1.0)))


__all__ = ["TOLERANCE", "export_onnx"]
