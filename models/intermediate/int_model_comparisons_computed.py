"""Each candidate against the incumbent per region and overall, oriented so positive is better.

Thin: the computation lives in llm_migration.posteriors.compare_to_incumbent.
"""

from llm_migration.dbt_support import config_literal, reuse_or_compute
from llm_migration.posteriors import compare_to_incumbent


def model(dbt, session):
    dbt.config(materialized="table")
    hdi_prob = dbt.config.get("hdi_prob")
    metrics = dbt.config.get("metrics")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        judges = dbt.ref("int_primary_judges").df()
        return compare_to_incumbent(
            dbt.ref("int_posterior_draws").df(),
            dbt.ref("int_region_traffic_weights").df(),
            dbt.ref("int_evaluated_models").df(),
            config_literal(metrics),
            hdi_prob=float(config_literal(hdi_prob, 0.95)),
            counts=dbt.ref("int_judgement_counts_aggregated").df(),
            primary_judge=dict(zip(judges["metric"], judges["judge_id"], strict=True)),
        )

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
