"""The drift report: a ``DatasetDrift`` (``mlsteward.monitor.dataset_drift``) as one self-contained HTML page.

Pure rendering: the result in, a string out. The page shows the dataset's verdict, one row per column
(test, statistic, p-value, threshold, decision, missing shares), the prediction and target drift when
they were tested, the columns that could not be tested and why, and per column a chart of the reference
against the current data drawn from the result's aggregates alone: the shares of both samples over the
common histogram bins (numeric) or over the top categories and the rest (categorical). No row of the
data reaches the page: the result holds only those aggregates, and nothing else is read.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from typing import Any

from mlsteward.errors import InvalidInput
from mlsteward.monitor import CategoryFrequencies, ColumnDrift, DatasetDrift, DriftHistogram
from mlsteward.report import _charts
from mlsteward.report._charts import BLUE, GREY, LABEL_CHARS, Figure
from mlsteward.report._format import fmt_int, fmt_num, fmt_share, package_version, plotly_text, timestamp_text
from mlsteward.report._html import plotly_js, render_template

MAX_COLUMN_CARDS = 200

SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "columns": "Columns",
    "prediction": "Predictions and labels",
    "skipped": "Not tested",
    "charts": "Distributions",
}
EFFECT_NAMES: dict[str, str] = {"ks_statistic": "KS D", "cramers_v": "Cramér's V"}
CORRECTION_NAMES: dict[str, str] = {"bonferroni": "Bonferroni", "benjamini_hochberg": "Benjamini-Hochberg"}
REFERENCE_COLOUR = GREY
CURRENT_COLOUR = BLUE


def render_drift_report(
    drift: DatasetDrift,
    *,
    title: str = "Drift report",
    reference: str | None = None,
    current: str | None = None,
    generated_at: _dt.datetime | None = None,
    max_column_cards: int = MAX_COLUMN_CARDS,
) -> str:
    """The drift of a dataset as one self-contained HTML document.

    ``drift`` is what ``dataset_drift`` returns (or ``DatasetDrift.model_validate_json`` of a stored
    one). ``reference`` / ``current`` say what was compared (a file, a dataset version such as
    ``gss@3``, a window) and are printed in the header. ``generated_at`` is printed too (default: now,
    UTC); with it fixed, the same result renders to the same page. At most ``max_column_cards`` columns
    get a chart (drifted columns first); every column is in the table.

    The page inlines its CSS and the plotly.js of the installed plotly package and refers to no URL:
    it opens offline. Every value from the result is escaped.
    """
    _check_arguments(drift, title, reference, current, generated_at, max_column_cards)
    chart = _charts.ChartEmbedder()
    rows = [_row(c, f"col-{i}") for i, c in enumerate(drift.columns)]
    order = sorted(range(len(rows)), key=lambda i: not rows[i]["drifted"])  # drifted first, stable
    shown = order[:max_column_cards]
    for i in shown:
        rows[i]["card"] = True
    cards = [_card(rows[i], drift.columns[i], chart) for i in shown]
    roles = [(role, c) for role, c in (("prediction", drift.prediction), ("target", drift.target)) if c is not None]
    special = [_row(c, f"col-{role}", role) for role, c in roles]
    special_cards = [_card(row, c, chart) for row, (_, c) in zip(special, roles, strict=True)]
    present = {"summary", "columns", "charts", *(["prediction"] if special else []),
               *(["skipped"] if drift.skipped else [])}
    context = {
        "title": title,
        "reference": reference,
        "current": current,
        "generated_at": timestamp_text(generated_at or _dt.datetime.now(_dt.UTC)),
        "version": package_version(),
        "plotly_js": plotly_js(),
        "nav": [(key, label) for key, label in SECTIONS.items() if key in present],
        "d": drift,
        "verdict": _verdict(drift),
        "cards": _summary_cards(drift),
        "rows": rows,
        "special": special,
        "column_cards": cards,
        "special_cards": special_cards,
        "hidden_cards": len(rows) - len(shown),
        "correction": CORRECTION_NAMES.get(drift.correction or "", None),
    }
    return render_template("drift_report.html.j2", context)


# --- the boundary ---------------------------------------------------------------------------------


def _check_arguments(drift: Any, title: Any, reference: Any, current: Any, generated_at: Any,
                     max_column_cards: Any) -> None:
    if not isinstance(drift, DatasetDrift):
        raise InvalidInput(f"The 'drift' parameter of render_drift_report must be a DatasetDrift; got "
                           f"{type(drift).__name__} instead. Pass what dataset_drift returns (or "
                           f"DatasetDrift.model_validate_json(...) of a stored one).")
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput(f"The 'title' parameter of render_drift_report must be a non-empty str, e.g. "
                           f"'Drift: gss@1 vs new.parquet'; got {title!r} instead.")
    for name, value in (("reference", reference), ("current", current)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"The '{name}' parameter of render_drift_report must be a str saying what was "
                               f"compared (e.g. 'gss@1' or 'new.parquet') or None; got {type(value).__name__} "
                               "instead.")
    if generated_at is not None and not isinstance(generated_at, _dt.datetime):
        raise InvalidInput(f"The 'generated_at' parameter of render_drift_report must be a datetime or None; "
                           f"got {type(generated_at).__name__} instead.")
    if isinstance(max_column_cards, bool) or not isinstance(max_column_cards, int) or max_column_cards < 0:
        raise InvalidInput(f"The 'max_column_cards' parameter of render_drift_report must be an int >= 0, e.g. "
                           f"200; got {max_column_cards!r} instead.")


# --- the summary ----------------------------------------------------------------------------------


def _percent(share: float) -> str:
    """A configured share as the user wrote it: 0.5 -> '50%', 0.555 -> '55.5%'."""
    return f"{share * 100:.6g}%"


def _verdict(drift: DatasetDrift) -> dict[str, Any]:
    rule = f"the dataset drifts when at least {_percent(drift.drift_share)} of the tested columns drift"
    if drift.tested_count == 0:
        return {"label": "NOT TESTED", "tone": "warn",
                "headline": "No column could be tested, so nothing can be said about drift.",
                "rule": rule, "drifted": []}
    share = fmt_share(drift.drifted_share)
    headline = (f"{drift.drifted_count} of {drift.tested_count} columns drifted ({share}): "
                + ("the dataset drifted." if drift.drifted else "no dataset drift."))
    return {"label": "DRIFT" if drift.drifted else "NO DRIFT", "tone": "bad" if drift.drifted else "good",
            "headline": headline, "rule": rule, "drifted": drift.drifted_columns()}


def _summary_card(label: str, value: str, detail: str = "", tone: str = "") -> dict[str, str]:
    return {"label": label, "value": value, "detail": detail, "tone": tone, "size": "text" if len(value) > 9 else ""}


def _summary_cards(drift: DatasetDrift) -> list[dict[str, str]]:
    cards = [
        _summary_card("Reference rows", fmt_int(drift.reference_rows)),
        _summary_card("Current rows", fmt_int(drift.current_rows)),
        _summary_card("Columns tested", fmt_int(drift.tested_count),
                      f"{len(drift.skipped)} not tested" if drift.skipped else "every column",
                      "warn" if drift.skipped else ""),
        _summary_card("Columns drifted", fmt_int(drift.drifted_count), "", "bad" if drift.drifted_count else "good"),
        _summary_card("Drifted share", fmt_share(drift.drifted_share), f"dataset drift at ≥ {_percent(drift.drift_share)}",
                      "bad" if drift.drifted else ("good" if drift.tested_count else "warn")),
        _summary_card("Correction", CORRECTION_NAMES.get(drift.correction or "", "none"),
                      "of the p-values, for testing many columns"),
    ]
    for label, result in (("Prediction drift", drift.prediction), ("Target drift", drift.target)):
        if result is not None:
            cards.append(_summary_card(label, "drifted" if result.drifted else "none", f"{result.test} on "
                                       f"{result.column}", "bad" if result.drifted else "good"))
    return cards


# --- the columns ----------------------------------------------------------------------------------


def _p_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.3g}"


def _rule(c: ColumnDrift) -> str:
    """When this column's test calls drift, in words."""
    if c.test_kind == "distance":
        return f"drift when {c.test} ≥ {fmt_num(c.threshold)}"
    p = "adjusted p" if c.adjusted_p_value is not None else "p"
    rule = f"drift when {p} < {fmt_num(c.threshold)}"
    if c.effect_size is not None and c.effect_floor:
        rule += f" and {EFFECT_NAMES.get(c.effect_size_name or '', c.effect_size_name)} ≥ {fmt_num(c.effect_floor)}"
    return rule


def _row(c: ColumnDrift, anchor: str, role: str | None = None) -> dict[str, Any]:
    effect = None
    if c.effect_size is not None:
        effect = f"{EFFECT_NAMES.get(c.effect_size_name or '', c.effect_size_name)} {c.effect_size:.3g}"
    return {
        "column": c.column or "", "role": role, "anchor": anchor, "card": role is not None, "type": c.column_type,
        "test": c.test, "source": c.test_source, "statistic": f"{c.statistic:.4g}", "p": _p_text(c.p_value),
        "p_adjusted": None if c.adjusted_p_value is None else _p_text(c.adjusted_p_value),
        "threshold": fmt_num(c.threshold), "effect": effect, "rule": _rule(c), "drifted": c.drifted,
        "counts": (fmt_int(c.reference_count), fmt_int(c.current_count)),
        "missing": (fmt_share(c.reference_missing_share), fmt_share(c.current_missing_share)),
        "missing_changed": abs(c.current_missing_share - c.reference_missing_share) >= 0.05,
        "notes": c.notes,
    }


def _card(row: dict[str, Any], c: ColumnDrift, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    figure = None
    if c.histogram is not None:
        figure = chart(histogram_drift_figure(c.histogram), toolbar=False)
    elif c.frequencies is not None:
        figure = chart(frequencies_drift_figure(c.frequencies), toolbar=False)
    return {"row": row, "chart": figure}


# --- charts ---------------------------------------------------------------------------------------


def _shares(counts: list[int]) -> list[float]:
    total = sum(counts)
    return [n / total if total else 0.0 for n in counts]


def histogram_drift_figure(histogram: DriftHistogram) -> Figure:
    """Both samples' shares over the result's common bins, overlaid: reference grey, current blue."""
    edges = histogram.edges
    centres = [(a + b) / 2 for a, b in itertools.pairwise(edges)]
    widths = [b - a for a, b in itertools.pairwise(edges)]
    last = len(widths) - 1
    ranges = [f"[{fmt_num(a)}, {fmt_num(b)}{']' if i == last else ')'}"
              for i, (a, b) in enumerate(itertools.pairwise(edges))]
    traces = []
    for name, counts, colour in (("reference", histogram.reference_counts, REFERENCE_COLOUR),
                                 ("current", histogram.current_counts, CURRENT_COLOUR)):
        shares = _shares(counts)
        traces.append({
            "type": "bar", "name": name, "x": centres, "y": shares, "width": widths, "opacity": 0.6,
            "customdata": [[r, f"{n:,}"] for r, n in zip(ranges, counts, strict=True)],
            "marker": {"color": colour, "line": {"color": colour, "width": 0.5}},
            "hovertemplate": f"{name}<br>%{{customdata[0]}}<br>%{{y:.1%}} (%{{customdata[1]}} values)<extra></extra>",
        })
    return {
        "data": traces,
        "layout": _charts._layout(height=260, bargap=0, barmode="overlay", showlegend=True, margin={"t": 28},
                                  legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                                  yaxis={"title": {"text": "share of values"}, "tickformat": ".0%"}),
    }


def frequencies_drift_figure(frequencies: CategoryFrequencies) -> Figure:
    """Both samples' shares of the top categories (and of the rest, as 'other'), side by side."""
    rows = list(frequencies.categories)
    labels = [plotly_text(r.value, LABEL_CHARS) for r in rows]
    full = [plotly_text(r.value) for r in rows]
    if frequencies.other is not None:
        rows.append(frequencies.other)
        n = frequencies.other_category_count
        labels.append(f"other ({n:,} {'category' if n == 1 else 'categories'})")
        full.append(labels[-1])
    # distinct axis keys even when two long values share their first characters
    keys = [label + "\u200b" * i if labels.count(label) > 1 else label for i, label in enumerate(labels)]
    traces = []
    for name, colour, shares, counts in (
            ("reference", REFERENCE_COLOUR, [r.reference_share for r in rows], [r.reference_count for r in rows]),
            ("current", CURRENT_COLOUR, [r.current_share for r in rows], [r.current_count for r in rows])):
        traces.append({
            "type": "bar", "orientation": "h", "name": name, "y": keys, "x": shares,
            "customdata": [[f, f"{n:,}"] for f, n in zip(full, counts, strict=True)],
            "marker": {"color": colour},
            "hovertemplate": f"{name}<br>%{{customdata[0]}}<br>%{{x:.1%}} (%{{customdata[1]}} values)<extra></extra>",
        })
    return {
        "data": traces,
        "layout": _charts._layout(height=max(180, 30 * len(rows) + 70), barmode="group", showlegend=True,
                                  margin={"t": 28}, legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
                                  yaxis={"autorange": "reversed", "type": "category"},
                                  xaxis={"title": {"text": "share of values"}, "tickformat": ".0%"}),
    }


__all__ = ["frequencies_drift_figure", "histogram_drift_figure", "render_drift_report"]
