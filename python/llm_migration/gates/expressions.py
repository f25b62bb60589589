"""Custom gate expressions: a tiny, SQL-looking, never-executed boolean language.

An expression states when a gate **passes** on one row of fct_model_comparisons, e.g.
``prob_noninferior >= 0.99 and diff_hdi_low > -margin``. It is parsed with ``sqlglot`` and the
tree is walked against a whitelist; nothing is ever sent to a database. Allowed:

* columns: ``diff_mean``, ``diff_hdi_low``, ``diff_hdi_high``, ``prob_better``,
  ``prob_noninferior``, ``prob_worse_beyond_margin``, ``margin`` (unqualified, any case);
* numeric literals, with unary minus (``-0.01``, ``-margin``);
* arithmetic ``+ - * /`` on numbers, so thresholds can be written relative to the margin
  (``diff_mean > 0.5 * margin``); a division by zero gives an unknown value;
* comparisons ``< <= > >= = != <>`` between numbers;
* ``and``, ``or``, ``not`` on comparisons, and parentheses.

Anything else — functions, subqueries, several statements (``; drop table``), strings, qualified
or unknown column names, ``is null``, ``between``, ``%``, placeholders, aliases — is a
``ValueError`` naming the expression and the offending part. The result must be a condition,
not a bare number.

Unknown values: if any column the expression reads is NULL/NaN on a row (or an intermediate
value is undefined, e.g. x / 0), the result on that row is *unknown* and the gate is
inconclusive. This is deliberately stricter than SQL's three-valued logic, where
``true or null`` is true: a gate should not pass on a row whose inputs are incomplete.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlglot
from sqlglot import exp

COMPARISON_COLUMNS = (
    "diff_mean",
    "diff_hdi_low",
    "diff_hdi_high",
    "prob_better",
    "prob_noninferior",
    "prob_worse_beyond_margin",
    "margin",
)
MAX_EXPRESSION_LENGTH = 2000

_COMPARISONS = {
    exp.LT: ("<", operator.lt),
    exp.LTE: ("<=", operator.le),
    exp.GT: (">", operator.gt),
    exp.GTE: (">=", operator.ge),
    exp.EQ: ("=", operator.eq),
    exp.NEQ: ("!=", operator.ne),
}
_ARITHMETIC = {
    exp.Add: ("+", operator.add),
    exp.Sub: ("-", operator.sub),
    exp.Mul: ("*", operator.mul),
    exp.Div: ("/", None),
}


@dataclass(frozen=True)
class _Node:
    """A checked expression node: ``kind`` is 'num' or 'bool'."""

    kind: str
    op: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class GateExpression:
    """A validated gate expression. Build it with :func:`parse_gate_expression`."""

    text: str
    columns: tuple[str, ...]
    _tree: _Node

    def evaluate(self, frame: pd.DataFrame | Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """Evaluate on every row.

        Parameters
        ----------
        frame
            A DataFrame (or a mapping column -> scalar/array) holding at least the columns the
            expression reads.

        Returns
        -------
        passed, known
            Boolean arrays. ``known`` is False where an operand was NULL/NaN or undefined; there
            ``passed`` is False and the caller must treat the row as inconclusive.
        """
        missing = [c for c in self.columns if c not in frame]
        if missing:
            raise ValueError(
                f"gate expression {self.text!r} reads missing column(s): {', '.join(missing)}"
            )
        values = {
            c: pd.to_numeric(
                np.atleast_1d(np.asarray(frame[c], dtype=object)), errors="coerce"
            ).astype(float)
            for c in self.columns
        }
        length = max((len(v) for v in values.values()), default=1)
        if isinstance(frame, pd.DataFrame):
            length = len(frame)
        passed, known = _eval_bool(self._tree, values, length)
        return passed & known, known

    def evaluate_row(self, row: Mapping[str, Any]) -> bool | None:
        """Evaluate on one row: True/False, or None when unknown."""
        passed, known = self.evaluate({c: [row.get(c)] for c in self.columns})
        return bool(passed[0]) if known[0] else None


def parse_gate_expression(text: str) -> GateExpression:
    """Parse and validate a custom gate expression.

    Raises
    ------
    ValueError
        Naming the expression and the offending part.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"gate expression {text!r}: must be a non-empty string")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ValueError(
            f"gate expression of {len(text)} characters: longer than {MAX_EXPRESSION_LENGTH}"
        )
    try:
        tree = sqlglot.parse_one(text)
    except sqlglot.errors.SqlglotError as error:
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"gate expression {text!r} does not parse: {first}") from None
    except RecursionError:
        raise ValueError(f"gate expression {text[:60]!r}...: nested too deeply") from None
    if tree is None:
        raise ValueError(f"gate expression {text!r}: empty")
    columns: list[str] = []
    try:
        node = _check(tree, text, columns)
    except RecursionError:
        raise ValueError(f"gate expression {text[:60]!r}...: nested too deeply") from None
    if node.kind != "bool":
        raise ValueError(
            f"gate expression {text!r}: must be a condition (a comparison, "
            f"optionally joined with and/or/not), not the number {_sql(tree)!r}"
        )
    return GateExpression(text, tuple(dict.fromkeys(columns)), node)


def _sql(node: exp.Expression) -> str:
    try:
        return node.sql()
    except Exception:  # noqa: BLE001 - only used to describe a rejected node
        return type(node).__name__


def _reject(text: str, node: exp.Expression, why: str) -> ValueError:
    return ValueError(f"gate expression {text!r}: {why}: {_sql(node)!r}")


def _check(node: exp.Expression, text: str, columns: list[str]) -> _Node:
    if isinstance(node, exp.Paren):
        return _check(node.this, text, columns)
    if isinstance(node, (exp.And, exp.Or)):
        left = _expect(node.this, "bool", node, text, columns)
        right = _expect(node.expression, "bool", node, text, columns)
        return _Node("bool", "and" if isinstance(node, exp.And) else "or", (left, right))
    if isinstance(node, exp.Not):
        return _Node("bool", "not", (_expect(node.this, "bool", node, text, columns),))
    for kind, (symbol, _) in _COMPARISONS.items():
        if type(node) is kind:
            left = _expect(node.this, "num", node, text, columns)
            right = _expect(node.expression, "num", node, text, columns)
            return _Node("bool", symbol, (left, right))
    for kind, (symbol, _) in _ARITHMETIC.items():
        if type(node) is kind:
            left = _expect(node.this, "num", node, text, columns)
            right = _expect(node.expression, "num", node, text, columns)
            return _Node("num", symbol, (left, right))
    if isinstance(node, exp.Neg):
        return _Node("num", "neg", (_expect(node.this, "num", node, text, columns),))
    if isinstance(node, exp.Literal):
        if node.is_string:
            raise _reject(text, node, "strings are not allowed")
        try:
            value = float(node.this)
        except (TypeError, ValueError):
            raise _reject(text, node, "not a number") from None
        if not math.isfinite(value):
            raise _reject(text, node, "not a finite number")
        return _Node("num", "lit", (value,))
    if isinstance(node, exp.Column):
        if node.args.get("table") or node.args.get("db") or node.args.get("catalog"):
            raise _reject(text, node, "qualified column names are not allowed")
        identifier = node.this
        if not isinstance(identifier, exp.Identifier):
            raise _reject(text, node, "not a plain column name")
        name = identifier.this if identifier.quoted else identifier.this.lower()
        if name not in COMPARISON_COLUMNS:
            raise _reject(text, node, f"unknown column (allowed: {', '.join(COMPARISON_COLUMNS)})")
        columns.append(name)
        return _Node("num", "col", (name,))
    if isinstance(node, exp.Block):
        raise _reject(text, node, "only one expression is allowed, found several statements")
    if isinstance(node, (exp.Subquery, exp.Select, exp.Query)):
        raise _reject(text, node, "subqueries are not allowed")
    if isinstance(node, exp.Func):
        raise _reject(text, node, "functions are not allowed")
    raise _reject(text, node, f"{type(node).__name__} is not allowed")


def _expect(
    node: exp.Expression, kind: str, parent: exp.Expression, text: str, columns: list[str]
) -> _Node:
    checked = _check(node, text, columns)
    if checked.kind != kind:
        wanted = "a number" if kind == "num" else "a condition"
        raise _reject(text, parent, f"{_sql(node)!r} is not {wanted} in")
    return checked


def _eval_num(node: _Node, values: Mapping[str, np.ndarray], length: int) -> np.ndarray:
    if node.op == "lit":
        return np.full(length, node.args[0], dtype=float)
    if node.op == "col":
        return np.broadcast_to(values[node.args[0]], (length,)).astype(float)
    if node.op == "neg":
        return -_eval_num(node.args[0], values, length)
    left = _eval_num(node.args[0], values, length)
    right = _eval_num(node.args[1], values, length)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if node.op == "/":
            out = np.where(right == 0, np.nan, left / np.where(right == 0, 1.0, right))
        else:
            out = {"+": np.add, "-": np.subtract, "*": np.multiply}[node.op](left, right)
    return np.where(np.isfinite(out), out, np.nan)


def _eval_bool(
    node: _Node, values: Mapping[str, np.ndarray], length: int
) -> tuple[np.ndarray, np.ndarray]:
    if node.op in ("and", "or"):
        left, left_known = _eval_bool(node.args[0], values, length)
        right, right_known = _eval_bool(node.args[1], values, length)
        combined = (left & right) if node.op == "and" else (left | right)
        return combined, left_known & right_known
    if node.op == "not":
        inner, known = _eval_bool(node.args[0], values, length)
        return ~inner, known
    compare = {symbol: fn for symbol, fn in _COMPARISONS.values()}[node.op]
    left = _eval_num(node.args[0], values, length)
    right = _eval_num(node.args[1], values, length)
    known = ~(np.isnan(left) | np.isnan(right))
    with np.errstate(invalid="ignore"):
        result = compare(left, right)
    return np.asarray(result, dtype=bool) & known, known
