"""A candidate without any human label, end to end: real dbt, DuckDB and PyMC sampling.

The bundled demo with every human label of cand-steady removed. Its judge error can only be
borrowed from the other models, so its true rates must come out with wide intervals that still
cover the generator's truth; the fit must stay trustworthy, so that the other candidates are
decided on their evidence instead of failing closed because of it.
"""

from __future__ import annotations

import pytest

from conftest import query, run_dbt
from llm_migration import demo

pytestmark = pytest.mark.dbt

UNLABELLED = "cand-steady"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    inputs, truth = demo.generate()
    traces = inputs["traces"]
    theirs = set(traces.loc[traces["model_id"] == UNLABELLED, "trace_id"])
    labels = inputs["human_labels"]
    inputs = {**inputs, "human_labels": labels[~labels["trace_id"].isin(theirs)]}
    assert len(inputs["human_labels"]) < len(labels)
    folder = tmp_path_factory.mktemp("unlabelled")
    demo.write_inputs(inputs, folder / "inputs")
    database = folder / "warehouse.duckdb"
    # the build's own sampler settings (4 chains x 1000 + 1000), as a user would run it
    run_dbt(["build"], database, {"llm_migration_input_dir": str(folder / "inputs")})
    return database, truth


def test_fit_is_trusted_and_the_unlabelled_candidate_was_resampled(build):
    database, _ = build
    diagnostics = query(database, "select * from fct_sampler_diagnostics").iloc[0]
    assert diagnostics.is_trusted, diagnostics.untrusted_reason
    importance = query(
        database,
        "select model_id, metric, median(value) as median_ess, count(*) as n "
        "from int_posterior_draws where quantity = 'importance_ess' group by all",
    )
    assert set(importance["model_id"]) == {UNLABELLED}
    assert set(importance["metric"]) == set(demo.METRICS)
    assert (importance["n"] == diagnostics.chains * diagnostics.draws).all()
    assert (importance["median_ess"] >= 10).all(), importance


def test_unlabelled_candidate_gets_wide_intervals_that_cover_its_truth(build):
    database, truth = build
    posteriors = query(database, "select * from fct_quality_posteriors where region != 'ALL'")
    merged = posteriors.merge(
        truth["true_rates"], on=["model_id", "region", "metric"], validate="one_to_one"
    )
    merged["width"] = merged["hdi_high"] - merged["hdi_low"]
    merged["covered"] = (merged.hdi_low <= merged.true_rate) & (merged.true_rate <= merged.hdi_high)
    mine = merged[merged["model_id"] == UNLABELLED]
    assert len(mine) == 18 and (mine["n_human_labeled"] == 0).all()
    # 18 cells at nominal 95%: P(Binomial(18, 0.95) <= 14) = 0.011
    assert mine["covered"].sum() >= 15, mine[["region", "metric", "posterior_mean", "true_rate"]]
    labelled = merged[merged["model_id"] != UNLABELLED]
    assert labelled["covered"].mean() >= 0.90
    # borrowed judge error: honest, so wider than for the labelled models, but still informative
    assert mine["width"].mean() > 1.5 * labelled["width"].mean()
    assert mine["width"].mean() < 0.6


def test_other_candidates_are_decided_on_their_own_evidence(build):
    database, truth = build
    verdicts = query(database, "select * from fct_migration_verdicts").set_index(
        "candidate_model_id"
    )
    assert verdicts.loc[UNLABELLED, "verdict"] == "needs_more_labels"
    assert verdicts.loc["cand-regional", "verdict"] == "block"
    assert verdicts.loc["cand-flattered", "verdict"] != "ship"
    convergence = query(
        database, "select * from fct_gate_results where gate_id = 'sampler_convergence'"
    ).set_index("candidate_model_id")
    assert (convergence["status"] == "pass").all(), convergence["reason"]
    coverage = query(
        database,
        "select * from fct_gate_results where gate_id = 'human_label_coverage' "
        f"and candidate_model_id = '{UNLABELLED}'",
    )
    assert len(coverage) and (coverage["status"] == "inconclusive").all()
