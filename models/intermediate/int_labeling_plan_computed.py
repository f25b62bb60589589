"""Where more human labels would settle an unsettled candidate, and about how many.

Thin: the method (variance scaling from the posterior) lives in llm_migration.gates.plan_labels.
"""

from llm_migration.dbt_support import config_literal, reuse_or_compute
from llm_migration.gates import GatePolicy, plan_labels
from llm_migration.gates.judge_consistency import judge_consistency_checks


def model(dbt, session):
    dbt.config(materialized="table")
    gates = dbt.config.get("gates")
    metrics = dbt.config.get("metrics")
    hdi_prob = dbt.config.get("hdi_prob")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        policy = GatePolicy.from_vars(config_literal(gates, {}), config_literal(metrics, {}))
        # A region the judge check held is planned on its labels as the gate read them.
        judge_checks = None
        if policy.judge_region_check_alpha is not None:
            primary = dbt.ref("int_primary_judges").df()
            judge_checks = judge_consistency_checks(
                dbt.ref("int_judgement_counts_aggregated").df(),
                dict(zip(primary["metric"], primary["judge_id"], strict=True)),
            )
        return plan_labels(
            dbt.ref("int_gate_results_evaluated").df(),
            dbt.ref("int_migration_verdicts_decided").df(),
            dbt.ref("int_model_comparisons_computed").df(),
            dbt.ref("int_quality_posteriors_summarised").df(),
            policy,
            hdi_prob=float(config_literal(hdi_prob, 0.95)),
            judge_checks=judge_checks,
            run_id=run_id,
        )

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
