"""One row per fit: convergence diagnostics and whether gates may trust it.

Thin: the computation lives in llm_migration.posteriors.sampler_diagnostics.
"""

from llm_migration.dbt_support import reuse_or_compute
from llm_migration.posteriors import sampler_diagnostics


def model(dbt, session):
    dbt.config(materialized="table")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        return sampler_diagnostics(dbt.ref("int_posterior_draws").df())

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute)
