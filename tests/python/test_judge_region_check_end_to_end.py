"""A judge lenient with one candidate in one region, end to end: real dbt, DuckDB and PyMC.

The fit shares each model's judge error rates across regions, so a judge that calls every
answer of cand-steady in eu-west correct lifts that cell's estimated rate unseen. The regional
gate must not take that region on the fit's word: the build's per-region check of the labelled
pairs (``llm_migration.gates.judge_consistency``) names the judge's leniency in the gate's reason,
and only the region's human labels may clear it.
"""

from __future__ import annotations

import pytest

from conftest import FAST_FIT_VARS, query, run_dbt
from llm_migration import demo

pytestmark = pytest.mark.dbt

CANDIDATE, REGION, METRIC = "cand-steady", "eu-west", "correctness"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    inputs, _ = demo.generate()
    traces = inputs["traces"]
    cell = set(
        traces.loc[(traces["model_id"] == CANDIDATE) & (traces["region"] == REGION), "trace_id"]
    )
    scores = inputs["judge_scores"].copy()
    lenient = scores["trace_id"].isin(cell) & (scores["metric"] == METRIC)
    scores.loc[lenient, "judgement"] = "correct"
    folder = tmp_path_factory.mktemp("lenient")
    demo.write_inputs({**inputs, "judge_scores": scores}, folder / "inputs")
    database = folder / "warehouse.duckdb"
    run_dbt(
        ["build"], database, {"llm_migration_input_dir": str(folder / "inputs"), **FAST_FIT_VARS}
    )
    return database, int(lenient.sum())


def test_the_lenient_region_is_decided_by_its_labels_not_the_fit(build):
    database, n_lenient = build
    assert n_lenient > 100
    gate = query(
        database,
        f"select status, reason from fct_gate_results where candidate_model_id = '{CANDIDATE}' "
        f"and gate_id = 'regional_regression' and region = '{REGION}' and metric = '{METRIC}'",
    ).iloc[0]
    # Every human negative of the cell is judged positive, against about 16% elsewhere: the
    # check cannot miss it (p far below 0.01 with the demo's labels there).
    assert f"the judge favours {CANDIDATE} in {REGION} against its other regions" in gate.reason
    assert f"{REGION}'s human labels alone" in gate.reason
    # The labels alone decide: a pass says they cleared it, anything else is not a pass. With an
    # untrusted fit (FAST_FIT_VARS: r_hat 1.02 here) the gate is held open whatever they say,
    # and its reason quotes what the draws would have said: the test passed only because the
    # labels gave 0.22, not <= 0.20.
    if gate.reason.startswith("not decided: the posterior fit is not trusted"):
        assert gate.status == "inconclusive"
    else:
        assert (gate.status == "pass") == ("so the labels clear it" in gate.reason)


def test_regions_where_the_judge_errs_alike_are_not_held(build):
    database, _ = build
    held = query(
        database,
        "select candidate_model_id, region, metric from fct_gate_results "
        "where gate_id = 'regional_regression' and reason like '%against its other regions%'",
    )
    # Only the planted cell (the other 53 regional gates see a judge that errs alike in every
    # region; at p < 0.01 each, about 0.5 false holds are expected in all).
    assert len(held) <= 2
    assert ((held.region == REGION) & (held.metric == METRIC)).any()
