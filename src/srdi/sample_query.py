"""The `sample` filter of a model: a small whitelisted expression language, parsed and interpreted here.

A config value must never run as code, so `sample` is not handed to pandas `DataFrame.eval`/`query` (which
accept `@variables`, attribute access such as `x.to_csv(...)` and more). Python's tokenizer and `ast.parse`
(mode "eval") are used purely as parsers; the tree is then checked against a whitelist and turned into the
small node types below, which `evaluate` interprets with elementwise pandas operations. Nothing is compiled
or evaluated by Python or pandas.

Accepted (the pandas query meaning is kept, so existing configs select the same rows):

* column names: ASCII identifiers and Chinese characters (e.g. ``省份``), not dunder names;
* literals: numbers, strings, True/False, and lists/tuples of these (for ``in`` / ``isin``);
* comparisons ``== != < <= > >=``, chained (``2014 < year <= 2020``);
* ``x in [..]`` / ``x not in [..]`` with a literal list, ``col.isin([..])``, ``col.between(a, b)`` (inclusive);
* ``and or not`` and ``& | ~``. As in pandas, ``&`` and ``|`` mean ``and`` and ``or`` (they bind more loosely
  than comparisons: ``year > 2015 & soe == 1`` is ``(year > 2015) and (soe == 1)``);
* arithmetic ``+ - * / %`` on numbers and unary minus.

Missing values follow pandas: a comparison with a missing value is False, except ``!=`` and ``not in``, which
are its negations and so True; the row is dropped when the whole condition is missing.
"""

from __future__ import annotations

import ast
import io
import keyword
import operator
import re
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported only to evaluate: parsing (config validation) needs no data library
    import numpy as np
    import pandas as pd

MAX_QUERY_CHARS = 1000
MAX_DEPTH = 60  # nesting of the parsed expression; far beyond any real filter
# a column name: ASCII letters, digits and _, and Chinese characters (CJK unified ideographs and extension A)
NAME_PATTERN = re.compile(r"^[A-Za-z_\u3400-\u4dbf\u4e00-\u9fff][A-Za-z0-9_\u3400-\u4dbf\u4e00-\u9fff]*$")
QUERY_KEYWORDS = frozenset({"and", "or", "not", "in", "True", "False"})
METHODS = ("isin", "between")

Scalar = int | float | str | bool


# ---------------------------------------------------------------------------------------------- node types


@dataclass(frozen=True)
class Column:
    name: str


@dataclass(frozen=True)
class Literal:
    value: Scalar


@dataclass(frozen=True)
class Arith:
    op: str  # one of + - * / %
    left: Node
    right: Node


@dataclass(frozen=True)
class Negate:
    operand: Node


@dataclass(frozen=True)
class Compare:
    op: str  # one of == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class Member:
    operand: Node
    values: tuple[Scalar, ...]
    negate: bool  # `not in`


@dataclass(frozen=True)
class Between:
    column: Column
    low: Scalar
    high: Scalar


@dataclass(frozen=True)
class Logic:
    op: str  # "and" | "or"
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Column | Literal | Arith | Negate | Compare | Member | Between | Logic | Not
VALUE_NODES = (Column, Literal, Arith, Negate)
CONDITION_NODES = (Compare, Member, Between, Logic, Not)


@dataclass(frozen=True)
class SampleQuery:
    """A parsed, checked `sample` expression (immutable data only: it holds no code)."""

    text: str
    root: Node


# ---------------------------------------------------------------------------------------------- parsing


def _quoted(text: str, limit: int = 200) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _refuse(text: str, why: str, model: str | None) -> ValueError:
    where = f"model {model!r}: " if model else ""
    return ValueError(f"{where}sample query {_quoted(text)} is refused: {why}")


def _rewrite(text: str, model: str | None) -> str:
    """Tokens joined by spaces, with `&`/`|` turned into `and`/`or` as pandas does; refuses `@`, comments and
    names that are neither query keywords nor plain column names."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise _refuse(text, f"it is not a valid expression ({exc})", model) from None
    skip = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    out: list[str] = []
    for tok in tokens:
        if tok.type in skip or (tok.type == tokenize.ERRORTOKEN and not tok.string.strip()):
            continue
        s = tok.string
        if tok.type == tokenize.ERRORTOKEN:
            raise _refuse(text, f"unexpected character {s!r} (an unclosed quote, a backtick or a symbol)", model)
        if tok.type == tokenize.COMMENT:
            raise _refuse(text, "comments ('#') are not allowed", model)
        if tok.type == tokenize.OP and s == "@":
            raise _refuse(text, "'@' local variables are not allowed; write the value itself", model)
        if tok.type == tokenize.NAME:
            if keyword.iskeyword(s) and s not in QUERY_KEYWORDS:
                hint = " (write == or != instead)" if s == "is" else ""
                raise _refuse(text, f"the keyword {s!r} is not allowed{hint}", model)
            if s not in QUERY_KEYWORDS and not NAME_PATTERN.match(s):
                raise _refuse(text, f"name {s!r} has characters other than ASCII letters, digits, '_' and "
                                    "Chinese characters", model)
            if s.startswith("__"):
                raise _refuse(text, f"dunder name {s!r} is not allowed", model)
        out.append({"&": "and", "|": "or"}.get(s, s) if tok.type == tokenize.OP else s)
    return " ".join(out)


COMPARE_OPS: dict[type, str] = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
ARITH_OPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}
REFUSED_SYNTAX: dict[type, str] = {
    ast.Subscript: "subscripts", ast.Lambda: "lambdas", ast.JoinedStr: "f-strings", ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions", ast.DictComp: "comprehensions", ast.GeneratorExp: "comprehensions",
    ast.IfExp: "if-else expressions", ast.NamedExpr: "assignment expressions (:=)", ast.Starred: "* unpackings",
    ast.Dict: "dicts", ast.Set: "sets", ast.Await: "await expressions",
}


class _Converter:
    """Python AST -> query nodes, refusing everything outside the whitelist (see module docstring)."""

    def __init__(self, text: str, model: str | None) -> None:
        self.text = text
        self.model = model

    def refuse(self, node: ast.AST, why: str) -> ValueError:
        part = ast.unparse(node)
        return _refuse(self.text, f"{why}: `{part if len(part) <= 120 else part[:117] + '...'}`", self.model)

    def condition(self, node: ast.AST, depth: int) -> Node:
        out = self.convert(node, depth)
        if not isinstance(out, (*CONDITION_NODES, Column)):
            raise self.refuse(node, "a true/false condition is needed here, e.g. a comparison")
        return out

    def value(self, node: ast.AST, depth: int) -> Node:
        out = self.convert(node, depth)
        if not isinstance(out, VALUE_NODES):
            raise self.refuse(node, "a column, number or string is needed here, not a condition")
        return out

    def convert(self, node: ast.AST, depth: int = 0) -> Node:
        if depth > MAX_DEPTH:
            raise self.refuse(node, f"the expression is nested more than {MAX_DEPTH} levels deep")
        d = depth + 1
        if isinstance(node, ast.Name):
            return self.column(node)
        if isinstance(node, ast.Constant):
            return Literal(self.scalar(node))
        if isinstance(node, ast.BoolOp):
            return Logic("and" if isinstance(node.op, ast.And) else "or",
                         tuple(self.condition(v, d) for v in node.values))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.Not, ast.Invert)):
                return Not(self.condition(node.operand, d))
            if isinstance(node.op, ast.USub):
                inner = self.value(node.operand, d)
                if isinstance(inner, Literal):
                    if not _is_number(inner.value):
                        raise self.refuse(node, "unary minus applies to numbers only")
                    return Literal(-inner.value)
                return Negate(inner)
            raise self.refuse(node, "unary + is not allowed")
        if isinstance(node, ast.BinOp):
            op = ARITH_OPS.get(type(node.op))
            if op is None:
                raise self.refuse(node, "only the arithmetic operators + - * / % are allowed")
            left, right = self.value(node.left, d), self.value(node.right, d)
            if any(isinstance(v, Literal) and not _is_number(v.value) for v in (left, right)):
                raise self.refuse(node, "arithmetic needs numbers")
            return Arith(op, left, right)
        if isinstance(node, ast.Compare):
            return self.compare(node, d)
        if isinstance(node, ast.Call):
            return self.method(node, d)
        if isinstance(node, ast.Attribute):
            raise self.refuse(node, f"attribute access (.{node.attr}) is not allowed; the only methods are "
                                    "col.isin([...]) and col.between(low, high)")
        if isinstance(node, (ast.List, ast.Tuple)):
            raise self.refuse(node, "a list is only allowed after `in` / `not in` or inside isin(...)")
        what = REFUSED_SYNTAX.get(type(node), f"{type(node).__name__} expressions")
        raise self.refuse(node, f"{what} are not allowed")

    def column(self, node: ast.Name) -> Column:
        return Column(node.id)

    def scalar(self, node: ast.AST) -> Scalar:
        """A literal number, string or True/False (a negative number too)."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.scalar(node.operand)
            if not _is_number(inner):
                raise self.refuse(node, "unary minus applies to numbers only")
            return -inner
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, (bool, int, float, str)):
                return v
            what = "None" if v is None else type(v).__name__
            raise self.refuse(node, f"{what} literals are not allowed (numbers, strings and True/False are)")
        raise self.refuse(node, "a literal number, string or True/False is needed here")

    def literal_list(self, node: ast.AST) -> tuple[Scalar, ...]:
        if not isinstance(node, (ast.List, ast.Tuple)):
            raise self.refuse(node, "a literal list such as [2019, 2020] is needed here")
        return tuple(self.scalar(e) for e in node.elts)

    def compare(self, node: ast.Compare, d: int) -> Node:
        parts: list[Node] = []
        left_ast = node.left
        for op, right_ast in zip(node.ops, node.comparators, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)):
                parts.append(Member(self.value(left_ast, d), self.literal_list(right_ast), isinstance(op, ast.NotIn)))
            elif type(op) in COMPARE_OPS:
                if isinstance(right_ast, (ast.List, ast.Tuple)):
                    raise self.refuse(node, "compare with a list by `in` / `not in`")
                parts.append(Compare(COMPARE_OPS[type(op)], self.value(left_ast, d), self.value(right_ast, d)))
            else:
                raise self.refuse(node, "`is` / `is not` are not allowed; write == or !=")
            left_ast = right_ast
        return parts[0] if len(parts) == 1 else Logic("and", tuple(parts))

    def method(self, node: ast.Call, d: int) -> Node:
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in METHODS:
            raise self.refuse(node, "calls are not allowed, except col.isin([...]) and col.between(low, high)")
        if not isinstance(func.value, ast.Name):
            raise self.refuse(node, f".{func.attr}(...) must be called on a column name")
        col = self.column(func.value)
        if node.keywords:
            raise self.refuse(node, f".{func.attr}(...) takes no keyword arguments")
        if func.attr == "isin":
            if len(node.args) != 1:
                raise self.refuse(node, ".isin(...) takes one literal list")
            return Member(col, self.literal_list(node.args[0]), negate=False)
        if len(node.args) != 2:
            raise self.refuse(node, ".between(low, high) takes two literals")
        return Between(col, self.scalar(node.args[0]), self.scalar(node.args[1]))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


@lru_cache(maxsize=256)
def _parse(text: str, model: str | None) -> SampleQuery:
    if len(text) > MAX_QUERY_CHARS:
        raise _refuse(text, f"it has {len(text)} characters, more than {MAX_QUERY_CHARS}", model)
    bad = sorted({c for c in text if (ord(c) < 32 and c != "\t") or ord(c) == 127})
    if bad:
        raise _refuse(text, f"control characters {bad} (e.g. line breaks) are not allowed; write one line", model)
    rewritten = _rewrite(text, model)
    try:
        tree = ast.parse(rewritten, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        why = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise _refuse(text, f"it is not a valid expression ({why})", model) from None
    converter = _Converter(text, model)
    try:
        root = converter.condition(tree.body, 0)
    except RecursionError:
        raise _refuse(text, "the expression is nested too deeply", model) from None
    return SampleQuery(text, root)


def parse_sample_query(text: str, model: str | None = None) -> SampleQuery:
    """Parse and check a `sample` string without any data (config validation calls this at start-up).

    Raises ValueError naming `model` (if given) and quoting the refused part.
    """
    if not isinstance(text, str) or not text.strip():
        where = f"model {model!r}: " if model else ""
        raise ValueError(f"{where}sample must be a non-empty query string, got {text!r}")
    return _parse(text, model)


def check_sample(raw: Any, model: str) -> str | None:
    """The `sample` value of a model entry: None, or a query string that parses (errors name the model)."""
    if raw is None:
        return None
    parse_sample_query(raw, model)
    return raw


def referenced_columns(parsed: SampleQuery | Node) -> set[str]:
    """The column names the query reads."""
    node = parsed.root if isinstance(parsed, SampleQuery) else parsed
    if isinstance(node, Column):
        return {node.name}
    if isinstance(node, Literal):
        return set()
    if isinstance(node, Between):
        return {node.column.name}
    if isinstance(node, Logic):
        return set().union(*(referenced_columns(n) for n in node.operands))
    if isinstance(node, (Arith, Compare)):
        return referenced_columns(node.left) | referenced_columns(node.right)
    return referenced_columns(node.operand)  # Negate, Not, Member


# ---------------------------------------------------------------------------------------------- evaluation


def evaluate(parsed: SampleQuery, frame: pd.DataFrame, model: str | None = None) -> np.ndarray:
    """Boolean mask (one entry per row of `frame`) of the rows the query keeps; a missing result is False.

    Raises ValueError naming `model` (if given) for a column the frame lacks or an operation the column's
    type does not support (e.g. arithmetic on text).
    """
    where = f"model {model!r}: " if model else ""
    missing = sorted(referenced_columns(parsed) - set(frame.columns))
    if missing:
        raise ValueError(
            f"{where}sample query {_quoted(parsed.text)} names column(s) {missing} that are not in the panel"
        )
    data = frame[sorted(referenced_columns(parsed))].reset_index(drop=True)
    interp = _Interpreter(data, len(frame), parsed.text, where)
    result = interp.condition(parsed.root)
    return result.fillna(False).to_numpy(dtype=bool)


class _Interpreter:
    def __init__(self, data: pd.DataFrame, n: int, text: str, where: str) -> None:
        import pandas as pd

        self.pd = pd
        self.data = data
        self.n = n
        self.text = text
        self.where = where

    def fail(self, part: Node, why: str) -> ValueError:
        return ValueError(f"{self.where}sample query {_quoted(self.text)}: {why} (in `{_show(part)}`)")

    def broadcast(self, value: Any) -> pd.Series:
        return self.pd.Series([bool(value)] * self.n, dtype=bool)

    def condition(self, node: Node) -> pd.Series:
        """A boolean Series (bool or nullable boolean dtype)."""
        import numpy as np

        pd = self.pd
        if isinstance(node, Column):
            s = self.data[node.name]
            if not pd.api.types.is_bool_dtype(s):
                raise self.fail(node, f"column {node.name!r} is not true/false (dtype {s.dtype}); compare it, "
                                      f"e.g. {node.name} == 1")
            return s
        if isinstance(node, Logic):
            parts = [self.condition(p) for p in node.operands]
            combine = operator.and_ if node.op == "and" else operator.or_
            out = parts[0]
            for p in parts[1:]:
                out = combine(out, p)
            return out
        if isinstance(node, Not):
            return ~self.condition(node.operand)
        if isinstance(node, Between):
            return self.guard(node, lambda s: s.between(node.low, node.high))(self.data[node.column.name])
        if isinstance(node, Member):
            v = self.value(node.operand)
            if not isinstance(v, pd.Series):
                return self.broadcast((v in node.values) != node.negate)
            hit = self.guard(node, lambda s: s.isin(list(node.values)))(v)
            return ~hit if node.negate else hit
        if isinstance(node, Compare):
            left, right = self.value(node.left), self.value(node.right)
            fn = COMPARE_FUNCS[node.op]
            if not isinstance(left, pd.Series) and not isinstance(right, pd.Series):
                return self.broadcast(self.guard(node, lambda _: fn(left, right))(None))
            with np.errstate(all="ignore"):
                return self.guard(node, lambda _: fn(left, right))(None)
        raise self.fail(node, "a true/false condition is needed here")

    def value(self, node: Node) -> Any:
        """A Series or a Python scalar."""
        import numpy as np

        if isinstance(node, Column):
            return self.data[node.name]
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Negate):
            return operator.neg(self.number(node.operand, node))
        if isinstance(node, Arith):
            left, right = self.number(node.left, node), self.number(node.right, node)
            with np.errstate(all="ignore"):
                return self.guard(node, lambda _: ARITH_FUNCS[node.op](left, right))(None)
        raise self.fail(node, "a column, number or string is needed here, not a condition")

    def number(self, node: Node, parent: Node) -> Any:
        """A numeric operand of arithmetic: booleans count as 0/1; text is refused (it could be repeated)."""
        v = self.value(node)
        pd = self.pd
        if isinstance(v, pd.Series):
            if pd.api.types.is_bool_dtype(v):
                return v.astype("Int64") if v.hasnans else v.astype("int64")
            if not pd.api.types.is_numeric_dtype(v):
                raise self.fail(parent, f"arithmetic needs numbers, but column {_show(node)!r} has dtype {v.dtype}")
            return v
        if not _is_number(v):
            raise self.fail(parent, f"arithmetic needs numbers, got {v!r}")
        return v

    def guard(self, part: Node, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """`fn` with pandas/numpy type errors turned into a ValueError quoting the part of the query."""

        def run(arg: Any) -> Any:
            try:
                return fn(arg)
            except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
                raise self.fail(part, f"cannot be computed on this panel's columns ({exc})") from None

        return run


COMPARE_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
ARITH_FUNCS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "%": operator.mod,
}


def _show(node: Node) -> str:
    """The node written back as query text (for messages)."""
    if isinstance(node, Column):
        return node.name
    if isinstance(node, Literal):
        return repr(node.value)
    if isinstance(node, Negate):
        return f"-{_show(node.operand)}"
    if isinstance(node, (Arith, Compare)):
        return f"{_show(node.left)} {node.op} {_show(node.right)}"
    if isinstance(node, Member):
        return f"{_show(node.operand)} {'not in' if node.negate else 'in'} {list(node.values)!r}"
    if isinstance(node, Between):
        return f"{node.column.name}.between({node.low!r}, {node.high!r})"
    if isinstance(node, Logic):
        return f" {node.op} ".join(f"({_show(p)})" for p in node.operands)
    return f"not ({_show(node.operand)})"
