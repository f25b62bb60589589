"""Judge sensitivity and specificity per judge x metric x model, and observed agreement with humans.

Thin: the computation lives in llm_migration.posteriors.summarise_judge_calibration.
"""

from llm_migration.dbt_support import config_literal, reuse_or_compute
from llm_migration.posteriors import summarise_judge_calibration


def model(dbt, session):
    dbt.config(materialized="table")
    hdi_prob = dbt.config.get("hdi_prob")
    metrics = dbt.config.get("metrics")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        return summarise_judge_calibration(
            dbt.ref("int_posterior_draws").df(),
            dbt.ref("int_judgement_counts_aggregated").df(),
            hdi_prob=float(config_literal(hdi_prob, 0.95)),
        )

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
