"""The dbt docs describe the tables as they are built: `dbt docs generate` on the demo warehouse."""

from __future__ import annotations

import json

import pytest

from conftest import run_dbt

# What dashboards and users read (marts, the rejects table) and the contract-shaped staging
# views: every column documented. Intermediate models document the columns worth explaining.
FULLY_DOCUMENTED_PREFIXES = ("fct_", "stg_", "rejected_input_rows")


@pytest.fixture(scope="module")
def docs(demo_build) -> tuple[dict, dict]:
    """dbt's manifest and catalog (the columns the warehouse really has) for the demo build."""
    run_dbt(["docs", "generate"], demo_build)
    target = demo_build.parent / "dbt_target"
    manifest = json.loads((target / "manifest.json").read_text())
    catalog = json.loads((target / "catalog.json").read_text())
    return manifest, catalog


@pytest.mark.dbt
def test_every_documented_column_exists_and_every_model_is_described(docs):
    manifest, catalog = docs
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "llm_migration"
    }
    assert len(models) >= 40
    for uid, node in models.items():
        assert node["description"].strip(), f"{node['name']}: no description"
        assert uid in catalog["nodes"], f"{node['name']}: not in the warehouse"
        built = {column.lower() for column in catalog["nodes"][uid]["columns"]}
        documented = {column.lower() for column in node["columns"]}
        assert documented <= built, f"{node['name']} documents missing columns {documented - built}"


@pytest.mark.dbt
def test_user_facing_tables_document_every_column(docs):
    manifest, catalog = docs
    checked = 0
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or not node["name"].startswith(
            FULLY_DOCUMENTED_PREFIXES
        ):
            continue
        built = {column.lower() for column in catalog["nodes"][uid]["columns"]}
        documented = {
            name.lower() for name, column in node["columns"].items() if column["description"]
        }
        assert built <= documented, f"{node['name']}: undocumented columns {built - documented}"
        checked += 1
    assert checked >= 12  # the marts, the staging views and the rejects table
