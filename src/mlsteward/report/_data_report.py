"""The data-stage report: a dataset profile and the data-stage reviews as one self-contained HTML page.

Pure rendering: the core's results in, a string out. Nothing is read but the results and the
package's own template and plotly library; the page loads nothing from the network.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence
from typing import Any

from mlsteward.data.contract import DataContract
from mlsteward.data.leakage import LEAKAGE_KINDS, LeakageReport
from mlsteward.data.pii import PiiReport
from mlsteward.data.profile import ColumnFlags, ColumnProfile, DatasetProfile
from mlsteward.data.quality import QualityResult
from mlsteward.errors import InvalidInput
from mlsteward.report import _charts
from mlsteward.report._format import fmt_bytes, fmt_int, fmt_num, fmt_share, package_version, timestamp_text
from mlsteward.report._html import plotly_js, render_template

MAX_COLUMN_CARDS = 200
MAX_HEATMAP_COLUMNS = 60
MAX_BARS = 50
MAX_ALLOWED_SHOWN = 15

FLAG_NAMES: dict[str, str] = {
    "all_missing": "all missing",
    "constant": "constant",
    "near_constant": "near-constant",
    "high_cardinality": "high cardinality",
    "mixed_types": "mixed types",
}
assert set(FLAG_NAMES) == set(ColumnFlags.model_fields)

SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "quality": "Data quality",
    "eda": "Columns",
    "target": "Target",
    "correlations": "Correlations",
    "pii": "Personal data",
    "leakage": "Leakage",
    "contract": "Contract",
}


def render_data_report(
    profile: DatasetProfile,
    *,
    title: str,
    dataset: str | None = None,
    quality: QualityResult | None = None,
    pii: PiiReport | None = None,
    leakage: LeakageReport | None = None,
    contract: DataContract | None = None,
    quarantined: Iterable[str] | None = None,
    generated_at: _dt.datetime | None = None,
    max_column_cards: int = MAX_COLUMN_CARDS,
) -> str:
    """The data-quality and EDA report of a dataset as one self-contained HTML document.

    ``profile`` is required; each review given (``quality`` SLAs, ``pii`` tags, ``leakage``
    review, ``contract``) adds its section, and a review left out (``None``) leaves its section out.
    ``quarantined`` names the flagged columns nobody cleared (``DataAssessment.quarantined``); a
    flagged column not in it is shown as cleared. Without it (``None``) no clearing is known and every
    flagged column is shown as quarantined. ``generated_at`` is printed in the header (default: now,
    UTC); with it fixed, the same results render to the same page. At most ``max_column_cards``
    columns get a card with statistics and a chart; the rest are listed in the overview table.

    The page inlines its CSS and the plotly.js of the installed plotly package, once, and refers
    to no URL: it renders offline. Every value from the data is escaped.
    """
    _check_inputs(profile, title, dataset, quality, pii, leakage, contract, generated_at, max_column_cards)
    quarantine = _quarantine_list(quarantined)
    if generated_at is None:
        generated_at = _dt.datetime.now(_dt.UTC)
    chart = _charts.ChartEmbedder()
    leakage_view = _leakage(leakage, quarantine, chart) if leakage is not None else None
    sections = {
        "quality": True,
        "eda": True,
        "target": profile.target is not None,
        "correlations": profile.correlations is not None,
        "pii": pii is not None,
        "leakage": leakage is not None,
        "contract": contract is not None,
    }
    context = {
        "title": title,
        "dataset": dataset,
        "generated_at": timestamp_text(generated_at),
        "version": package_version(),
        "plotly_js": plotly_js(),
        "nav": [(key, label) for key, label in SECTIONS.items() if sections.get(key, True)],
        "cards": _summary_cards(profile, quality, pii, leakage_view),
        "profile": profile,
        "quality": _quality(quality) if quality is not None else None,
        "flag_names": FLAG_NAMES,
        "flag_rows": _flag_rows(profile),
        "warning_rows": [(i, c) for i, c in enumerate(profile.column_profiles) if c.warnings],
        "overview": _overview(profile, max_column_cards),
        "column_cards": [_column_card(i, c, profile, chart)
                         for i, c in enumerate(profile.column_profiles[:max_column_cards])],
        "hidden_cards": max(0, profile.columns - max_column_cards),
        "max_column_cards": max_column_cards,
        "target": _target(profile, chart) if profile.target is not None else None,
        "correlations": _correlations(profile, chart) if profile.correlations is not None else None,
        "pii": _pii(pii) if pii is not None else None,
        "leakage": leakage_view,
        "contract": _contract(contract) if contract is not None else None,
    }
    return render_template("data_report.html.j2", context)


# --- the boundary ---------------------------------------------------------------------------------


def _check_inputs(profile: Any, title: Any, dataset: Any, quality: Any, pii: Any, leakage: Any,
                  contract: Any, generated_at: Any, max_column_cards: Any) -> None:
    def expect(name: str, value: Any, kind: type, optional: bool = True) -> None:
        if (value is None and optional) or isinstance(value, kind):
            return
        hint = f"a {kind.__name__}" + (" or None" if optional else "")
        raise InvalidInput(f"The '{name}' parameter of render_data_report must be {hint}; got "
                           f"{type(value).__name__} instead. Pass the result the core function returns "
                           f"(or {kind.__name__}.model_validate_json(...) of a stored one).")

    expect("profile", profile, DatasetProfile, optional=False)
    expect("quality", quality, QualityResult)
    expect("pii", pii, PiiReport)
    expect("leakage", leakage, LeakageReport)
    expect("contract", contract, DataContract)
    if not isinstance(title, str) or not title.strip():
        raise InvalidInput(f"The 'title' parameter of render_data_report must be a non-empty str, e.g. "
                           f"'Data report: customers v3'; got {title!r} instead.")
    if dataset is not None and not isinstance(dataset, str):
        raise InvalidInput(f"The 'dataset' parameter of render_data_report must be a str (e.g. "
                           f"'customers@3') or None; got {type(dataset).__name__} instead.")
    if generated_at is not None and not isinstance(generated_at, _dt.datetime):
        raise InvalidInput(f"The 'generated_at' parameter of render_data_report must be a datetime or "
                           f"None; got {type(generated_at).__name__} instead.")
    if isinstance(max_column_cards, bool) or not isinstance(max_column_cards, int) or max_column_cards < 0:
        raise InvalidInput(f"The 'max_column_cards' parameter of render_data_report must be an int >= 0, "
                           f"e.g. 200; got {max_column_cards!r} instead.")


def _quarantine_list(quarantined: Iterable[str] | None) -> set[str] | None:
    if quarantined is None:
        return None
    if isinstance(quarantined, (str, bytes)):
        raise InvalidInput(f"The 'quarantined' parameter of render_data_report must be a list of column "
                           f"names, e.g. ['{quarantined!s}']; got the single string {quarantined!r}.")
    names = list(quarantined)
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise InvalidInput(f"The 'quarantined' parameter of render_data_report must list column names "
                           f"(str); got {bad[0]!r} ({type(bad[0]).__name__}).")
    return set(names)


# --- (1) summary ----------------------------------------------------------------------------------


def _card(label: str, value: str, detail: str = "", tone: str = "") -> dict[str, str]:
    size = "text" if len(value) > 9 else ""  # a verdict in words, not a number: a smaller font
    return {"label": label, "value": value, "detail": detail, "tone": tone, "size": size}


def _summary_cards(profile: DatasetProfile, quality: QualityResult | None, pii: PiiReport | None,
                   leakage: dict[str, Any] | None) -> list[dict[str, str]]:
    cells = profile.rows * profile.columns
    missing = sum(c.missing_count for c in profile.column_profiles)
    warnings = sum(len(c.warnings) for c in profile.column_profiles) + len(profile.warnings)
    cards = [
        _card("Rows", fmt_int(profile.rows)),
        _card("Columns", fmt_int(profile.columns)),
        _card("Duplicate rows", fmt_int(profile.duplicate_rows), fmt_share(profile.duplicate_share) + " of rows",
              "warn" if profile.duplicate_rows else ""),
        _card("Memory", fmt_bytes(profile.memory_bytes)),
        _card("Missing cells", fmt_int(missing), fmt_share(missing / cells if cells else 0.0) + " of cells",
              "warn" if missing else ""),
        _card("Warnings", fmt_int(warnings), "profile warnings", "warn" if warnings else "good"),
    ]
    if quality is None:
        cards.append(_card("Quality SLAs", "not checked", "no SLA result given"))
    else:
        verdict = _quality(quality)
        cards.append(_card("Quality SLAs", verdict["verdict"], verdict["detail"], verdict["tone"]))
    if pii is not None:
        tagged = len(pii.tagged())
        cards.append(_card("Personal data", f"{tagged} column{'s' * (tagged != 1)}", "tagged as PII",
                           "warn" if tagged else "good"))
    if leakage is not None:
        flagged, held = len(leakage["status"]), leakage["quarantined_count"]
        cards.append(_card("Leakage", f"{flagged} flagged", f"{held} quarantined, {flagged - held} cleared",
                           "bad" if held else ("warn" if flagged else "good")))
    return cards


# --- (2) quality ----------------------------------------------------------------------------------


def _observed(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name in ("completeness", "duplicate_rate"):
        return fmt_share(value, 2)
    if name in ("min_rows", "max_rows"):
        return fmt_int(value)
    if name == "freshness":
        return f"{value:,.1f} days"
    return fmt_num(value)


def _quality(quality: QualityResult) -> dict[str, Any]:
    rows = [{"name": c.name, "required": c.required, "observed": _observed(c.name, c.observed),
             "passed": c.passed, "note": c.note} for c in quality.checks]
    failed = [c.name for c in quality.checks if c.passed is False]
    evaluated = [c for c in quality.checks if c.passed is not None]
    if failed:
        verdict, tone, detail = "failed", "bad", f"{len(failed)} of {len(quality.checks)} failed: {', '.join(failed)}"
    elif evaluated:
        verdict, tone = "met", "good"
        skipped = len(quality.checks) - len(evaluated)
        detail = f"{len(evaluated)} of {len(quality.checks)} met" + (f", {skipped} not evaluated" if skipped else "")
    else:
        verdict, tone = "not evaluated", "warn"
        detail = "no SLA could be evaluated" if quality.checks else "no SLA is set"
    return {"checks": rows, "verdict": verdict, "tone": tone, "detail": detail}


def _flag_rows(profile: DatasetProfile) -> list[tuple[int, ColumnProfile, list[str]]]:
    rows = []
    for i, column in enumerate(profile.column_profiles):
        flags = [name for name in FLAG_NAMES if getattr(column.flags, name)]
        if flags:
            rows.append((i, column, flags))
    return rows


# --- (3) columns ----------------------------------------------------------------------------------


def _overview(profile: DatasetProfile, cards: int) -> list[dict[str, Any]]:
    return [{"index": i, "column": c, "card": i < cards,
             "flags": [FLAG_NAMES[name] for name in FLAG_NAMES if getattr(c.flags, name)]}
            for i, c in enumerate(profile.column_profiles)]


def _numeric_rows(column: ColumnProfile) -> list[tuple[str, str]]:
    stats = column.numeric
    if stats is None:
        return []
    rows = [("finite values", fmt_int(stats.count)), ("mean", fmt_num(stats.mean)),
            ("std", fmt_num(stats.std)), ("min", fmt_num(stats.min))]
    rows += [(key, fmt_num(value)) for key, value in stats.quantiles.items()]
    rows += [("max", fmt_num(stats.max)), ("skewness", fmt_num(stats.skewness))]
    if stats.infinite_count:
        rows.append(("infinite values", fmt_int(stats.infinite_count)))
    return rows


def _column_card(index: int, column: ColumnProfile, profile: DatasetProfile,
                 chart: _charts.ChartEmbedder) -> dict[str, Any]:
    card: dict[str, Any] = {
        "index": index, "column": column, "is_target": profile.target is not None and profile.target.name == column.name,
        "flags": [FLAG_NAMES[name] for name in FLAG_NAMES if getattr(column.flags, name)],
        "stats": _numeric_rows(column), "outliers": None, "chart": None, "examples": None, "others": None,
    }
    stats = column.numeric
    if stats is not None:
        card["outliers"] = {"count": stats.outlier_count, "share": stats.outlier_share,
                            "lower": stats.lower_fence, "upper": stats.upper_fence, "iqr": stats.iqr,
                            "factor": profile.config.iqr_factor}
        card["chart"] = chart(_charts.histogram_figure(stats.histogram, lower_fence=stats.lower_fence,
                                                       upper_fence=stats.upper_fence), toolbar=False)
    elif column.top_values:
        if column.inferred_type in ("identifier", "text"):
            card["examples"] = column.top_values  # mostly distinct: a bar chart would say nothing
        else:
            card["chart"] = chart(_charts.top_values_figure(column.top_values), toolbar=False)
    if stats is None and column.top_values and column.distinct_count > len(column.top_values):
        rest = column.count - sum(v.count for v in column.top_values)
        card["others"] = {"distinct": column.distinct_count - len(column.top_values), "rows": rest,
                          "share": rest / column.count if column.count else 0.0}
    return card


# --- (4) target -----------------------------------------------------------------------------------


def _target(profile: DatasetProfile, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    target = profile.target
    assert target is not None
    view: dict[str, Any] = {"t": target, "chart": None, "stats": [], "associations_chart": None,
                            "undefined": [a.feature for a in profile.associations if a.value is None],
                            "associations": profile.associations[:MAX_BARS],
                            "more_associations": max(0, len(profile.associations) - MAX_BARS),
                            "method_names": _charts.METHOD_NAMES}
    if target.classes:
        view["chart"] = chart(_charts.class_figure(target.classes))
    else:
        try:
            column = profile.column(target.name)
        except KeyError:
            column = None
        if column is not None and column.numeric is not None:
            view["chart"] = chart(_charts.histogram_figure(column.numeric.histogram))
        view["stats"] = [("mean", fmt_num(target.mean)), ("std", fmt_num(target.std)),
                         ("min", fmt_num(target.min))]
        view["stats"] += [(k, fmt_num(v)) for k, v in (target.quantiles or {}).items()]
        view["stats"] += [("max", fmt_num(target.max)), ("skewness", fmt_num(target.skewness))]
    if any(a.value is not None for a in view["associations"]):
        view["associations_chart"] = chart(_charts.associations_figure(view["associations"]))
    return view


# --- (5) correlations -----------------------------------------------------------------------------


def _strongest(correlations: Any, limit: int) -> list[str]:
    """The ``limit`` columns with the strongest off-diagonal Pearson correlation, in column order."""
    columns = correlations.columns
    if len(columns) <= limit:
        return list(columns)
    strength = {c: max((abs(v) for o, v in correlations.pearson[c].items() if o != c and v is not None),
                       default=0.0) for c in columns}
    keep = set(sorted(columns, key=lambda c: -strength[c])[:limit])
    return [c for c in columns if c in keep]


def _correlations(profile: DatasetProfile, chart: _charts.ChartEmbedder) -> dict[str, Any]:
    corr = profile.correlations
    assert corr is not None
    shown = _strongest(corr, MAX_HEATMAP_COLUMNS)
    pairs = []
    for i, a in enumerate(corr.columns):
        for b in corr.columns[i + 1:]:
            value = corr.pearson[a][b]
            if value is not None:
                pairs.append((a, b, value, corr.spearman[a][b]))
    pairs.sort(key=lambda p: -abs(p[2]))
    return {"c": corr, "chart": chart(_charts.correlation_figure(corr, shown)) if len(shown) >= 2 else None,
            "shown": len(shown), "pairs": pairs[:10]}


# --- (6) personal data ----------------------------------------------------------------------------


def _pii(pii: PiiReport) -> dict[str, Any]:
    tags = [(c, tag) for c in pii.columns for tag in c.tags]
    return {"r": pii, "tags": tags, "tagged": len(pii.tagged()),
            "examined": sum(c.examined for c in pii.columns),
            "skipped": [c for c in pii.columns if not c.examined]}


# --- (7) leakage ----------------------------------------------------------------------------------


def _leakage(report: LeakageReport, quarantine: set[str] | None,
             chart: _charts.ChartEmbedder) -> dict[str, Any]:
    flagged = report.flagged()
    status = {column: "quarantined" if quarantine is None or column in quarantine else "cleared"
              for column in flagged}
    metric = {"roc_auc": "ROC AUC", "roc_auc_ovr": "ROC AUC (one-vs-rest, macro)", "r2": "R²"}[report.metric]
    return {
        "r": report, "status": status, "metric": metric, "kinds": LEAKAGE_KINDS,
        "flags": [(flag, status[flag.column]) for flag in report.flags],
        "quarantined_count": sum(s == "quarantined" for s in status.values()),
        "clearing_known": quarantine is not None,
        "elsewhere": sorted((quarantine or set()) - set(flagged)),
        "chart": chart(_charts.leakage_scores_figure(report, status, MAX_BARS)) if report.columns else None,
        "more_columns": max(0, len(report.columns) - MAX_BARS - len(status)),
    }


# --- (8) contract ---------------------------------------------------------------------------------


def _range(low: float | None, high: float | None) -> str:
    if low is None and high is None:
        return "—"
    if low is None:
        return f"≤ {fmt_num(high)}"
    if high is None:
        return f"≥ {fmt_num(low)}"
    return f"{fmt_num(low)} – {fmt_num(high)}"


def _allowed(values: Sequence[Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {"shown": [str(v) for v in values[:MAX_ALLOWED_SHOWN]], "more": max(0, len(values) - MAX_ALLOWED_SHOWN)}


def _contract(contract: DataContract) -> dict[str, Any]:
    rows = [{"name": name, "dtype": c.dtype, "nullable": c.nullable, "range": _range(c.min, c.max),
             "allowed": _allowed(c.allowed), "unique": c.unique} for name, c in contract.columns.items()]
    return {"c": contract, "rows": rows}


__all__ = ["render_data_report"]
