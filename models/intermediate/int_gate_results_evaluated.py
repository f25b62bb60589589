"""Every release gate for every candidate: one row per candidate x gate x scope.

Thin: the gates live in llm_migration.gates (policy from var llm_migration_gates).
"""

from llm_migration.dbt_support import config_literal, reuse_or_compute
from llm_migration.gates import GatePolicy, evaluate_gates
from llm_migration.gates.judge_consistency import judge_consistency_checks


def model(dbt, session):
    dbt.config(materialized="table")
    gates = dbt.config.get("gates")
    metrics = dbt.config.get("metrics")
    random_seed = dbt.config.get("random_seed")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        policy = GatePolicy.from_vars(config_literal(gates, {}), config_literal(metrics, {}))
        models = dbt.ref("int_evaluated_models").df()
        # Ids as categories: at 5.3M traces, text columns took longer to fetch and compare
        # than the bootstrap itself.
        systems_traces = (
            dbt.ref("int_traces_checked")
            .filter("rejection_reason is null")
            .project("model_id, region, latency_ms, cost_usd, is_error")
            .to_arrow_table()
            .to_pandas(strings_to_categorical=True)
        )
        systems_traces = systems_traces[systems_traces["model_id"].isin(models["model_id"])]
        traffic = dbt.ref("int_region_traffic_weights").df()
        # The fit's draws of the primary judge's error rates per model (the judge whose
        # verdicts the task-type counts hold), for the task-type gate.
        primary = dbt.ref("int_primary_judges").df()
        primary = set(zip(primary["metric"], primary["judge_id"], strict=True))
        error_rates = (
            dbt.ref("int_posterior_draws")
            .filter("quantity in ('sensitivity', 'specificity')")
            .project("model_id, metric, judge_id, chain, draw, quantity, value")
            .df()
        )
        keep = [
            pair in primary
            for pair in zip(error_rates["metric"], error_rates["judge_id"], strict=True)
        ]
        error_rates = error_rates[keep].drop(columns="judge_id")
        # Does the primary judge err in each region as in the model's other regions? Read from
        # the labelled pairs the fit reads; a region where it favours the candidate is held.
        judge_checks = None
        if policy.judge_region_check_alpha is not None:
            judge_checks = judge_consistency_checks(
                dbt.ref("int_judgement_counts_aggregated").df(), dict(primary)
            )
        # The primary judges' latest week of the drift table: a flagged one holds its metric.
        judge_drift = None
        if policy.hold_on_judge_drift:
            latest = dbt.ref("int_judge_agreement_computed").filter("is_latest_week").df()
            keep = [
                pair in primary
                for pair in zip(latest["metric"], latest["judge_id"], strict=True)
            ]
            judge_drift = latest[keep]
        calibration = error_rates.pivot(
            index=["model_id", "metric", "chain", "draw"], columns="quantity", values="value"
        ).reset_index()
        for quantity in ("sensitivity", "specificity"):
            if quantity not in calibration.columns:  # no draws at all: an empty frame
                calibration[quantity] = []
        return evaluate_gates(
            dbt.ref("int_model_comparisons_computed").df(),
            dbt.ref("int_quality_posteriors_summarised").df(),
            dbt.ref("int_sampler_diagnostics_computed").df(),
            systems_traces,
            dbt.ref("int_task_type_counts_aggregated").df(),
            models,
            policy,
            run_id=run_id,
            traffic_mix=dict(zip(traffic["region"], traffic["traffic_share"], strict=True)),
            random_seed=int(config_literal(random_seed, 20261122)),
            calibration=calibration,
            judge_checks=judge_checks,
            judge_drift=judge_drift,
        )

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
