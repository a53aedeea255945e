"""The data-stage report: the GSS wages data through the real core, rendered and read back.

Numbers are checked against pandas/numpy computed here, not against the profile the page was
rendered from; the page is parsed with the standard library's HTML parser to check what a browser
would load (script, link and image sources) and that data values stay text.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest

import mlsteward.report
from mlsteward.data.contract import infer_contract
from mlsteward.data.leakage import review_leakage
from mlsteward.data.pii import detect_pii
from mlsteward.data.profile import profile_dataset
from mlsteward.data.quality import check_quality
from mlsteward.datasets import gss_wages_with_target, load_gss_wages
from mlsteward.errors import InvalidInput
from mlsteward.report import _charts, render_data_report, write_report
from mlsteward.spec_data import QualitySLA

WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
SCRIPT = "<script>alert(1)</script>"
BAD_NAME = '<img src=x onerror="alert(2)">'
SECTIONS = ("summary", "quality", "eda", "target", "correlations", "pii", "leakage", "contract")


class Page(HTMLParser):
    """What a browser would see in the page: tags with their attributes, and the text of scripts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in = tag
            (self.scripts if tag == "script" else self.styles).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data

    def ids(self) -> set[str]:
        return {attrs["id"] for _, attrs in self.tags if attrs.get("id")}

    def with_class(self, name: str) -> list[dict[str, str | None]]:
        return [attrs for _, attrs in self.tags if name in (attrs.get("class") or "").split()]


# --- the data, through the real core --------------------------------------------------------------


def _assess(df: pd.DataFrame, **render: object) -> tuple[str, dict[str, object]]:
    profile = profile_dataset(df, target="high_income")
    results = {
        "profile": profile,
        "quality": check_quality(profile, QualitySLA(min_completeness=0.99, max_duplicate_rate=0.001,
                                                     min_rows=1_000, max_age_days=30), time_column="year"),
        "pii": detect_pii(df),
        "leakage": review_leakage(df, "high_income"),
        "contract": infer_contract(df, name="gss_wages"),
    }
    page = render_data_report(profile, title="GSS wages: data report", dataset="gss_wages@1",
                              quality=results["quality"], pii=results["pii"], leakage=results["leakage"],
                              contract=results["contract"], generated_at=WHEN, **render)
    return page, results


@pytest.fixture(scope="module")
def gss() -> pd.DataFrame:
    return gss_wages_with_target()


@pytest.fixture(scope="module")
def gss_report(gss: pd.DataFrame) -> tuple[str, dict[str, object]]:
    return _assess(gss)


@pytest.fixture(scope="module")
def tainted() -> pd.DataFrame:
    """GSS with columns made to be found: the income the target is cut from (a target proxy), a row
    key, e-mail addresses, and hostile text as a value and as a column name."""
    df = gss_wages_with_target()
    raw = load_gss_wages()
    df["realrinc"] = raw[raw["realrinc"].notna()].reset_index(drop=True)["realrinc"]
    df["respondent_id"] = np.arange(1, len(df) + 1)
    df["contact_email"] = [f"respondent{i}@example.org" for i in range(len(df))]
    row = np.arange(len(df))
    df["note"] = np.where(row % 7 == 0, SCRIPT, np.where(row % 3 == 0, "A & B <b>bold</b>", "none"))
    df[BAD_NAME] = (row % 5).astype(float)
    return df


@pytest.fixture(scope="module")
def tainted_report(tainted: pd.DataFrame) -> tuple[str, dict[str, object]]:
    return _assess(tainted, quarantined=["realrinc"])


def _card(page: str, column_index: int) -> str:
    start = page.index(f'id="col-{column_index}"')
    return page[start: page.index("</article>", start)]


def _section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start: page.index("</section>", start)]


# --- content --------------------------------------------------------------------------------------


def test_every_section_is_there_and_in_the_navigation(gss_report) -> None:
    page, _ = gss_report
    parsed = Page(page)
    assert set(SECTIONS) <= parsed.ids()
    nav = [attrs["href"] for tag, attrs in parsed.tags if tag == "a" and attrs.get("href", "").startswith("#")
           and not attrs["href"].startswith("#col-")]
    assert nav == [f"#{s}" for s in SECTIONS]
    assert page.index('id="summary"') < page.index('id="quality"') < page.index('id="eda"') \
        < page.index('id="target"') < page.index('id="correlations"') < page.index('id="pii"') \
        < page.index('id="leakage"') < page.index('id="contract"')
    assert "<title>GSS wages: data report</title>" in page
    assert "2025-01-02 03:04:05 UTC" in page


def test_summary_numbers_equal_pandas(gss_report, gss: pd.DataFrame) -> None:
    page, _ = gss_report
    summary = _section(page, "summary")

    def card(label: str) -> str:
        match = re.search(rf'card-label">{label}</div>\s*<div class="card-value ?\w*">([^<]*)</div>', summary)
        assert match, label
        return match.group(1)

    assert card("Rows") == f"{len(gss):,}" == "37,887"
    assert card("Columns") == str(gss.shape[1])
    assert card("Duplicate rows") == f"{int(gss.duplicated().sum()):,}"
    assert card("Missing cells") == f"{int(gss.isna().sum().sum()):,}"
    assert card("Warnings") == "1"  # the duplicate rows: GSS has no flagged column
    assert card("Quality SLAs") == "failed"  # 148 duplicates > 0.1 %
    assert card("Leakage") == "0 flagged"


def test_sla_table_shows_required_observed_and_verdict(gss_report, gss: pd.DataFrame) -> None:
    page, _ = gss_report
    quality = _section(page, "quality")
    completeness = 1 - gss.isna().sum().sum() / gss.size
    duplicates = gss.duplicated().mean()
    rows = re.findall(r"<tr>\s*<td><code>(\w+)</code></td>\s*<td>([^<]*)</td>\s*<td class=\"num\">([^<]*)</td>"
                      r"\s*<td>(.*?)</td>", quality, flags=re.DOTALL)
    table = {name: (html_lib.unescape(required), observed, verdict) for name, required, observed, verdict in rows}
    assert table["completeness"][:2] == (">= 0.99", f"{completeness:.2%}")
    assert table["duplicate_rate"][:2] == ("<= 0.001", f"{duplicates:.2%}")
    assert table["min_rows"][1] == f"{len(gss):,}"
    assert "met" in table["completeness"][2] and "failed" in table["duplicate_rate"][2]
    assert "not evaluated" in table["freshness"][2]
    assert "holds no dates" in quality


def test_column_card_numbers_equal_pandas(gss_report, gss: pd.DataFrame) -> None:
    page, _ = gss_report
    i = list(gss.columns).index("prestg10")
    card = _card(page, i)
    missing = int(gss["prestg10"].isna().sum())
    assert missing == 519
    assert f"<dt>missing</dt><dd>{missing} " in card
    assert f"<dt>distinct</dt><dd>{gss['prestg10'].nunique()} " in card
    values = gss["prestg10"].dropna()
    q1, q3 = values.quantile([0.25, 0.75])
    lower, upper = q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)
    outliers = int(((values < lower) | (values > upper)).sum())
    assert f"{outliers} values" in card and f"[{lower:g}, {upper:g}]" in card
    assert re.search(rf"<th>mean</th><td class=\"num\">{values.mean():.6g}</td>", card)
    assert "plotly-graph-div" in card  # the histogram


def test_categorical_card_charts_its_top_values(gss_report, gss: pd.DataFrame) -> None:
    page, results = gss_report
    card = _card(page, list(gss.columns).index("occrecode"))
    counts = gss["occrecode"].value_counts()
    # the chart's data, read back from the figure the report embeds
    figure = _charts.top_values_figure(results["profile"].column("occrecode").top_values)
    assert figure["data"][0]["x"] == counts.iloc[:10].tolist()
    assert next(html_lib.unescape(label) for label in figure["data"][0]["y"]) == counts.index[0]
    assert "plotly-graph-div" in card
    assert f"other value holds {counts.iloc[10]} rows" in card


def test_target_section_shows_balance_and_advice(gss_report, gss: pd.DataFrame) -> None:
    page, _ = gss_report
    target = _section(page, "target")
    counts = gss["high_income"].value_counts()
    assert f"{counts.max() / counts.min():.2f} : 1" in target
    assert "no reweighting or resampling is needed" in target
    assert f"<td class=\"num\">{counts[0]:,}</td>" in target
    assert target.count("plotly-graph-div") == 2  # distribution, associations


def test_associations_chart_is_sorted_strongest_first(gss_report) -> None:
    _, results = gss_report
    figure = _charts.associations_figure(results["profile"].associations)
    values = {y: x for trace in figure["data"] for y, x in zip(trace["y"], trace["x"])}
    order = figure["layout"]["yaxis"]["categoryarray"]
    assert [abs(values[name]) for name in order] == sorted((abs(v) for v in values.values()), reverse=True)
    assert order[0] == "occrecode"


def test_correlation_heatmap_has_pearson_and_spearman(gss_report, gss: pd.DataFrame) -> None:
    page, results = gss_report
    corr = results["profile"].correlations
    figure = _charts.correlation_figure(corr, corr.columns)
    pearson, spearman = figure["data"]
    i, j = corr.columns.index("occ10"), corr.columns.index("prestg10")
    both = gss[["occ10", "prestg10"]]
    assert pearson["z"][i][j] == pytest.approx(both.corr().iloc[0, 1], abs=1e-12)
    assert spearman["z"][i][j] == pytest.approx(both.corr(method="spearman").iloc[0, 1], abs=1e-9)
    assert [pearson["visible"], spearman["visible"]] == [True, False]
    buttons = figure["layout"]["updatemenus"][0]["buttons"]
    assert [b["label"] for b in buttons] == ["Pearson", "Spearman"]
    assert "Use the buttons to switch" in _section(page, "correlations")


def test_every_figure_is_a_valid_plotly_figure(tainted_report, tainted: pd.DataFrame) -> None:
    _, results = tainted_report
    profile, leakage = results["profile"], results["leakage"]
    age = profile.column("age").numeric
    figures = [
        _charts.histogram_figure(age.histogram, lower_fence=age.lower_fence, upper_fence=age.upper_fence),
        _charts.top_values_figure(profile.column("note").top_values),
        _charts.class_figure(profile.target.classes),
        _charts.associations_figure(profile.associations),
        _charts.correlation_figure(profile.correlations, profile.correlations.columns),
        _charts.leakage_scores_figure(leakage, {"realrinc": "quarantined"}, 50),
    ]
    for figure in figures:
        go.Figure(figure)  # raises on any property plotly does not know
    counts, edges = np.histogram(tainted["age"].dropna(), bins=20)
    assert figures[0]["data"][0]["y"] == counts.tolist()
    assert figures[0]["data"][0]["x"] == pytest.approx(((edges[:-1] + edges[1:]) / 2).tolist())


# --- the reviews ----------------------------------------------------------------------------------


def test_pii_section_lists_tags_with_evidence(tainted_report) -> None:
    page, _ = tainted_report
    pii = _section(page, "pii")
    assert "<strong>contact_email</strong>" in pii
    assert '<span class="badge bad">email</span>' in pii
    assert "name and values" in pii and "sampled non-null values match" in pii
    assert "respondent_id</strong>" not in pii


def test_leakage_section_shows_flags_evidence_and_status(tainted_report) -> None:
    page, results = tainted_report
    leakage = _section(page, "leakage")
    flagged = results["leakage"].flagged()
    assert flagged["realrinc"] == ["target_proxy"] and "row_identifier" in flagged["respondent_id"]
    rows = dict(re.findall(r"<td><strong>(\w+)</strong></td>.*?<span class=\"badge \w+\">(quarantined|cleared)"
                           r"</span></td>", leakage, flags=re.DOTALL))
    assert rows == {"realrinc": "quarantined", "respondent_id": "cleared"}
    for flag in results["leakage"].flags:
        assert str(markupsafe.escape(flag.evidence)) in leakage
    assert "Single-feature scores" in leakage and "plotly-graph-div" in leakage


def test_without_clearing_decisions_every_flag_is_quarantined(tainted: pd.DataFrame, tainted_report) -> None:
    _, results = tainted_report
    page = render_data_report(results["profile"], title="t", leakage=results["leakage"], generated_at=WHEN)
    leakage = _section(page, "leakage")
    assert leakage.count(">quarantined</span>") == len(results["leakage"].flagged())
    assert ">cleared</span>" not in leakage
    assert "No clearing decisions were given" in leakage


def test_contract_section_lists_each_column(gss_report, gss: pd.DataFrame) -> None:
    page, _ = gss_report
    contract = _section(page, "contract")
    for column in gss.columns:
        assert f"<td><strong>{column}</strong></td>" in contract
    assert f"{gss['year'].min()} – {gss['year'].max()}" in contract
    for level in gss["gender"].cat.categories:
        assert f'<code class="value">{level}</code>' in contract


# --- safety ---------------------------------------------------------------------------------------


def test_data_values_and_names_are_escaped(tainted_report) -> None:
    page, results = tainted_report
    assert SCRIPT not in page
    assert BAD_NAME not in page
    assert "<b>bold</b>" not in page
    assert str(markupsafe.escape(SCRIPT)) in page  # shown, as text (contract allowed values)
    assert str(markupsafe.escape(BAD_NAME)) in page  # column names: headings, tables
    parsed = Page(page)
    charts = parsed.with_class("plotly-graph-div")
    # every <script> is the plotly library or one chart's Plotly.newPlot call, nothing from the data
    assert len(parsed.scripts) == 1 + len(charts)
    assert all(s.strip().startswith("window.PLOTLYENV") for s in parsed.scripts[1:])
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]  # no event handlers
    # plotly shows labels literally: its markup characters are entities inside the chart JSON
    figure = _charts.top_values_figure(results["profile"].column("note").top_values)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in figure["data"][0]["y"]


def test_the_page_loads_nothing_from_the_network(tainted_report) -> None:
    page, _ = tainted_report
    parsed = Page(page)
    external = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # any scheme or protocol-relative
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action", "data", "poster", "xlink:href"):
            value = attrs.get(name)
            if value is not None:
                assert not external.match(value), (tag, name, value)
                if name == "href":
                    assert value.startswith("#"), (tag, value)
    assert not [tag for tag, _ in parsed.tags if tag in ("link", "img", "iframe", "object", "embed", "base")]
    assert not [a for tag, a in parsed.tags if tag == "script" and "src" in a]
    outside_scripts = re.sub(r"<script\b.*?</script>", "", page, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", outside_scripts, re.IGNORECASE)
    assert not re.search(r"https?://", outside_scripts)
    assert all("url(" not in css and "@import" not in css for css in parsed.styles)
    csp = [a["content"] for tag, a in parsed.tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_plotly_is_inlined_exactly_once(gss_report) -> None:
    page, _ = gss_report
    library = plotly.offline.get_plotlyjs()
    assert page.count(library) == 1
    parsed = Page(page)
    assert parsed.scripts[0] == library
    assert sum(len(s) > 1_000_000 for s in parsed.scripts) == 1
    assert page.index(library) < page.index("Plotly.newPlot")


# --- options and edges ----------------------------------------------------------------------------


def test_sections_without_input_are_left_out(gss: pd.DataFrame) -> None:
    profile = profile_dataset(gss)  # no target
    page = render_data_report(profile, title="GSS", generated_at=WHEN)
    ids = Page(page).ids()
    assert {"summary", "quality", "eda", "correlations"} <= ids
    assert not ids & {"target", "pii", "leakage", "contract"}
    assert "Service levels" not in page
    assert re.search(r'Quality SLAs</div>\s*<div class="card-value text">not checked<', page)
    assert page.count(plotly.offline.get_plotlyjs()) == 1


def test_a_regression_target_shows_its_distribution(gss: pd.DataFrame) -> None:
    profile = profile_dataset(gss.drop(columns="high_income"), target="prestg10")
    page = render_data_report(profile, title="prestige", generated_at=WHEN)
    target = _section(page, "target")
    assert "regression" in target
    assert re.search(rf"<th>mean</th><td class=\"num\">{gss['prestg10'].mean():.6g}</td>", target)
    assert target.count("plotly-graph-div") == 2


def test_every_kind_of_column_and_flag_renders() -> None:
    n = 120
    rng = np.random.default_rng(0)
    df = pd.DataFrame({
        "amount": rng.normal(100, 15, n),
        "active": rng.random(n) < 0.5,
        "signed_up": pd.date_range("2024-01-01", periods=n, freq="D"),
        "comment": [f"free text number {i} written by a customer at length" for i in range(n)],
        "key": [f"K{i:05d}" for i in range(n)],
        "empty": [None] * n,
        "same": ["x"] * n,
        "mostly": ["a"] * (n - 2) + ["b", "c"],
        "mixed": [1, "one", 2.0, True] * (n // 4),
        "label": rng.choice(["yes", "no"], n),
    })
    profile = profile_dataset(df, target="label")
    page = render_data_report(profile, title="kinds", generated_at=WHEN)
    quality = _section(page, "quality")
    for label in ("all missing", "constant", "near-constant", "mixed types", "high cardinality"):
        assert f"<th class=\"center\">{label}</th>" in quality
    flagged = re.findall(r'<a href="#col-\d+">(\w+)</a>', quality.split("Column warnings")[0])
    assert {"empty", "same", "mostly", "mixed", "key"} <= set(flagged)
    for kind in ("numeric", "boolean", "datetime", "text", "identifier", "categorical"):
        assert f"type-{kind}" in page
    assert "No values to chart: the column is empty." in page
    assert "Most values are distinct; first values:" in page
    assert "<th>earliest</th><td>2024-01-01 00:00:00</td>" in page


def test_column_cards_are_capped_and_the_rest_listed(gss_report, gss: pd.DataFrame) -> None:
    _, results = gss_report
    page = render_data_report(results["profile"], title="GSS", generated_at=WHEN, max_column_cards=3)
    parsed = Page(page)
    assert len(parsed.with_class("column-card")) == 3
    assert f"the other {gss.shape[1] - 3} are listed in the overview table" in page
    overview = page[page.index('class="overview"'): page.index("</details>")]
    for column in gss.columns:
        assert f"{column}</" in overview
    assert overview.count('<a href="#col-') == 3


def test_same_results_render_to_the_same_page(gss_report) -> None:
    page, results = gss_report
    again = render_data_report(results["profile"], title="GSS wages: data report", dataset="gss_wages@1",
                               quality=results["quality"], pii=results["pii"], leakage=results["leakage"],
                               contract=results["contract"], generated_at=WHEN)
    assert again == page


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"profile": {"rows": 1}}, "'profile' parameter of render_data_report must be a DatasetProfile"),
    ({"quality": "ok"}, "'quality' parameter of render_data_report must be a QualityResult or None"),
    ({"title": ""}, "'title' parameter"),
    ({"quarantined": "realrinc"}, "got the single string 'realrinc'"),
    ({"quarantined": [1]}, "must list column names"),
    ({"max_column_cards": -1}, "'max_column_cards' parameter"),
    ({"generated_at": "today"}, "'generated_at' parameter"),
])
def test_bad_arguments_say_what_to_pass(gss_report, kwargs: dict, message: str) -> None:
    _, results = gss_report
    call = {"profile": results["profile"], "title": "t", **kwargs}
    with pytest.raises(InvalidInput, match=re.escape(message)):
        render_data_report(call.pop("profile"), **call)


# --- writing --------------------------------------------------------------------------------------


def test_write_report_replaces_the_file_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "reports" / "data.html"
    assert write_report("<p>first</p>", path) == path
    assert path.read_text(encoding="utf-8") == "<p>first</p>"
    write_report("<p>second ✓</p>", path)
    assert path.read_text(encoding="utf-8") == "<p>second ✓</p>"

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        write_report("<p>third</p>", path)
    assert path.read_text(encoding="utf-8") == "<p>second ✓</p>"  # the old page, whole
    assert sorted(p.name for p in path.parent.iterdir()) == ["data.html"]  # no temporary left


def test_write_report_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="is a folder"):
        write_report("<p></p>", tmp_path)


def test_public_api() -> None:
    assert mlsteward.report.__all__ == sorted(mlsteward.report.__all__) == [
        "render_champion_challenger", "render_data_report", "render_dictionary_html", "render_dictionary_markdown",
        "render_drift_report", "render_feasibility_report", "render_label_report", "render_labeling_curve",
        "render_model_card_html", "render_model_card_markdown", "render_performance_report", "write_report"]
