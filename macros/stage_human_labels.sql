{% macro stage_human_labels(source_relation) %}
    {#-
        The body of stg_human_labels__labels: parse, normalise and check every row of
        source_relation (base_human_labels in the staging model). A macro so that an
        incremental refresh of the checked model parses only the rows in scope with exactly the
        staging model's logic (check_verdict_rows).
    -#}
with

source as (

    select * from {{ source_relation }}

),

tokenised as (

    {#-
        The costly expressions once per row; everything below reads these columns. A typed input
        delivers labeled_at_value (and null text): it is taken as it is, not parsed.
    -#}
    select
        *,
        {{ llm_migration.normalise_metric('metric') }} as metric_name,
        {{ llm_migration.verdict_token('label') }} as label_token,
        coalesce(labeled_at_value, {{ llm_migration.parse_timestamp("nullif(trim(labeled_at), '')") }}) as labeled_at_utc
    from source

),

parsed as (

    select
        *,
        {{ llm_migration.verdict_from_token('label_token', 'metric_name') }} as is_label_positive
    from tokenised

),

renamed as (

    select
        source_row_number,
        row_hash,
        source_row,
        nullif(trim(trace_id), '') as trace_id,
        metric_name as metric,
        nullif(trim(annotator_id), '') as annotator_id,
        label as label_text,
        is_label_positive as is_human_positive,
        labeled_at_utc as labeled_at,
        case
            when nullif(trim(trace_id), '') is null then 'missing required value: trace_id'
            when nullif(trim(metric), '') is null then 'missing required value: metric'
            when nullif(trim(annotator_id), '') is null then 'missing required value: annotator_id'
            when not {{ llm_migration.is_one_of('metric_name', llm_migration.metric_names()) }}
                then {{ dbt.concat(["'unknown metric: '", "substr(metric, 1, 80)", "' (configured: " ~ llm_migration.metric_names() | join(', ') ~ ")'"]) }}
            when nullif(trim(label), '') is null then 'missing required value: label'
            when is_label_positive is null
                then {{ dbt.concat(["'label cannot be read as a '", "metric_name", "' label: '", "substr(label, 1, 80)"]) }}
            when nullif(trim(labeled_at), '') is not null and labeled_at_utc is null
                then {{ dbt.concat(["'labeled_at is not a timestamp: '", "substr(labeled_at, 1, 80)"]) }}
        end as row_issue

    from parsed

)

select * from renamed
{% endmacro %}
