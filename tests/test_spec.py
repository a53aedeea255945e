"""steward.yaml models, and validation that reports every problem with its path, value and line."""

from __future__ import annotations

from typing import ClassVar

import pytest
import yaml

from mlsteward.errors import InvalidInput, SpecInvalid
from mlsteward.spec import (
    GATE_CHECK_KINDS,
    Spec,
    SpecProblem,
    check_spec_file,
    check_spec_text,
    find_spec_file,
    load_spec,
    read_store_section,
    register_check_kind,
    template_text,
)
from mlsteward.spec_gates import FairnessThreshold, GateCheck, MetricThreshold, SignOff, UpliftOverBaseline

# A small valid spec; tests break it in known places, so its line numbers matter.
VALID = """\
project: churn
charter:
  problem: Subscribers leave unnoticed.
  decision: Who receives a retention offer.
  prediction_target: cancels within 30 days
  kpis:
    ml:
      - name: roc_auc
        target: 0.8
        timeframe: Q3 2027
  constraints:
    interpretability: high
  stakeholders:
    - name: Dana
      role: product_owner
    - name: Sam
      role: compliance_officer
gates:
  promotion:
    - metric: roc_auc
      min: 0.8
    - signoff: [product_owner, compliance_officer]
"""


def broken(*replacements: tuple[str, str]) -> str:
    text = VALID
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def by_path(problems: list[SpecProblem]) -> dict[str, SpecProblem]:
    return {problem.path: problem for problem in problems}


def write(tmp_path, text: str):
    path = tmp_path / "steward.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the template


def test_template_filled_in_validates_with_zero_problems(tmp_path):
    text = template_text("churn-model")
    assert check_spec_text(text) == []
    spec = load_spec(write(tmp_path, text))
    assert spec.project == "churn-model"
    assert spec.charter.roles == ["compliance_officer", "ml_engineer", "product_owner"]
    assert spec.charter.constraints.p95_latency_ms == 200
    assert spec.charter.baseline is not None and spec.charter.baseline.kpi_values["roc_auc"] == 0.62
    assert [check.describe() for check in spec.gates["feasibility"]] == [
        "roc_auc >= 0.7",
        "roc_auc uplift over baseline >= 0.05",
    ]
    assert [check.kind for check in spec.gates["promotion"]] == ["metric", "metric", "fairness", "signoff"]
    assert spec.store is None  # the store section is commented out


def test_template_is_commented():
    text = template_text("churn-model")
    assert sum(line.lstrip().startswith("#") for line in text.splitlines()) >= 20
    assert "# store:" in text


@pytest.mark.parametrize("name", ["", "my project", "a/b", "x" * 101])
def test_template_rejects_a_name_that_is_not_a_slug(name):
    with pytest.raises(InvalidInput, match="not a valid project name"):
        template_text(name)


@pytest.mark.parametrize("name", ["yes", "123", "null", "a_b-C9"])
def test_template_names_that_look_like_other_yaml_types_stay_text(name):
    assert check_spec_text(template_text(name)) == []


def test_a_project_name_that_is_not_a_slug_is_a_problem():
    (problem,) = check_spec_text(broken(("project: churn", "project: my churn")))
    assert (problem.path, problem.value, problem.line) == ("project", "my churn", 1)
    assert "letters, digits" in problem.expected


# --------------------------------------------------------------------------- every problem reported


def test_the_valid_example_is_valid():
    assert check_spec_text(VALID) == []


def test_three_mistakes_are_three_problems_with_path_value_and_line():
    text = broken(
        ("  decision: Who receives a retention offer.\n", ""),  # missing required key
        ("target: 0.8", "target: high"),  # not a number
        ("interpretability: high", "interpretability: very"),  # not an allowed value
    )
    problems = check_spec_text(text)
    assert [(p.path, p.value, p.line) for p in problems] == [
        ("charter.decision", None, 2),  # missing: the line of its parent, charter:
        ("charter.kpis.ml[0].target", "high", 8),
        ("charter.constraints.interpretability", "very", 11),
    ]
    found = by_path(problems)
    assert "decision the model's predictions support" in found["charter.decision"].expected
    assert found["charter.kpis.ml[0].target"].expected == "a number"
    interpretability = found["charter.constraints.interpretability"]
    assert interpretability.expected == "one of 'none', 'low', 'medium' or 'high'"


def test_problem_reads_as_path_line_found_expected():
    problem = SpecProblem("charter.kpis.ml[0].target", "high", "a number", 14)
    assert str(problem) == "charter.kpis.ml[0].target (line 14): found 'high', expected a number"
    missing = SpecProblem("charter.decision", None, "the decision (required)", None)
    assert str(missing) == "charter.decision: found nothing, expected the decision (required)"


def test_an_extra_key_lists_the_known_keys_and_suggests_one():
    (problem,) = check_spec_text(broken(("  kpis:", "  kpi: 3\n  kpis:")))
    assert (problem.path, problem.value, problem.line) == ("charter.kpi", 3, 6)
    assert problem.expected.startswith("no such key; did you mean 'kpis'?")
    assert "known keys: problem, decision, prediction_target, kpis, baseline," in problem.expected


def test_an_extra_key_inside_a_gate_check_lists_that_kinds_keys():
    text = broken(("    - metric: roc_auc\n      min: 0.8", "    - metric: roc_auc\n      minimum: 0.8"))
    (problem,) = check_spec_text(text)
    assert (problem.path, problem.value, problem.line) == ("gates.promotion[0].minimum", 0.8, 21)
    assert "did you mean 'min'?" in problem.expected
    assert "(known keys: metric, min, max)" in problem.expected


def test_duplicate_kpi_names_point_at_the_repeat():
    kpi = "      - name: roc_auc\n        target: 0.8\n        timeframe: Q3 2027\n"
    (problem,) = check_spec_text(broken((kpi, kpi + kpi)))
    assert (problem.path, problem.value, problem.line) == ("charter.kpis.ml[1].name", "roc_auc", 11)
    assert "unique KPI name" in problem.expected


def test_a_key_given_twice_is_a_problem():
    (problem,) = check_spec_text(broken(("project: churn\n", "project: churn\nproject: churn2\n")))
    assert (problem.path, problem.line) == ("project", 2)
    assert "also on line 1" in problem.expected


# --------------------------------------------------------------------------- gates


def test_an_unknown_gate_kind_names_the_known_ones():
    (problem,) = check_spec_text(broken(("- signoff: [", "- sign_off: [")))
    assert (problem.path, problem.value, problem.line) == ("gates.promotion[1].sign_off", "sign_off", 22)
    assert "fairness, metric, robustness, signoff, uplift_over_baseline" in problem.expected
    assert "did you mean 'signoff'?" in problem.expected


def test_a_signoff_role_no_stakeholder_holds_is_named_with_the_roles_present():
    (problem,) = check_spec_text(broken(("[product_owner, compliance_officer]", "[product_owner, legal]")))
    assert (problem.path, problem.value, problem.line) == ("gates.promotion[1].signoff[1]", "legal", 22)
    assert "'legal'" in problem.expected
    assert "roles present: compliance_officer, product_owner" in problem.expected


def test_a_bad_role_is_reported_beside_another_bad_gate_item():
    text = broken(("min: 0.8", "min: lots"), ("compliance_officer]", "legal]"))
    paths = [p.path for p in check_spec_text(text)]
    assert paths == ["gates.promotion[0].min", "gates.promotion[1].signoff[1]"]


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("{metric: roc_auc}", "a bound: min, max or both"),
        ("{metric: roc_auc, min: 0.9, max: 0.8}", "min <= max, but min is 0.9 and max is 0.8"),
        ("{metric: roc_auc, min: 0.9, signoff: [x]}", "one check per list item, but this one names 'metric'"),
        ("roc_auc", "a gate check naming its kind"),
        ("{signoff: []}", "a list of at least 1 item"),
    ],
)
def test_malformed_gate_items(item, expected):
    (problem,) = check_spec_text(broken(("- signoff: [product_owner, compliance_officer]", f"- {item}")))
    assert problem.path.startswith("gates.promotion[1]")
    assert problem.line == 22
    assert problem.expected.startswith(expected)


def test_each_kind_parses_and_describes_itself():
    spec = Spec.model_validate(
        {
            "project": "p",
            "charter": {"problem": "x", "decision": "y", "prediction_target": "z"},
            "gates": {
                "g": [
                    {"metric": "roc_auc", "min": 0.7, "max": 0.95},
                    {"uplift_over_baseline": {"metric": "roc_auc", "min": 0.05}},
                    {"fairness": {"metric": "demographic_parity_difference", "by": "sex", "max": 0.10}},
                ]
            },
        }
    )
    checks = spec.gates["g"]
    assert [type(check) for check in checks] == [MetricThreshold, UpliftOverBaseline, FairnessThreshold]
    assert [check.describe() for check in checks] == [
        "0.7 <= roc_auc <= 0.95",
        "roc_auc uplift over baseline >= 0.05",
        "demographic_parity_difference by sex <= 0.1",
    ]
    assert SignOff(signoff=["product_owner"]).describe() == "sign-off by product_owner"


class DatasetCountCheck(GateCheck):
    kind: ClassVar[str] = "datasets"
    datasets: int

    def describe(self) -> str:
        return f"at least {self.datasets} datasets"


@pytest.fixture
def datasets_kind():
    register_check_kind("datasets", DatasetCountCheck)
    yield DatasetCountCheck
    del GATE_CHECK_KINDS["datasets"]


WITH_DATA_GATE = broken(("gates:\n  promotion:\n", "gates:\n  data:\n    - datasets: 2\n  promotion:\n"))


def test_a_registered_kind_is_usable_in_gates(datasets_kind):
    text = WITH_DATA_GATE
    assert check_spec_text(text) == []
    spec = Spec.model_validate(yaml.safe_load(text))
    (check,) = spec.gates["data"]
    assert isinstance(check, DatasetCountCheck)
    assert (check.kind, check.describe()) == ("datasets", "at least 2 datasets")
    (problem,) = check_spec_text(text.replace("datasets: 2", "datasets: many"))
    assert (problem.path, problem.value) == ("gates.data[0].datasets", "many")


def test_register_check_kind_rejects_models_it_cannot_use():
    with pytest.raises(ValueError, match="no field 'other'"):
        register_check_kind("other", DatasetCountCheck)
    with pytest.raises(TypeError, match="must subclass GateCheck"):
        register_check_kind("metric", dict)

    class OtherMetric(GateCheck):
        metric: str

    with pytest.raises(ValueError, match="already registered as MetricThreshold"):
        register_check_kind("metric", OtherMetric)
    assert GATE_CHECK_KINDS["metric"] is MetricThreshold


def test_an_unregistered_kind_is_unknown():
    (problem,) = check_spec_text(WITH_DATA_GATE)
    assert (problem.path, problem.value) == ("gates.data[0].datasets", "datasets")


# --------------------------------------------------------------------------- files and YAML


def test_a_yaml_syntax_error_is_one_problem_with_its_line():
    (problem,) = check_spec_text(broken(("problem: Subscribers leave unnoticed.", "problem: a: b")))
    assert (problem.path, problem.line, problem.value) == ("<yaml>", 3, "problem: a: b")
    assert problem.expected == "valid YAML (mapping values are not allowed here)"


@pytest.mark.parametrize(("text", "value"), [("- a\n- b\n", ["a", "b"]), ("", None), ("text", "text")])
def test_a_document_that_is_not_a_mapping_is_a_problem(text, value):
    (problem,) = check_spec_text(text)
    assert (problem.path, problem.value) == ("<document>", value)


def test_a_missing_file_says_to_run_steward_init(tmp_path):
    (problem,) = check_spec_file(tmp_path / "steward.yaml")
    assert problem.path == str(tmp_path / "steward.yaml")
    assert "steward init" in problem.expected
    with pytest.raises(SpecInvalid, match="steward init") as raised:
        load_spec(tmp_path / "steward.yaml")
    assert raised.value.problems == [problem]


def test_load_spec_raises_with_every_problem(tmp_path):
    mistakes = ("target: 0.8", "target: high"), ("min: 0.8", "min: low"), ("project: churn", "project: a b")
    text = broken(*mistakes)
    path = write(tmp_path, text)
    with pytest.raises(SpecInvalid) as raised:
        load_spec(path)
    assert str(raised.value) == "steward.yaml has 3 problems; run `steward validate` to see them"
    paths = [p.path for p in raised.value.problems]
    assert paths == ["project", "charter.kpis.ml[0].target", "gates.promotion[0].min"]
    assert raised.value.problems == check_spec_file(path)


def test_round_trip_through_yaml_gives_an_equal_spec(tmp_path):
    spec = Spec.model_validate(yaml.safe_load(template_text("churn-model")))
    dumped = yaml.safe_dump(spec.model_dump(mode="json"), sort_keys=False)
    assert dumped.count("signoff:") == 1 and "uplift_over_baseline:" in dumped
    assert load_spec(write(tmp_path, dumped)) == spec


def test_find_spec_file_walks_up(tmp_path):
    path = write(tmp_path, VALID)
    nested = tmp_path / "src" / "pkg"
    nested.mkdir(parents=True)
    assert find_spec_file(nested) == path.resolve()
    assert find_spec_file(path) == path.resolve()


def test_find_spec_file_without_one_is_none(tmp_path):
    if find_spec_file(tmp_path.parent) is not None:
        pytest.skip("a steward.yaml exists above the temporary folder")
    assert find_spec_file(tmp_path) is None


def test_load_spec_without_a_path_finds_the_file(tmp_path, monkeypatch):
    write(tmp_path, VALID)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert load_spec().project == "churn"


def test_read_store_section(tmp_path):
    assert read_store_section(tmp_path / "absent.yaml") == {}
    assert read_store_section(write(tmp_path, VALID)) == {}
    store = "store:\n  url: sqlite:///x.db\n  artifacts_url: s3://bucket/a\n"
    # Only the store section is read: a broken charter does not matter here.
    text = broken(("target: 0.8", "target: high")) + store
    expected = {"url": "sqlite:///x.db", "artifacts_url": "s3://bucket/a"}
    assert read_store_section(write(tmp_path, text)) == expected


@pytest.mark.parametrize("text", ["store:\n  uri: x\n", "store: [1\n"])
def test_read_store_section_refuses_a_broken_store(tmp_path, text):
    with pytest.raises(SpecInvalid) as raised:
        read_store_section(write(tmp_path, VALID + text))
    assert raised.value.problems[0].path in ("store.uri", "<yaml>")


def test_features_are_checked_without_the_data() -> None:
    """Unknown transformations, unknown parameters and cycles are reported by `steward validate`."""
    from importlib import resources

    text = resources.files("mlsteward").joinpath("templates", "quickstart.yaml").read_text()
    assert check_spec_text(text) == []
    bad = text.replace("      transform: standard_scale\n", "      transform: standard_scal\n").replace(
        "params: {bins: 5}", "params: {bins: 5, colour: red}")
    problems = {p.path: p for p in check_spec_text(bad)}
    assert "unknown transformation 'standard_scal'" in problems["features.definitions[1].transform"].expected
    assert "has no parameter 'colour'" in problems["features.definitions[2].transform"].expected
    assert problems["features.definitions[1].transform"].line is not None
    cycle = text.replace("      inputs: [prestg10]\n      description: Occupational",
                         "      inputs: [prestige_scaled]\n      description: Occupational")
    (problem,) = check_spec_text(cycle)
    assert "prestige -> prestige_scaled -> prestige" in problem.expected


# --------------------------------------------------------------------------- the evaluation section


def test_the_evaluation_section_defaults_to_the_whole_suite():
    from mlsteward.spec_evaluation import DEFAULT_CHECKS

    spec = load_spec_text_for_test(VALID)
    assert spec.evaluation.checks == list(DEFAULT_CHECKS) and spec.evaluation.costs is None
    assert spec.evaluation.recalibration == "isotonic" and spec.evaluation.bootstrap == 1000


@pytest.mark.parametrize(("section", "path", "expected"), [
    ("evaluation: {checks: [metrics, fairnes]}", "evaluation.checks", "did you mean 'fairness'"),
    ("evaluation: {checks: [metrics, metrics]}", "evaluation.checks", "named twice"),
    ("evaluation: {costs: {false_positive: 1, false_negative: 5, true_negative: 2}}", "evaluation.costs",
     "must not cost less than the right one"),
    ("evaluation: {costs: {false_positive: 0, false_negative: 0}}", "evaluation.costs", "cost nothing more"),
    ("evaluation: {recalibration: platt}", "evaluation.recalibration", "'isotonic', 'sigmoid' or 'none'"),
    ("evaluation: {robustness: {noise_scales: [0.1, -1]}}", "evaluation.robustness.noise_scales", "above 0"),
    ("evaluation: {ablation: {mode: drop}}", "evaluation.ablation.mode", "'permute' or 'retrain'"),
])
def test_evaluation_settings_are_checked(section, path, expected):
    problems = by_path(check_spec_text(VALID + section + "\n"))
    assert path in problems, problems
    assert expected in problems[path].expected


def load_spec_text_for_test(text: str):
    from mlsteward.spec import Spec

    return Spec.model_validate(yaml.safe_load(text))
