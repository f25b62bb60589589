"""Config parsing and output reuse for the dbt Python models, on a real DuckDB connection."""

from __future__ import annotations

import json
import shutil

import duckdb
import pandas as pd
import pytest

from conftest import query, run_dbt
from llm_migration.dbt_support import config_literal, current_run_id, reusable_output


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("500", 500),
        ("0.9", 0.9),
        ("True", True),
        ("false", False),
        ("None", None),
        ("pymc", "pymc"),
        (
            "{'correctness': {'direction': 'higher_is_better', 'margin': 0.02}}",
            {"correctness": {"direction": "higher_is_better", "margin": 0.02}},
        ),
        ("['a', 'b']", ["a", "b"]),
        (7, 7),
    ],
)
def test_config_literal(raw, expected):
    assert config_literal(raw) == expected


def test_config_literal_default_for_missing():
    assert config_literal(None, 3) == 3
    assert config_literal("", 3) == 3


def test_reusable_output_only_for_the_same_run_id():
    connection = duckdb.connect()
    assert reusable_output(connection, "missing_table", "r1", reuse=True) is None
    connection.sql("create table t as select 'r1' as run_id, 1 as x union all select 'r1', 2")
    assert len(reusable_output(connection, "t", "r1", reuse=True)) == 2
    assert reusable_output(connection, "t", "r2", reuse=True) is None
    assert reusable_output(connection, "t", "r1", reuse=False) is None


def test_current_run_id_needs_one_row():
    assert current_run_id(pd.DataFrame({"run_id": ["abc"]})) == "abc"
    with pytest.raises(ValueError, match="one row"):
        current_run_id(pd.DataFrame({"run_id": ["a", "b"]}))


def test_a_full_refresh_recomputes_outputs_of_an_unchanged_run_id():
    # int_run_fingerprint says whether the build runs with --full-refresh (a Python model cannot
    # read dbt's flags); the outputs then recompute although the run_id is unchanged.
    from llm_migration.dbt_support import reuse_or_compute

    connection = duckdb.connect()
    connection.sql("create table out as select 'r1' as run_id, 1 as x")
    calls = []

    def compute(run_id):
        calls.append(run_id)
        return connection.sql("select 2 as x").df()

    for flag, expected_x, expected_calls in ((False, 1, 0), (True, 2, 1)):
        connection.sql(
            "create or replace table fingerprint as "
            f"select 'r1' as run_id, {flag} as is_full_refresh"
        )
        rows = reuse_or_compute(connection, "out", connection.table("fingerprint"), True, compute)
        assert rows["x"].tolist() == [expected_x]
        assert len(calls) == expected_calls


def test_settings_of_the_fingerprint_are_checked_against_the_models_vars():
    from llm_migration.dbt_support import check_fingerprint_settings

    built = {
        "llm_migration_gates": {"max_p95_latency_ratio": 1.2, "metrics": {}},
        "llm_migration_retry_target_accept": "none",
        "llm_migration_draws": 1000,
    }
    fingerprint = pd.DataFrame({"run_id": ["r1"], "settings": [json.dumps(built)]})
    # As a rendered dbt config delivers them: Python-literal text.
    same = {
        "llm_migration_gates": "{'metrics': {}, 'max_p95_latency_ratio': 1.2}",
        "llm_migration_retry_target_accept": "none",
        "llm_migration_draws": "1000",
        "llm_migration_hdi_prob": None,  # not configured for this model: not compared
    }
    check_fingerprint_settings(fingerprint, same, "m")
    changed = {**same, "llm_migration_gates": "{'max_p95_latency_ratio': 1.1, 'metrics': {}}"}
    with pytest.raises(
        ValueError, match=r"m: int_run_fingerprint .* \(llm_migration_gates differ\)"
    ):
        check_fingerprint_settings(fingerprint, changed, "m")
    # A fingerprint from before the settings column is not checked.
    check_fingerprint_settings(fingerprint[["run_id"]], changed, "m")


@pytest.mark.dbt
def test_a_partial_build_after_a_change_of_vars_stops_instead_of_mixing_settings(
    demo_build, tmp_path
):
    # `dbt build -s int_gate_results_evaluated+` after changing the gate policy used to reuse
    # (or recompute and stamp) rows under the fingerprint of the earlier policy.
    database = tmp_path / demo_build.name  # same file name: DuckDB names the catalog after it
    shutil.copy(demo_build, database)
    stricter = {"llm_migration_gates": {"max_p95_latency_ratio": 1.1}}
    result = run_dbt(["run", "-s", "int_gate_results_evaluated"], database, stricter, check=False)
    assert result.returncode != 0
    assert "int_run_fingerprint was built with other settings" in result.stdout
    assert "llm_migration_gates differ" in result.stdout
    # Built in the same invocation, the fingerprint names the new policy and the gates use it.
    run_dbt(["run", "-s", "int_run_fingerprint", "int_gate_results_evaluated"], database, stricter)
    threshold = query(
        database,
        "select threshold from int_gate_results_evaluated where gate_id = 'p95_latency_ratio'",
    )
    assert set(threshold["threshold"]) == {1.1}
