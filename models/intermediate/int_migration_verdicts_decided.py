"""One verdict per candidate: block if any gate fails, else needs_more_labels if any gate is
inconclusive, else ship.

Thin: the rule lives in llm_migration.gates.decide_verdicts.
"""

from llm_migration.dbt_support import config_literal, reuse_or_compute
from llm_migration.gates import GatePolicy, decide_verdicts


def model(dbt, session):
    dbt.config(materialized="table")
    gates = dbt.config.get("gates")
    metrics = dbt.config.get("metrics")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        policy = GatePolicy.from_vars(config_literal(gates, {}), config_literal(metrics, {}))
        return decide_verdicts(
            dbt.ref("int_gate_results_evaluated").df(),
            dbt.ref("int_evaluated_models").df(),
            required_gate_ids=policy,
            run_id=run_id,
        )

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
