"""``steward llm serve``, ``llm answers``, ``llm monitor`` and ``llm cache``: the LLM application in service
(registered on ``steward llm`` by ``mlsteward.cli.llm``)."""

from __future__ import annotations

import typer
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace, project_spec
from mlsteward.cli.output import console, err_console, print_json, when

APP = typer.Option(None, "--app", metavar="MODULE:ATTR", help="The application (default: llm.app of steward.yaml).")
PROMPT = typer.Option(None, "--prompt", help="NAME, NAME@VERSION or NAME@ALIAS (default: llm.prompt; NAME alone is "
                                             "its production alias).")


def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (0.0.0.0 for every interface)."),
          port: int = typer.Option(8100, "--port", help="Port to listen on."),
          no_auth: bool = typer.Option(False, "--no-auth", help="Answer without API tokens (only on a trusted "
                                                                "network)."),
          app_path: str | None = APP, prompt: str | None = PROMPT,
          no_guardrails: bool = typer.Option(False, "--no-guardrails", help="Serve the raw answers, without "
                                                                            "llm.guardrails."),
          cache: bool | None = typer.Option(None, "--cache/--no-cache", help="Answer repeated questions from the "
                                                                             "response cache (default: "
                                                                             "llm.cache.enabled)."),
          max_body_kb: int = typer.Option(1024, "--max-body-kb", min=1, help="Largest request body (413 past it)."),
          log_level: str = typer.Option("info", "--log-level", help="uvicorn's log level.")) -> None:
    """Serve the LLM application over HTTP: POST /v1/llm/answer with {"question": ...} answers behind the
    guardrails and the cache, with the documents used, tokens, cost and guardrail actions; every answer is scored
    and logged for `steward llm monitor`. API docs at /docs."""
    import uvicorn

    from mlsteward.lifecycle.llm_service import AnswerService
    from mlsteward.serving.llm_app import create_llm_app

    workspace = open_workspace(create=True)
    service = AnswerService(workspace, project_spec(workspace), app=app_path, prompt=prompt,
                            guardrails=not no_guardrails, cache=cache)
    err_console.print(f"serving {service.application.name} (prompt {service.prompt.ref if service.prompt else 'none'}"
                      f", cache {'on' if service.application.cache else 'off'}, guardrails "
                      f"{'on' if service.application.guardrails else 'off'}) at http://{host}:{port}/v1/llm/answer; "
                      f"{'no auth' if no_auth else 'API tokens required'}", highlight=False)
    uvicorn.run(create_llm_app(service, require_token=not no_auth, max_body_bytes=max_body_kb * 1024), host=host,
                port=port, log_level=log_level)


def answers(limit: int = typer.Option(20, "--limit", min=1, help="The newest N answers."),
            prompt: str | None = typer.Option(None, "--prompt", help="Only the answers of this NAME@VERSION."),
            json_: bool = JSON) -> None:
    """The newest answers of the answer log: question, the documents used (provenance), tokens, cost, cache,
    guardrail actions and scores."""
    workspace = open_workspace(create=True)
    logged = workspace.store.llm.answers(project_spec(workspace).project, prompt=prompt, limit=limit)
    if json_:
        print_json(logged)
        return
    if not logged:
        console.print("no answer logged yet: serve the application with `steward llm serve`")
        return
    table = Table(header_style="bold")
    for column in ("time (UTC)", "question", "documents", "tokens in/out", "cost", "cache", "grounded", "flags"):
        table.add_column(column)
    for a in logged:
        flags = [f for f, on in (("hallucinated", a.hallucinated), ("refused", a.refused)) if on] + a.guardrails
        table.add_row(when(a.time_ms), a.question[:60], ", ".join(d["id"] for d in a.documents)[:40],
                      f"{a.tokens_in}/{a.tokens_out}", f"${a.cost_usd:.5f}", a.cache or "-",
                      "-" if a.grounded is None else f"{a.grounded:.2f}", "; ".join(flags) or "-")
    console.print(table)


def monitor(json_: bool = JSON) -> None:
    """Read the answer log over llm.monitor.window: hallucination rate against the prompt's evaluation (drift),
    effectiveness over the buckets (decay), tokens, cost, cache hits and the month against llm.budget. Recorded as
    a monitor run (monitor `llm`) whose alerts go where every monitor's go. Exits with 1 when an alert fires."""
    from pathlib import Path

    from mlsteward.lifecycle.llm_monitor import monitor_llm

    workspace = open_workspace(create=True)
    spec = project_spec(workspace)
    outcome = monitor_llm(workspace, spec, spec_dir=Path(workspace.settings.project_root))
    if json_:
        print_json(outcome)
    else:
        result = outcome.result
        console.print(f"{result.window.answers} answers from {when(result.window_start_ms)} to "
                      f"{when(result.window_end_ms)}, prompt {result.prompt or '-'}", highlight=False)
        table = Table(header_style="bold")
        table.add_column("signal")
        table.add_column("value", justify="right")
        for name, value in result.signals.items():
            table.add_row(name, "-" if value is None else f"{value:.4g}")
        console.print(table)
        if result.baseline is not None:
            console.print(f"hallucination baseline: {result.baseline.source}", highlight=False)
        for note in result.notes:
            console.print(f"note: {note}", highlight=False)
        for alert in outcome.alerts:
            console.print(f"[red]{alert.severity}[/]: {alert.message}", highlight=False)
        console.print(f"monitor run {outcome.run_id[:8]}", highlight=False)
    for problem in outcome.delivery_problems:
        err_console.print(f"alert delivery: {problem}", highlight=False)
    if outcome.alerts:
        raise typer.Exit(1)


def cache(clear: bool = typer.Option(False, "--clear", help="Delete every entry."),
          expired: bool = typer.Option(False, "--expired", help="With --clear: delete the expired entries only."),
          json_: bool = JSON) -> None:
    """The response cache: entries, hits, this month's hit rate and what it saved (from the answer log); --clear
    empties it."""
    from mlsteward.lifecycle.llm_monitor import month_start_ms
    from mlsteward.store._sql import now_ms

    workspace = open_workspace(create=True)
    project = project_spec(workspace).project
    store = workspace.store.llm
    removed = store.cache_clear(project, expired_only=expired) if clear else None
    month = store.usage(project, since_ms=month_start_ms(now_ms()))
    stats = store.cache_stats(project)
    summary = {"entries": stats.entries, "expired": stats.expired, "hits": stats.hits, "removed": removed,
               "month_answers": month.answers, "month_cached": month.cached,
               "month_hit_rate": month.cached / month.answers if month.answers else None,
               "month_saved_usd": month.saved_usd}
    if json_:
        print_json(summary)
        return
    if removed is not None:
        console.print(f"removed {removed} entr{'y' if removed == 1 else 'ies'}")
    rate = "-" if summary["month_hit_rate"] is None else f"{summary['month_hit_rate']:.1%}"
    console.print(f"{stats.entries} entries ({stats.expired} expired), {stats.hits} hits; this month {month.cached} "
                  f"of {month.answers} answers from the cache ({rate}), ${month.saved_usd:.4f} saved", highlight=False)


__all__ = ["answers", "cache", "monitor", "serve"]
