"""Package macros compiled by the real dbt CLI and run on real DuckDB."""

from __future__ import annotations

import os
import subprocess

import duckdb
import numpy as np
import pandas as pd
import pytest

from conftest import DBT, PROJECT_DIR


def compile_inline(sql: str, tmp_path) -> str:
    """The SQL dbt compiles from a Jinja snippet in this project (no database access needed)."""
    env = dict(
        os.environ,
        LLM_MIGRATION_DB=str(tmp_path / "compile.duckdb"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    result = subprocess.run(
        [DBT, "--quiet", "compile", "--inline", sql, "--target-path", str(tmp_path / "target")],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    return result.stdout


@pytest.mark.dbt
def test_repeated_keys_finds_every_repeated_combination_exactly(tmp_path):
    # 20,000 rows over a small key space, so most keys repeat and some occur once; nulls in a
    # key part count as a value, as in the uniqueness test and the verdict checks.
    rng = np.random.default_rng(3)
    n = 20_000
    rows = pd.DataFrame(
        {
            "k": rng.integers(0, 9_000, n).astype(str),
            "v": pd.Series(rng.choice(["a", "b", None], n, p=[0.6, 0.3, 0.1]), dtype=object),
            "n": np.arange(n),
        }
    )
    macro = "{{ llm_migration.repeated_keys('keys_input', ['k', 'v'], ['min(n) as first_n']) }}"
    dispatched = compile_inline(macro, tmp_path)
    assert "hash(k, v)" in dispatched  # DuckDB's two-step variant is the one under test
    default = compile_inline(macro.replace("repeated_keys(", "default__repeated_keys("), tmp_path)

    expected = (
        rows.assign(v=rows.v.fillna("<null>"))
        .groupby(["k", "v"])
        .agg(first_n=("n", "min"), n_rows=("n", "size"))
        .query("n_rows > 1")
        .reset_index()
    )
    assert 1_000 < len(expected) < rows[["k", "v"]].drop_duplicates().shape[0]
    with duckdb.connect() as connection:
        connection.register("keys_frame", rows)
        connection.execute("create table keys_input as select * from keys_frame")
        for sql in (dispatched, default):
            found = connection.sql(sql).df()
            found = (
                found.assign(v=found.v.fillna("<null>"))
                .sort_values(["k", "v"])
                .reset_index(drop=True)
            )
            pd.testing.assert_frame_equal(
                found[["k", "v", "first_n", "n_rows"]],
                expected.sort_values(["k", "v"]).reset_index(drop=True),
                check_dtype=False,
            )


@pytest.mark.dbt
def test_unique_row_number_fails_on_exactly_the_repeated_values(tmp_path):
    # The DuckDB variant answers "all unique?" from a bitmap of the values before it groups;
    # it must list the same repeated values as the plain grouping, and none when there are none.
    rng = np.random.default_rng(11)
    unique = rng.permutation(np.arange(-500, 40_000)).astype("float")
    unique[rng.choice(unique.size, 300, replace=False)] = np.nan  # nulls pass
    repeated = rng.choice(np.arange(-500, 40_000), 25, replace=False)
    cases = {
        "all_unique": unique,
        "some_repeated": np.concatenate([unique, repeated, repeated[:5]]),
        "empty": np.array([], dtype="float"),
    }
    database = tmp_path / "compile.duckdb"
    with duckdb.connect(str(database)) as connection:
        for name, values in cases.items():
            frame = pd.DataFrame({"n": pd.array(values, dtype="Int64")})
            connection.register("frame", frame)
            connection.execute(f"create table {name} as select * from frame")
            connection.unregister("frame")
    compiled = {}
    for name in cases:
        call = f"{{{{ llm_migration.test_unique_row_number('{name}', 'n') }}}}"
        compiled[name] = compile_inline(call, tmp_path)
        default = compile_inline(
            call.replace("test_unique_row_number(", "default__test_unique_row_number("), tmp_path
        )
        compiled[name + "_default"] = default
    assert "bitstring_agg(n, -500, 39999)" in compiled["all_unique"]
    assert "bitstring_agg" not in compiled["empty"]  # no bounds: the plain grouping

    expected_counts = {int(v): 3 for v in repeated[:5]} | {int(v): 2 for v in repeated[5:]}
    with duckdb.connect(str(database), read_only=True) as connection:
        for name, sql in compiled.items():
            found = connection.sql(sql).df()
            found = dict(
                zip(found.unique_field.astype(int), found.n_records.astype(int), strict=True)
            )
            assert found == (expected_counts if name.startswith("some_repeated") else {}), name
