"""``steward retrain``: a challenger trained on new data, shadowed on logged traffic, compared, and promoted
only through the promotion gate."""

from __future__ import annotations

import typer

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, number, print_json


def retrain(
    model: str = typer.Argument(..., help="The registered model to retrain."),
    train: str = typer.Option(..., "--train", help="The new training split, NAME@VERSION."),
    validation: str = typer.Option(..., "--validation", help="The new validation split, NAME@VERSION."),
    test: str = typer.Option(..., "--test", help="The new test split, NAME@VERSION."),
    monitor: str | None = typer.Option(None, "--monitor", help="The monitor whose latest run's retraining triggers "
                                                               "are checked (default: the only one)."),
    force: bool = typer.Option(False, "--force", help="Retrain even if no retraining trigger fired."),
    shadow: bool = typer.Option(False, "--shadow", help="Also deploy the challenger as the endpoint's shadow."),
    promote: bool = typer.Option(False, "--promote", help="Promote the challenger if the promotion gate passes."),
    json_: bool = JSON,
) -> None:
    """Retrain a model through steward.yaml's features and training config on new data versions, register the
    challenger, replay the logged traffic through champion and challenger, write the champion–challenger
    report, and (with --promote) promote it through the gate."""
    from mlsteward.lifecycle.retraining import retrain as run_retrain

    workspace = open_workspace()
    with console.status("retraining: features, candidates, evaluation, replay", spinner="dots"):
        outcome = run_retrain(workspace, project_spec(workspace), model, train=train, validation=validation, test=test,
                              monitor=monitor, force=force, shadow=shadow, promote_if_passed=promote)
    if json_:
        print_json(outcome)
        return
    console.print(f"[bold]{outcome.challenger}[/] trained (run {outcome.training_run[:8]}) against champion "
                  f"{outcome.champion or 'none'}", highlight=False)
    for trigger in outcome.triggers:
        console.print(f"  why: {trigger}", highlight=False)
    comparison = outcome.comparison
    if comparison is not None:
        console.print(f"  replayed {comparison.rows} logged requests: agreement {comparison.agreement:.1%}, "
                      f"{comparison.labelled_rows} labelled", highlight=False)
        for name, diff in sorted(comparison.differences.items()):
            console.print(f"    {name}: challenger − champion = {number(diff)}", highlight=False)
    console.print(f"  promotion gate: {outcome.gate.decision}"
                  + ("; promoted" if outcome.promoted else ""), highlight=False)
    for check in outcome.gate.blocking:
        console.print(f"    blocking: {check.check} ({check.note})", highlight=False)
    for note in outcome.notes:
        console.print(f"  [dim]{note}[/]", highlight=False)
    console.print(f"  report: {outcome.report_path}", highlight=False)
