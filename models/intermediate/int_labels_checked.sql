{#-
    Every human_labels row with the reason it is rejected (null when kept): row-level problems, an
    unknown or rejected trace, conflicting values for one trace, metric and annotator_id (all
    rejected), or exact duplicates (later copies rejected).

    Incremental: a refresh recomputes the (trace, metric, annotator_id) keys that have a new or
    changed input row, and every key of a trace that int_traces_checked refreshed since.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='label_key',
    on_schema_change='fail',
) }}
{{ llm_migration.assert_input_not_shrunk(ref('stg_human_labels__labels'), 'human_labels') }}

with

rows_delivered as (

    select
        *,
        {{ dbt.concat(["coalesce(trace_id, '')", "'|'", "coalesce(metric, '')", "'|'", "coalesce(annotator_id, '')"]) }} as label_key,
        {{ dbt.hash('raw_row') }} as row_hash
    from {{ ref('stg_human_labels__labels') }}

),

trace_status as (

    select * from {{ ref('int_trace_status') }}

),

{% if is_incremental() %}
keys_to_refresh as (

    {{ llm_migration.changed_keys('rows_delivered', 'label_key') }}
    union
    select rows_delivered.label_key
    from rows_delivered
    inner join {{ ref('int_traces_checked') }} as traces
        on rows_delivered.trace_id = traces.trace_id
    where traces.refreshed_at > {{ llm_migration.watermark('traces_watermark') }}

),

rows_in_scope as (

    select * from rows_delivered
    where label_key in (select label_key from keys_to_refresh)

),
{% else %}
rows_in_scope as (

    select * from rows_delivered

),
{% endif %}

ranked as (

    select
        rows_in_scope.*,
        row_number() over (partition by label_key order by source_row_number) as copy_number
    from rows_in_scope

),

versions as (

    select
        label_key,
        count(distinct is_human_positive) as n_labels
    from rows_in_scope
    where row_issue is null
    group by label_key

)

select
    ranked.label_key,
    ranked.source_row_number,
    ranked.row_hash,
    ranked.raw_row,
    ranked.trace_id,
    ranked.metric,
    ranked.annotator_id,
    ranked.label_text,
    ranked.is_human_positive,
    ranked.labeled_at,
    case
        when ranked.row_issue is not null then ranked.row_issue
        when trace_status.trace_id is null
            then {{ dbt.concat(["'unknown trace_id: '", "ranked.trace_id", "' (not in the traces input)'"]) }}
        when not trace_status.is_kept then 'its trace was rejected (see the traces rows in rejected_input_rows)'
        when versions.n_labels > 1
            then 'the same annotator gave conflicting labels for this trace and metric'
        when ranked.copy_number > 1 then 'duplicate label by the same annotator for this trace and metric'
    end as rejection_reason,
    {{ llm_migration.build_timestamp() }} as refreshed_at,
    (select max(refreshed_at) from {{ ref('int_traces_checked') }}) as traces_watermark
from ranked
left join trace_status
    on ranked.trace_id = trace_status.trace_id
left join versions
    on ranked.label_key = versions.label_key
