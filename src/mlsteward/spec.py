"""``steward.yaml``: the models of a project's spec, and loading that reports every problem at once.

``check_spec_file`` / ``check_spec_text`` return a ``SpecProblem`` per mistake (key path, value
found, what is expected, YAML line); ``load_spec`` returns a valid ``Spec`` or raises
``SpecInvalid`` carrying those problems. Gate-check kinds live in ``mlsteward.spec_gates``.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic.fields import FieldInfo

from mlsteward.errors import InvalidInput, SpecInvalid
from mlsteward.spec_costs import CostsSpec
from mlsteward.spec_data import DataSpec
from mlsteward.spec_evaluation import EvaluationSpec
from mlsteward.spec_features import FeaturesSpec
from mlsteward.spec_gates import (
    GATE_CHECK_KINDS,
    GateCheck,
    GateCheckItem,
    SignOff,
    SpecModel,
    check_kind_for,
    did_you_mean,
    problem_error,
    register_check_kind,
    unique_names,
)
from mlsteward.spec_governance import GovernanceSpec, Risk
from mlsteward.spec_labeling import LabelingSpec
from mlsteward.spec_llm import LLMSpec
from mlsteward.spec_monitoring import MonitoringSpec
from mlsteward.spec_security import SecuritySpec
from mlsteward.spec_training import FeasibilitySpec, TrainingSpec

SPEC_FILE_NAME = "steward.yaml"
SLUG_RULE = "a name of 1 to 100 letters, digits, '-' or '_' (no spaces)"
_SLUG = re.compile(r"[A-Za-z0-9_-]{1,100}")
_TEMPLATE_NAME = "__PROJECT_NAME__"


# --------------------------------------------------------------------------- models


def _check_slug(value: str) -> str:
    if not _SLUG.fullmatch(value):
        raise ValueError(SLUG_RULE)
    return value


Slug = Annotated[str, AfterValidator(_check_slug)]
Text = Annotated[str, Field(min_length=1)]


class KPI(SpecModel):
    """A measurable target the project is judged by."""

    name: Text = Field(description="the KPI's name, e.g. monthly_churn_rate")
    target: float = Field(description="the value to reach, a number")
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    unit: str | None = None
    timeframe: Text = Field(description="when the target must be reached, e.g. 'Q3 2027' or '90 days'")


class KPIs(SpecModel):
    """KPIs at three levels: the business, the product using the predictions, the model itself."""

    business: list[KPI] = []
    product: list[KPI] = []
    ml: list[KPI] = []

    @field_validator("business", "product", "ml")
    @classmethod
    def _names_unique(cls, kpis: list[KPI]) -> list[KPI]:
        return unique_names(kpis, "KPI")


class Baseline(SpecModel):
    """How the decision is made today, without the model, and the KPI values that achieves."""

    description: Text = Field(description="a description of the current process, without the model")
    kpi_values: dict[str, float] = {}
    rule: str | None = None


class Constraints(SpecModel):
    """Budgets and requirements every candidate model must meet."""

    p95_latency_ms: Annotated[float, Field(gt=0)] | None = None
    cost_per_prediction_usd: Annotated[float, Field(ge=0)] | None = None
    labeling_budget_usd: Annotated[float, Field(ge=0)] | None = None
    interpretability: Literal["none", "low", "medium", "high"] = "medium"
    other: list[str] = []


class Stakeholder(SpecModel):
    """A person and the role they hold (product_owner, compliance_officer, ml_engineer, ...)."""

    name: Text = Field(description="the person's name")
    role: Text = Field(description="their role, e.g. product_owner or compliance_officer")
    email: str | None = None
    user: str | None = Field(None, description="their Steward identity (STEWARD_USER or an API token's user); "
                                               "default: their email, else their name")

    @property
    def identities(self) -> set[str]:
        """The identities that act as this person: ``user`` when given, else email and name."""
        if self.user:
            return {self.user}
        return {value for value in (self.email, self.name) if value}


class Charter(SpecModel):
    """What the project is for, how it is judged, and who is involved."""

    problem: Text = Field(description="the problem statement: what goes wrong today, for whom")
    decision: Text = Field(description="the decision the model's predictions support")
    prediction_target: Text = Field(description="what the model predicts, e.g. 'churn within 30 days'")
    kpis: KPIs = Field(default_factory=KPIs)
    baseline: Baseline | None = None
    constraints: Constraints = Field(default_factory=Constraints)
    in_scope: list[str] = []
    out_of_scope: list[str] = []
    stakeholders: list[Stakeholder] = []
    risks: list[Risk] = []

    @property
    def roles(self) -> list[str]:
        """The distinct roles of the stakeholders, sorted."""
        return sorted({person.role for person in self.stakeholders})

    def roles_of(self, identity: str) -> list[str]:
        """The roles ``identity`` holds (sorted; empty when it is no stakeholder)."""
        return sorted({person.role for person in self.stakeholders if identity in person.identities})

    @field_validator("risks")
    @classmethod
    def _risk_ids_unique(cls, risks: list[Risk]) -> list[Risk]:
        first: dict[str, int] = {}
        problems = []
        for i, risk in enumerate(risks):
            if risk.id in first:
                problems.append(((i, "id"), risk.id, f"a unique risk id ('{risk.id}' is already item [{first[risk.id]}])"))
            first.setdefault(risk.id, i)
        if problems:
            raise problem_error("Risk", problems)
        return risks

    @model_validator(mode="after")
    def _risk_owners_held(self) -> Charter:
        roles = self.roles
        problems = [(("risks", i, "owner"), risk.owner, _role_expected(risk.owner, roles))
                    for i, risk in enumerate(self.risks) if risk.owner not in roles]
        if problems:
            raise problem_error("Charter", problems)
        return self


def _role_expected(role: str, roles: list[str]) -> str:
    present = f"roles present: {', '.join(roles)}" if roles else "the charter lists no stakeholders"
    return f"a role held by a charter stakeholder; no one holds '{role}' ({present})"


class DataSource(SpecModel):
    """Where raw data comes from."""

    name: Text = Field(description="the source's name, e.g. subscribers")
    uri: Text = Field(description="a path (relative to steward.yaml) or a URL")
    format: Literal["csv", "parquet", "folder", "table"] | None = None
    owner: str | None = None
    description: str | None = None


class StoreConfig(SpecModel):
    """Where Steward keeps its records; by default ``.steward/`` beside steward.yaml."""

    url: str | None = None
    artifacts_url: str | None = None


def _signoff_roles_held(check: GateCheck, info: ValidationInfo) -> GateCheck:
    """Every role a sign-off names must be held by a charter stakeholder.

    Checked item by item once the charter is valid (an invalid charter reports its own problems).
    """
    charter = info.data.get("charter")
    if not isinstance(check, SignOff) or charter is None:
        return check
    roles = charter.roles
    problems = [(("signoff", i), role, _role_expected(role, roles)) for i, role in enumerate(check.signoff)
                if role not in roles]
    if problems:
        raise problem_error("SignOff", problems)
    return check


class Spec(SpecModel):
    """A whole ``steward.yaml``."""

    project: Slug = Field(description=f"the project's name: {SLUG_RULE}")
    charter: Charter = Field(description="the charter: problem, decision, prediction_target, KPIs, ...")
    data_sources: list[DataSource] = []
    data: DataSpec = DataSpec()
    features: FeaturesSpec = FeaturesSpec()
    feasibility: FeasibilitySpec = FeasibilitySpec()
    training: TrainingSpec = TrainingSpec()
    evaluation: EvaluationSpec = EvaluationSpec()
    gates: dict[str, list[Annotated[GateCheckItem, AfterValidator(_signoff_roles_held)]]] = {}
    governance: GovernanceSpec = GovernanceSpec()
    monitoring: MonitoringSpec = MonitoringSpec()
    labeling: LabelingSpec = LabelingSpec()
    security: SecuritySpec = SecuritySpec()
    costs: CostsSpec = CostsSpec()
    llm: LLMSpec = LLMSpec()
    store: StoreConfig | None = None

    @field_validator("governance")
    @classmethod
    def _governance_roles_held(cls, governance: GovernanceSpec, info: ValidationInfo) -> GovernanceSpec:
        charter = info.data.get("charter")
        if charter is None:
            return governance
        problems = [((key, i), role, _role_expected(role, charter.roles))
                    for key in ("waiver_roles", "promoter_roles")
                    for i, role in enumerate(getattr(governance, key)) if role not in charter.roles]
        problems += [(("calendar", i, "owner"), review.owner, _role_expected(review.owner, charter.roles))
                     for i, review in enumerate(governance.calendar or []) if review.owner
                     and review.owner not in charter.roles]
        if problems:
            raise problem_error("GovernanceSpec", problems)
        return governance

    @field_validator("data_sources")
    @classmethod
    def _source_names_unique(cls, sources: list[DataSource]) -> list[DataSource]:
        return unique_names(sources, "data source")


# --------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class SpecProblem:
    """One mistake in a steward.yaml."""

    path: str  # key path like "charter.kpis.ml[0].target", or <yaml>, <document>, a file path
    value: object  # the value found, or None when missing
    expected: str  # what is expected, in plain words
    line: int | None = None  # the YAML line of the key, when known

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path} (line {self.line})"
        found = "nothing" if self.value is None else _short_repr(self.value)
        return f"{where}: found {found}, expected {self.expected}"


def _short_repr(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_path(loc: tuple) -> str:
    """``('charter', 'kpis', 'ml', 0, 'target')`` -> ``'charter.kpis.ml[0].target'``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "<document>"


_PLAIN_WORDS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "string_type": "text (quote it if it looks like a number, date or yes/no)",
    "list_type": "a list (lines starting with '- ', or [a, b])",
    "dict_type": "a mapping of keys to values",
    "model_type": "a mapping of keys to values",
    "model_attributes_type": "a mapping of keys to values",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_too_short": "non-empty text",
}


def _expected(err: dict, loc: tuple, data: dict) -> str:
    """What ``err`` expects, in plain words."""
    kind = err["type"]
    if kind == "missing":
        field = _field_at(loc, data)
        what = field.description if field and field.description else "a value"
        return f"{what} (required)"
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1], data)
        if model is None:
            return "no such key"
        known = list(model.model_fields)
        return f"no such key{did_you_mean(loc[-1], known)} (known keys: {', '.join(known)})"
    if kind == "literal_error":
        return "one of " + err["ctx"]["expected"]
    if kind == "too_short" and "min_length" in err.get("ctx", {}):
        n = err["ctx"]["min_length"]
        return f"a list of at least {n} item{'s' if n != 1 else ''}"
    if kind in _PLAIN_WORDS:
        return _PLAIN_WORDS[kind]
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, ", "Input should be "):
        msg = msg.removeprefix(prefix)
    return msg


def _unwrap(tp: Any, node: Any) -> Any:
    """Strip Annotated and Optional from a field type; resolve a gate item to its kind's model."""
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(arg for arg in typing.get_args(tp) if arg is not type(None))
        elif tp is GateCheck:
            try:
                return check_kind_for(node)
            except ValidationError:
                return None
        else:
            return tp


def _model_at(loc: tuple, data: Any) -> type[BaseModel] | None:
    """The spec model describing the mapping at ``loc`` of the raw ``data``, if any."""
    tp, node = Spec, data
    for part in loc:
        tp = _unwrap(tp, node)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) in (list, dict):
            tp = typing.get_args(tp)[-1]
        else:
            return None
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    tp = _unwrap(tp, node)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _field_at(loc: tuple, data: Any) -> FieldInfo | None:
    model = _model_at(loc[:-1], data) if loc else None
    return model.model_fields.get(loc[-1]) if model and isinstance(loc[-1], str) else None


def _key_lines(root: yaml.Node | None) -> tuple[dict[tuple, int], list[SpecProblem]]:
    """Map every key path of the YAML node tree to its line; report keys given twice."""
    lines: dict[tuple, int] = {}
    repeats: list[SpecProblem] = []

    def walk(node: yaml.Node, path: tuple) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key, line = key_node.value, key_node.start_mark.line + 1
                here = path + (key,)
                if here in lines:
                    expected = f"each key once (also on line {lines[here]})"
                    repeats.append(SpecProblem(format_path(here), key, expected, line))
                    continue
                lines[here] = line
                walk(value_node, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return lines, repeats


def _line_of(loc: tuple, lines: dict[tuple, int]) -> int | None:
    """The line of ``loc``, or of its nearest ancestor in the file (for a missing key)."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> SpecProblem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    source = text.splitlines()
    found = (source[mark.line].strip() or None) if mark and mark.line < len(source) else None
    parts = (getattr(exc, "problem", None), getattr(exc, "context", None))
    message = ", ".join(part for part in parts if part)
    return SpecProblem("<yaml>", found, f"valid YAML ({message or exc})", mark.line + 1 if mark else None)


def _parse(text: str) -> tuple[Spec | None, list[SpecProblem]]:
    """Validate steward.yaml text: the Spec when there is no problem, and every problem."""
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        return None, [_yaml_problem(exc, text)]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        expected = "a mapping with keys such as project: and charter: (run `steward init` for an example)"
        return None, [SpecProblem("<document>", data, expected, 1 if data is not None else None)]
    lines, problems = _key_lines(root)
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        spec = None
        for err in exc.errors():
            loc = tuple(part for part in err["loc"] if part != "[key]")
            value = None if err["type"] == "missing" else err["input"]
            expected = _expected(err, loc, data)
            problems.append(SpecProblem(format_path(loc), value, expected, _line_of(loc, lines)))
    problems.sort(key=lambda problem: problem.line or 0)
    return (None if problems else spec), problems


# --------------------------------------------------------------------------- public functions


def check_spec_text(text: str) -> list[SpecProblem]:
    """Every problem of the steward.yaml ``text``, in file order; ``[]`` when it is valid."""
    return _parse(text)[1]


def _missing_file(path: Path) -> SpecProblem:
    return SpecProblem(str(path), None, f"a {SPEC_FILE_NAME} file; run `steward init` to create one")


def _read(path: str | Path) -> tuple[Spec | None, list[SpecProblem]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [_missing_file(path)]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [SpecProblem(str(path), None, f"a readable UTF-8 text file ({exc})")]
    return _parse(text)


def check_spec_file(path: str | Path) -> list[SpecProblem]:
    """Every problem of the steward.yaml at ``path`` (a missing file is one problem)."""
    return _read(path)[1]


def load_spec(path: str | Path | None = None) -> Spec:
    """The valid Spec at ``path`` (default: found from the current folder upwards).

    Raises ``SpecInvalid`` whose ``problems`` lists every problem.
    """
    found = Path(path) if path is not None else find_spec_file()
    if found is None:
        message = f"no {SPEC_FILE_NAME} in this folder or above it; run `steward init` to create one"
        raise SpecInvalid(message, [_missing_file(Path.cwd() / SPEC_FILE_NAME)])
    if not found.exists():
        raise SpecInvalid(f"{found} does not exist; run `steward init` to create it", [_missing_file(found)])
    spec, problems = _read(found)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise SpecInvalid(f"{found.name} has {count}; run `steward validate` to see them", problems)
    assert spec is not None
    return spec


def find_spec_file(start: Path | None = None) -> Path | None:
    """The nearest ``steward.yaml`` in ``start`` (default: the current folder) or a folder above it."""
    here = Path(start or Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / SPEC_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def read_store_section(path: str | Path) -> dict:
    """The ``store:`` mapping of a steward.yaml, without validating the rest; ``{}`` if absent.

    Raises ``SpecInvalid`` when the file is not valid YAML or the store section itself is wrong,
    rather than silently falling back to another store.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    problems = [p for p in check_spec_text(text) if p.path == "<yaml>" or re.match(r"store\b", p.path)]
    if problems:
        where = "" if problems[0].path == "<yaml>" else "the store section of "
        raise SpecInvalid(f"{where}{path} is not valid: {problems[0]}; fix it (`steward validate` "
                          "lists every problem)", problems)
    data = yaml.safe_load(text)
    store = data.get("store") if isinstance(data, dict) else None
    if not isinstance(store, dict):
        return {}
    return {key: value for key, value in store.items() if value is not None}


def template_text(project_name: str) -> str:
    """The commented example steward.yaml, with ``project_name`` filled in."""
    if not isinstance(project_name, str) or not _SLUG.fullmatch(project_name):
        raise InvalidInput(f"{project_name!r} is not a valid project name; expected {SLUG_RULE}")
    template = resources.files("mlsteward").joinpath("templates").joinpath(SPEC_FILE_NAME)
    return template.read_text(encoding="utf-8").replace(_TEMPLATE_NAME, project_name)


__all__ = [
    "GATE_CHECK_KINDS",
    "KPI",
    "KPIs",
    "SPEC_FILE_NAME",
    "Baseline",
    "Charter",
    "Constraints",
    "DataSource",
    "Spec",
    "SpecProblem",
    "Stakeholder",
    "StoreConfig",
    "check_spec_file",
    "check_spec_text",
    "find_spec_file",
    "format_path",
    "load_spec",
    "read_store_section",
    "register_check_kind",
    "template_text",
]
