{% macro stage_judge_scores(source_relation) %}
    {#-
        The body of stg_judge_scores__judgements: parse, normalise and check every row of
        source_relation (base_judge_scores in the staging model). A macro so that an
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
        delivers scored_at_value (and null text): it is taken as it is, not parsed.
    -#}
    select
        *,
        {{ llm_migration.normalise_metric('metric') }} as metric_name,
        {{ llm_migration.verdict_token('judgement') }} as judgement_token,
        coalesce(scored_at_value, {{ llm_migration.parse_timestamp("nullif(trim(scored_at), '')") }}) as scored_at_utc
    from source

),

parsed as (

    select
        *,
        {{ llm_migration.verdict_from_token('judgement_token', 'metric_name') }} as is_verdict_positive
    from tokenised

),

renamed as (

    select
        source_row_number,
        row_hash,
        source_row,
        nullif(trim(trace_id), '') as trace_id,
        metric_name as metric,
        nullif(trim(judge_id), '') as judge_id,
        judgement as judgement_text,
        is_verdict_positive as is_judge_positive,
        scored_at_utc as scored_at,
        case
            when nullif(trim(trace_id), '') is null then 'missing required value: trace_id'
            when nullif(trim(metric), '') is null then 'missing required value: metric'
            when nullif(trim(judge_id), '') is null then 'missing required value: judge_id'
            when not {{ llm_migration.is_one_of('metric_name', llm_migration.metric_names()) }}
                then {{ dbt.concat(["'unknown metric: '", "substr(metric, 1, 80)", "' (configured: " ~ llm_migration.metric_names() | join(', ') ~ ")'"]) }}
            when nullif(trim(judgement), '') is null then 'missing required value: judgement'
            when is_verdict_positive is null
                then {{ dbt.concat(["'judgement cannot be read as a '", "metric_name", "' verdict: '", "substr(judgement, 1, 80)"]) }}
            when nullif(trim(scored_at), '') is not null and scored_at_utc is null
                then {{ dbt.concat(["'scored_at is not a timestamp: '", "substr(scored_at, 1, 80)"]) }}
        end as row_issue

    from parsed

)

select * from renamed
{% endmacro %}
