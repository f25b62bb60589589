"""Posterior summary of the true rate per model x region x metric (region ALL: traffic-weighted).

Thin: the computation lives in llm_migration.posteriors.summarise_quality.
"""

from llm_migration.dbt_support import config_literal, reuse_or_compute
from llm_migration.posteriors import summarise_quality


def model(dbt, session):
    dbt.config(materialized="table")
    hdi_prob = dbt.config.get("hdi_prob")
    metrics = dbt.config.get("metrics")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        judges = dbt.ref("int_primary_judges").df()
        return summarise_quality(
            dbt.ref("int_posterior_draws").df(),
            dbt.ref("int_judgement_counts_aggregated").df(),
            dbt.ref("int_region_traffic_weights").df(),
            dbt.ref("int_evaluated_models").df(),
            hdi_prob=float(config_literal(hdi_prob, 0.95)),
            # the judge the fit used, also when llm_migration_primary_judge names one
            primary_judge=dict(zip(judges["metric"], judges["judge_id"], strict=True)),
        )

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
