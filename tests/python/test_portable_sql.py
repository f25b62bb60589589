"""The SQL layer away from its DuckDB shortcuts.

Two things the files-on-DuckDB builds of the other tests never run:

- inputs read from warehouse tables (var llm_migration_input_mode: tables), as a team whose
  traces already sit in a warehouse runs it;
- the portable ``default__`` versions of the project's dispatch macros, which every warehouse other
  than DuckDB gets. They run here on DuckDB, in a copy of the project whose ``duckdb__`` macros are
  renamed away, so dispatch falls through to ``default__`` exactly as it would on another adapter.

Both must give the same rows as the standard build on the same inputs (the broken inputs of
test_dbt_inputs: every kind of reject), after a first build and after an incremental refresh on
a later delivery, and the portable build's compiled SQL may use only functions found on the
common warehouses.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import dbt.include.duckdb
import dbt.include.global_project
import duckdb
import numpy as np
import pandas as pd
import pytest
import sqlglot
from sqlglot import exp

from conftest import PROJECT_DIR, query, run_dbt
from llm_migration import demo
from test_dbt_inputs import _broken_inputs

# Every SQL model and the tests on them (selectors.yml): the Python models are written for
# dbt-duckdb's in-process Python models and are not part of the portable layer.
SQL_LAYER = ["build", "--selector", "sql_layer"]
SOURCE_SCHEMA = "llm_eval"
INPUT_NAMES = ("traces", "judge_scores", "human_labels", "models")
TABLES_VARS = {"llm_migration_input_mode": "tables", "llm_migration_source_schema": SOURCE_SCHEMA}

# Columns whose representation is engine-specific by design (DuckDB: integer digests, the row as
# a struct serialised to JSON; default: md5 text, "col=value; ..." text) or that record when a
# row was computed. Everything else must agree.
REPRESENTATION_COLUMNS = {
    "row_hash",
    "refresh_key",
    "source_row",
    "raw_row",
    "refreshed_at",
    "traces_watermark",
    "run_id",
    "computed_at",
}

# What dispatch finds on another adapter instead of DuckDB's missing safe_cast: dbt-snowflake and
# dbt-bigquery implement dbt.safe_cast as a cast that yields null; dbt-duckdb does not, so
# without this stand-in dbt's default (a plain cast) would fail on the first malformed value.
ADAPTER_SAFE_CAST = """\
{% macro duckdb__safe_cast(field, type) %}try_cast({{ field }} as {{ type }}){% endmacro %}
"""

# sqlglot expression types the portable SQL may contain. Standard SQL, or what dbt's own
# cross-database macros emit when compiled for DuckDB (concat -> DPipe, hash -> MD5, listagg ->
# GroupConcat, current_timestamp -> now(), safe_cast -> TryCast via the stand-in above): on
# another adapter those macros emit that warehouse's spelling. RegexpExtract is the default of
# the dispatch macro extract_assessment, which has Snowflake and BigQuery versions; Chr that of
# trim_whitespace, which has a BigQuery version.
PORTABLE_FUNCTIONS = {
    "And",
    "Avg",
    "Case",
    "Cast",
    "Chr",
    "Coalesce",
    "Count",
    "Exists",
    "GroupConcat",
    "If",
    "Lower",
    "MD5",
    "Max",
    "Min",
    "Nullif",
    "Or",
    "PercentileCont",
    "RegexpExtract",
    "Replace",
    "Round",
    "RowNumber",
    "Substring",
    "Sum",
    "Trim",
    "TryCast",
    "Anonymous:now",
}
# DuckDB syntax with no counterpart on the common warehouses.
DUCKDB_ONLY_SYNTAX = (exp.Struct, exp.Lambda, exp.Array, exp.Bracket, exp.Filter, exp.Qualify)


def _load_input_tables(database: Path, folder: Path) -> None:
    """The inputs as warehouse tables, typed by DuckDB's CSV sniffer as a loading tool would.

    A later delivery replaces the tables whole (rows of the earlier one first, in their order).
    """
    with duckdb.connect(str(database)) as connection:
        connection.execute(f"create schema if not exists {SOURCE_SCHEMA}")
        for name in INPUT_NAMES:
            path = str(folder / f"{name}.csv").replace("'", "''")
            connection.execute(
                f"create or replace table {SOURCE_SCHEMA}.{name} as "
                f"select * from read_csv('{path}')"
            )


def _deliveries() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """The broken inputs in two deliveries: the first lacks the last 15% of traces, judge scores
    and labels (the defective rows among them), so the refresh meets late traces whose scores
    were rejected as unknown the first time, late verdicts and new defects."""
    everything = _broken_inputs()
    first = {
        name: frame if name == "models" else frame.iloc[: int(len(frame) * 0.85)]
        for name, frame in everything.items()
    }
    return first, everything


def _portable_copy(destination: Path) -> int:
    """A copy of the dbt project in which dispatch finds no ``duckdb__`` macro of the project.

    Returns how many ``duckdb__`` macros were renamed away.
    """
    for name in ("dbt_project.yml", "profiles.yml", "selectors.yml"):
        shutil.copy(PROJECT_DIR / name, destination / name)
    for folder in ("macros", "models", "tests/dbt"):
        shutil.copytree(PROJECT_DIR / folder, destination / folder)
    renamed = 0
    for path in [*destination.glob("macros/**/*.sql"), *destination.glob("models/**/*.sql")]:
        text = path.read_text()
        renamed += len(re.findall(r"macro\s+duckdb__", text))
        path.write_text(text.replace("duckdb__", "disabled_duckdb__"))
    (destination / "macros" / "adapter_safe_cast.sql").write_text(ADAPTER_SAFE_CAST)
    return renamed


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """The broken inputs built three ways (files; tables; tables with the default macros), each
    as a first build and then an incremental refresh on the second delivery.

    Returns the refreshed databases, and as "<way>_first" a copy of each (and of its compiled
    SQL) after its first build.
    """
    root = tmp_path_factory.mktemp("portable")
    project = root / "portable_project"
    project.mkdir()
    renamed = _portable_copy(project)
    # every dispatch macro with a DuckDB version (there are 14); fewer means the copy is wrong
    assert renamed >= 14, renamed
    ways = {
        "files": (PROJECT_DIR, None),
        "tables": (PROJECT_DIR, TABLES_VARS),
        "portable": (project, TABLES_VARS),
    }
    databases = {}
    for number, delivery in enumerate(_deliveries(), start=1):
        inputs = root / f"delivery_{number}"
        demo.write_inputs(delivery, inputs, dict.fromkeys(INPUT_NAMES, "csv"))
        for way, (project_dir, variables) in ways.items():
            database = root / way / f"{way}.duckdb"
            if variables is None:
                variables = {"llm_migration_input_dir": str(inputs)}
            else:
                database.parent.mkdir(exist_ok=True)
                _load_input_tables(database, inputs)
            run_dbt(SQL_LAYER, database, variables, project_dir=project_dir)
            if number == 1:
                # same file name in another folder, so the views' catalog name still resolves
                first = root / f"{way}_first" / database.name
                first.parent.mkdir()
                shutil.copy(database, first)
                compiled = database.parent / "dbt_target" / "compiled"
                shutil.copytree(compiled, first.parent / "dbt_target" / "compiled")
                databases[f"{way}_first"] = first
            databases[way] = database
    return databases


def _tables(database: Path) -> list[str]:
    return sorted(
        query(
            database,
            "select table_name from information_schema.tables "
            "where table_schema = 'main' and table_type = 'BASE TABLE'",
        ).table_name
    )


def _comparable(database: Path, table: str) -> pd.DataFrame:
    frame = query(database, f"select * from {table}")
    frame = frame.drop(columns=[c for c in frame.columns if c in REPRESENTATION_COLUMNS])
    floats = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]
    others = [c for c in frame.columns if c not in floats]
    return frame.sort_values(others + floats, ignore_index=True)


def _assert_same_rows(left: Path, right: Path, float_rtol: float) -> list[str]:
    """Every table of ``left`` has the same rows in ``right`` (floats within float_rtol)."""
    tables = _tables(left)
    assert _tables(right) == tables
    for table in tables:
        expected, observed = _comparable(left, table), _comparable(right, table)
        assert list(observed.columns) == list(expected.columns), table
        assert len(observed) == len(expected), table
        for column in expected.columns:
            if pd.api.types.is_float_dtype(expected[column]):
                np.testing.assert_allclose(
                    observed[column].to_numpy(float),
                    expected[column].to_numpy(float),
                    rtol=float_rtol,
                    err_msg=f"{table}.{column}",
                )
            else:
                pd.testing.assert_series_equal(
                    observed[column], expected[column], check_dtype=False, obj=f"{table}.{column}"
                )
    return tables


@pytest.mark.dbt
def test_tables_mode_gives_the_rows_of_the_files_build(builds):
    _assert_same_rows(builds["files_first"], builds["tables_first"], float_rtol=1e-12)
    tables = _assert_same_rows(builds["files"], builds["tables"], float_rtol=1e-12)
    assert {"int_judgement_counts_aggregated", "rejected_input_rows"} <= set(tables)
    rejects = query(builds["tables"], "select input_name, reason from rejected_input_rows")
    # the broken inputs' defects reached the rejects table from tables too
    assert rejects.groupby("input_name").size().to_dict() == {
        "traces": 10,
        "judge_scores": 7,
        "human_labels": 6,
        "models": 4,
    }
    # ... and the refresh re-checked the scores that arrived before their traces
    unknown = "select count(*) as n from rejected_input_rows where reason like 'unknown trace_id%'"
    assert query(builds["tables_first"], unknown).n.iloc[0] > 100
    assert query(builds["tables"], unknown).n.iloc[0] == 2


@pytest.mark.dbt
def test_default_macros_give_the_rows_of_the_duckdb_versions(builds):
    # The portable build really took the default path: its row digests are md5 text.
    digests = query(builds["portable"], "select distinct typeof(row_hash) as t from base_traces")
    assert digests.t.tolist() == ["VARCHAR"]
    # Same rows; floats only to single precision, because the default double type is
    # dbt.type_float(), 32-bit FLOAT on DuckDB (relative rounding 6e-8 per value).
    _assert_same_rows(builds["tables_first"], builds["portable_first"], float_rtol=1e-6)
    _assert_same_rows(builds["tables"], builds["portable"], float_rtol=1e-6)
    raw = query(builds["portable"], "select raw_row from rejected_input_rows")
    assert raw.raw_row.notna().all()
    assert raw.raw_row.str.contains("trace_id=bad-timestamp; ", regex=False).any()


def _function_name(node: exp.Func) -> str:
    """sqlglot's class for a function it knows; "Anonymous:<name>" for one it does not."""
    if isinstance(node, exp.Anonymous):
        return f"Anonymous:{node.name.lower()}"
    return type(node).__name__


def _non_portable_sql(target: Path) -> dict[str, set[str]]:
    """Functions outside PORTABLE_FUNCTIONS and DuckDB-only syntax, per compiled SQL file."""
    found: dict[str, set[str]] = {}
    files = sorted((target / "compiled").rglob("*.sql"))
    assert len(files) > 50, "no compiled SQL found"
    for path in files:
        tree = sqlglot.parse_one(path.read_text(), read="duckdb")
        names = {_function_name(node) for node in tree.find_all(exp.Func)}
        problems = names - PORTABLE_FUNCTIONS
        problems |= {type(node).__name__ for node in tree.find_all(*DUCKDB_ONLY_SYNTAX)}
        if problems:
            found[path.name] = problems
    return found


@pytest.mark.dbt
def test_portable_sql_uses_only_functions_of_the_common_warehouses(builds):
    # On failure: move the construct into a dispatch macro with a duckdb__ version, or add it to
    # PORTABLE_FUNCTIONS once Snowflake, BigQuery, Postgres and Databricks are known to have it.
    for build in ("portable_first", "portable"):  # full and incremental branches
        assert _non_portable_sql(builds[build].parent / "dbt_target") == {}, build
    # The check does see DuckDB's own functions: the standard build uses them on purpose.
    duckdb_only = set().union(*_non_portable_sql(builds["tables"].parent / "dbt_target").values())
    assert {"Anonymous:hash", "Anonymous:bitstring_agg", "Anonymous:to_json"} <= duckdb_only


def _dispatched_names(folder: Path, prefixes: str) -> set[str]:
    """Names X of the macros <prefix>__X defined in the .sql files under ``folder``."""
    pattern = re.compile(rf"macro\s+(?:{prefixes})__(\w+)\s*\(")
    return {name for path in folder.rglob("*.sql") for name in pattern.findall(path.read_text())}


def test_no_project_macro_answers_dbts_own_dispatch():
    """dbt looks for an adapter's version of its own macros (dbt.safe_cast, dbt.hash, ...) in the
    root project first, so a project macro named like one of them overrides dbt's for every
    package, and a default__ version that calls dbt's macro calls itself (as safe_cast once did
    on every adapter but DuckDB)."""
    ours = _dispatched_names(PROJECT_DIR / "macros", r"\w+?")
    dbts = _dispatched_names(Path(dbt.include.global_project.__file__).parent, "default")
    dbts |= _dispatched_names(Path(dbt.include.duckdb.__file__).parent, "duckdb")
    assert "safe_cast" in dbts and {"cast_or_null", "percentile"} <= ours  # the scan works
    assert ours & dbts == set()
