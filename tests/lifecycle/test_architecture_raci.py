"""The generated architecture view and RACI matrix on the quickstart's project: every node and edge comes from
the store's records (checked against the lineage, the registry and the endpoint), the Mermaid and SVG forms hold
the same graph, the RACI follows its rule cell by cell, and both are in the evidence pack."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from mlsteward.cli.main import app
from mlsteward.lifecycle.architecture import architecture, mermaid, svg
from mlsteward.lifecycle.deliverables import CATALOGUE
from mlsteward.lifecycle.evidence_pack import export_evidence_pack
from mlsteward.lifecycle.raci import raci
from mlsteward.settings import resolve_settings
from mlsteward.spec import load_spec
from mlsteward.workspace import Workspace


@pytest.fixture(scope="module")
def qs(quickstart_project: tuple[str, str], tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    folder = tmp_path_factory.mktemp("arch") / "qs"
    shutil.copytree(quickstart_project[0], folder)
    workspace = Workspace(resolve_settings(start=folder))
    yield folder, workspace, load_spec(folder / "steward.yaml")
    workspace.store.close()


def test_the_architecture_is_the_recorded_pipeline(qs) -> None:  # noqa: ANN001
    _, workspace, spec = qs
    view = architecture(workspace, spec)
    labels = {n.id: n.label for n in view.nodes}
    edges = {(labels[e.source], labels[e.target], e.label) for e in view.edges}
    store = workspace.store
    for version in store.models.versions(project=spec.project):
        assert (version.lineage["feature_set"], version.ref, "features") in edges
        assert (version.lineage["datasets"]["train"], version.ref, "trained on") in edges
    endpoint = store.deployments.endpoints(spec.project)[0]
    assert (f"{endpoint.model}@{endpoint.state['live']}", endpoint.model, "live") in edges
    assert (f"{endpoint.model}@{endpoint.state['shadow']}", endpoint.model, "shadow") in edges
    for node in (n for n in view.nodes if n.layer == "dataset"):
        for parent in store.datasets.get(node.label).parents:
            assert (parent, node.label, "derived") in edges
    assert ("gss", "gss@1", "ingested") in edges
    assert (spec.monitoring.monitors[0].model, spec.monitoring.monitors[0].name, "watches") in edges

    text = mermaid(view)
    assert text.startswith("flowchart LR") and len(re.findall(r"-->\|", text)) == len(view.edges)
    drawing = ElementTree.fromstring(svg(view))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(drawing.findall(f".//{ns}rect")) == len(view.nodes)
    assert len(drawing.findall(f".//{ns}line")) == len(view.edges)


def test_the_raci_follows_its_rule(qs) -> None:  # noqa: ANN001
    _, _, spec = qs
    matrix = raci(spec)
    assert matrix.roles == spec.charter.roles and len(matrix.rows) == len(CATALOGUE)
    signers = [role for check in spec.gates["promotion"] for role in (getattr(check, "signoff", None) or [])]
    assert signers  # the quickstart's promotion gate needs sign-offs
    for item, row in zip(CATALOGUE, matrix.rows, strict=True):
        for role, letter in row.cells.items():
            if role == item.owner:
                expected = "R"
            elif item.stage.value in ("evaluation", "deployment"):
                expected = "A" if role in signers else "C" if role in spec.governance.waiver_roles else "I"
            elif item.stage.value == "feasibility" and "feasibility" in spec.gates and any(
                    getattr(c, "signoff", None) for c in spec.gates["feasibility"]):
                continue  # (the quickstart's feasibility gate has no sign-off)
            else:
                expected = "A" if role == "product_owner" else "C" if role in spec.governance.waiver_roles else "I"
            assert letter == expected, (item.key, role)
        assert bool(row.note) == (item.owner not in spec.charter.roles)


def test_both_are_in_the_evidence_pack_and_the_cli(qs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    folder, workspace, spec = qs
    pack = export_evidence_pack(workspace, spec, tmp_path / "pack")
    assert (pack / "architecture.svg").read_text() == svg(architecture(workspace, spec))
    rows = list(csv.reader(io.StringIO((pack / "raci.csv").read_text())))
    assert rows[0] == ["deliverable", "stage", *spec.charter.roles] and len(rows) == len(CATALOGUE) + 1
    manifest = json.loads((pack / "manifest.json").read_text())
    assert {"architecture.svg", "architecture.mmd", "raci.csv", "raci.json"} <= {f["path"] for f in manifest["files"]}
    assert 'href="architecture.svg"' in (pack / "index.html").read_text()

    monkeypatch.chdir(folder)
    shown = CliRunner().invoke(app, ["deliverables", "architecture", "-o", str(tmp_path / "a.svg")])
    assert shown.exit_code == 0 and (tmp_path / "a.svg").read_text().startswith("<svg"), shown.output
    matrix = json.loads(CliRunner().invoke(app, ["deliverables", "raci", "--json"]).output)
    assert matrix["rows"][0]["cells"]["product_owner"] == "R"  # the charter: product_owner's deliverable
