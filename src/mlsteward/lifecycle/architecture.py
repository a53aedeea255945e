"""The project's architecture as recorded: sources → datasets → feature sets → model versions → deployments →
monitors, with the edges the store's lineage gives, as a Mermaid flowchart and a self-contained SVG."""

from __future__ import annotations

from html import escape

from pydantic import BaseModel

from mlsteward.errors import NotFound
from mlsteward.lifecycle.evidence_lookup import project_dataset_names
from mlsteward.spec import Spec
from mlsteward.workspace import Workspace

LAYERS = ("source", "dataset", "feature_set", "model", "deployment", "monitor")
LAYER_TITLES = {"source": "sources", "dataset": "datasets", "feature_set": "feature sets", "model": "model versions",
                "deployment": "deployments", "monitor": "monitors"}


class Node(BaseModel):
    id: str
    layer: str
    label: str
    detail: str = ""


class Edge(BaseModel):
    source: str
    target: str
    label: str = ""


class ArchitectureView(BaseModel):
    project: str
    nodes: list[Node]
    edges: list[Edge]


def architecture(workspace: Workspace, spec: Spec) -> ArchitectureView:
    """Every source, dataset version, feature set, model version, endpoint and monitor of the project, and how
    each was made from the others."""
    store, nodes, edges = workspace.store, {}, []

    def add(layer: str, label: str, detail: str = "") -> str:
        node_id = f"{layer}:{label}"
        nodes.setdefault(node_id, Node(id=node_id, layer=layer, label=label, detail=detail))
        return node_id

    for source in spec.data_sources:
        add("source", source.name, source.uri)
    for name in project_dataset_names(workspace, spec.project):
        for version in store.datasets.list(name):
            child = add("dataset", version.ref, f"{version.rows:,} rows")
            for parent in version.parents:
                edges.append(Edge(source=add("dataset", parent), target=child, label="derived"))
            origin = next((s.name for s in spec.data_sources if s.uri and s.uri in (version.source or "")), None)
            if origin:
                edges.append(Edge(source=f"source:{origin}", target=child, label="ingested"))
    models = store.models.versions(project=spec.project)
    for record in store.feature_sets.list():
        if record.dataset in {n.label for n in nodes.values() if n.layer == "dataset"}:
            fs = add("feature_set", record.ref, f"{len(record.definitions)} features")
            edges.append(Edge(source=f"dataset:{record.dataset}", target=fs, label="fitted on"))
    for version in models:
        model = add("model", version.ref, version.status)
        lineage = version.lineage or {}
        if lineage.get("feature_set"):
            edges.append(Edge(source=add("feature_set", lineage["feature_set"]), target=model, label="features"))
        for role, ref in (lineage.get("datasets") or {}).items():
            if role == "train":
                edges.append(Edge(source=add("dataset", ref), target=model, label="trained on"))
    for endpoint in store.deployments.endpoints(project=spec.project):
        served = add("deployment", endpoint.model, "endpoint")
        for arm in ("live", "canary", "shadow"):
            if endpoint.state.get(arm):
                edges.append(Edge(source=add("model", f"{endpoint.model}@{endpoint.state[arm]}"), target=served,
                                  label=arm))
    for monitor in spec.monitoring.monitors:
        watched = add("monitor", monitor.name, f"window {monitor.window}")
        edges.append(Edge(source=add("deployment", monitor.model), target=watched, label="watches"))
    if not nodes:
        raise NotFound(f"nothing recorded for project {spec.project} yet: `steward data add` starts the pipeline")
    ordered = sorted(nodes.values(), key=lambda n: (LAYERS.index(n.layer), n.label))
    unique = list({(e.source, e.target, e.label): e for e in edges}.values())
    return ArchitectureView(project=spec.project, nodes=ordered, edges=unique)


def mermaid(view: ArchitectureView) -> str:
    """The view as a Mermaid flowchart, one subgraph per layer."""
    ids = {node.id: f"n{i}" for i, node in enumerate(view.nodes)}
    lines = ["flowchart LR"]
    for layer in LAYERS:
        members = [n for n in view.nodes if n.layer == layer]
        if members:
            lines.append(f"  subgraph {layer}[{LAYER_TITLES[layer]}]")
            lines += [f'    {ids[n.id]}["{_quoted(n.label)}"]' for n in members]
            lines.append("  end")
    lines += [f"  {ids[e.source]} -->|{_quoted(e.label)}| {ids[e.target]}" for e in view.edges]
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return text.replace('"', "'").replace("|", "/")


def svg(view: ArchitectureView) -> str:
    """The view as an SVG: a column per layer, a box per node, a line per edge (no script, no external file)."""
    width, box_w, box_h, gap = 200, 170, 40, 14
    columns = [layer for layer in LAYERS if any(n.layer == layer for n in view.nodes)]
    place = {}
    for c, layer in enumerate(columns):
        for r, node in enumerate(n for n in view.nodes if n.layer == layer):
            place[node.id] = (20 + c * width, 50 + r * (box_h + gap))
    height = max(y for _, y in place.values()) + box_h + 30
    opening = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{40 + len(columns) * width}" height="{height}" '
               'font-family="sans-serif" font-size="11">')
    arrow = ('<defs><marker id="arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto">'
             '<path d="M0,0 L8,4 L0,8 z" fill="#7b8794"/></marker></defs>')
    parts = [opening, arrow]
    for c, layer in enumerate(columns):
        parts.append(f'<text x="{20 + c * width}" y="30" font-weight="bold">{LAYER_TITLES[layer]}</text>')
    for e in view.edges:
        (x1, y1), (x2, y2) = place[e.source], place[e.target]
        parts.append(f'<line x1="{x1 + box_w}" y1="{y1 + box_h / 2}" x2="{x2}" y2="{y2 + box_h / 2}" '
                     f'stroke="#7b8794" marker-end="url(#arrow)"><title>{escape(e.label)}</title></line>')
    for node in view.nodes:
        x, y = place[node.id]
        parts.append(f'<g><title>{escape(node.label)}: {escape(node.detail)}</title>'
                     f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="5" fill="#eef2f7" stroke="#3867b5"/>'
                     f'<text x="{x + 8}" y="{y + 17}">{escape(node.label[:26])}</text>'
                     f'<text x="{x + 8}" y="{y + 31}" fill="#52606d">{escape(node.detail[:28])}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


__all__ = ["ArchitectureView", "Edge", "Node", "architecture", "mermaid", "svg"]
