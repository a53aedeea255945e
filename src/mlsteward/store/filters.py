"""The run search filter: a small MLflow-style language compiled to a SQLAlchemy expression.

``parse_filter`` turns text into a typed AST (``Comparison``, ``And``, ``Or``, ``Not``);
``compile_filter`` turns text or AST into a boolean expression over ``runs``. A test on a metric,
param or tag is an ``EXISTS`` on ``latest_metrics`` / ``run_params`` / ``run_tags`` (the per-key
indexes serve it) and is plainly true or false, never SQL NULL, so ``not`` is an exact complement.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any, NamedTuple, NoReturn, Union

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from mlsteward.errors import FilterSyntaxError
from mlsteward.store.schema import latest_metrics, run_params, run_tags, runs

FILTER_HELP = """\
Filter runs, e.g.:  metrics.roc_auc > 0.8 and (params.model = 'lgbm' or tags.team = "risk")
  Fields: metrics.KEY (a number, the latest value), params.KEY, tags.KEY (text), and the run attributes
  status, name, experiment, id, parent_id, created_by (text), start_time, end_time (ms since the epoch).
  Keys with other characters go in backticks: metrics.`val loss` < 0.2
  Operators: = != < <= > >= (< > on numbers only), like ilike (% any text, _ one character, \\ escapes),
  in ('a', 'b'), not in (...), is null, is not null (metrics.f1 is null: the run has no metric f1);
  combine with and, or, not, ( ). Params and tags are text: params.max_depth = 5 means the value '5'.
  Runs without a metric, param or tag fail tests on it (metrics.x != 1 needs x); 'not' keeps them."""

Value = Union[float, int, str]


@dataclass(frozen=True)
class Comparison:
    """``field_kind``: metric, param, tag or attribute; ``key``: the key or attribute name; ``op``:
    one of ``OPERATORS``; ``value``: a number (metrics, start/end time) or a string, a tuple of them
    for ``in``/``not in``, None for ``is null``/``is not null``."""

    field_kind: str
    key: str
    op: str
    value: Value | tuple[Value, ...] | None = None


@dataclass(frozen=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    item: Node


Node = Union[Comparison, And, Or, Not]

_ATTRIBUTES = {"status": runs.c.status, "name": runs.c.name, "experiment": runs.c.experiment,
               "id": runs.c.id, "parent_id": runs.c.parent_id, "start_time": runs.c.start_time_ms,
               "end_time": runs.c.end_time_ms, "created_by": runs.c.created_by}
_TIMES = {"start_time", "end_time"}
_PREFIXES = {"metrics": "metric", "metric": "metric", "params": "param", "param": "param",
             "tags": "tag", "tag": "tag", "attributes": "attribute", "attribute": "attribute",
             "attr": "attribute"}
_TABLES = {"metric": latest_metrics, "param": run_params, "tag": run_tags}
_COMPARE = {"=": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
            ">": operator.gt, ">=": operator.ge}
OPERATORS = (*_COMPARE, "like", "ilike", "in", "not in", "is null", "is not null")
_EXAMPLES = {"metric": "metrics.roc_auc > 0.8", "param": "params.model = 'lgbm'",
             "tag": "tags.team in ('risk', 'fraud')", "attribute": "status = 'finished'"}
_KEYWORDS = {"and", "or", "not", "in", "like", "ilike", "is", "null"}
_KEY = re.compile(r"[A-Za-z0-9_\-./:]+")
_TOKEN = re.compile(r"""\s+ | (?P<string>'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*")
    | (?P<number>-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)(?P<dot>\.(?:`(?P<quoted>[^`]*)`|(?P<key>[A-Za-z0-9_\-./:]+))?)?
    | (?P<op>==|!=|<>|<=|>=|=|<|>) | (?P<punct>[(),])""", re.VERBOSE | re.DOTALL)


# kind: field, keyword, number, string, op, "(", ")", ",", end. value: (prefix or None, key) for a
# field, lower-cased keyword, unescaped string. pos: offset in the text. text: the token as written.
_Tok = NamedTuple("_Tok", [("kind", str), ("value", Any), ("pos", int), ("text", str)])


def _error(pos: int, problem: str, example: str | None = None) -> FilterSyntaxError:
    return FilterSyntaxError(f"bad filter at column {pos + 1}: {problem}"
                             + (f". Example: {example}" if example else ""))


def _tokenize(text: str) -> list[_Tok]:
    toks, i = [], 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        word, key = m and m["word"], m and (m["key"] if m["quoted"] is None else m["quoted"])
        if m is None and text[i] in "'\"":
            raise _error(i, f"unterminated string: expected a closing {text[i]} for the string "
                            "that starts here", "params.model = 'lgbm'")
        if m is None:
            raise _error(i, f"unexpected character {text[i]!r}: expected a field, an operator, a "
                            "value, 'and', 'or', 'not' or parentheses", _EXAMPLES["metric"])
        if m["dot"] and key is None:
            rest = text[m.end():]
            found = "a ` with no closing `" if rest[:1] == "`" else repr(rest[0]) if rest else "end of input"
            raise _error(m.end(), f"expected a key after '{word}.' (plain, or any text in backticks), "
                                  f"found {found}", "metrics.`val loss` < 0.2")
        if m[0].isspace():
            i = m.end()
            continue
        if m["string"]:  # a backslash escapes the quote and itself; other text is kept as is
            kind, value = "string", re.sub(r"\\([\\" + text[i] + "])", r"\1", m["string"][1:-1])
        elif m["number"] or m["punct"]:
            kind, value = m["punct"] or "number", m.group()
        elif m["op"]:
            kind, value = "op", {"==": "=", "<>": "!="}.get(m["op"], m["op"])
        elif m["dot"]:
            kind, value = "field", (word, key)
        elif word.lower() in _KEYWORDS:
            kind, value = "keyword", word.lower()
        else:
            kind, value = "field", (None, word)
        toks.append(_Tok(kind, value, i, m[0]))
        i = m.end()
    return [*toks, _Tok("end", None, len(text), "")]


def _field_name(kind: str, key: str) -> str:
    return key if kind == "attribute" else f"{kind}s." + (key if _KEY.fullmatch(key) else f"`{key}`")


def _is_numeric(kind: str, key: str) -> bool:
    return kind == "metric" or (kind == "attribute" and key in _TIMES)


def _problem(kind: str, key: str, op: str, values: tuple[Any, ...] = ()) -> str | None:
    """What is wrong with testing this field with ``op`` and ``values``, for the user; or None."""
    name, numeric = _field_name(kind, key), _is_numeric(kind, key)
    if numeric and op in ("like", "ilike"):
        return f"'{op}' matches text, but {name} is a number: expected =, !=, <, <=, >, >=, in or is null"
    if not numeric and op in ("<", "<=", ">", ">="):
        return (f"'{op}' compares numbers, but {name} is text: expected =, !=, like, ilike, in or "
                "is null (text would order '10' before '9')")
    for value in values:
        if numeric and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return f"{name} is a number, so expected a number, found the string {value!r}"
        if numeric and kind == "attribute" and not isinstance(value, int):
            return f"{name} is in milliseconds since the epoch: expected a whole number, found {value}"
        if not numeric and not isinstance(value, str):
            return f"{name} is text: expected a quoted string, found {value!r}"
        if op in ("like", "ilike") and (len(value) - len(value.rstrip("\\"))) % 2:
            return "a like pattern cannot end with a lone backslash (the escape character)"
    return None


class _Parser:
    """expr := and-chain ('or' and-chain)*;  and-chain := unary ('and' unary)*;  unary := 'not' unary
    | '(' expr ')' | field op value | field ['not'] 'in' '(' value, ... ')' | field 'is' ['not'] 'null'"""

    def __init__(self, text: str) -> None:
        self.toks, self.i = _tokenize(text), 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def accept(self, kind: str, *values: str) -> _Tok | None:
        tok = self.toks[self.i]
        matches = tok.kind == kind and (not values or tok.value in values)
        self.i += matches
        return tok if matches else None

    def fail(self, expected: str, example: str | None = None) -> NoReturn:
        tok = self.peek()
        found = "end of input" if tok.kind == "end" else f"'{tok.text}'"
        raise _error(tok.pos, f"expected {expected}, found {found}", example)

    def parse(self) -> Node:
        node = self.disjunction()
        if self.peek().kind == ")":
            raise _error(self.peek().pos, "unbalanced parentheses: this ')' has no matching '('")
        if self.peek().kind != "end":
            self.fail("'and', 'or' or the end of the filter", "metrics.a > 1 and params.b = 'x'")
        return node

    def disjunction(self, word: str = "or") -> Node:  # word="and": a conjunction
        part = self.unary if word == "and" else lambda: self.disjunction("and")
        items = [part()]
        while self.accept("keyword", word):
            items.append(part())
        return items[0] if len(items) == 1 else (And if word == "and" else Or)(tuple(items))

    def unary(self) -> Node:
        if self.accept("keyword", "not"):
            return Not(self.unary())
        if opening := self.accept("("):
            node = self.disjunction()
            if not self.accept(")"):
                self.fail(f"')' to close the '(' at column {opening.pos + 1}")
            return node
        if self.peek().kind != "field":
            self.fail("a field such as metrics.roc_auc, params.model, tags.team or status", _EXAMPLES["metric"])
        return self.comparison()

    def field(self) -> tuple[str, str]:
        tok = self.accept("field")
        prefix, key = tok.value
        kind = "attribute" if prefix is None else _PREFIXES.get(prefix.lower())
        if kind is None:
            raise _error(tok.pos, f"unknown field prefix '{prefix}.': expected metrics., params., "
                                  "tags. or attributes. (or metric., param., tag., attr.)",
                         _EXAMPLES["metric"])
        if kind == "attribute" and key.lower() not in _ATTRIBUTES:
            raise _error(tok.pos, f"unknown attribute '{key}': expected one of "
                                  f"{', '.join(_ATTRIBUTES)}, or a key such as metrics.roc_auc, "
                                  "params.model, tags.team", _EXAMPLES["attribute"])
        return kind, key.lower() if kind == "attribute" else key

    def comparison(self) -> Comparison:
        kind, key = self.field()
        name, op_tok, example = _field_name(kind, key), self.peek(), _EXAMPLES[kind]
        if self.accept("keyword", "is"):
            op = "is not null" if self.accept("keyword", "not") else "is null"
            if not self.accept("keyword", "null"):
                self.fail(f"'null' after '{op[:-5]}'", f"{name} {op}")
            return Comparison(kind, key, op)
        if self.accept("keyword", "not"):
            if not self.accept("keyword", "in"):
                self.fail("'in' after 'not' (to negate another test, put 'not' before it)",
                          f"not {name} like 'a%'")
            op = "not in"
        elif self.accept("op") or self.accept("keyword", "like", "ilike", "in"):
            op = op_tok.value
        else:
            self.fail(f"an operator after {name} (=, !=, <, <=, >, >=, like, ilike, in, not in, "
                      "is null)", example)
        if problem := _problem(kind, key, op):
            raise _error(op_tok.pos, problem, example)
        if op not in ("in", "not in"):
            return Comparison(kind, key, op, self.literal(kind, key, op, example))
        in_example = f"{name} {op} " + ("(1, 2)" if _is_numeric(kind, key) else "('a', 'b')")
        if not self.accept("("):
            self.fail(f"'(' after '{op}'", in_example)
        values = [self.literal(kind, key, op, example)]
        while self.accept(","):
            values.append(self.literal(kind, key, op, example))
        if not self.accept(")"):
            self.fail(f"',' or ')' in the list after '{op}'", in_example)
        return Comparison(kind, key, op, tuple(values))

    def literal(self, kind: str, key: str, op: str, example: str) -> Value:
        tok = self.accept("number") or self.accept("string")
        if tok is None:
            self.fail(f"a value after '{op}' (a number or a quoted string)", example)
        value: Value = tok.value  # a number compared with text is taken exactly as written
        if tok.kind == "number" and _is_numeric(kind, key):
            value = float(tok.text)  # start_time/end_time are whole milliseconds (< 2**53)
            value = int(value) if kind == "attribute" and value.is_integer() else value
        if problem := _problem(kind, key, op, (value,)):
            raise _error(tok.pos, problem, example)
        return value


def parse_filter(text: str) -> Node:
    """Parse filter text into an AST; raise ``FilterSyntaxError`` saying where and what is wrong."""
    if not text or not text.strip():
        raise _error(0, "expected a filter, found an empty text", _EXAMPLES["metric"])
    return _Parser(text).parse()


def compile_filter(text_or_node: str | Node | None) -> sa.ColumnElement[bool]:
    """A boolean expression over ``runs`` for a filter text or AST; empty text matches every run."""
    if text_or_node is None or isinstance(text_or_node, str) and not text_or_node.strip():
        return sa.true()
    return _compile(parse_filter(text_or_node) if isinstance(text_or_node, str) else text_or_node)


def _compile(node: Node) -> sa.ColumnElement[bool]:
    if isinstance(node, (And, Or)):
        return (sa.and_ if isinstance(node, And) else sa.or_)(*map(_compile, node.items))
    if isinstance(node, Not):
        return sa.not_(_compile(node.item))
    if not isinstance(node, Comparison):
        raise TypeError(f"expected a filter node (Comparison, And, Or, Not), got {node!r}")
    kind, key, op, value = node.field_kind, node.key, node.op, node.value
    listed = op in ("in", "not in")  # a hand-built node gets the checks the parser makes
    values = () if op.startswith("is ") else value if listed else (value,)
    problem = (f"unknown field kind {kind!r}" if kind not in ("metric", "param", "tag", "attribute")
               else f"unknown attribute {key!r}" if kind == "attribute" and key not in _ATTRIBUTES
               else f"unknown operator {op!r}" if op not in OPERATORS
               else f"'{op}' needs a non-empty tuple" if listed and not (isinstance(value, (tuple, list)) and value)
               else _problem(kind, key, op, values))
    if problem:
        raise FilterSyntaxError(f"bad filter: {problem} in {node!r}")
    if kind == "attribute":
        column = _ATTRIBUTES[key]
        if op.startswith("is "):
            return column.is_(None) if op == "is null" else column.is_not(None)
        # Two-valued logic on nullable columns: 'parent_id = x' is false, not NULL, when unset.
        test = _test(column, op, value)
        return sa.and_(column.is_not(None), test) if column.nullable else test
    table = _TABLES[kind]
    where = [table.c.run_id == runs.c.id, table.c.key == key]
    if not op.startswith("is "):
        where.append(_test(table.c.value, op, value))
    exists = sa.select(sa.literal_column("1")).where(*where).exists()
    return sa.not_(exists) if op == "is null" else exists


def _test(column: Any, op: str, value: Any) -> sa.ColumnElement[bool]:
    if op in ("in", "not in"):
        return column.in_(value) if op == "in" else column.not_in(value)
    if op == "like":
        return _CaseSensitiveLike(column, value, _like_to_glob(value))
    if op == "ilike":
        return column.ilike(value, escape="\\")
    return _COMPARE[op](column, value)


class _CaseSensitiveLike(FunctionElement):
    """``column LIKE pattern ESCAPE '\\'``, as GLOB on SQLite (whose LIKE ignores case)."""

    type, inherit_cache, name = sa.Boolean(), True, "like"

    def self_group(self, against: Any = None) -> Any:
        return self  # a comparison already: no "= 1" after it on SQLite


@compiles(_CaseSensitiveLike)
def _render_like(element: _CaseSensitiveLike, compiler: Any, **kw: Any) -> str:
    column, like, glob = element.clauses
    if compiler.dialect.name == "sqlite":
        return f"{compiler.process(column, **kw)} GLOB {compiler.process(glob, **kw)}"
    return f"{compiler.process(column, **kw)} LIKE {compiler.process(like, **kw)} ESCAPE '\\'"


def _like_to_glob(pattern: str) -> str:
    """The GLOB pattern matching what a LIKE pattern (% and _, backslash escapes) matches."""
    def one(m: re.Match[str]) -> str:
        c = m[1] or m[2]
        return {"%": "*", "_": "?"}[c] if m[2] in ("%", "_") else f"[{c}]" if c in "*?[" else c
    return re.sub(r"\\(.)|(.)", one, pattern, flags=re.DOTALL)


__all__ = ["FILTER_HELP", "OPERATORS", "And", "Comparison", "Node", "Not", "Or",
           "compile_filter", "parse_filter"]
