"""The Jinja2 environment of the reports, the inlined plotly.js, and writing a page to disk."""

from __future__ import annotations

import functools
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import jinja2
import plotly.offline
from markupsafe import Markup

from mlsteward.errors import InvalidInput
from mlsteward.report._format import FILTERS


@functools.cache
def environment() -> jinja2.Environment:
    """Templates from ``mlsteward/report/templates``; every ``{{ value }}`` is HTML-escaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("mlsteward.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


def render_template(name: str, context: dict[str, Any]) -> str:
    return environment().get_template(name).render(context)


_SCRIPT_END = re.compile(r"</(script)", re.IGNORECASE)


@functools.cache
def plotly_js() -> Markup:
    """The minified plotly.js bundled with the installed plotly package, safe inside ``<script>``.

    Read once per process (about 4.6 MB). A ``</script`` inside it (there is none today) would end
    the element early, so it is written ``<\\/script``, which JavaScript reads the same.
    """
    source = plotly.offline.get_plotlyjs()
    return Markup(_SCRIPT_END.sub(r"<\\/\1", source))  # the package's own library, not data


def write_report(html: str, path: str | os.PathLike[str]) -> Path:
    """Write ``html`` to ``path`` atomically and return the path.

    The text goes to a temporary file in the same folder, is flushed to disk, then renamed over
    ``path``: a reader sees the old page or the new one, never half of one. Missing parent folders
    are created.
    """
    if not isinstance(html, str):
        raise InvalidInput(f"write_report expects the page as a str (what render_data_report returns); "
                           f"got {type(html).__name__}.")
    target = Path(path)
    if target.is_dir():
        raise InvalidInput(f"write_report needs a file path; {str(target)!r} is a folder. Name the file, "
                           f"e.g. {str(target / 'report.html')!r}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(html)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return target
