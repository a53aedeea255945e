"""The dashboard's pages: each builder reads the store and returns the template and what it shows."""

from mlsteward.ui.pages import board, data, deployments, features, governance, labeling, llm, models, monitoring, runs

ROUTES = [
    ("/ui/", board.board),
    ("/ui/runs", runs.runs),
    ("/ui/runs/compare", runs.compare),
    ("/ui/runs/{run}", runs.run),
    ("/ui/data", data.datasets),
    ("/ui/data/{ref}", data.dataset),
    ("/ui/features", features.features),
    ("/ui/models", models.models),
    ("/ui/models/{ref}", models.model_version),
    ("/ui/evaluations/{ref}", models.evaluation),
    ("/ui/deployments", deployments.deployments),
    ("/ui/monitoring", monitoring.monitoring),
    ("/ui/monitoring/runs/{run}", monitoring.monitor_run),
    ("/ui/monitoring/drift/{column}", monitoring.drift_history),
    ("/ui/incidents/{ref}", monitoring.incident),
    ("/ui/governance", governance.governance),
    ("/ui/labeling", labeling.projects),
    ("/ui/labeling/{name}", labeling.project),
    ("/ui/llm", llm.llm),
]

__all__ = ["ROUTES"]
