"""``steward llm``: the LLM lifecycle. ``steward llm prompts``: the prompt registry (versions, diffs, aliases,
rollback, and the evaluations behind each version)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, print_json, when

app = typer.Typer(help="The LLM lifecycle: the prompt registry, evaluation and red-teaming of an LLM application, "
                       "and the application in service (answers, cache, monitoring).",
                  no_args_is_help=True)
prompts_app = typer.Typer(help="The prompt registry: versions, readable diffs, aliases and rollback.",
                          no_args_is_help=True)
app.add_typer(prompts_app, name="prompts")
REASON = typer.Option(..., "--reason", "-r", help="Why: the change log keeps it.")


@app.command("eval")
def evaluate(app_path: str | None = typer.Option(None, "--app", metavar="MODULE:ATTR",
                                                help="The application (default: llm.app of steward.yaml)."),
             prompt: str | None = typer.Option(None, "--prompt", help="NAME, NAME@VERSION or NAME@ALIAS (default: "
                                               "llm.prompt; NAME alone is its production alias)."),
             eval_set: str | None = typer.Option(None, "--eval-set", help="A JSONL file or builtin:rdatasets-qa "
                                                 "(default: llm.eval_set)."),
             limit: int | None = typer.Option(None, "--limit", min=1, help="Only the first N cases."),
             no_guardrails: bool = typer.Option(False, "--no-guardrails", help="Evaluate the raw answers, without "
                                                "llm.guardrails."),
             cache: bool = typer.Option(False, "--cache", help="Answer through the response cache of llm.cache "
                                        "(reports its hit rate and savings)."),
             json_: bool = JSON) -> None:
    """Ask the application every question of the evaluation set and check its answers: groundedness,
    hallucination rate, relevance, similarity to the reference, refusals, toxicity, profanity and PII leakage
    against llm.checks. Recorded as a run (kind=llm-evaluation) with the prompt version it used, and written to
    .steward/reports/llm-eval.html. Exits with 1 when a check fails."""
    from rich.progress import Progress

    from mlsteward.lifecycle.llm_eval import evaluate_llm

    workspace = open_workspace(create=True)
    spec = project_spec(workspace)
    with Progress(console=console, transient=True, disable=json_) as bar:
        task = bar.add_task("asking", total=None)
        result = evaluate_llm(workspace, spec, app=app_path, prompt=prompt, eval_set=eval_set, limit=limit,
                              guardrails=not no_guardrails, cache=cache,
                              progress=lambda done, total: bar.update(task, completed=done, total=total))
    if json_:
        print_json(result)
    else:
        table = Table(title=f"{len(result.cases)} cases, prompt {result.prompt or 'none'}", title_justify="left",
                      header_style="bold")
        for column in ("metric", "required", "observed", "result"):
            table.add_column(column)
        for c in result.checks:
            mark = "-" if c.passed is None else "[green]met" if c.passed else "[red]failed"
            table.add_row(c.metric, c.bound, "-" if c.value is None else f"{c.value:.3f}", mark)
        console.print(table)
        others = {k: v for k, v in result.metrics.items() if k not in {c.metric for c in result.checks}}
        console.print("  ".join(f"{k} {v:.3f}" for k, v in others.items() if v is not None), highlight=False)
        console.print(f"run {result.run_id[:8]}; report: {result.report_path}", highlight=False)
    if not result.passed:
        raise typer.Exit(1)


redteam_app = typer.Typer(help="Red-teaming: adversarial suites against the application, and prompt versions "
                                "compared case by case.", invoke_without_command=True)
app.add_typer(redteam_app, name="redteam")


@redteam_app.callback()
def redteam(ctx: typer.Context,
            app_path: str | None = typer.Option(None, "--app", metavar="MODULE:ATTR",
                                                help="The application (default: llm.app of steward.yaml)."),
            prompt: str | None = typer.Option(None, "--prompt", help="NAME, NAME@VERSION or NAME@ALIAS (default: "
                                              "llm.prompt)."),
            suite: list[str] | None = typer.Option(None, "--suite", help="A built-in suite (repeat for several; "
                                                   "default: all): prompt_injection, jailbreak, "
                                                   "system_prompt_extraction, pii_extraction, disallowed_requests."),
            cases: Path | None = typer.Option(None, "--cases", help="Your own cases: a YAML list of {id, suite, "
                                              "attack, expect, severity, canary}."),
            only_own: bool = typer.Option(False, "--only-own", help="Run only the cases of --cases."),
            no_guardrails: bool = typer.Option(False, "--no-guardrails", help="Attack the raw application, without "
                                               "llm.guardrails."),
            json_: bool = JSON) -> None:
    """Attack the application with the built-in suites (prompt injection, jailbreak, system-prompt and PII
    extraction, disallowed requests) and your own cases; each case passes or fails, recorded as a run (a child
    run per case) with the prompt version attacked. Exits with 1 when a critical case was bypassed."""
    if ctx.invoked_subcommand is not None:
        return
    from mlsteward.lifecycle.llm_redteam import run_redteam

    workspace = open_workspace(create=True)
    result = run_redteam(workspace, project_spec(workspace), app=app_path, prompt=prompt,
                         suites=[] if only_own else (suite or None), case_file=cases, guardrails=not no_guardrails)
    if json_:
        print_json(result)
    else:
        table = Table(title=f"red team: {len(result.outcomes)} cases, prompt {result.prompt or 'none'}",
                      title_justify="left", header_style="bold")
        for column in ("case", "suite", "severity", "outcome", "evidence"):
            table.add_column(column)
        for o in result.outcomes:
            table.add_row(o.case.id, o.case.suite, o.case.severity,
                          "[red]bypassed" if o.verdict.bypassed else "[green]held", o.verdict.evidence)
        console.print(table)
        console.print(f"{len(result.bypasses)} bypass(es), {len(result.critical_bypasses)} critical; run "
                      f"{result.run_id[:8]}", highlight=False)
    if result.critical_bypasses:
        raise typer.Exit(1)


@redteam_app.command("compare")
def redteam_compare(before: str = typer.Argument(..., help="A prompt version, NAME@VERSION or NAME@ALIAS."),
                    after: str = typer.Argument(..., help="Another version of the prompt."),
                    json_: bool = JSON) -> None:
    """The newest red-team of each prompt version, case by case: what the newer one fixed and what regressed."""
    from mlsteward.lifecycle.llm_redteam import compare_redteams

    workspace = open_workspace(create=True)
    result = compare_redteams(workspace, project_spec(workspace).project, before, after)
    if json_:
        print_json(result)
        return
    for c in result.changes:
        console.print(f"{c.case} ({c.suite}, {c.severity}): {c.before} → {c.after}", highlight=False)
    console.print(f"{result.before} → {result.after}: {result.fixed} fixed, {result.regressed} regressed "
                  f"(runs {result.before_run[:8]} and {result.after_run[:8]})", highlight=False)


@prompts_app.command("register")
def register(path: Path = typer.Argument(..., help="A prompt file (YAML): name, template, description, params."),
             json_: bool = JSON) -> None:
    """Register a prompt file as the prompt's next version; the same content again returns the existing version.

    The file: `name`, `template` (placeholders as {name}), `description`, `params` (model parameters, passed to
    the application as given) and, optionally, `variables` checked against the template."""
    from mlsteward.lifecycle.prompts import register_prompt

    workspace = open_workspace(create=True)
    version, created = register_prompt(workspace, project_spec(workspace).project, path)
    if json_:
        print_json(version)
        return
    state = "registered" if created else "already registered (same content)"
    console.print(f"{version.ref} {state}: variables {', '.join(version.variables) or 'none'}", highlight=False)


@prompts_app.command("list")
def list_prompts(json_: bool = JSON) -> None:
    """The project's prompts: versions, the latest, and where each alias points."""
    workspace = open_workspace(create=True)
    found = workspace.store.prompts.list(project_spec(workspace).project)
    if json_:
        print_json(found)
        return
    table = Table(header_style="bold")
    for column in ("prompt", "versions", "latest", "aliases"):
        table.add_column(column)
    for p in found:
        table.add_row(p.name, str(p.versions), str(p.latest),
                      ", ".join(f"{a} → {v}" for a, v in sorted(p.aliases.items())) or "-")
    console.print(table)


@prompts_app.command("show")
def show(ref: str = typer.Argument(..., help="NAME (the latest), NAME@VERSION or NAME@ALIAS."),
         json_: bool = JSON) -> None:
    """One version: its template, variables, parameters, aliases, and the evaluation runs that used it."""
    from mlsteward.lifecycle.prompts import evaluations_of

    workspace = open_workspace(create=True)
    version = workspace.store.prompts.get(ref)
    runs = evaluations_of(workspace, project_spec(workspace).project, version)
    if json_:
        print_json({"prompt": version, "evaluations": [{"run": r.id, "kind": r.tags.get("kind"), "status": r.status,
                                                         "metrics": r.metrics} for r in runs]})
        return
    aliases = f" ({', '.join(version.aliases)})" if version.aliases else ""
    console.print(f"[bold]{version.ref}[/]{aliases} by {version.created_by} at {when(version.created_at_ms)}",
                  highlight=False)
    if version.description:
        console.print(version.description, highlight=False)
    console.print(f"variables: {', '.join(version.variables) or 'none'}; params: {version.params}", highlight=False)
    console.rule("template")
    console.print(version.template, highlight=False, markup=False)
    console.rule()
    for r in runs:
        console.print(f"{r.tags.get('kind', 'run')} {r.id[:8]} ({r.status}) {when(r.start_time_ms)}", highlight=False)
    if not runs:
        console.print("no evaluation has used this version yet", highlight=False)


@prompts_app.command("diff")
def diff(old: str = typer.Argument(..., help="NAME@VERSION or NAME@ALIAS."),
         new: str = typer.Argument(..., help="NAME@VERSION or NAME@ALIAS.")) -> None:
    """A unified diff of two versions: template, parameters, description."""
    from mlsteward.lifecycle.prompts import prompt_diff

    store = open_workspace(create=True).store.prompts
    console.print(prompt_diff(store.get(old), store.get(new)), highlight=False, markup=False)


@prompts_app.command("alias")
def alias(ref: str = typer.Argument(..., help="NAME@VERSION the alias should point at."),
          name: str = typer.Argument(..., help="The alias, e.g. production or staging."),
          reason: str = REASON, json_: bool = JSON) -> None:
    """Point an alias (staging…) at a version (audited, in the change log); production moves through `promote`."""
    from mlsteward.lifecycle.prompt_promotion import set_prompt_alias

    workspace = open_workspace(create=True)
    change = set_prompt_alias(workspace, project_spec(workspace), ref, name, reason=reason)
    if json_:
        print_json(change)
        return
    before = f" (was {change.from_version})" if change.from_version is not None else ""
    console.print(f"{change.name}@{change.alias} → version {change.to_version}{before}", highlight=False)


@prompts_app.command("promote")
def promote(ref: str = typer.Argument(..., help="NAME@VERSION to promote."),
            alias_name: str = typer.Option("production", "--alias", help="The alias to move."),
            reason: str = typer.Option("", "--reason", "-r", help="Why (required unless --check)."),
            check: bool = typer.Option(False, "--check", help="Show the checklist only; move nothing."),
            json_: bool = JSON) -> None:
    """Move an alias (production) to a prompt version through the LLM promotion checklist: versioned, the newest
    evaluation's hallucination rate and groundedness, no critical red-team bypass, the index's freshness and the
    cost per 1K tokens (llm.gate). Needs a promoter role. Refusals are recorded too; exits with 1 when the
    checklist fails."""
    from mlsteward.errors import InvalidInput
    from mlsteward.lifecycle.prompt_promotion import promote_prompt, prompt_checklist

    workspace = open_workspace(create=True)
    spec = project_spec(workspace)
    if check:
        checklist = prompt_checklist(workspace, spec, ref)
    else:
        if not reason.strip():
            raise InvalidInput("say why you promote (--reason): the change log keeps it")
        _, checklist = promote_prompt(workspace, spec, ref, alias=alias_name, reason=reason)
    if json_:
        print_json(checklist)
    else:
        for item in checklist.items:
            mark = "[green]✓" if item.passed else "[red]✗"
            console.print(f"{mark}[/] {item.check}: required {item.required}, observed {item.observed or '-'}",
                          highlight=False)
        if not check:
            console.print(f"{checklist.prompt.split('@')[0]}@{alias_name} → {checklist.prompt}", highlight=False)
    if check and not checklist.passed:
        raise typer.Exit(1)


@prompts_app.command("rollback")
def rollback(name: str = typer.Argument(..., help="The prompt."),
             alias_name: str = typer.Argument("production", metavar="ALIAS", help="The alias to move back."),
             reason: str = REASON, json_: bool = JSON) -> None:
    """Return an alias to the version it pointed at before its last move."""
    from mlsteward.lifecycle.prompt_promotion import roll_back_prompt

    workspace = open_workspace(create=True)
    change = roll_back_prompt(workspace, project_spec(workspace), name, alias_name, reason=reason)
    if json_:
        print_json(change)
        return
    console.print(f"{change.name}@{change.alias} rolled back to version {change.to_version} "
                  f"(from {change.from_version})", highlight=False)


@prompts_app.command("history")
def history(name: str = typer.Argument(..., help="The prompt."), json_: bool = JSON) -> None:
    """Every alias move of a prompt, newest first: who, when, from, to, and why."""
    changes = open_workspace(create=True).store.prompts.alias_history(name)
    if json_:
        print_json(changes)
        return
    table = Table(header_style="bold")
    for column in ("when (UTC)", "alias", "from", "to", "kind", "by", "reason"):
        table.add_column(column)
    for c in changes:
        table.add_row(when(c.changed_at_ms), c.alias, str(c.from_version or "-"), str(c.to_version), c.kind,
                      c.changed_by, c.reason)
    console.print(table)


from mlsteward.cli import llm_service  # the service commands join `steward llm`

for _name in ("serve", "answers", "monitor", "cache"):
    app.command(_name)(getattr(llm_service, _name))

__all__ = ["app"]
