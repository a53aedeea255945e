"""Data: dataset versions, and one version with its evidence (quality, contract, PII, leakage, reports) and
its lineage graph."""

from __future__ import annotations

from mlsteward.report._charts import BLUE, GREY, RED
from mlsteward.report._format import plotly_text
from mlsteward.store.datasets import DatasetLineage
from mlsteward.ui.links import artifact_href
from mlsteward.ui.view import Page, View


def datasets(view: View) -> Page:
    versions = [v for latest in view.store.datasets.list() for v in view.store.datasets.list(latest.name)]
    versions.sort(key=lambda v: (v.name, -v.version))
    return Page("data.html", "Data", {"versions": versions})


def dataset(view: View, ref: str) -> Page:
    version = view.store.datasets.get(ref)
    evidence = []
    for kind, item in sorted(view.store.evidence.of(version.ref).items()):
        file = f"{version.ref}-{kind}.{item.summary.get('format', 'json')}"
        evidence.append({"kind": kind, "item": item, "href": artifact_href(item.digest, file)})
    lineage = view.store.datasets.lineage(version.ref)
    clearances = view.store.evidence.clearances(version.ref)
    return Page("dataset.html", f"Dataset {version.ref}", {
        "version": version, "evidence": evidence, "lineage": lineage, "clearances": clearances,
        "graph": lineage_figure(lineage) if lineage.ancestors or lineage.descendants else None})


def lineage_figure(lineage: DatasetLineage) -> dict:
    """The lineage as a left-to-right graph: ancestors before, descendants after, this version highlighted."""
    edges = [(e.parent, e.child) for e in lineage.ancestors + lineage.descendants]
    nodes = sorted({n for edge in edges for n in edge} | {lineage.dataset})
    parents: dict[str, set[str]] = {}
    for parent, child in edges:
        parents.setdefault(child, set()).add(parent)
    depth: dict[str, int] = {}

    def depth_of(node: str) -> int:  # the column: one right of its deepest parent (the lineage is acyclic)
        if node not in depth:
            depth[node] = 1 + max((depth_of(p) for p in parents.get(node, ())), default=-1)
        return depth[node]

    for node in nodes:
        depth_of(node)
    columns: dict[int, list[str]] = {}
    for node in nodes:
        columns.setdefault(depth.get(node, 0), []).append(node)
    position = {n: (d, i - (len(group) - 1) / 2) for d, group in columns.items() for i, n in enumerate(sorted(group))}
    xs, ys = [], []
    for parent, child in edges:
        xs += [position[parent][0], position[child][0], None]
        ys += [position[parent][1], position[child][1], None]
    data = [{"type": "scatter", "mode": "lines", "x": xs, "y": ys, "hoverinfo": "skip",
             "line": {"color": GREY, "width": 1.5}},
            {"type": "scatter", "mode": "markers+text", "x": [position[n][0] for n in nodes],
             "y": [position[n][1] for n in nodes], "text": [plotly_text(n) for n in nodes],
             "textposition": "top center", "hovertext": [plotly_text(n) for n in nodes], "hoverinfo": "text",
             "marker": {"size": 16, "color": [RED if n == lineage.dataset else BLUE for n in nodes]}}]
    height = 120 + 70 * max(len(g) for g in columns.values())
    hidden = {"visible": False, "showgrid": False, "zeroline": False}
    return {"data": data, "layout": {"height": height, "showlegend": False, "xaxis": hidden, "yaxis": hidden,
                                     "margin": {"l": 60, "r": 60, "t": 40, "b": 10}, "paper_bgcolor": "white",
                                     "plot_bgcolor": "white"}}
