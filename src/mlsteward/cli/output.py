"""What every command shares: consoles, JSON output, times and durations for people."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from pydantic import BaseModel
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def print_json(value: BaseModel | list[BaseModel] | dict) -> None:
    """The same pydantic model the REST API returns, as JSON on stdout."""
    if isinstance(value, BaseModel):
        text = value.model_dump_json(indent=2)
    else:
        text = json.dumps(_plain(value), indent=2, allow_nan=False, default=str)
    sys.stdout.write(text + "\n")


def _plain(value):  # noqa: ANN001, ANN202
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def when(ms: int | None, seconds: bool = True) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def number(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.6g}"
