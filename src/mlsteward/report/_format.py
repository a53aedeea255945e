"""How numbers and values read in a report: the Jinja filters and the text handed to plotly."""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any


def timestamp_text(moment: _dt.datetime) -> str:
    """When a report was generated, as printed in its header (UTC when the time is zone-aware)."""
    if moment.tzinfo is not None:
        return moment.astimezone(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def package_version() -> str:
    from mlsteward import __version__

    return __version__


def fmt_int(value: float | None) -> str:
    """``37887`` -> ``'37,887'``; ``None`` -> ``'—'``."""
    if value is None:
        return "—"
    return f"{int(value):,}"


def fmt_num(value: float | None) -> str:
    """Six significant digits, no thousands separator (so years read as years): ``1974``, ``45.2346``."""
    if value is None:
        return "—"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def fmt_share(value: float | None, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage; a tiny non-zero share is not shown as 0% (``'<0.1%'``)."""
    if value is None:
        return "—"
    text = f"{value * 100:.{digits}f}%"
    smallest = 10.0 ** -digits
    if 0 < value * 100 < smallest:
        return f"<{smallest:.{digits}f}%"
    if value < 1 and text == f"{100:.{digits}f}%":
        return f">{100 - smallest:.{digits}f}%"
    return text


def fmt_bytes(value: int | None) -> str:
    """``4_815_765`` -> ``'4.6 MiB'``."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def plotly_text(value: Any, limit: int | None = None) -> str:
    """Text for a plotly label or hover, shown literally.

    plotly.js reads a small set of HTML tags in labels (``<b>``, ``<br>``, ``<a href>``…) and decodes
    entities, so a data value such as ``<a href=…>`` would become markup in the chart. Escaping
    ``&``, ``<`` and ``>`` makes plotly show the value as it is. ``limit`` shortens long labels
    (axis ticks) with an ellipsis.
    """
    text = str(value)
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


FILTERS = {
    "int": fmt_int,
    "num": fmt_num,
    "share": fmt_share,
    "bytes": fmt_bytes,
}
