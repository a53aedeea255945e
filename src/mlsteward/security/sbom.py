"""The software bill of materials: CycloneDX JSON, made by ``cyclonedx-bom`` (the CycloneDX project's tool).

cyclonedx-bom is a command-line tool (its Python modules are internal), so it is run as
``python -m cyclonedx_py environment`` for the running environment or ``... requirements FILE`` for a lock
file, in this interpreter, with ``--output-format JSON`` and CycloneDX ``SPEC_VERSION``.

The tool's own schema check is off by default (``validate=False``): it checks the format of every URL in
the document with a full IRI grammar and takes about 15 s for a 200-package environment, against under a
second for the document itself, which its library writes from typed models. Pass ``validate=True`` to run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from mlsteward.errors import StewardError

SPEC_VERSION = "1.6"
TIMEOUT = 300  # seconds


def build_sbom(lock_file: str | Path | None = None, *, validate: bool = False,
               timeout: float = TIMEOUT) -> dict[str, Any]:
    """The CycloneDX SBOM (parsed JSON) of this environment, or of the packages ``lock_file`` pins."""
    target = ["requirements", str(lock_file)] if lock_file is not None else ["environment"]
    command = [sys.executable, "-m", "cyclonedx_py", *target, "--output-format", "JSON", "--spec-version",
               SPEC_VERSION, "--mc-type", "application", "--validate" if validate else "--no-validate"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StewardError(f"cyclonedx-bom did not finish within {timeout:g} s: try again, or scan a lock file "
                           f"(--lock FILE)") from exc
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-2:]) or "no message"
        raise StewardError(f"cyclonedx-bom could not build the SBOM (exit {done.returncode}: {tail}); check that "
                           f"it is installed (pip install 'cyclonedx-bom>=7')")
    try:
        sbom = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise StewardError(f"cyclonedx-bom wrote something that is not JSON ({exc})") from exc
    if not isinstance(sbom, dict) or sbom.get("bomFormat") != "CycloneDX":
        raise StewardError("cyclonedx-bom's output is not a CycloneDX document (no bomFormat 'CycloneDX')")
    return sbom


def sbom_components(sbom: dict[str, Any]) -> dict[str, str]:
    """Component name -> version, as the SBOM lists them."""
    return {c["name"]: c.get("version", "") for c in sbom.get("components", []) if "name" in c}


__all__ = ["SPEC_VERSION", "build_sbom", "sbom_components"]
