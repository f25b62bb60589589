"""The package version is stated in four places; run_id depends on it, so they must agree."""

from __future__ import annotations

import re
import tomllib

import llm_migration
from conftest import PROJECT_DIR


def test_versions_agree():
    pyproject = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())["project"]["version"]
    dbt_project = re.search(
        r'^version:\s*"([^"]+)"', (PROJECT_DIR / "dbt_project.yml").read_text(), re.M
    )
    macro = re.search(
        r"return\('([^']+)'\)", (PROJECT_DIR / "macros" / "fingerprinted_settings.sql").read_text()
    )
    assert pyproject == dbt_project.group(1) == macro.group(1) == llm_migration.__version__
