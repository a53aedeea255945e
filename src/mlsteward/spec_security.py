"""The security part of ``steward.yaml``: which licences the project may not ship, and where the advisory
database is on machines that cannot reach an advisory service::

    security:
      disallowed_licences: [GPL-3.0, AGPL-3.0]   # SPDX ids or common names; GPL-3.0 also covers -only/-or-later
      allow_unknown_licences: true               # false: a package that declares no licence is flagged
      advisories: advisories/osv                 # an OSV JSON file, folder of them or .zip, relative to steward.yaml
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from mlsteward.spec_gates import SpecModel


class SecuritySpec(SpecModel):
    """`steward scan`: the licence policy and the offline advisory database."""

    disallowed_licences: list[Annotated[str, Field(min_length=1)]] = Field(
        [], description="licences no installed package may require, e.g. [GPL-3.0, AGPL-3.0]")
    allow_unknown_licences: bool = Field(True, description="whether a package that declares no licence passes")
    advisories: str | None = Field(None, min_length=1, description="an OSV advisory database (JSON file, folder "
                                                                   "or .zip), relative to steward.yaml")


__all__ = ["SecuritySpec"]
