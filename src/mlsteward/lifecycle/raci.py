"""The RACI matrix of the charter's roles by deliverable, generated from steward.yaml and the deliverables
catalogue by one documented rule:

- **R**esponsible: the deliverable's owner role in the catalogue (`steward deliverables`).
- **A**ccountable: the roles that sign off the gate of the deliverable's stage (``gates.feasibility`` for the
  feasibility stage, ``gates.promotion`` for evaluation and deployment), else ``product_owner`` when the charter
  has one, else the responsible role.
- **C**onsulted: the roles that may waive a gate check (``governance.waiver_roles``) and the owners of the
  calendar reviews that cover the deliverable.
- **I**nformed: every other role of the charter.

A role gets one letter: the first of R, A, C, I that applies. A catalogue owner no stakeholder holds is listed
with the note that nobody is responsible.
"""

from __future__ import annotations

from pydantic import BaseModel

from mlsteward.lifecycle.deliverables import CATALOGUE
from mlsteward.spec import Spec
from mlsteward.stages import Stage

GATE_OF_STAGE = {Stage.FEASIBILITY: "feasibility", Stage.EVALUATION: "promotion", Stage.DEPLOYMENT: "promotion"}


class RaciRow(BaseModel):
    key: str
    deliverable: str
    stage: str
    cells: dict[str, str]  # role -> R, A, C or I
    note: str = ""


class RaciMatrix(BaseModel):
    project: str
    roles: list[str]
    rows: list[RaciRow]

    def csv(self) -> str:
        lines = [",".join(["deliverable", "stage", *self.roles])]
        lines += [",".join([f'"{r.deliverable}"', r.stage, *(r.cells[role] for role in self.roles)]) for r in self.rows]
        return "\n".join(lines) + "\n"


def raci(spec: Spec) -> RaciMatrix:
    roles = spec.charter.roles
    rows = []
    for item in CATALOGUE:
        accountable = _signers(spec, GATE_OF_STAGE.get(item.stage)) or (
            ["product_owner"] if "product_owner" in roles else [item.owner])
        consulted = set(spec.governance.waiver_roles) | {
            review.owner for review in spec.governance.reviews if review.owner and item.key in review.covers}
        cells = {}
        for role in roles:
            cells[role] = ("R" if role == item.owner else "A" if role in accountable else
                           "C" if role in consulted else "I")
        note = "" if item.owner in roles else f"no stakeholder holds '{item.owner}': nobody is responsible"
        rows.append(RaciRow(key=item.key, deliverable=item.name, stage=item.stage.value, cells=cells, note=note))
    return RaciMatrix(project=spec.project, roles=roles, rows=rows)


def _signers(spec: Spec, gate: str | None) -> list[str]:
    checks = spec.gates.get(gate, []) if gate else []
    return [role for check in checks for role in (getattr(check, "signoff", None) or [])]


__all__ = ["RaciMatrix", "RaciRow", "raci"]
