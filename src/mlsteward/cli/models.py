"""``steward models`` (the registry: register, list, show, lineage, aliases, promote, waive, rollback),
``steward signoff`` and ``steward tokens``."""

from __future__ import annotations

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, err_console, number, print_json, when
from mlsteward.errors import GateRefused

app = typer.Typer(help="The model registry: versions, aliases, promotion through the gate, rollback.",
                  no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for the server (stored hashed; the secret is shown once).",
                         no_args_is_help=True)

STATUS_STYLE = {"staging": "cyan", "production": "green", "archived": "dim", "retired": "dim"}
MARK = {True: "[green]met[/]", False: "[red]not met[/]", None: "[yellow]pending[/]"}


@app.command("register")
def register(
    run: str = typer.Argument(..., help="The trained run: `best` (of the latest `steward train`), a candidate's "
                                        "name, or a run id."),
    name: str = typer.Option(..., "--name", "-n", help="The model's name in the registry, e.g. churn."),
    description: str = typer.Option("", "--description", help="What this version is, in a sentence."),
    json_: bool = JSON,
) -> None:
    """Register a trained run as the next version of a model (skops artifact, ONNX where it converts)."""
    from mlsteward.lifecycle.registry import register_model

    workspace = open_workspace()
    outcome = register_model(workspace, project_spec(workspace), run, name, description=description)
    if json_:
        print_json(outcome)
        return
    v = outcome.version
    verb = "registered" if outcome.created else "already registered as"
    console.print(f"{verb} {v.ref} (run {v.run_id[:8]}, {v.format}, status {v.status}); ONNX: {v.onnx_note}")


@app.command("list")
def list_(name: str | None = typer.Argument(None, help="Only this model's versions."), json_: bool = JSON) -> None:
    """Registered model versions, newest first within each model."""
    workspace = open_workspace()
    versions = workspace.store.models.versions(name)
    if json_:
        print_json(versions)
        return
    if not versions:
        console.print("No registered models yet: `steward models register best --name NAME` registers one.")
        return
    table = Table(header_style="bold")
    for col in ("model", "status", "aliases", "run", "format", "metrics", "registered (UTC)", "by"):
        table.add_column(col)
    for v in versions:
        metrics = ", ".join(f"{k} {number(x)}" for k, x in v.metrics.items() if not k.startswith("efficiency_"))
        table.add_row(v.ref, f"[{STATUS_STYLE[v.status]}]{v.status}[/]", ", ".join(v.aliases) or "-", v.run_id[:8],
                      v.format + (" + onnx" if v.onnx_digest else ""), metrics, when(v.created_at_ms, False),
                      v.created_by)
    console.print(table)


@app.command("show")
def show(ref: str = typer.Argument(..., help="NAME, NAME@VERSION or NAME@ALIAS."), json_: bool = JSON) -> None:
    """One version: status, aliases, artifact and its sha256, schemas, metrics, promotion history."""
    workspace = open_workspace()
    v = workspace.store.models.resolve(ref)
    history = workspace.store.models.gate_history(v.subject)
    if json_:
        print_json({"version": v, "gate_history": history})
        return
    console.print(f"[bold]{v.ref}[/] [{STATUS_STYLE[v.status]}]{v.status}[/]  aliases: {', '.join(v.aliases) or '-'}")
    console.print(f"run {v.run_id}  registered {when(v.created_at_ms)} by {v.created_by}", highlight=False)
    console.print(f"artifact ({v.format}): {v.artifact_digest}\nONNX: {v.onnx_digest or '-'} ({v.onnx_note})",
                  highlight=False)
    columns = ", ".join(f"{c['name']}:{c.get('dtype')}" for c in v.input_schema.get("columns", []))
    console.print(f"input: {columns or '-'}\noutput: {v.output_schema.get('task', '-')}", highlight=False)
    quality = {k: x for k, x in v.metrics.items() if not k.startswith("efficiency_")}
    efficiency = {k.removeprefix("efficiency_"): x for k, x in v.metrics.items() if k.startswith("efficiency_")}
    console.print("metrics: " + (", ".join(f"{k} {number(x)}" for k, x in quality.items()) or "-"), highlight=False)
    if efficiency:
        console.print("efficiency: " + ", ".join(f"{k} {number(x)}" for k, x in efficiency.items()), highlight=False)
    for g in history:
        console.print(f"gate {g['gate']}: {g['decision']} {when(g['created_at_ms'])} by {g['created_by']}")


@app.command("lineage")
def lineage(ref: str = typer.Argument(..., help="NAME, NAME@VERSION or NAME@ALIAS."), json_: bool = JSON) -> None:
    """Where a version came from: run -> dataset versions -> feature set -> code commit."""
    workspace = open_workspace()
    v = workspace.store.models.resolve(ref)
    if json_:
        print_json(v.lineage)
        return
    lin = v.lineage
    console.print(f"[bold]{v.ref}[/] <- run {lin.get('run', '')[:8]} (training {str(lin.get('training_run'))[:8]})")
    for role, dataset in lin.get("datasets", {}).items():
        console.print(f"  {role}: {dataset}")
    if lin.get("upstream"):
        console.print(f"  made from: {', '.join(lin['upstream'])}")
    console.print(f"  feature set: {lin.get('feature_set') or '-'}")
    dirty = " (uncommitted changes)" if lin.get("code_dirty") else ""
    console.print(f"  code: {lin.get('code_commit') or 'not in a git repository'}{dirty}")


@app.command("alias")
def alias(
    name: str = typer.Argument(..., help="The model."),
    alias_: str = typer.Argument(..., metavar="ALIAS", help="The alias, e.g. challenger."),
    version: int | None = typer.Argument(None, help="The version it points at (omit with --remove)."),
    remove: bool = typer.Option(False, "--remove", help="Remove the alias."),
) -> None:
    """Point an alias (champion, challenger, any name) at a version, or remove it."""
    store = open_workspace().store
    if remove:
        store.models.remove_alias(name, alias_)
        console.print(f"removed {name}@{alias_}")
        return
    if version is None:
        raise typer.BadParameter("give the VERSION the alias points at, or --remove")
    v = store.models.set_alias(name, alias_, version)
    console.print(f"{name}@{alias_} -> {v.ref}")


@app.command("promote")
def promote(
    name: str = typer.Argument(..., help="The model."),
    version: str = typer.Argument(..., help="The version (or an alias)."),
    to: str = typer.Option("production", "--to", help="production (through the gate), staging or archived."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Decide the gate and show it; change nothing."),
    json_: bool = JSON,
) -> None:
    """Move a version to production through the promotion gate (refused with the failing checks), or to
    staging / archived."""
    from mlsteward.lifecycle.promotion import promote as promote_version
    from mlsteward.lifecycle.promotion import promotion_gate

    workspace = open_workspace()
    spec = project_spec(workspace)
    if dry_run:
        gate = promotion_gate(workspace, spec, workspace.store.models.get(name, version))
        print_json(gate) if json_ else _print_gate(gate)
        return
    try:
        promoted = promote_version(workspace, spec, f"{name}@{version}", to)  # type: ignore[arg-type]
    except GateRefused as refused:
        if json_:
            print_json(refused.result)
        else:
            _print_gate(refused.result)
        err_console.print(f"[bold red]refused:[/] {refused.message}", highlight=False, soft_wrap=True)
        raise typer.Exit(refused.exit_code) from None
    if json_:
        print_json(promoted)
        return
    console.print(f"{promoted.ref} is now [{STATUS_STYLE[promoted.status]}]{promoted.status}[/]"
                  + (f" (aliases: {', '.join(promoted.aliases)})" if promoted.aliases else ""))


@app.command("waive")
def waive(
    name: str = typer.Argument(..., help="The model."),
    version: str = typer.Argument(..., help="The version (or an alias)."),
    check: str = typer.Option(..., "--check", help="The failing check, or a unique part of it (e.g. fairness)."),
    reason: str = typer.Option(..., "--reason", help="Why it may be let through (kept in the audit trail)."),
) -> None:
    """Waive one failing check of a version's promotion gate (a role in governance.waiver_roles only)."""
    from mlsteward.lifecycle.promotion import waive_check

    workspace = open_workspace()
    waiver = waive_check(workspace, project_spec(workspace), f"{name}@{version}", check, reason)
    console.print(f"waived '{waiver.check}' for {waiver.subject} as {waiver.role} ({waiver.person})")


@app.command("rollback")
def rollback(
    name: str = typer.Argument(..., help="The model."),
    reason: str = typer.Option(..., "--reason", help="What went wrong (kept in the change log)."),
) -> None:
    """Put the previous production version back; the current one is archived."""
    from mlsteward.lifecycle.promotion import rollback as roll_back

    workspace = open_workspace()
    restored = roll_back(workspace, project_spec(workspace), name, reason)
    console.print(f"{restored.ref} is back in production")


@app.command("retire")
def retire(
    name: str = typer.Argument(..., help="The model."),
    version: str = typer.Argument(..., help="The version to retire."),
    reason: str = typer.Option(..., "--reason", help="Why it is retired (the sunset record keeps it)."),
    json_: bool = JSON,
) -> None:
    """Retire a version: check the retirement triggers, take it off its endpoint, revoke the tokens scoped to
    it, archive its final artifacts with the evaluation and model card, and write the sunset record. A retired
    version is read-only and stays audit-verifiable."""
    from mlsteward.lifecycle.retirement import retire_model

    workspace = open_workspace()
    outcome = retire_model(workspace, project_spec(workspace), name, version, reason)
    if json_:
        print_json(outcome)
        return
    console.print(f"{outcome.version.ref} is retired.", highlight=False)
    for check in outcome.triggers:
        console.print(f"  {'●' if check.observed else '○'} {check.trigger}: {check.detail}", highlight=False)
    if outcome.left_endpoint:
        console.print(f"taken off the endpoint's {outcome.left_endpoint} arm", highlight=False)
    if outcome.revoked_tokens:
        console.print(f"revoked token(s) {', '.join(outcome.revoked_tokens)}", highlight=False)
    console.print(f"archive {outcome.archive} ({len(outcome.archived_files)} files); sunset record in "
                  f"`steward changelog`", highlight=False)


def signoff(
    subject: str = typer.Argument(..., help="A model version (NAME@VERSION, e.g. churn@3) or a stage (stage:scoping)."),
    role: str = typer.Option(..., "--role", help="The charter role you sign in, e.g. product_owner."),
    decision: str = typer.Option(..., "--decision", help="approve or reject."),
    comment: str = typer.Option("", "--comment", help="Why, in a sentence."),
    json_: bool = JSON,
) -> None:
    """Sign off (approve or reject) a model version or a stage, in a role you hold in the charter."""
    from mlsteward.errors import InvalidInput
    from mlsteward.lifecycle.signoffs import sign_off

    if decision not in ("approve", "reject"):
        raise InvalidInput(f"--decision {decision!r}: give approve or reject")
    workspace = open_workspace()
    record = sign_off(workspace, project_spec(workspace), subject, role, decision, comment)  # type: ignore[arg-type]
    if json_:
        print_json(record)
        return
    console.print(f"{record.person} ({record.role}) {record.decision}d {record.subject}")


@tokens_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="The identity the token acts as (a stakeholder's user, email "
                                                 "or name)."),
    name: str = typer.Option("", "--name", help="What the token is for, e.g. ci."),
    model: str | None = typer.Option(None, "--model", help="Limit it to one model (NAME) or model version "
                                                           "(NAME@VERSION); revoked when that version retires."),
) -> None:
    """Create a token; its secret is printed once and only its sha256 is stored."""
    secret, record = open_workspace().store.tokens.create(user, name, scope=model)
    scoped = f" (only {record.scope})" if record.scope else ""
    console.print(f"token {record.id} for {record.user}{scoped}:\n{secret}\nKeep it secret: it is not shown again.",
                  highlight=False)


@tokens_app.command("list")
def token_list(json_: bool = JSON) -> None:
    """Tokens (never their secrets)."""
    records = open_workspace().store.tokens.list()
    if json_:
        print_json(records)
        return
    table = Table(header_style="bold")
    for col in ("id", "user", "name", "model", "created (UTC)", "by", "revoked"):
        table.add_column(col)
    for r in records:
        table.add_row(r.id, r.user, r.name or "-", r.scope or "any", when(r.created_at_ms, False), r.created_by,
                      when(r.revoked_at_ms, False) if r.revoked_at_ms else "-")
    console.print(table)


@tokens_app.command("revoke")
def token_revoke(token_id: str = typer.Argument(..., help="The token's id (`steward tokens list`).")) -> None:
    """Revoke a token: requests presenting it are refused from now on."""
    record = open_workspace().store.tokens.revoke(token_id)
    console.print(f"revoked token {record.id} of {record.user}")


def _print_gate(gate) -> None:  # noqa: ANN001 - PromotionGate
    colour = {"pass": "green", "fail": "red", "pending": "yellow"}.get(gate.decision, "dim")
    source = f" (evaluation {gate.evaluation[:8]} on {gate.dataset})" if gate.evaluation else ""
    table = Table(title=f"promotion gate of {gate.model}: [{colour}]{gate.decision}[/]{source}", title_justify="left",
                  header_style="bold")
    for col in ("check", "status", "observed", "required", "note"):
        table.add_column(col, overflow="fold")
    for c in gate.checks:
        status = "[yellow]waived[/]" if c.waived_by else MARK[c.passed]
        table.add_row(c.check, status, number(c.observed), c.required, c.note or "")
    console.print(table)
