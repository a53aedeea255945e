"""``steward monitor drift REFERENCE CURRENT``: an ad hoc drift check of two files or dataset versions.

An ad hoc command: it reads the two tables (``mlsteward.lifecycle.frames``), calls the core
(``mlsteward.monitor.dataset_drift``) and the report (``mlsteward.report.render_drift_report``)
directly, and records nothing. Files need no Steward project; dataset versions are looked up in the
project around the current folder.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Self

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mlsteward.cli.common import JSON, open_workspace
from mlsteward.cli.output import console, err_console, print_json
from mlsteward.errors import InvalidInput

if TYPE_CHECKING:
    from mlsteward.monitor import ColumnDrift, DatasetDrift

BAR_DELAY_SECONDS = 0.5  # testing that ends sooner shows no progress bar
WIDE_TABLE = 118  # terminal columns from which the table spells its words out


class Correction(str, Enum):
    bonferroni = "bonferroni"
    benjamini_hochberg = "benjamini_hochberg"


SOURCE_HELP = ("a CSV (.csv, .tsv, .csv.gz) or Parquet (.parquet, .pq) file, a folder of Parquet files, or a "
               "dataset version (NAME@VERSION, NAME@latest) of the project here")


REFERENCE = typer.Argument(..., metavar="REFERENCE", help=f"The reference data: {SOURCE_HELP}.")
CURRENT = typer.Argument(..., metavar="CURRENT", help=f"The current data: {SOURCE_HELP}.")
COLUMN = typer.Option(None, "--column", "-c", help="A column to test (repeatable; default: every reference column, "
                                                    "those missing from the current data are listed as not tested).")
TEST = typer.Option(None, "--test", metavar="COLUMN=TEST",
                    help="The test of a column (repeatable): ks, wasserstein, psi_numeric for numbers; chi2, "
                         "jensen_shannon, psi_categorical for categories (default: by type and sample size).")
THRESHOLD = typer.Option(None, "--threshold", metavar="COLUMN=VALUE",
                         help="The threshold of a column whose --test is given (repeatable): a p-value level such as "
                              "0.01, or a distance such as 0.2.")
CORRECTION = typer.Option(None, "--correction", case_sensitive=False,
                          help="Correct the p-values for testing many columns (default: none).")
EFFECT_FLOOR = typer.Option(None, "--effect-floor", metavar="VALUE",
                            help="The effect size a p-value test needs to call drift (0: none; default: each test's "
                                 "own, KS D 0.05, Cramér's V 0.1).")
DRIFT_SHARE = typer.Option(0.5, "--drift-share", metavar="SHARE",
                           help="The dataset drifts when at least this share of the tested columns drift.")
PREDICTION = typer.Option(None, "--prediction", metavar="COLUMN",
                          help="The model's prediction column, tested apart (prediction drift).")
TARGET = typer.Option(None, "--target", metavar="COLUMN",
                      help="The label column, tested apart (target drift); missing from the current data means the "
                           "labels have not arrived.")
ENCODING = typer.Option("utf-8", "--encoding", help="Text encoding of CSV files.")
HTML = typer.Option(None, "--html", metavar="PATH",
                    help="Also write the drift report, a self-contained HTML page, to PATH.")


def drift(
    reference: str = REFERENCE,
    current: str = CURRENT,
    column: list[str] | None = COLUMN,
    test: list[str] | None = TEST,
    threshold: list[str] | None = THRESHOLD,
    correction: Correction | None = CORRECTION,
    effect_floor: float | None = EFFECT_FLOOR,
    drift_share: float = DRIFT_SHARE,
    prediction: str | None = PREDICTION,
    target: str | None = TARGET,
    encoding: str = ENCODING,
    html: Path | None = HTML,
    json_: bool = JSON,
) -> None:
    """Compare CURRENT with REFERENCE column by column: one drift test per column, then the dataset's
    verdict (drifted when at least --drift-share of the tested columns drift).

    Exit code: 0 when the dataset has not drifted, 1 when it has (so a script or CI job can act on it),
    2 on an error (a missing file, an unknown dataset or column, a bad option).
    """
    from mlsteward.lifecycle.frames import read_frame
    from mlsteward.monitor import dataset_drift

    tests = _pairs(test, "--test", "COLUMN=TEST", "age=ks", str)
    thresholds = _pairs(threshold, "--threshold", "COLUMN=VALUE", "age=0.01", _number)
    _check_options(tests, thresholds, effect_floor, drift_share)
    workspace = functools.cache(open_workspace)
    ref = read_frame(reference, encoding=encoding, workspace=workspace, what="the reference")
    cur = read_frame(current, encoding=encoding, workspace=workspace, what="the current data")
    with _LateBar(disabled=json_) as bar:
        result = dataset_drift(
            ref.data, cur.data, columns=column or None, tests=tests, thresholds=thresholds, effect_floor=effect_floor,
            correction=correction.value if correction else None, drift_share=drift_share, prediction=prediction,
            target=target, progress=bar.update)
    if html is not None:
        from mlsteward.report import render_drift_report, write_report

        page = render_drift_report(result, title=f"Drift: {cur.label} against {ref.label}", reference=ref.label,
                                   current=cur.label)
        write_report(page, html)
    if json_:
        print_json(result)
    else:
        extra = [] if column else [str(c) for c in cur.data.columns if c not in ref.data.columns]
        print_drift(result, ref.label, cur.label, extra, html)
    if result.tested_count == 0:
        raise InvalidInput("no column could be tested, so there is no drift verdict: check that the two tables share "
                           "columns (the reasons are listed above), or name columns with --column")
    if result.drifted:
        raise typer.Exit(1)


# --- options --------------------------------------------------------------------------------------


def _check_options(tests: dict, thresholds: dict, effect_floor: float | None, drift_share: float) -> None:
    """What the core would refuse too, in the command's words."""
    for name, value in thresholds.items():
        if name not in tests:
            raise InvalidInput(f"--threshold {name}={value:g} needs the test it is for: add --test {name}=TEST (e.g. "
                               "ks or wasserstein for numbers, chi2 or jensen_shannon for categories); the default "
                               "test depends on the sample size, and a p-value level and a distance differ")
    if not 0.0 < drift_share <= 1.0:
        raise InvalidInput(f"--drift-share must be above 0 and at most 1, e.g. 0.5; got {drift_share:g}")
    if effect_floor is not None and effect_floor < 0.0:
        raise InvalidInput(f"--effect-floor must be 0 (no floor) or positive, e.g. 0.1; got {effect_floor:g}")


def _number(text: str) -> float:
    return float(text)


def _pairs(items: list[str] | None, option: str, form: str, example: str,
           convert: Callable[[str], object]) -> dict[str, object]:
    """``COLUMN=VALUE`` options as a mapping (split at the last ``=``: a column name may hold one)."""
    pairs: dict[str, object] = {}
    for item in items or []:
        name, sep, value = item.rpartition("=")
        if not sep or not name or not value.strip():
            raise InvalidInput(f"{option} takes {form}, e.g. {option} {example}; got {item!r}")
        try:
            converted = convert(value.strip())
        except ValueError:
            raise InvalidInput(f"{option} {item!r}: {value!r} is not a number; write {form}, e.g. "
                               f"{option} {example}") from None
        if name in pairs and pairs[name] != converted:
            raise InvalidInput(f"{option} names column {name!r} twice, with {pairs[name]!r} and {converted!r}: "
                               "give it once")
        pairs[name] = converted
    return pairs


class _LateBar:
    """A transient progress bar on stderr over the columns tested, shown only once testing has taken longer
    than ``BAR_DELAY_SECONDS`` (most checks take milliseconds: no bar flickers by)."""

    def __init__(self, disabled: bool) -> None:
        self.disabled = disabled
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task = None

    def __enter__(self) -> Self:
        return self

    def update(self, done: int, total: int) -> None:
        if self.disabled:
            return
        if self.bar is None:
            if done >= total or time.monotonic() - self.started < BAR_DELAY_SECONDS:
                return
            self.bar = Progress(TextColumn("[bold]testing columns"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=err_console, transient=True)
            self.task = self.bar.add_task("columns", total=total)
            self.bar.start()
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


# --- the table ------------------------------------------------------------------------------------


def _p_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _share(value: float | None) -> str:
    if value is None:
        return "-"
    if 0 < value < 0.0005:
        return "<0.1%"  # not 0.0%: some are missing
    return f"{value:.1%}"


def print_drift(result: DatasetDrift, reference: str, current: str, extra: Sequence[str] = (),
                html: Path | None = None) -> None:
    """The drift table, the dataset verdict and the notes (also `steward monitor run` / `show`)."""
    console.print(f"drift of [bold]{escape(current)}[/] ({result.current_rows:,} rows) against "
                  f"[bold]{escape(reference)}[/] ({result.reference_rows:,} rows)", highlight=False, soft_wrap=True)
    corrected = result.correction is not None
    rows: list[tuple[str, ColumnDrift]] = [(c.column or "", c) for c in result.columns]
    rows += [(f"{role}: {c.column}", c) for role, c in (("prediction", result.prediction), ("target", result.target))
             if c is not None]
    wide = console.width >= WIDE_TABLE  # else short words, so that 80 columns hold the table
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1, 0, 1) if wide else (0, 1, 0, 0))
    longest = max((len(label) for label, _ in rows), default=6)
    table.add_column("column", min_width=min(longest, 24 if wide else 16), overflow="fold")
    table.add_column("type", no_wrap=True)
    table.add_column("test", overflow="fold")
    p_header = ("p-value (adj.)" if corrected else "p-value") if wide else ("p (adj.)" if corrected else "p")
    for name in ("statistic" if wide else "stat.", p_header, "threshold" if wide else "thr."):
        table.add_column(name, justify="right", no_wrap=True)
    table.add_column("drifted" if wide else "drift", no_wrap=True)
    table.add_column("missing ref → cur" if wide else "missing r→c", justify="right", no_wrap=True)
    arrow = " → " if wide else "→"
    for label, c in rows:
        p_value = c.adjusted_p_value if corrected and c.adjusted_p_value is not None else c.p_value
        table.add_row(escape(label), c.column_type if wide else c.column_type[:3], c.test, f"{c.statistic:.4g}",
                      _p_text(p_value), f"{c.threshold:g}", "[bold red]yes[/]" if c.drifted else "no",
                      f"{_share(c.reference_missing_share)}{arrow}{_share(c.current_missing_share)}",
                      style="red" if c.drifted else None)
    if rows:
        console.print(table)
    share = _share(result.drifted_share)
    rule = f"drift share {result.drift_share:.6g}"
    if result.tested_count == 0:
        console.print("[yellow]no column was tested: no drift verdict[/]")
    elif result.drifted:
        console.print(f"[bold red]dataset drift[/]: {result.drifted_count} of {result.tested_count} columns drifted "
                      f"({share}, at least the {rule})", highlight=False)
    else:
        console.print(f"[bold green]no dataset drift[/]: {result.drifted_count} of {result.tested_count} columns "
                      f"drifted ({share}, below the {rule})", highlight=False)
    for label, c in rows:
        for note in c.notes:
            console.print(f"[dim]note on {escape(label)}: {escape(note)}[/]", highlight=False)
    for skipped in result.skipped:
        console.print(f"[dim]not tested: {escape(skipped.column)}: {escape(skipped.reason)}[/]", highlight=False)
    if extra:
        console.print(f"[dim]not tested: {escape(', '.join(extra))}: only in the current data[/]", highlight=False)
    if html is not None:
        console.print(f"report: {escape(str(html))}", highlight=False, soft_wrap=True)
