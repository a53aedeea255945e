"""The run search filter: parser, error messages, and compiled queries on SQLite and PostgreSQL.

The compiled queries are checked twice: against hand-worked answers on a small fixed set of runs,
and (with hypothesis) against a pure-Python evaluation of the same AST on random small data sets.
"""

from __future__ import annotations

import operator
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql, sqlite

from mlsteward.errors import FilterSyntaxError, InvalidInput
from mlsteward.store import schema
from mlsteward.store.filters import FILTER_HELP, And, Comparison, Not, Or, compile_filter, parse_filter



def M(key, op, value=None):  # noqa: N802 - short AST builders keep the expected trees readable
    return Comparison("metric", key, op, value)


def P(key, op, value=None):  # noqa: N802
    return Comparison("param", key, op, value)


def T(key, op, value=None):  # noqa: N802
    return Comparison("tag", key, op, value)


def A(key, op, value=None):  # noqa: N802
    return Comparison("attribute", key, op, value)


# ---------------------------------------------------------------------------------------------
# Parser


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("metrics.roc_auc > 0.8 and params.model = 'lgbm'",
         And((M("roc_auc", ">", 0.8), P("model", "=", "lgbm")))),
        ("(metrics.rmse <= 3 or tags.team = \"risk\") and status = 'finished'",
         And((Or((M("rmse", "<=", 3.0), T("team", "=", "risk"))), A("status", "=", "finished")))),
        ("params.max_depth in ('3', '5') and name like 'lgbm-%' and experiment != \"old\"",
         And((P("max_depth", "in", ("3", "5")), A("name", "like", "lgbm-%"),
              A("experiment", "!=", "old")))),
        ("metrics.`val loss` < 0.2", M("val loss", "<", 0.2)),
        ("not tags.draft = 'yes'", Not(T("draft", "=", "yes"))),
        ("metrics.f1 is null", M("f1", "is null")),
        ("metrics.f1 is not null", M("f1", "is not null")),
        ("tags.x not in ('a')", T("x", "not in", ("a",))),
        ("name ilike 'A%'", A("name", "ilike", "A%")),
        ("metric.a == 1 and param.b <> 'x' and tag.c = 'y'",
         And((M("a", "=", 1.0), P("b", "!=", "x"), T("c", "=", "y")))),
        ("attributes.status = 'x' or attr.created_by = 'ana' or attribute.parent_id is null",
         Or((A("status", "=", "x"), A("created_by", "=", "ana"), A("parent_id", "is null")))),
        ("start_time >= 1700000000000 and end_time < 1.7e12",
         And((A("start_time", ">=", 1700000000000), A("end_time", "<", 1700000000000)))),
        ("metrics.train/loss:v1-2.x > -1.5e-3", M("train/loss:v1-2.x", ">", -0.0015)),
        ("metrics.a>.5", M("a", ">", 0.5)),
        ("params.`a b.c` = 'x'", P("a b.c", "=", "x")),
    ],
)
def test_parse_builds_the_expected_tree(text, tree):
    assert parse_filter(text) == tree


@pytest.mark.parametrize(
    ("text", "tree"),
    [  # 'or' binds weaker than 'and'; 'not' binds tighter than both
        ("metrics.a > 1 or metrics.b > 1 and metrics.c > 1",
         Or((M("a", ">", 1.0), And((M("b", ">", 1.0), M("c", ">", 1.0)))))),
        ("metrics.a > 1 and metrics.b > 1 or metrics.c > 1",
         Or((And((M("a", ">", 1.0), M("b", ">", 1.0))), M("c", ">", 1.0)))),
        ("not metrics.a > 1 and metrics.b > 1", And((Not(M("a", ">", 1.0)), M("b", ">", 1.0)))),
        ("not (metrics.a > 1 or metrics.b > 1)", Not(Or((M("a", ">", 1.0), M("b", ">", 1.0))))),
        ("not not metrics.a > 1", Not(Not(M("a", ">", 1.0)))),
        ("((metrics.a > 1))", M("a", ">", 1.0)),
    ],
)
def test_precedence(text, tree):
    assert parse_filter(text) == tree


def test_keywords_and_prefixes_are_case_insensitive_but_keys_are_not():
    text = "METRICS.Acc > 1 AND NOT Params.M In ('x') Or TAGS.t IS NOT NULL or NAME ILIKE 'a' or Status LIKE 'b'"
    assert parse_filter(text) == Or((
        And((M("Acc", ">", 1.0), Not(P("M", "in", ("x",))))),
        T("t", "is not null"),
        A("name", "ilike", "a"),
        A("status", "like", "b"),
    ))


@pytest.mark.parametrize(
    ("literal", "value"),
    [
        (r"'it\'s'", "it's"),
        (r'"say \"hi\""', 'say "hi"'),
        (r"'a\\b'", "a\\b"),
        (r"'a\nb'", "a\\nb"),  # only the quote and the backslash are escapes; the rest is kept
        ("\"it's\"", "it's"),
        ("'and or not ( ) ,'", "and or not ( ) ,"),
        ("''", ""),
    ],
)
def test_string_literals(literal, value):
    assert parse_filter(f"tags.t = {literal}") == T("t", "=", value)


@pytest.mark.parametrize(
    ("literal", "text"),  # a number compared with text is its string form, exactly as written
    [("5", "5"), ("5.0", "5.0"), ("-3", "-3"), ("1e3", "1e3"), (".5", ".5"), ("0.10", "0.10")],
)
def test_numbers_compared_with_params_are_their_written_form(literal, text):
    assert parse_filter(f"params.x = {literal}") == P("x", "=", text)
    assert parse_filter(f"metrics.x = {literal}") == M("x", "=", float(literal))


@pytest.mark.parametrize(
    ("text", "column", "fragments"),
    [
        ("metrics.roc_auc >", 18, ["expected a value after '>' (a number or a quoted string)",
                                   "found end of input", "Example: metrics.roc_auc > 0.8"]),
        ("metricz.x > 1", 1, ["unknown field prefix 'metricz.'", "metrics., params., tags."]),
        ("colour = 'red'", 1, ["unknown attribute 'colour'", "status, name, experiment"]),
        ("attr.colour = 'red'", 1, ["unknown attribute 'colour'"]),
        ("name = 'abc", 8, ["unterminated string", "closing '"]),
        ('name = "abc', 8, ["unterminated string", 'closing "']),
        ("name = 'abc\\'", 8, ["unterminated string"]),
        ("(metrics.x > 1", 15, ["expected ')' to close the '(' at column 1", "found end of input"]),
        ("metrics.x > 1)", 14, ["unbalanced parentheses", "no matching '('"]),
        ("metrics.x 1", 11, ["expected an operator after metrics.x", "found '1'"]),
        ("status", 7, ["expected an operator after status", "found end of input"]),
        ("metrics.x > 1 foo", 15, ["expected 'and', 'or' or the end of the filter", "found 'foo'"]),
        ("metrics.x > 1 metrics.y > 2", 15, ["expected 'and', 'or'"]),
        ("metrics.x = 'a'", 13, ["metrics.x is a number", "found the string 'a'"]),
        ("metrics.x in (1, 'a')", 18, ["metrics.x is a number"]),
        ("metrics.x like 'a%'", 11, ["'like' matches text, but metrics.x is a number"]),
        ("metrics.x ilike 'a%'", 11, ["'ilike' matches text"]),
        ("start_time like '1%'", 12, ["'like' matches text, but start_time is a number"]),
        ("params.depth > 3", 14, ["'>' compares numbers, but params.depth is text"]),
        ("start_time > 1.5", 14, ["expected a whole number"]),
        ("end_time = 'x'", 12, ["end_time is a number"]),
        ("name not like 'x'", 10, ["expected 'in' after 'not'", "found 'like'"]),
        ("metrics.x is 3", 14, ["expected 'null' after 'is'"]),
        ("metrics.x in 3", 14, ["expected '(' after 'in'"]),
        ("metrics.x in ()", 15, ["expected a value after 'in'"]),
        ("metrics.x in (1 2)", 17, ["expected ',' or ')'"]),
        ("metrics.`val loss < 1", 9, ["expected a key after 'metrics.'", "no closing `"]),
        ("metrics. > 1", 9, ["expected a key after 'metrics.'"]),
        ("metrics.x ~ 1", 11, ["unexpected character '~'"]),
        ("metrics.x > 1 and", 18, ["expected a field", "found end of input"]),
        ("and metrics.x > 1", 1, ["expected a field", "found 'and'"]),
        ("()", 2, ["expected a field", "found ')'"]),
        ("name like 'a\\\\'", 11, ["lone backslash"]),
        ("   ", 1, ["expected a filter, found an empty text"]),
    ],
)
def test_errors_say_where_and_what(text, column, fragments):
    with pytest.raises(FilterSyntaxError) as caught:
        parse_filter(text)
    message = str(caught.value)
    assert message.startswith(f"bad filter at column {column}: "), message
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_filter_errors_are_invalid_input_with_a_code():
    with pytest.raises(InvalidInput) as caught:
        compile_filter("metrics.x >")
    assert caught.value.code == "filter_syntax"


@pytest.mark.parametrize(
    "node",
    [
        M("x", "like", "a%"),
        M("x", "=", "high"),
        P("x", "=", 5),
        P("x", "<", "5"),
        A("start_time", ">", 1.5),
        A("colour", "=", "red"),
        Comparison("metricz", "x", "=", 1.0),
        M("x", "~", 1.0),
        M("x", "in", ()),
        M("x", "in", 1.0),
    ],
)
def test_compiling_a_hand_built_node_checks_it_like_the_parser(node):
    with pytest.raises(FilterSyntaxError):
        compile_filter(node)


def test_empty_filter_matches_everything():
    for text in ("", "  \t\n", None):
        assert compile_filter(text).compare(sa.true())


def test_help_documents_the_language():
    for word in ("metrics.", "params.", "tags.", "backticks", "ilike", "is null", "not in", "'5'"):
        assert word in FILTER_HELP
    assert len(FILTER_HELP.splitlines()) <= 12


# ---------------------------------------------------------------------------------------------
# Compiled SQL


def _sql(text: str, dialect) -> str:
    query = sa.select(schema.runs.c.id).where(compile_filter(text))
    return str(query.compile(dialect=dialect))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_a_metric_test_is_a_correlated_exists(dialect):
    sql = " ".join(_sql("metrics.roc_auc > 0.8", dialect).split())
    assert "WHERE EXISTS (SELECT 1 FROM latest_metrics WHERE latest_metrics.run_id = runs.id" in sql
    assert re.search(r"latest_metrics\.\"?key\"? = ", sql) and "latest_metrics.value > " in sql
    assert sql.count("FROM runs") == 1  # correlated to the outer runs, not joined again
    negated = " ".join(_sql("not metrics.roc_auc > 0.8", dialect).split())
    assert "WHERE NOT (EXISTS (SELECT 1 FROM latest_metrics" in negated
    absent = " ".join(_sql("metrics.f1 is null", dialect).split())
    assert "NOT (EXISTS (SELECT 1 FROM latest_metrics" in absent and "value" not in absent


def test_like_is_case_sensitive_sql_on_both_dialects():
    assert "runs.name GLOB " in _sql("name like 'a%'", sqlite.dialect())
    assert "= 1" not in _sql("name like 'a%' and status = 'x'", sqlite.dialect())
    assert "runs.name LIKE " in _sql("name like 'a%'", postgresql.dialect())
    assert "ILIKE" in _sql("name ilike 'a%'", postgresql.dialect())


# ---------------------------------------------------------------------------------------------
# Queries on SQLite and PostgreSQL


@pytest.fixture
def engine(store_url):
    """The run tables (from the shared fixture's fresh database or schema), without the Store."""
    engine = sa.create_engine(store_url)
    schema.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _load(engine: sa.Engine, runs: list[dict]) -> None:
    """Replace every run with ``runs``: dicts of id, name, status, ... and metrics/params/tags."""
    with engine.begin() as conn:
        for table in (schema.latest_metrics, schema.run_params, schema.run_tags, schema.runs):
            conn.execute(table.delete())
        for i, run in enumerate(runs):
            conn.execute(schema.runs.insert().values(
                id=run["id"], experiment=run.get("experiment", "exp"), name=run.get("name", run["id"]),
                status=run.get("status", "finished"), parent_id=run.get("parent_id"),
                start_time_ms=run.get("start_time", 1000 * (i + 1)), end_time_ms=run.get("end_time"),
                environment={}, summary={}, created_by=run.get("created_by", "tester")))
            for key, value in run.get("metrics", {}).items():
                conn.execute(schema.latest_metrics.insert().values(
                    run_id=run["id"], key=key, value=value, step=0, timestamp_ms=0))
            for table, kind in ((schema.run_params, "params"), (schema.run_tags, "tags")):
                for key, value in run.get(kind, {}).items():
                    conn.execute(table.insert().values(run_id=run["id"], key=key, value=value))


def _search(engine: sa.Engine, filter_, limit: int = 1000) -> list[str]:
    query = (sa.select(schema.runs.c.id).where(compile_filter(filter_))
             .order_by(schema.runs.c.start_time_ms.desc()).limit(limit))
    with engine.connect() as conn:
        return list(conn.scalars(query))


RUNS = [
    dict(id="r1", name="lgbm-1", experiment="churn", status="finished", end_time=2000,
         created_by="ana", metrics={"roc_auc": 0.91, "rmse": 2.5, "val loss": 0.1},
         params={"model": "lgbm", "max_depth": "5"}, tags={"team": "risk"}),
    dict(id="r2", name="LGBM-2", experiment="churn", status="finished", end_time=3000,
         metrics={"roc_auc": 0.75, "f1": None},  # f1 was NaN: stored as NULL
         params={"model": "lgbm", "max_depth": "3"}, tags={"team": "Risk", "draft": "yes"}),
    dict(id="r3", name="xgb-1", experiment="old", status="failed", parent_id="r1",
         metrics={"roc_auc": 0.85, "rmse": 4.0}, params={"model": "xgb", "max_depth": "5.0"},
         tags={"draft": "no"}),
    dict(id="r4", name="baseline", experiment="churn", status="running",
         params={"model": "logreg"}),
    dict(id="r5", name="lgbm_3", experiment="new", status="finished", parent_id="r1", end_time=6000,
         metrics={"roc_auc": 0.8, "f1": 0.6}, params={"max_depth": "10"}, tags={"team": "fraud"}),
    dict(id="r6", name="odd*[x]?%", experiment="new", status="killed"),
]
ALL = {"r1", "r2", "r3", "r4", "r5", "r6"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ALL),
        ("metrics.roc_auc > 0.8", {"r1", "r3"}),
        ("metrics.roc_auc >= 0.8", {"r1", "r3", "r5"}),
        ("metrics.roc_auc = 0.8", {"r5"}),
        ("metrics.roc_auc != 0.8", {"r1", "r2", "r3"}),  # needs the metric
        ("metrics.roc_auc <> 0.8", {"r1", "r2", "r3"}),
        ("not metrics.roc_auc > 0.8", {"r2", "r4", "r5", "r6"}),  # includes runs without it
        ("metrics.roc_auc in (0.75, 0.8, 7)", {"r2", "r5"}),
        ("metrics.roc_auc not in (0.75, 0.8)", {"r1", "r3"}),
        ("metrics.f1 is null", {"r1", "r3", "r4", "r6"}),  # r2 has f1, though NaN
        ("metrics.f1 is not null", {"r2", "r5"}),
        ("metrics.f1 < 1", {"r5"}),  # NaN satisfies no comparison
        ("not metrics.f1 < 1", ALL - {"r5"}),
        ("metrics.`val loss` < 0.2", {"r1"}),
        ("metrics.roc_auc > -1e3 and metrics.rmse <= 2.5e0", {"r1"}),
        ("params.max_depth = 5", {"r1"}),  # the text '5', not '5.0'
        ("params.max_depth = 5.0", {"r3"}),
        ("params.max_depth = '5'", {"r1"}),
        ("params.max_depth in (3, '10')", {"r2", "r5"}),
        ("params.max_depth not in ('5')", {"r2", "r3", "r5"}),
        ("params.model != 'lgbm'", {"r3", "r4"}),
        ("not params.model = 'lgbm'", {"r3", "r4", "r5", "r6"}),
        ("params.model is null", {"r5", "r6"}),
        ("tags.team = 'risk'", {"r1"}),
        ("tags.team ilike 'RISK'", {"r1", "r2"}),
        ("tags.team like 'r%'", {"r1"}),
        ("tags.draft is not null", {"r2", "r3"}),
        ("not tags.draft = 'yes'", ALL - {"r2"}),
        ("name like 'lgbm%'", {"r1", "r5"}),  # case-sensitive: not LGBM-2
        ("name ilike 'lgbm%'", {"r1", "r2", "r5"}),
        ("name like 'lgbm_%'", {"r1", "r5"}),
        (r"name like 'lgbm\_%'", {"r5"}),
        (r"name ilike 'LGBM\_%'", {"r5"}),
        (r"name ilike 'ODD*[X]?\%'", {"r6"}),
        ("name like '%1'", {"r1", "r3"}),
        ("name like '%x%'", {"r3", "r6"}),
        ("name like 'odd*%'", {"r6"}),  # GLOB's special characters are plain text in like
        (r"name like 'odd*[x]?\%'", {"r6"}),
        ("name like '%[x]_%'", {"r6"}),
        ("name like 'odd%' or name like '*%' or name like '?%' or name like '[%'", {"r6"}),
        ("experiment != \"old\"", ALL - {"r3"}),
        ("parent_id = 'r1'", {"r3", "r5"}),
        ("not parent_id = 'r1'", {"r1", "r2", "r4", "r6"}),  # NULL parent: plainly not 'r1'
        ("parent_id != 'r1'", set()),
        ("parent_id is null", {"r1", "r2", "r4", "r6"}),
        ("end_time is null", {"r3", "r4", "r6"}),
        ("end_time > 2500", {"r2", "r5"}),
        ("not end_time > 2500", {"r1", "r3", "r4", "r6"}),
        ("start_time >= 3000 and status = 'finished'", {"r5"}),
        ("start_time in (1000, 2000)", {"r1", "r2"}),
        ("id in ('r1', 'r4')", {"r1", "r4"}),
        ("attributes.status = 'failed'", {"r3"}),
        ("attr.created_by = 'ana'", {"r1"}),
        ("(metrics.rmse <= 3 or tags.team = \"risk\") and status = 'finished'", {"r1"}),
        ("metrics.roc_auc > 0.8 or not (params.model = 'lgbm' and tags.draft = 'yes')",
         ALL - {"r2"}),
        ("metric.roc_auc < 0.8 and param.model = 'lgbm' and tag.draft = 'yes'", {"r2"}),
        ("METRICS.roc_auc > 0.9 AND Params.model = 'lgbm'", {"r1"}),
        ("metrics.ROC_AUC > 0", set()),  # keys are case-sensitive
    ],
)
def test_filters_select_the_expected_runs(engine, text, expected):
    _load(engine, RUNS)
    assert set(_search(engine, text)) == expected


def test_results_come_newest_first_with_a_limit(engine):
    _load(engine, RUNS)
    assert _search(engine, "metrics.roc_auc > 0", limit=3) == ["r5", "r3", "r2"]
    assert _search(engine, parse_filter("not metrics.roc_auc > 0"), limit=2) == ["r6", "r4"]


# ---------------------------------------------------------------------------------------------
# Random filters on random data, against a pure-Python evaluation of the same AST

_NUMBERS = st.sampled_from([-1.0, 0.0, 0.5, 1.0, 2.5]) | st.floats(-1e3, 1e3, allow_nan=False)
_TEXT = st.sampled_from(["", "a", "A", "%", "_", "a%", "\\", "\\%", "a\\_"]) | st.text(alphabet="aA_%x\\", max_size=3)
_PATTERN = _TEXT.filter(lambda p: (len(p) - len(p.rstrip("\\"))) % 2 == 0)
_STATUS = st.sampled_from(["finished", "failed", "FINISHED", "fin%", "%ed"])


def _comparisons(kind, key, text_or_number, ops, patterns=None):
    scalar = st.builds(Comparison, st.just(kind), st.just(key), st.sampled_from(ops), text_or_number)
    listed = st.builds(Comparison, st.just(kind), st.just(key), st.sampled_from(["in", "not in"]),
                       st.lists(text_or_number, min_size=1, max_size=3).map(tuple))
    nulls = st.builds(Comparison, st.just(kind), st.just(key), st.sampled_from(["is null", "is not null"]))
    liked = st.builds(Comparison, st.just(kind), st.just(key), st.sampled_from(["like", "ilike"]),
                      patterns) if patterns is not None else st.nothing()
    return scalar | listed | nulls | liked


_COMPARISONS = (
    st.sampled_from(["a", "b"]).flatmap(
        lambda key: _comparisons("metric", key, _NUMBERS, ["=", "!=", "<", "<=", ">", ">="]))
    | _comparisons("param", "p", _TEXT, ["=", "!="], _PATTERN)
    | _comparisons("attribute", "status", _STATUS, ["=", "!="], _STATUS)
    | _comparisons("attribute", "end_time", st.integers(0, 5), ["=", "!=", "<", "<=", ">", ">="])
)
_FILTERS = st.recursive(
    _COMPARISONS,
    lambda inner: (st.lists(inner, min_size=2, max_size=3).map(lambda xs: And(tuple(xs)))
                   | st.lists(inner, min_size=2, max_size=3).map(lambda xs: Or(tuple(xs)))
                   | inner.map(Not)),
    max_leaves=6,
)
_RUN = st.fixed_dictionaries({
    "metrics": st.dictionaries(st.sampled_from(["a", "b"]), st.none() | _NUMBERS),
    "params": st.dictionaries(st.just("p"), _TEXT),
    "status": st.sampled_from(["finished", "failed"]),
    "end_time": st.none() | st.integers(0, 5),
})
_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}


def _like_regex(pattern: str) -> str:
    """% is any text, _ one character, a backslash makes the next character plain."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append({"%": ".*", "_": "."}.get(pattern[i], re.escape(pattern[i])))
        i += 1
    return "".join(out)


def _holds(actual, op, value) -> bool:
    if op in ("in", "not in"):
        return (actual in value) == (op == "in")
    if op == "like":
        return re.fullmatch(_like_regex(value), actual, re.DOTALL) is not None
    if op == "ilike":
        return re.fullmatch(_like_regex(value.lower()), actual.lower(), re.DOTALL) is not None
    return _COMPARE[op](actual, value)


def _evaluate(node, run: dict) -> bool:
    """The reference: a metric/param/tag test is false when the run lacks it (or the value is NaN)."""
    if isinstance(node, And):
        return all(_evaluate(item, run) for item in node.items)
    if isinstance(node, Or):
        return any(_evaluate(item, run) for item in node.items)
    if isinstance(node, Not):
        return not _evaluate(node.item, run)
    if node.field_kind == "attribute":
        present, actual = run[node.key] is not None, run[node.key]
    else:
        values = run[node.field_kind + "s"]
        present, actual = node.key in values, values.get(node.key)
    if node.op in ("is null", "is not null"):
        return present == (node.op == "is not null")
    return present and actual is not None and _holds(actual, node.op, node.value)


def _render(node) -> str:
    """Filter text for an AST: every compound in parentheses, so it parses back to the same tree."""
    if isinstance(node, (And, Or)):
        return "(" + f" {type(node).__name__.lower()} ".join(map(_render, node.items)) + ")"
    if isinstance(node, Not):
        return f"not ({_render(node.item)})"
    field = node.key if node.field_kind == "attribute" else f"{node.field_kind}s.{node.key}"

    def literal(value) -> str:
        if isinstance(value, str):
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return repr(value)

    if node.op.startswith("is "):
        return f"{field} {node.op}"
    if node.op in ("in", "not in"):
        return f"{field} {node.op} ({', '.join(map(literal, node.value))})"
    return f"{field} {node.op} {literal(node.value)}"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(_RUN, max_size=6), filter_=_FILTERS)
def test_compiled_filters_agree_with_a_python_evaluation(engine, runs, filter_):
    text = _render(filter_)
    assert parse_filter(text) == filter_
    data = [dict(run, id=f"r{i}") for i, run in enumerate(runs)]
    _load(engine, data)
    expected = {run["id"] for run in data if _evaluate(filter_, run)}
    assert set(_search(engine, filter_)) == expected, text
    assert set(_search(engine, text)) == expected, text
