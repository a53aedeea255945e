"""Deployments: each endpoint's traffic split (live, canary, shadow), its history, and the rollback — offered to
everyone signed in, done only for an identity holding a role that may deploy (the same check as the CLI's)."""

from __future__ import annotations

from mlsteward.errors import InvalidInput
from mlsteward.lifecycle.deployment import rollback_deployment
from mlsteward.report._charts import AMBER, BLUE, GREY
from mlsteward.serving.rollout import Endpoint
from mlsteward.ui.view import Page, View


def deployments(view: View) -> Page:
    endpoints = []
    for record in view.store.deployments.endpoints(view.project):
        state = Endpoint.model_validate(record.state)
        endpoints.append({"record": record, "state": state, "split": split_figure(state),
                          "history": view.store.deployments.history(record.model)})
    allowed = []
    if view.spec is not None:
        allowed = view.spec.governance.promoter_roles or view.spec.charter.roles
    may_roll_back = bool(view.user) and any(r in allowed for r in view.roles)
    return Page("deployments.html", "Deployments", {"endpoints": endpoints, "allowed_roles": allowed,
                                                    "may_roll_back": may_roll_back, "outcome": None})


def roll_back(view: View, model: str, reason: str) -> str:
    """Roll ``model``'s endpoint back as the signed-in user; the sentence to show."""
    if view.spec is None:
        raise InvalidInput("the dashboard runs without a steward.yaml, so no one holds a role that may roll back")
    record = rollback_deployment(view.workspace.acting_as(view.user or ""), view.spec, model, reason)
    return f"{model} rolled back: version {record.state['live']} is live again (by {view.user})"


def split_figure(state: Endpoint) -> dict:
    """The share of requests each version answers, with the shadow (which sees every request) beside it."""
    labels, values, colours = [f"v{state.live} live"], [1.0 - (state.canary_share if state.canary else 0.0)], [BLUE]
    if state.canary is not None:
        labels.append(f"v{state.canary} canary")
        values.append(state.canary_share)
        colours.append(AMBER)
    if state.shadow is not None:
        labels.append(f"v{state.shadow} shadow (scores every request, never answers)")
        values.append(1.0)
        colours.append(GREY)
    return {"data": [{"type": "bar", "orientation": "h", "y": labels, "x": values, "marker": {"color": colours},
                      "text": [f"{v:.0%}" for v in values], "textposition": "auto"}],
            "layout": {"height": 70 + 40 * len(labels), "margin": {"l": 10, "r": 10, "t": 10, "b": 30},
                       "xaxis": {"range": [0, 1], "tickformat": ".0%", "title": {"text": "share of requests"}},
                       "yaxis": {"autorange": "reversed", "automargin": True}, "showlegend": False,
                       "paper_bgcolor": "white", "plot_bgcolor": "white"}}
