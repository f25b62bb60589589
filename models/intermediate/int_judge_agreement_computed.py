"""Computes fct_judge_agreement_over_time: judge-human agreement per judge x metric x ISO week
and the drift flag on the latest week.

Thin: the rule lives in llm_migration.drift. Settings come from the model's YAML config (vars
cannot be read in Python models).
"""

from llm_migration.dbt_support import config_literal, reuse_or_compute
from llm_migration.drift import DriftConfig, judge_agreement_over_time

PAIR_COLUMNS = "judge_id, metric, is_judge_positive, is_human_positive, scored_at, created_at"


def model(dbt, session):
    dbt.config(materialized="table")
    tolerance = dbt.config.get("drift_tolerance")
    probability = dbt.config.get("drift_probability")
    min_pairs = dbt.config.get("drift_min_pairs")
    reuse = dbt.config.get("reuse")

    def compute(run_id):
        # Only human-labelled pairs leave the warehouse: a few thousand rows, not every verdict.
        pairs = (
            dbt.ref("int_judgements_joined_to_labels")
            .filter("judge_id is not null and is_human_positive is not null")
            .project(PAIR_COLUMNS)
            .df()
        )
        config = DriftConfig(
            tolerance=float(config_literal(tolerance, 0.05)),
            probability=float(config_literal(probability, 0.95)),
            min_pairs=int(config_literal(min_pairs, 20)),
        )
        return judge_agreement_over_time(pairs, config, run_id=run_id)

    fingerprint = dbt.ref("int_run_fingerprint")
    return reuse_or_compute(session, dbt.this, fingerprint, reuse, compute, dbt.config)
