"""Shared fixtures: real dbt builds against real DuckDB files in temporary folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
DEMO_DIR = PROJECT_DIR / "data" / "demo"
DBT = str(Path(sys.executable).parent / "dbt")

# Small sampler settings for builds in tests; the statistical tests that need more draws set
# their own.
FAST_FIT_VARS = {"llm_migration_draws": 300, "llm_migration_tune": 300, "llm_migration_chains": 2}


def run_dbt(
    args: list[str],
    database: Path,
    variables: dict | None = None,
    check: bool = True,
    project_dir: Path = PROJECT_DIR,
) -> subprocess.CompletedProcess:
    """Run the real dbt CLI on this project (or a copy of it) with its own DuckDB file."""
    database.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, LLM_MIGRATION_DB=str(database), DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    command = [DBT, *args, "--target-path", str(database.parent / "dbt_target")]
    if variables:
        command += ["--vars", json.dumps(variables)]
    result = subprocess.run(
        command, cwd=project_dir, env=env, capture_output=True, text=True, timeout=1800
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({result.returncode}):\n"
            f"{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
        )
    return result


def query(database: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.sql(sql).df()


@pytest.fixture(scope="session")
def demo_truth() -> dict[str, pd.DataFrame]:
    truth_dir = DEMO_DIR / "truth"
    return {path.stem: pd.read_csv(path) for path in truth_dir.glob("*.csv")}


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory) -> Path:
    """One full `dbt build` of the bundled demo, shared by the end-to-end tests."""
    database = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    run_dbt(["build"], database)
    return database
