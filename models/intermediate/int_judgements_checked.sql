{#-
    Every judge_scores row with the reason it is rejected (null when kept): row-level problems, an
    unknown or rejected trace, conflicting verdicts for one trace, metric and judge_id (all
    rejected), or exact duplicates (later copies rejected). Incremental by trace: a refresh
    parses and checks only the rows of traces with a new or changed row; see the macro
    check_verdict_rows.

    The verdict text itself is not kept (is_judge_positive is what it says; a rejected row's text
    is in raw_row): whole judge outputs made it the widest column to write.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='refresh_key',
    on_schema_change='fail',
    post_hook="{{ llm_migration.drop_superseded_rows() }}",
) }}
{{ llm_migration.check_verdict_rows(
    staging=ref('stg_judge_scores__judgements'),
    base=ref('base_judge_scores'),
    stage=llm_migration.stage_judge_scores,
    input_name='judge_scores',
    actor_column='judge_id',
    value_column='is_judge_positive',
    conflict_reason='conflicting judgements for the same trace, metric and judge',
    duplicate_reason='duplicate judgement for the same trace, metric and judge',
    columns=['is_judge_positive', 'scored_at'],
) }}
