{#-
    Every traces row with the reason it is rejected (null when kept).

    Incremental: a refresh recomputes only the trace_ids that have a new or changed input row, or
    whose model's row in the models input changed; every row of such a trace_id is recomputed
    together, so duplicate checks see all copies. refreshed_at tells downstream models which
    rows changed.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='trace_key',
    on_schema_change='fail',
) }}
{{ llm_migration.assert_input_not_shrunk(ref('stg_traces__traces'), 'traces') }}

with

traces as (

    select
        *,
        coalesce(trace_id, '') as trace_key,
        {{ dbt.hash('raw_row') }} as row_hash
    from {{ ref('stg_traces__traces') }}

),

models as (

    select
        model_id,
        {{ dbt.hash(dbt.concat(["model_id", "'|'", "coalesce(model_role, '')"])) }} as model_fingerprint
    from {{ ref('int_models_checked') }}
    where rejection_reason is null

),

{% if is_incremental() %}
keys_to_refresh as (

    {{ llm_migration.changed_keys('traces', 'trace_key') }}
    union
    select existing.trace_key
    from {{ this }} as existing
    left join models
        on existing.model_id = models.model_id
    where coalesce(existing.model_fingerprint, '') != coalesce(models.model_fingerprint, '')

),

traces_in_scope as (

    select * from traces
    where trace_key in (select trace_key from keys_to_refresh)

),
{% else %}
traces_in_scope as (

    select * from traces

),
{% endif %}

fingerprinted as (

    select
        traces_in_scope.*,
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
        row_number() over (partition by trace_key order by source_row_number) as copy_number
    from traces_in_scope

),

versions as (

    select
        trace_key,
        count(distinct content_hash) as n_versions
    from fingerprinted
    where row_issue is null
    group by trace_key

)

select
    fingerprinted.trace_key,
    fingerprinted.source_row_number,
    fingerprinted.row_hash,
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
    models.model_fingerprint,
    case
        when fingerprinted.row_issue is not null then fingerprinted.row_issue
        when models.model_id is null
            then {{ dbt.concat(["'unknown model_id: '", "fingerprinted.model_id", "' (not in the models input)'"]) }}
        when versions.n_versions > 1
            then 'trace_id appears more than once with conflicting content'
        when fingerprinted.copy_number > 1 then 'exact duplicate of an earlier row for this trace_id'
    end as rejection_reason,
    {{ llm_migration.build_timestamp() }} as refreshed_at
from fingerprinted
left join models
    on fingerprinted.model_id = models.model_id
left join versions
    on fingerprinted.trace_key = versions.trace_key
