"""The Model Performance Report: the evaluation suite run on the GSS wages data, rendered and read back."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import markupsafe
import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlsteward.datasets import gss_wages_with_target
from mlsteward.errors import InvalidInput
from mlsteward.evaluate.suite import SuiteInputs, SuiteResult, run_suite
from mlsteward.report import _performance_charts as charts
from mlsteward.report import _performance_report as report
from mlsteward.report import _performance_summary as page_summary
from mlsteward.report import render_performance_report
from mlsteward.report.model_card import ModelCardFacts
from mlsteward.spec_evaluation import EvaluationSpec
from mlsteward.spec_gates import parse_gate_check

WHEN = dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
SCRIPT = "<script>alert(1)</script>"
TITLE = f"wages: logreg on test@v1 {SCRIPT}"
TARGET = "high_income"
CONFIG = EvaluationSpec(bootstrap=200, explain={"max_rows": 400, "repeats": 2, "shap": False},
                        robustness={"max_rows": 400, "noise_scales": [0.1, 0.5], "missing_rates": [0.1, 0.3]},
                        ablation={"repeats": 1})
FACTS = ModelCardFacts(project="wages", charter={"problem": "Advisors cannot tell who earns well.",
                                                 "decision": "whom to offer the premium plan",
                                                 "prediction_target": "income above USD 20,000"},
                       candidate="logreg", model="sklearn.linear_model.LogisticRegression", params={"C": 1.0},
                       model_run="run-1", train="gss-train@v1", validation="gss-validation@v1",
                       feature_set="wages@v1", test="gss-test@v1", target=TARGET, sensitive_attributes=["gender"])


class Page(HTMLParser):
    """The tags a browser would see, with their attributes, and the text of the scripts."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def _pipeline(estimator: object, categorical: list[str], numeric: list[str]) -> Pipeline:
    encode = ColumnTransformer([
        ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ("numeric", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), numeric)])
    return Pipeline([("encode", encode), ("model", estimator)])


@pytest.fixture(scope="module")
def data():
    df = gss_wages_with_target().sample(3_000, random_state=5).reset_index(drop=True)
    df["wrkstat"] = df["wrkstat"].cat.rename_categories({"Other": SCRIPT})  # a hostile value in the data
    categorical = [c for c in df.columns if str(df[c].dtype) == "category"]
    numeric = [c for c in df.columns if c not in categorical and c != TARGET]
    return df, categorical, numeric


@pytest.fixture(scope="module")
def suite(data) -> SuiteResult:
    df, categorical, numeric = data
    train, validation, test = df.iloc[:1500], df.iloc[1500:2000], df.iloc[2000:]
    model = _pipeline(LogisticRegression(max_iter=500), categorical, numeric)
    model.fit(train.drop(columns=TARGET), train[TARGET])
    gate = [parse_gate_check(item) for item in ({"metric": "roc_auc", "min": 0.7},
                                                {"uplift_over_baseline": {"metric": "roc_auc", "min": 0.05}},
                                                {"signoff": ["product_owner"]})]
    inputs = SuiteInputs(model=model, frame=test.drop(columns=TARGET), y=test[TARGET], metric_name="roc_auc",
                         config=CONFIG, sensitive=["gender"], critical=["gender"], gate=gate,
                         baselines={"majority": 0.5}, train=(train.drop(columns=TARGET), train[TARGET]),
                         calibration_rows=(validation.drop(columns=TARGET), validation[TARGET]))
    return run_suite(inputs)


@pytest.fixture(scope="module")
def page(suite) -> str:
    return render_performance_report(suite, title=TITLE, facts=FACTS, generated_at=WHEN)


def _section(page: str, key: str) -> str:
    start = page.index(f'<section id="{key}">')
    return page[start: page.index("</section>", start)]


def _escaped(text: str) -> str:
    return str(markupsafe.escape(text))


# --- the page -------------------------------------------------------------------------------------


def test_every_check_that_ran_has_its_section_in_report_order(suite, page) -> None:
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert [(c.name, c.summary) for c in suite.checks if c.status in ("error", "skipped")] == []
    ran = {report.CHECK_SECTIONS[c.name] for c in suite.checks}
    assert {"metrics", "calibration", "operating-point", "slices", "fairness", "explain", "robustness",
            "failure-modes", "uplift", "gate"} <= ran
    for key in ran | {"summary"}:
        assert page.count(f'<section id="{key}">') == 1 and f'href="#{key}"' in page
        assert f"<h2>{report.SECTIONS[key]}" in page
    order = [page.index(f'<section id="{key}">') for key in report.SECTIONS if key in ran | {"summary"}]
    assert order == sorted(order)


def test_the_verdict_banner_leads_with_the_gate_metric_uplift_and_threshold(suite, page) -> None:
    summary = _section(page, "summary")
    assert page.index('<section id="summary">') < page.index('<section id="metrics">')
    label, tone = page_summary.DECISIONS[suite.gate.decision]
    assert f'<div class="verdict {tone}">' in summary and f'<div class="verdict-label">{label}</div>' in summary
    headline = suite.result("metrics")["values"]["roc_auc"]
    assert f"{headline['value']:.4f} (95% interval {headline['ci_low']:.4f} – {headline['ci_high']:.4f})" in summary
    uplift = suite.result("uplift")
    assert f"+{uplift['uplift']:.4f} (vs majority 0.5000)" in summary
    threshold = suite.result("operating_point")["optimum"]["threshold"]
    assert f"<dd>{threshold:.3f} (flags" in summary


def test_the_checks_table_lists_every_check_with_status_summary_and_time(suite, page) -> None:
    summary = _section(page, "summary")
    for check in suite.checks:
        assert f">{check.status}</span>" in summary
        assert _escaped(check.summary) in summary
        assert f"{check.seconds:.2f} s" in summary


def test_the_gate_table_shows_required_observed_and_status(suite, page) -> None:
    gate = _section(page, "gate")
    for check in suite.gate.checks:
        assert _escaped(check.check) in gate and _escaped(check.required) in gate
    observed = suite.gate.checks[0].observed
    assert f'<td class="num">{observed:.4f}</td>' in gate
    assert "✓ met" in gate and ">pending</span>" in gate  # roc_auc met; the sign-off pending


def test_metrics_show_values_intervals_confusion_matrix_and_cross_validation(suite, page) -> None:
    metrics = _section(page, "metrics")
    values = suite.result("metrics")["values"]
    for name, v in values.items():
        assert f"<code>{name}</code>" in metrics
        assert f"{v['ci_low']:.4f} – {v['ci_high']:.4f}" in metrics
    for count in np.ravel(suite.result("metrics")["confusion_matrix"]):
        assert f">{count:,} <span" in metrics
    cv = suite.result("cross_validation")["metrics"]["roc_auc"]
    assert f"{cv['mean']:.4f} ± {cv['std']:.4f}" in metrics
    assert all(f"{v:.4f}" in metrics for v in cv["per_fold"])


def test_calibration_shows_before_and_after_or_one_result(suite, page) -> None:
    calibration = _section(page, "calibration")
    result = suite.result("calibration")
    for key in ("brier_score", "expected_calibration_error", "maximum_calibration_error"):
        assert f"{result['before'][key]:.4f}" in calibration and f"{result['after'][key]:.4f}" in calibration
    figure = report.reliability_figure([("before", result["before"], "blue"), ("after", result["after"], "green")])
    observed = [result[k]["curve"]["observed_frequency"] for k in ("before", "after")]
    assert [t["y"] for t in figure["data"][1:]] == observed
    assert figure["data"][0]["y"] == result["before"]["curve"]["count"]  # the rows per bin
    single = SuiteResult.model_validate_json(suite.model_dump_json())
    single.check("calibration").result = result["before"]  # a CalibrationResult: no recalibration
    section = _section(render_performance_report(single, title="t", facts=FACTS, generated_at=WHEN), "calibration")
    assert ">after</th>" not in section and f"{result['before']['brier_score']:.4f}" in section


def test_operating_point_shows_rationale_counts_and_marked_curves(suite, page) -> None:
    section = _section(page, "operating-point")
    result = suite.result("operating_point")
    assert _escaped(result["rationale"]) in section
    opt = result["optimum"]
    for key in ("true_positive", "false_positive", "true_negative", "false_negative"):
        assert f'<span class="big">{opt[key]:,}</span>' in section
    cost = report.cost_figure(result)
    dashed = [s["x0"] for s in cost["layout"]["shapes"] if s.get("yref") == "paper"]
    assert dashed == [opt["threshold"], result["default"]["threshold"]]
    roc = report.roc_figure(result)
    assert roc["data"][1]["y"] == [opt["recall"]]


def test_slices_fairness_failure_modes_and_uplift_say_what_they_found(suite, page) -> None:
    slices = _section(page, "slices")
    for segment in suite.result("slices")["worst_segments"]:
        assert _escaped(segment["description"]) in slices
    assert slices.count("Plotly.newPlot(") == min(report.MAX_SLICE_CHARTS, len(suite.result("slices")["columns"]))
    fairness = _section(page, "fairness")
    audit = suite.result("fairness")["attributes"][0]
    assert f"{audit['disparate_impact']:.4f}" in fairness
    assert {True: "meets", False: "fails", None: "not judged"}[audit["four_fifths_passes"]] in fairness
    for group in audit["groups"]:
        assert f"<code>{group['group']}</code>" in fairness
    modes = _section(page, "failure-modes")
    for mode in suite.result("failure_modes")["modes"]:
        assert _escaped(mode["rule"]) in modes
    assert "better than the best baseline (majority, 0.5000)" in _section(page, "uplift")


def test_explainability_robustness_and_ablation_draw_their_results(suite, page) -> None:
    explained = suite.result("explain")
    section = _section(page, "explain")
    assert "gender (critical)" in report.importance_figure(explained, explained["features"])["data"][0]["y"]
    with_pdp = [f for f in explained["features"] if f["partial_dependence"]]
    assert section.count("Plotly.newPlot(") == 1 + min(report.MAX_PDP_CHARTS, len(with_pdp))
    damaged = suite.result("robustness")
    section = _section(page, "robustness")
    for probe in damaged["probes"]:
        assert f"<code>{probe['probe']}</code>" in section and f">{probe['outcome']}</span>" in section
    curve = damaged["curves"][0]
    figure = report.degradation_figure(damaged, curve, "blue")
    assert figure["data"][0]["x"] == [0.0] + [p["level"] for p in curve["points"]]
    ablation = suite.result("ablation")
    section = _section(page, "ablation")
    for group in ablation["groups"]:
        assert f"<code>{group['name']}</code>" in section and f">{charts.signed_text(group['delta'])}</td>" in section
    bars = report.ablation_figure(ablation, ablation["groups"])["data"][0]
    assert bars["x"] == [g["delta"] for g in ablation["groups"]]


def test_shap_values_get_their_chart_when_computed(suite) -> None:
    """SHAP is off in the suite above (shap's first call compiles for seconds): its fields filled in by hand."""
    with_shap = SuiteResult.model_validate_json(suite.model_dump_json())
    explained = with_shap.check("explain").result
    explained["shap"] = {"explainer": "PermutationExplainer", "output": "probability of class 1", "rows": 100,
                         "background": 100, "permutations": 1, "base_value": 0.4}
    for i, feature in enumerate(explained["features"]):
        feature["shap_mean_abs"] = 0.01 * (i + 1)
    section = _section(render_performance_report(with_shap, title="t", facts=FACTS, generated_at=WHEN), "explain")
    assert "PermutationExplainer explainer, 100 rows" in section
    figure = report.shap_figure(explained, sorted(explained["features"], key=lambda f: -f["shap_mean_abs"]))
    assert figure["data"][0]["x"][0] == 0.01 * len(explained["features"])
    go.Figure(figure)


def test_every_chart_is_a_valid_plotly_figure(suite, page) -> None:
    charts = re.findall(r'id="chart-(\d+)"', page)
    assert charts == [str(i) for i in range(1, len(charts) + 1)] and len(charts) >= 15
    assert page.count("Plotly.newPlot(") == len(charts)
    op, sl = suite.result("operating_point"), suite.result("slices")
    explained = suite.result("explain")
    figures = [report.roc_figure(op), report.pr_figure(op), report.cost_figure(op),
               report.slice_figure(sl, "gender", [s for s in sl["slices"] if s["column"] == "gender"]),
               report.selection_figure(suite.result("fairness")["attributes"][0], 0.8),
               report.importance_figure(explained, explained["features"]),
               report.uplift_figure(suite.result("uplift"))]
    figures += [report.dependence_figure(f) for f in explained["features"] if f["partial_dependence"]]
    figures.append(report.ablation_figure(suite.result("ablation"), suite.result("ablation")["groups"]))
    for figure in figures:
        go.Figure(figure)  # raises on any property plotly does not know


# --- safety and determinism -----------------------------------------------------------------------


def test_hostile_values_and_title_are_escaped(suite, page) -> None:
    assert SCRIPT not in page
    assert f"<title>{_escaped(TITLE)}</title>" in page and f"<h1>{_escaped(TITLE)}</h1>" in page
    assert f"<td>{_escaped(SCRIPT)}</td>" in _section(page, "slices")  # the category value in the slice table
    parsed = Page(page)
    charts = [a for tag, a in parsed.tags if tag == "div" and "plotly-graph-div" in (a.get("class") or "")]
    assert len(parsed.scripts) == 1 + len(charts)  # the library and one Plotly.newPlot per chart, nothing else
    assert all(s.strip().startswith("window.PLOTLYENV") for s in parsed.scripts[1:])
    assert not [a for _, a in parsed.tags if any(k.startswith("on") for k in a)]
    # plotly shows labels literally: its markup characters are entities inside the chart JSON
    wrkstat = next(f for f in suite.result("explain")["features"] if f["feature"] == "wrkstat")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report.dependence_figure(wrkstat)["data"][0]["x"]


def test_the_page_loads_nothing_from_the_network(page) -> None:
    parsed = Page(page)
    for tag, attrs in parsed.tags:
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (tag, name, value)
    assert not [tag for tag, _ in parsed.tags if tag in ("link", "img", "iframe", "object", "embed", "base")]
    outside_scripts = re.sub(r"<script\b.*?</script>", "", page, flags=re.DOTALL | re.IGNORECASE)
    assert not re.search(r"https?://", outside_scripts)
    for script in parsed.scripts[1:]:  # the charts: data only
        assert not re.search(r"https?://", script)
    csp = [a["content"] for tag, a in parsed.tags if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_the_same_result_renders_the_same_page_also_after_storing_it(suite, page) -> None:
    stored = SuiteResult.model_validate_json(suite.model_dump_json())
    assert render_performance_report(stored, title=TITLE, facts=FACTS, generated_at=WHEN) == page


# --- other suites ---------------------------------------------------------------------------------


def test_a_regression_suite_renders_what_it_has(data) -> None:
    df, categorical, numeric = data
    df = df.dropna(subset=["age"])
    features = [c for c in numeric if c != "age"]
    model = _pipeline(Ridge(), categorical, features)
    train, test = df.iloc[:1500], df.iloc[1500:2300]
    frame = test.drop(columns=["age", TARGET])
    x_train = train.drop(columns=["age", TARGET])
    model.fit(x_train, train["age"])
    mean_rmse = float(np.sqrt(((test["age"] - train["age"].mean()) ** 2).mean()))  # predicting the training mean
    result = run_suite(SuiteInputs(model=model, frame=frame, y=test["age"], config=CONFIG,
                                   baselines={"mean": mean_rmse}, train=(x_train, train["age"])))
    page = render_performance_report(result, title="age model", facts=FACTS, generated_at=WHEN)
    for key in ("metrics", "slices", "failure-modes", "uplift", "gate"):
        assert f'<section id="{key}">' in page
    for key in ("calibration", "operating-point", "fairness"):  # skipped: no section, the reason in the table
        assert f'<section id="{key}">' not in page and f'href="#{key}"' not in page
        assert _escaped(result.check(key.replace("-", "_")).summary) in _section(page, "summary")
    assert '<div class="verdict-label">NO GATE</div>' in page
    assert "rmse" in _section(page, "metrics") and "Confusion matrix" not in page

def test_an_errored_check_shows_its_error_and_a_missing_one_has_no_section(suite) -> None:
    broken = SuiteResult.model_validate_json(suite.model_dump_json())
    slices = broken.check("slices")
    slices.status, slices.summary, slices.result = "error", "KeyError: 'column <b>x</b>'", None
    broken.checks = [c for c in broken.checks if c.name != "uplift"]
    page = render_performance_report(broken, title="t", facts=FACTS, generated_at=WHEN)
    assert "The check could not run: KeyError: &#39;column &lt;b&gt;x&lt;/b&gt;&#39;" in _section(page, "slices")
    assert '<section id="uplift">' not in page and "Uplift over baseline" not in page


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"result": {"task": "classification"}}, "must be a SuiteResult"),
    ({"title": " "}, "non-empty str"),
    ({"facts": {"project": "p"}}, "must be a ModelCardFacts"),
    ({"generated_at": "today"}, "must be a datetime"),
])
def test_bad_arguments_say_what_to_pass(suite, kwargs: dict, message: str) -> None:
    arguments = {"result": suite, "title": "Performance", "facts": FACTS, **kwargs}
    with pytest.raises(InvalidInput, match=message):
        render_performance_report(arguments.pop("result"), **arguments)
