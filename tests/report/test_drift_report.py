"""The drift report: GSS drift (an early period against a late one) through the real core, rendered and
read back. The charts' numbers are checked against numpy / pandas computed here from the data, not
against the result the page was rendered from; and no row of the data may reach the page."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import markupsafe
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.offline
import pytest

import mlsteward.report
from mlsteward.datasets import gss_label_events
from mlsteward.errors import InvalidInput
from mlsteward.monitor import DatasetDrift, dataset_drift
from mlsteward.report import render_drift_report
from mlsteward.report._drift_report import frequencies_drift_figure, histogram_drift_figure

WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
SCRIPT = "<script>alert(1)</script>"
BAD_NAME = '<img src=x onerror="alert(2)">'
PLANTED_TEXT = "zebra-7f3a9c-planted"
PLANTED_NUMBER = 51234.56789  # inside the range: the outer bin edges are the samples' min and max


class Page(HTMLParser):
    """What a browser would see: tags with their attributes, and the text of scripts and styles."""

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


def figures(page: str) -> dict[str, dict]:
    """Each chart's plotly data by its div id, parsed from the Plotly.newPlot calls."""
    found = {}
    for script in Page(page).scripts[1:]:
        match = re.search(r'Plotly\.newPlot\(\s*"([^"]+)",\s*(\[.*?\]),\s*\{', script, flags=re.DOTALL)
        assert match, script[:200]
        found[match.group(1)] = json.loads(match.group(2))
    return found


def card(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start: page.index("</article>", start)]


def section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start: page.index("</section>", start)]


@pytest.fixture(scope="module")
def periods() -> tuple[pd.DataFrame, pd.DataFrame]:
    df = gss_label_events()
    df["predicted"] = df["educcat"].isin(["Bachelor", "Graduate"]).astype("int8")
    return df[df["year"] < 1990].reset_index(drop=True), df[df["year"] >= 2006].reset_index(drop=True)


@pytest.fixture(scope="module")
def gss_drift(periods) -> DatasetDrift:
    return dataset_drift(*periods, prediction="predicted", target="high_income", correction="benjamini_hochberg")


@pytest.fixture(scope="module")
def page(gss_drift: DatasetDrift) -> str:
    return render_drift_report(gss_drift, title="GSS: late against early", reference="early.csv",
                               current="gss@2", generated_at=WHEN)


# --- content --------------------------------------------------------------------------------------


def test_sections_navigation_and_header(page: str) -> None:
    parsed = Page(page)
    sections = ["summary", "columns", "prediction", "skipped", "charts"]
    assert set(sections) <= parsed.ids()
    nav = [a["href"] for tag, a in parsed.tags if tag == "a" and (a.get("href") or "").startswith("#")
           and not a["href"].startswith("#col-")]
    assert nav == [f"#{s}" for s in sections]
    assert "<title>GSS: late against early</title>" in page
    assert "Reference <strong>early.csv</strong>" in page and "Current <strong>gss@2</strong>" in page
    assert "2025-01-02 03:04:05 UTC" in page


def test_summary_states_the_verdict_and_the_numbers(page: str, periods, gss_drift: DatasetDrift) -> None:
    early, late = periods
    summary = section(page, "summary")
    assert 'class="verdict-label">DRIFT<' in summary
    share = gss_drift.drifted_count / gss_drift.tested_count
    assert f"{gss_drift.drifted_count} of {gss_drift.tested_count} columns drifted ({share:.1%})" in summary
    assert "at least 50% of the tested columns drift" in summary and "Benjamini-Hochberg" in summary

    def value(label: str) -> str:
        match = re.search(rf'card-label">{label}</div>\s*<div class="card-value ?\w*">([^<]*)</div>', summary)
        assert match, label
        return match.group(1)

    assert value("Reference rows") == f"{len(early):,}" and value("Current rows") == f"{len(late):,}"
    tested = len(early.columns) - 3  # predicted, high_income: apart; interviewed_at: a datetime
    assert value("Columns tested") == str(tested) == str(gss_drift.tested_count)
    assert value("Columns drifted") == str(gss_drift.drifted_count)
    for name in gss_drift.drifted_columns():
        assert f"<code>{name}</code>" in summary


def test_column_table_has_one_row_per_column(page: str, gss_drift: DatasetDrift) -> None:
    table = section(page, "columns")
    rows = re.findall(r'<tr class="(drifted)?">(.*?)</tr>', table, flags=re.DOTALL)
    assert len(rows) == len(gss_drift.columns)
    for (drifted, row), c in zip(rows, gss_drift.columns, strict=True):
        assert f">{c.column}</a>" in row and f"<code>{c.test}</code>" in row
        assert f'<td class="num">{c.statistic:.4g}</td>' in row
        assert bool(drifted) == c.drifted and ("badge bad\">drifted" in row) == c.drifted
    assert "adjusted p" in table  # a correction was applied


def test_prediction_and_target_are_shown_apart(page: str, gss_drift: DatasetDrift) -> None:
    part = section(page, "prediction")
    assert "predicted" in part and "high_income" in part
    assert 'id="col-prediction"' in part and 'id="col-target"' in part
    assert "predicted" not in section(page, "columns")


def test_skipped_columns_say_why(page: str) -> None:
    part = section(page, "skipped")
    assert "interviewed_at" in part and "datetime columns are not tested for drift" in part


def test_numeric_chart_shows_both_samples_shares_over_common_bins(page: str, periods,
                                                                   gss_drift: DatasetDrift) -> None:
    early, late = periods
    index = [c.column for c in gss_drift.columns].index("age")
    chart_id = re.search(r'id="(chart-\d+)"', card(page, f"col-{index}")).group(1)
    reference, current = figures(page)[chart_id]
    ref, cur = early["age"].dropna().to_numpy(), late["age"].dropna().to_numpy()
    low, high = min(ref.min(), cur.min()), max(ref.max(), cur.max())
    ref_counts, edges = np.histogram(ref, bins=20, range=(low, high))
    cur_counts, _ = np.histogram(cur, bins=20, range=(low, high))
    assert (reference["name"], current["name"]) == ("reference", "current")
    assert reference["y"] == pytest.approx((ref_counts / len(ref)).tolist())
    assert current["y"] == pytest.approx((cur_counts / len(cur)).tolist())
    assert reference["x"] == pytest.approx(((edges[:-1] + edges[1:]) / 2).tolist())


def test_categorical_chart_shows_both_samples_category_shares(page: str, periods,
                                                              gss_drift: DatasetDrift) -> None:
    early, late = periods
    index = [c.column for c in gss_drift.columns].index("educcat")
    chart_id = re.search(r'id="(chart-\d+)"', card(page, f"col-{index}")).group(1)
    reference, current = figures(page)[chart_id]
    ref_shares = early["educcat"].value_counts(normalize=True)
    cur_shares = late["educcat"].value_counts(normalize=True)
    assert sorted(reference["y"]) == sorted(ref_shares.index)
    for category, ref_share, cur_share in zip(reference["y"], reference["x"], current["x"], strict=True):
        assert ref_share == pytest.approx(ref_shares[category]) and cur_share == pytest.approx(cur_shares[category])


def test_drifted_columns_are_charted_first(page: str, gss_drift: DatasetDrift) -> None:
    charts = section(page, "charts")
    anchors = re.findall(r'<article class="column-card(?: drifted)?" id="(col-\d+)"', charts)
    drifted = [f"col-{i}" for i, c in enumerate(gss_drift.columns) if c.drifted]
    calm = [f"col-{i}" for i, c in enumerate(gss_drift.columns) if not c.drifted]
    assert anchors == drifted + calm


def test_every_figure_is_a_valid_plotly_figure(gss_drift: DatasetDrift) -> None:
    for c in gss_drift.columns:
        figure = histogram_drift_figure(c.histogram) if c.histogram else frequencies_drift_figure(c.frequencies)
        go.Figure(figure)  # raises on any property plotly does not know


# --- no raw data, escaping, offline ---------------------------------------------------------------


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.DataFrame, DatasetDrift, str]:
    """Data with one distinctive value of each kind that no aggregate holds: a text value in one row (far
    from the top categories) and a number inside the range (not a bin edge, not a share)."""
    rng = np.random.default_rng(7)
    n = 3_000
    reference = pd.DataFrame({
        "city": rng.choice([f"city-{i:02d}" for i in range(30)], n),
        "income": rng.normal(50_000, 12_000, n),
        "plan": rng.choice(["basic", "pro", SCRIPT], n),
        BAD_NAME: rng.integers(0, 5, n).astype(float),
    })
    current = reference.sample(frac=1.0, random_state=1).reset_index(drop=True)
    current["income"] = current["income"] * 1.2
    reference.loc[17, "city"] = PLANTED_TEXT
    reference.loc[42, "income"] = PLANTED_NUMBER
    drift = dataset_drift(reference, current)
    return reference, current, drift, render_drift_report(drift, generated_at=WHEN)


def test_no_row_of_the_data_reaches_the_page(planted) -> None:
    reference, _, drift, page = planted
    assert PLANTED_TEXT in reference["city"].to_numpy() and PLANTED_NUMBER in reference["income"].to_numpy()
    assert PLANTED_TEXT not in page
    assert reference["income"].min() < PLANTED_NUMBER < reference["income"].max()
    assert str(PLANTED_NUMBER) not in page and "51234.6" not in page
    for value in reference["income"].sample(200, random_state=0):  # nor any other raw number
        assert repr(float(value)) not in page
    # the aggregates are there: the test would see a value if it were embedded
    city = drift.column("city")
    top = city.frequencies.categories[0].value
    assert top.startswith("city-") and top in page and city.frequencies.other is not None
    assert "other (" in json.dumps(figures(page))
    assert PLANTED_TEXT not in drift.model_dump_json()  # the result itself holds only aggregates


def test_data_values_and_names_are_escaped(planted) -> None:
    _, _, drift, page = planted
    assert SCRIPT not in page and BAD_NAME not in page
    assert str(markupsafe.escape(BAD_NAME)) in page  # column names: table and cards, as text
    parsed = Page(page)
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]  # no event handlers
    assert all(s.strip().startswith("window.PLOTLYENV") for s in parsed.scripts[1:])
    plan = frequencies_drift_figure(drift.column("plan").frequencies)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in plan["data"][0]["y"]  # plotly shows it literally


def test_the_page_loads_nothing_from_the_network(page: str) -> None:
    parsed = Page(page)
    external = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action", "data", "poster", "xlink:href"):
            value = attrs.get(name)
            if value is not None:
                assert not external.match(value), (tag, name, value)
                if name == "href":
                    assert value.startswith("#"), (tag, value)
    assert not [tag for tag, _ in parsed.tags if tag in ("link", "img", "iframe", "object", "embed", "base")]
    outside_scripts = re.sub(r"<script\b.*?</script>", "", page, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"https?://", outside_scripts)
    assert all("url(" not in css and "@import" not in css for css in parsed.styles)
    csp = [a["content"] for tag, a in parsed.tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_plotly_is_inlined_exactly_once(page: str) -> None:
    library = plotly.offline.get_plotlyjs()
    assert page.count(library) == 1
    assert Page(page).scripts[0] == library


# --- options and edges ----------------------------------------------------------------------------


def test_same_result_renders_to_the_same_page(page: str, gss_drift: DatasetDrift) -> None:
    stored = DatasetDrift.model_validate_json(gss_drift.model_dump_json())  # as the store keeps it
    again = render_drift_report(stored, title="GSS: late against early", reference="early.csv", current="gss@2",
                                generated_at=WHEN)
    assert again == page


def test_no_drift_and_nothing_tested_read_as_such(periods) -> None:
    late = periods[1]
    calm = render_drift_report(dataset_drift(late.iloc[::2], late.iloc[1::2]), generated_at=WHEN)
    assert 'class="verdict-label">NO DRIFT<' in calm and "id=\"prediction\"" not in calm
    nothing = dataset_drift(pd.DataFrame({"a": [1.0, 2.0]}), pd.DataFrame({"b": [1.0, 2.0]}))
    blank = render_drift_report(nothing, generated_at=WHEN)
    assert 'class="verdict-label">NOT TESTED<' in blank and "No column was tested" in blank
    assert "missing from the current data" in section(blank, "skipped")


def test_charts_are_capped_and_every_column_stays_in_the_table(gss_drift: DatasetDrift) -> None:
    capped = render_drift_report(gss_drift, max_column_cards=2, generated_at=WHEN)
    charts = section(capped, "charts")
    assert len(re.findall(r'<article class="column-card', charts)) == 2
    assert f"2 of {len(gss_drift.columns)} columns are charted" in " ".join(charts.split())
    assert len(re.findall(r'<tr class="(?:drifted)?">', section(capped, "columns"))) == len(gss_drift.columns)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"drift": {"columns": []}}, "'drift' parameter of render_drift_report must be a DatasetDrift"),
    ({"title": " "}, "'title' parameter"),
    ({"reference": 3}, "'reference' parameter"),
    ({"generated_at": "today"}, "'generated_at' parameter"),
    ({"max_column_cards": -1}, "'max_column_cards' parameter"),
])
def test_bad_arguments_say_what_to_pass(gss_drift: DatasetDrift, kwargs: dict, message: str) -> None:
    call = {"drift": gss_drift, **kwargs}
    with pytest.raises(InvalidInput, match=re.escape(message)):
        render_drift_report(call.pop("drift"), **call)


def test_public_api() -> None:
    assert "render_drift_report" in mlsteward.report.__all__
    assert mlsteward.report.__all__ == sorted(mlsteward.report.__all__)
