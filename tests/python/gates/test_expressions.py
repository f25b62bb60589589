import numpy as np
import pandas as pd
import pytest

from llm_migration.gates import parse_gate_expression

ROW = {
    "diff_mean": 0.01,
    "diff_hdi_low": -0.015,
    "diff_hdi_high": 0.035,
    "prob_better": 0.8,
    "prob_noninferior": 0.97,
    "prob_worse_beyond_margin": 0.03,
    "margin": 0.02,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prob_noninferior >= 0.95", True),
        ("prob_noninferior >= 0.99", False),
        ("diff_hdi_low > -margin", True),
        ("diff_hdi_low > -0.01", False),
        ("prob_better > 0.9 or prob_noninferior > 0.95", True),
        ("prob_better > 0.9 and prob_noninferior > 0.95", False),
        ("not (prob_worse_beyond_margin >= 0.05)", True),
        ("diff_mean > 0.5 * margin", False),
        ("diff_mean >= margin / 2", True),
        ("diff_hdi_high - diff_hdi_low < 0.06", True),
        ("diff_mean + margin > 0.03 + 0.001", False),
        ("margin = 0.02 and margin <> 0.03 and margin != 0.01", True),
        ("PROB_BETTER < .9", True),  # unquoted names are case-insensitive, as in SQL
        ('"prob_better" <= 0.8', True),
        ("((prob_better > 0.5))", True),
        ("prob_better > 1e-3 -- comments are harmless", True),
        ("-(-margin) > 0", True),  # note: "--" would start a SQL comment
    ],
)
def test_allowed_expressions_evaluate_like_sql(text, expected):
    assert parse_gate_expression(text).evaluate_row(ROW) is expected


@pytest.mark.parametrize(
    ("text", "offending"),
    [
        ("prob_better > 0.9; drop table x", "several statements"),
        ("prob_better > 0.9; select 1", "several statements"),
        ("(select 1) > 0", "subqueries are not allowed: '(SELECT 1)'"),
        ("prob_better > (select max(x) from t)", "subqueries are not allowed"),
        ("upper(metric) = 'X'", "functions are not allowed: 'UPPER(metric)'"),
        ("abs(diff_mean) < 0.01", "functions are not allowed: 'ABS(diff_mean)'"),
        ("foo > 1", "unknown column"),
        ("metric > 1", "unknown column"),
        ("t.prob_better > 0.9", "qualified column names are not allowed: 't.prob_better'"),
        ("prob_better > '0.9'", "strings are not allowed: \"'0.9'\""),
        ("prob_better", "must be a condition"),
        ("prob_better + 1", "must be a condition"),
        ("prob_better > 0.5 and 1", "'1' is not a condition"),
        ("(prob_better > 0.5) > 0", "is not a number"),
        ("prob_better is null", "Is is not allowed"),
        ("prob_better between 0.5 and 1", "Between is not allowed"),
        ("prob_better in (0.5, 1)", "In is not allowed"),
        ("prob_better % 2 > 0", "Mod is not allowed"),
        ("prob_better > ?", "Placeholder is not allowed"),
        ("true", "Boolean is not allowed"),
        ("prob_better > 0.9 drop", "does not parse"),
        ("prob_better >", "does not parse"),
        ("prob_better > 1e999", "not a finite number"),
        ("", "must be a non-empty string"),
        ("prob_better > 0x10", "not allowed"),
    ],
)
def test_rejected_expressions_name_the_expression_and_the_offending_part(text, offending):
    with pytest.raises(ValueError) as caught:
        parse_gate_expression(text)
    message = str(caught.value)
    assert offending in message
    if text:
        assert repr(text) in message


def test_deep_nesting_is_a_clear_error_not_a_crash():
    with pytest.raises(ValueError, match="nested too deeply|longer than"):
        parse_gate_expression("(" * 900 + "prob_better > 0.5" + ")" * 900)


def test_columns_read_are_listed_once():
    expression = parse_gate_expression("diff_hdi_low > -margin and diff_mean > margin")
    assert expression.columns == ("diff_hdi_low", "margin", "diff_mean")


def test_evaluate_on_a_frame_marks_rows_with_missing_operands_unknown():
    expression = parse_gate_expression("prob_noninferior >= 0.95 or diff_mean > 0")
    frame = pd.DataFrame(
        {
            "prob_noninferior": [0.97, 0.5, np.nan, 0.99, None],
            "diff_mean": [0.0, -0.1, 0.2, np.nan, 0.1],
        }
    )
    passed, known = expression.evaluate(frame)
    assert known.tolist() == [True, True, False, False, False]
    # Stricter than SQL's three-valued logic: "true or null" is unknown, not a pass.
    assert passed.tolist() == [True, False, False, False, False]


def test_not_of_an_unknown_is_unknown_not_a_pass():
    expression = parse_gate_expression("not (prob_worse_beyond_margin > 0.5)")
    assert expression.evaluate_row({"prob_worse_beyond_margin": None}) is None
    assert expression.evaluate_row({"prob_worse_beyond_margin": pd.NA}) is None
    assert expression.evaluate_row({"prob_worse_beyond_margin": float("nan")}) is None


def test_division_by_zero_is_unknown():
    expression = parse_gate_expression("diff_mean / margin > -1")
    assert expression.evaluate_row({"diff_mean": 0.01, "margin": 0.0}) is None
    assert expression.evaluate_row({"diff_mean": 0.01, "margin": 0.02}) is True


def test_evaluating_without_a_needed_column_is_an_error():
    with pytest.raises(ValueError, match="missing column"):
        parse_gate_expression("prob_better > 0.5").evaluate(pd.DataFrame({"margin": [0.02]}))


def test_nullable_pandas_dtypes_are_read():
    expression = parse_gate_expression("prob_better > 0.5")
    frame = pd.DataFrame({"prob_better": pd.array([0.6, None, 0.4], dtype="Float64")})
    passed, known = expression.evaluate(frame)
    assert passed.tolist() == [True, False, False]
    assert known.tolist() == [True, False, True]
