with

source as (

    select * from {{ ref('base_judge_scores') }}

),

renamed as (

    select
        source_row_number,
        raw_row,
        nullif(trim(trace_id), '') as trace_id,
        {{ llm_migration.normalise_metric('metric') }} as metric,
        nullif(trim(judge_id), '') as judge_id,
        judgement as judgement_text,
        {{ llm_migration.parse_verdict('judgement', llm_migration.normalise_metric('metric')) }} as is_judge_positive,
        {{ llm_migration.parse_timestamp("nullif(trim(scored_at), '')") }} as scored_at,
        case
            when nullif(trim(trace_id), '') is null then 'missing required value: trace_id'
            when nullif(trim(metric), '') is null then 'missing required value: metric'
            when nullif(trim(judge_id), '') is null then 'missing required value: judge_id'
            when {{ llm_migration.normalise_metric('metric') }} not in (
                {%- for m in llm_migration.metric_names() %}'{{ m }}'{{ ", " if not loop.last }}{% endfor -%}
            )
                then {{ dbt.concat(["'unknown metric: '", "substr(metric, 1, 80)", "' (configured: " ~ llm_migration.metric_names() | join(', ') ~ ")'"]) }}
            when nullif(trim(judgement), '') is null then 'missing required value: judgement'
            when {{ llm_migration.parse_verdict('judgement', llm_migration.normalise_metric('metric')) }} is null
                then {{ dbt.concat(["'judgement cannot be read as a '", llm_migration.normalise_metric('metric'), "' verdict: '", "substr(judgement, 1, 80)"]) }}
            when nullif(trim(scored_at), '') is not null
                and {{ llm_migration.parse_timestamp("nullif(trim(scored_at), '')") }} is null
                then {{ dbt.concat(["'scored_at is not a timestamp: '", "substr(scored_at, 1, 80)"]) }}
        end as row_issue

    from source

)

select * from renamed
