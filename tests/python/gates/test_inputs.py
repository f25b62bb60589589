import numpy as np
import pandas as pd
import pytest

from llm_migration.gates.inputs import check_columns, flag_values, latest_rows, model_roles


@pytest.mark.parametrize(
    "series",
    [
        pd.Series([True, False, None], dtype="object"),
        pd.Series([True, False, None], dtype="boolean"),
        pd.Series([1.0, 0.0, np.nan]),
        pd.Series([1, 0, None], dtype="Int64"),
        pd.Series(["TRUE", " f", "maybe"]),
        pd.Series(["1", "0", None]),
    ],
)
def test_flag_values_read_every_boolean_spelling(series):
    values = flag_values(series)
    assert values[:2].tolist() == [1.0, 0.0]
    assert np.isnan(values[2])


def test_plain_bool_columns_have_no_missing_values():
    assert flag_values(pd.Series([True, False])).tolist() == [1.0, 0.0]


def test_model_roles_need_exactly_one_incumbent():
    roles = model_roles(
        pd.DataFrame({"model_id": ["a", "b", "c"], "role": ["Candidate", "incumbent ", "ignore"]})
    )
    assert (roles.incumbent, roles.candidates, roles.problem) == ("b", ("a",), None)
    none = model_roles(pd.DataFrame({"model_id": ["a"], "model_role": ["candidate"]}))
    assert none.incumbent is None and "no model has role 'incumbent'" in none.problem


def test_latest_rows_keep_the_most_recent_per_key():
    frame = pd.DataFrame(
        {
            "k": ["x", "x", "y"],
            "v": [1, 2, 3],
            "computed_at": pd.to_datetime(["2026-01-02", "2026-01-01", "2026-01-01"], utc=True),
        }
    )
    assert latest_rows(frame, ["k"]).sort_values("k")["v"].tolist() == [1, 3]


def test_none_and_bare_empty_frames_count_as_no_rows():
    frames = check_columns({"a": (None, ("x", "y")), "b": (pd.DataFrame(), ("z",))})
    assert list(frames["a"].columns) == ["x", "y"] and frames["a"].empty
    assert list(frames["b"].columns) == ["z"]
    with pytest.raises(ValueError, match="a: expected a pandas DataFrame, got list"):
        check_columns({"a": ([], ("x",))})
