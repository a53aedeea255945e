"""The ``steward`` command. Errors Steward raises on purpose become one line and exit code 2."""

from __future__ import annotations

import typer
from typer.core import TyperGroup

from mlsteward import __version__
from mlsteward.cli import (
    audit,
    costs,
    data,
    deliverables,
    deploy,
    evaluate,
    features,
    governance,
    incidents,
    label,
    llm,
    loadtest,
    mitigate,
    models,
    monitor,
    package,
    project,
    retrain,
    reviews,
    runs,
    scan,
    score,
    serve,
    store,
    train,
)
from mlsteward.cli.output import err_console
from mlsteward.errors import StewardError


class StewardGroup(TyperGroup):
    """Turns a ``StewardError`` raised anywhere below into ``error: …`` and its exit code."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except StewardError as exc:
            err_console.print(f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(
    cls=StewardGroup,
    help="Steward: carry an ML project through its lifecycle, and keep the evidence of every step.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
project.register(app)
app.add_typer(data.app, name="data")
app.add_typer(features.app, name="features")
app.command("feasibility")(train.feasibility)
app.command("train")(train.train)
app.command("evaluate")(evaluate.evaluate)
app.add_typer(mitigate.app, name="mitigate")
app.add_typer(evaluate.app, name="evaluations")
app.add_typer(models.app, name="models")
app.command("signoff")(models.signoff)
app.add_typer(models.tokens_app, name="tokens")
app.add_typer(deliverables.app, name="deliverables")
app.command("serve")(serve.serve)
app.command("ui")(serve.ui)
app.command("score")(score.score)
app.command("loadtest")(loadtest.loadtest)
app.command("scan")(scan.scan)
app.command("package")(package.package)
app.command("deploy")(deploy.deploy)
app.command("rollback")(deploy.rollback)
app.add_typer(deploy.app, name="deployments")
app.add_typer(monitor.app, name="monitor")
app.add_typer(incidents.app, name="incident")
app.add_typer(label.app, name="label")
app.add_typer(llm.app, name="llm")
app.command("retrain")(retrain.retrain)
app.command("roi")(governance.roi)
app.add_typer(governance.risks_app, name="risks")
app.add_typer(governance.decisions_app, name="decisions")
app.command("changelog")(governance.changelog)
app.add_typer(governance.charter_app, name="charter")
app.add_typer(reviews.app, name="reviews")
app.add_typer(runs.app, name="runs")
app.add_typer(costs.app, name="costs")
app.add_typer(audit.app, name="audit")
app.add_typer(store.app, name="store")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"steward {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """Steward: carry an ML project through its lifecycle, and keep the evidence of every step."""


def run() -> None:
    app()
