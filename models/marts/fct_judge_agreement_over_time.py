"""Judge agreement with humans per judge x metric x ISO week, and the drift flag on the latest week.

Thin wrapper: the rule lives in llm_migration.drift (tested with pytest). Settings come from the
model's YAML config (vars cannot be read in Python models); run_id is stamped by a post-hook
(see _marts__drift.yml).
"""

from llm_migration.drift import DriftConfig, judge_agreement_over_time

PAIR_COLUMNS = "judge_id, metric, is_judge_positive, is_human_positive, scored_at, created_at"


def model(dbt, session):
    dbt.config(materialized="table")
    tolerance = dbt.config.get("drift_tolerance")
    probability = dbt.config.get("drift_probability")

    # Only human-labelled pairs leave the warehouse: a few thousand rows, not every verdict.
    pairs = (
        dbt.ref("int_judgements_joined_to_labels")
        .filter("judge_id is not null and is_human_positive is not null")
        .project(PAIR_COLUMNS)
        .df()
    )
    config = DriftConfig(tolerance=float(tolerance), probability=float(probability))
    return judge_agreement_over_time(pairs, config)
