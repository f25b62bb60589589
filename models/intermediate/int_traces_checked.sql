{#- Every traces row with the reason it is rejected (null when kept). -#}
with

traces as (

    select * from {{ ref('stg_traces__traces') }}

),

models as (

    select model_id from {{ ref('int_models_checked') }}
    where rejection_reason is null

),

fingerprinted as (

    select
        traces.*,
        {{ dbt.hash(dbt.concat([
            "coalesce(model_id, '')", "'|'",
            "coalesce(region, '')", "'|'",
            "coalesce(cast(created_at as " ~ dbt.type_string() ~ "), '')", "'|'",
            "coalesce(item_id, '')", "'|'",
            "coalesce(task_type, '')", "'|'",
            "coalesce(cast(latency_ms as " ~ dbt.type_string() ~ "), '')", "'|'",
            "coalesce(cast(input_tokens as " ~ dbt.type_string() ~ "), '')", "'|'",
            "coalesce(cast(output_tokens as " ~ dbt.type_string() ~ "), '')", "'|'",
            "coalesce(cast(cost_usd as " ~ dbt.type_string() ~ "), '')", "'|'",
            "coalesce(status, '')",
        ])) }} as content_hash,
        row_number() over (partition by trace_id order by source_row_number) as copy_number
    from traces

),

versions as (

    select
        trace_id,
        count(distinct content_hash) as n_versions
    from fingerprinted
    where row_issue is null
    group by trace_id

)

select
    fingerprinted.source_row_number,
    fingerprinted.raw_row,
    fingerprinted.trace_id,
    fingerprinted.model_id,
    fingerprinted.region,
    fingerprinted.created_at,
    fingerprinted.item_id,
    fingerprinted.task_type,
    fingerprinted.latency_ms,
    fingerprinted.input_tokens,
    fingerprinted.output_tokens,
    fingerprinted.cost_usd,
    fingerprinted.status,
    fingerprinted.is_error,
    case
        when fingerprinted.row_issue is not null then fingerprinted.row_issue
        when models.model_id is null
            then {{ dbt.concat(["'unknown model_id: '", "fingerprinted.model_id", "' (not in the models input)'"]) }}
        when versions.n_versions > 1
            then 'trace_id appears more than once with conflicting content'
        when fingerprinted.copy_number > 1 then 'exact duplicate of an earlier row for this trace_id'
    end as rejection_reason
from fingerprinted
left join models
    on fingerprinted.model_id = models.model_id
left join versions
    on fingerprinted.trace_id = versions.trace_id
