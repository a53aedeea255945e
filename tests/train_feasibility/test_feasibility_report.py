"""The feasibility report: a study of the GSS wages data through the real core, rendered and read back."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.metrics import confusion_matrix
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OrdinalEncoder
from sklearn.tree import DecisionTreeClassifier

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.report import _feasibility_report as report
from mlsteward.report._feasibility_report import render_feasibility_report
from mlsteward.train.feasibility_core import (
    compute_viability,
    labeling_cost,
    learning_curve_study,
    sample_summary,
)
from mlsteward.train.feasibility_errors import error_taxonomy
from mlsteward.train.feasibility_models import FeasibilityCheck, FeasibilityResult, PrototypeResult

WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
SCRIPT = "<script>alert(1)</script>"
BAD_NAME = '<img src=x onerror="alert(2)">'
TARGET = 0.80


class Page(HTMLParser):
    """The tags a browser would see, with their attributes."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tree() -> object:
    encode = make_column_transformer(
        (OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1),
         make_column_selector(dtype_include="category")), remainder="passthrough")
    return make_pipeline(encode, DecisionTreeClassifier(max_depth=5, min_samples_leaf=20, random_state=0))


@pytest.fixture(scope="module")
def study() -> dict[str, object]:
    df = gss_wages_with_target().sample(3_000, random_state=11).reset_index(drop=True)
    X, y = df.drop(columns="high_income"), df["high_income"].to_numpy()
    curve = learning_curve_study(_tree(), X, y, scoring="roc_auc", target=TARGET)
    pred = cross_val_predict(_tree(), X, y, cv=3)
    viability = compute_viability(train_seconds=0.04, latency_p50_ms=0.9, latency_p99_ms=2.5,
                                  batch_rows_per_second=80_000, peak_memory_mb=3.2, model_size_bytes=21_000,
                                  cpu_ms_per_prediction=0.8, p95_latency_ms=50, cost_per_prediction_usd=1e-6)
    result = FeasibilityResult(
        metric="roc_auc", sample=sample_summary(y, columns=X.shape[1], target="high_income"),
        baselines={"majority class": 0.5, BAD_NAME: 0.61},
        prototypes={"decision tree": PrototypeResult(metric_value=curve.points[-1].validation_mean, metric_std=0.012,
                                                     efficiency=viability.measured)},
        learning_curve=curve, labeling_cost=labeling_cost(curve.rows_needed, 3_000, 0.25),
        compute_viability=viability, error_taxonomy=error_taxonomy(X, y, pred), decision="go",
        reasons=["roc_auc of the best prototype is at least 0.70", f"a reason with {SCRIPT}"],
        gate_checks=[FeasibilityCheck(check="roc_auc", required=">= 0.70", observed=0.7912, passed=True),
                     FeasibilityCheck(check="uplift_over_baseline roc_auc", required=">= 0.05", observed=0.18,
                                      passed=True)],
        elapsed_seconds=12.0)
    return {"result": result, "y": y, "pred": pred,
            "page": render_feasibility_report(result, title="Feasibility: high income", generated_at=WHEN)}


def _section(page: str, name: str) -> str:
    start = page.index(f'<section id="{name}">')
    return page[start: page.index("</section>", start)]


def test_the_page_is_one_html_document_with_every_section(study) -> None:
    page = study["page"]
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")
    for key in report.SECTIONS:
        assert f'<section id="{key}">' in page and f'href="#{key}"' in page
    order = [page.index(f'<section id="{key}">') for key in report.SECTIONS]
    assert order == sorted(order) and order[0] == min(order)  # the decision comes first


def test_the_decision_its_reasons_and_gate_checks_lead_the_page(study) -> None:
    decision = _section(study["page"], "decision")
    assert '<div class="decision go">' in decision and ">GO<" in decision
    assert "roc_auc of the best prototype is at least 0.70" in decision
    assert "2 of 2 met" in decision
    for required, observed in ((">= 0.70", "0.7912"), (">= 0.05", "0.18")):
        assert f"<td>&gt;{required[1:]}</td><td class=\"num\">{observed}</td>" in decision


def test_a_script_in_a_reason_and_a_hostile_model_name_are_escaped(study) -> None:
    page = study["page"]
    assert SCRIPT not in page and BAD_NAME not in page
    assert "a reason with &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in _section(page, "models")
    images = [attrs for tag, attrs in Page(page).tags if tag == "img"]
    assert images == []


def test_the_charts_are_plotly_divs_and_valid_figures(study) -> None:
    page, result = study["page"], study["result"]
    for i in (1, 2, 3):
        assert f'id="chart-{i}"' in page
    assert page.count("Plotly.newPlot(") == 3
    rows = report._models(result, report._charts.ChartEmbedder())["rows"]
    figures = [report.learning_curve_figure(result.learning_curve), report.models_figure(result, rows),
               report.confusion_figure(result.error_taxonomy.confusion_matrix)]
    for figure in figures:
        go.Figure(figure)  # raises on any property plotly does not know


def test_the_learning_curve_chart_draws_the_points_the_fit_and_the_target(study) -> None:
    curve = study["result"].learning_curve
    figure = report.learning_curve_figure(curve)
    traces = {t.get("name"): t for t in figure["data"]}
    assert traces["validation score"]["x"] == [p.train_rows for p in curve.points]
    assert traces["validation score"]["y"] == [p.validation_mean for p in curve.points]
    assert traces["training score"]["y"] == [p.train_mean for p in curve.points]
    band = traces["validation ± 1 std"]
    top = [p.validation_mean + p.validation_std for p in curve.points]
    assert band["y"][: len(top)] == pytest.approx(top) and band["fill"] == "toself"
    fitted = traces["fitted power law"]
    assert fitted["y"] == pytest.approx([curve.fit.predict(x) for x in fitted["x"]])
    lines = [s["y0"] for s in figure["layout"]["shapes"] if s.get("xref") == "paper"]
    assert TARGET in lines and pytest.approx(curve.fit.asymptote) in lines
    section = _section(study["page"], "learning-curve")
    assert curve.verdict.split(":")[0] in section


def test_errors_show_sklearns_confusion_matrix_and_the_segment_rules(study) -> None:
    section = _section(study["page"], "errors")
    counts = confusion_matrix(study["y"], study["pred"])
    for count in counts.ravel():
        assert f"{count:,} <span" in section
    errors = study["result"].error_taxonomy
    assert errors.segments
    for segment in errors.segments:
        assert segment.rule.replace("<", "&lt;").replace(">", "&gt;") in section
    share = f"{(study['y'] != study['pred']).mean() * 100:.1f}%"
    assert f"<strong>{share}</strong>" in section


def test_compute_and_labeling_sections_show_budgets_and_costs(study) -> None:
    compute = _section(study["page"], "compute")
    assert "within budget" in compute and "2.5 ms" in compute and "conservative bound for the p95" in compute
    labeling = _section(study["page"], "labeling")
    cost = study["result"].labeling_cost
    assert cost.summary.replace("'", "&#39;") in labeling


def test_a_no_go_without_optional_results_renders_placeholders() -> None:
    result = FeasibilityResult(metric="neg_log_loss", sample=sample_summary(np.array([0, 1] * 50)),
                               decision="no-go", reasons=["no prototype beats the baseline"],
                               gate_checks=[FeasibilityCheck(check="neg_log_loss", required=">= -0.5",
                                                             observed=None, passed=None, note="not measured")])
    page = render_feasibility_report(result, title="Feasibility", generated_at=WHEN)
    assert '<div class="decision no-go">' in page and ">NO-GO<" in page
    assert "not evaluated" in page
    for text in ("No baseline or prototype was recorded.", "No learning curve was computed",
                 "No labeling cost was estimated", "No efficiency measurement was recorded",
                 "No error analysis was made"):
        assert text in page
    assert "Plotly.newPlot(" not in page


def test_the_page_loads_nothing_from_the_network(study) -> None:
    for tag, attrs in Page(study["page"]).tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, attrs)


def test_the_same_result_renders_the_same_page_also_after_storing_it(study) -> None:
    result = study["result"]
    stored = FeasibilityResult.model_validate_json(result.model_dump_json())
    assert render_feasibility_report(stored, title="Feasibility: high income", generated_at=WHEN) == study["page"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"result": {"decision": "go"}}, "must be a FeasibilityResult"),
    ({"title": " "}, "non-empty str"),
    ({"generated_at": "today"}, "must be a datetime"),
])
def test_bad_arguments_say_what_to_pass(study, kwargs: dict, message: str) -> None:
    arguments = {"result": study["result"], "title": "Feasibility", **kwargs}
    with pytest.raises(InvalidInput, match=message):
        render_feasibility_report(arguments.pop("result"), **arguments)
