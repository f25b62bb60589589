{#-
    Every human_labels row with the reason it is rejected (null when kept): row-level problems, an
    unknown or rejected trace, conflicting labels by one annotator for one trace and metric (all
    rejected), or exact duplicates (later copies rejected). Incremental by trace;
    see the macro check_verdict_rows.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='refresh_key',
    on_schema_change='fail',
    post_hook="{{ llm_migration.drop_superseded_rows() }}",
) }}
{{ llm_migration.check_verdict_rows(
    staging=ref('stg_human_labels__labels'),
    base=ref('base_human_labels'),
    stage=llm_migration.stage_human_labels,
    input_name='human_labels',
    actor_column='annotator_id',
    value_column='is_human_positive',
    conflict_reason='the same annotator gave conflicting labels for this trace and metric',
    duplicate_reason='duplicate label by the same annotator for this trace and metric',
    columns=['label_text', 'is_human_positive', 'labeled_at'],
) }}
