with

source as (

    select * from {{ ref('base_human_labels') }}

),

renamed as (

    select
        source_row_number,
        raw_row,
        nullif(trim(trace_id), '') as trace_id,
        {{ llm_migration.normalise_metric('metric') }} as metric,
        nullif(trim(annotator_id), '') as annotator_id,
        label as label_text,
        {{ llm_migration.parse_verdict('label', llm_migration.normalise_metric('metric')) }} as is_human_positive,
        {{ llm_migration.parse_timestamp("nullif(trim(labeled_at), '')") }} as labeled_at,
        case
            when nullif(trim(trace_id), '') is null then 'missing required value: trace_id'
            when nullif(trim(metric), '') is null then 'missing required value: metric'
            when nullif(trim(annotator_id), '') is null then 'missing required value: annotator_id'
            when {{ llm_migration.normalise_metric('metric') }} not in (
                {%- for m in llm_migration.metric_names() %}'{{ m }}'{{ ", " if not loop.last }}{% endfor -%}
            )
                then {{ dbt.concat(["'unknown metric: '", "substr(metric, 1, 80)", "' (configured: " ~ llm_migration.metric_names() | join(', ') ~ ")'"]) }}
            when nullif(trim(label), '') is null then 'missing required value: label'
            when {{ llm_migration.parse_verdict('label', llm_migration.normalise_metric('metric')) }} is null
                then {{ dbt.concat(["'label cannot be read as a '", llm_migration.normalise_metric('metric'), "' label: '", "substr(label, 1, 80)"]) }}
            when nullif(trim(labeled_at), '') is not null
                and {{ llm_migration.parse_timestamp("nullif(trim(labeled_at), '')") }} is null
                then {{ dbt.concat(["'labeled_at is not a timestamp: '", "substr(labeled_at, 1, 80)"]) }}
        end as row_issue

    from source

)

select * from renamed
