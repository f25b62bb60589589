{#-
    Every judge_scores row with the reason it is rejected (null when kept): row-level problems, an
    unknown or rejected trace, conflicting values for one trace, metric and judge_id (all
    rejected), or exact duplicates (later copies rejected).

    Incremental: a refresh recomputes the (trace, metric, judge_id) keys that have a new or
    changed input row, and every key of a trace that int_traces_checked refreshed since.

    The duplicate checks aggregate the narrow key columns into the few keys that occur more than
    once and join that back, instead of a window over every row; the raw row is serialised only
    for rejected rows. The verdict text itself is not kept (is_judge_positive is what it says; a
    rejected row's text is in raw_row): whole judge outputs made it the widest column to write.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='judgement_key',
    on_schema_change='fail',
) }}
{{ llm_migration.assert_input_not_shrunk(ref('stg_judge_scores__judgements'), 'judge_scores') }}
{%- set judgement_key = dbt.concat(["coalesce(trace_id, '')", "'|'", "coalesce(metric, '')", "'|'", "coalesce(judge_id, '')"]) %}

with

rows_delivered as (

    select
        *,
        {{ judgement_key }} as judgement_key
    from {{ ref('stg_judge_scores__judgements') }}

),

trace_status as (

    select * from {{ ref('int_trace_status') }}

),

{% if is_incremental() %}
delivered_keys as (

    select
        {{ judgement_key }} as judgement_key,
        trace_id,
        row_hash,
        source_row_number
    from {{ ref('stg_judge_scores__judgements') }}

),

keys_to_refresh as (

    {{ llm_migration.changed_keys('delivered_keys', 'judgement_key') }}
    union
    select delivered_keys.judgement_key
    from delivered_keys
    inner join {{ ref('int_traces_checked') }} as traces
        on delivered_keys.trace_id = traces.trace_id
    where traces.refreshed_at > {{ llm_migration.watermark('traces_watermark') }}

),

rows_in_scope as (

    select * from rows_delivered
    where judgement_key in (select judgement_key from keys_to_refresh)

),
{% else %}
rows_in_scope as (

    select * from rows_delivered

),
{% endif %}

{#-
    Keys are refreshed whole, so aggregating every delivered row per key gives the same result
    for the keys in scope as aggregating the rows in scope. Grouped by the key's columns: a null
    part only occurs in rows with a row_issue, which decides their reason anyway.
-#}
repeated_keys as (

    select
        trace_id,
        metric,
        judge_id,
        min(source_row_number) as first_source_row_number,
        max(case when row_issue is null and is_judge_positive then 1 else 0 end)
            + max(case when row_issue is null and not is_judge_positive then 1 else 0 end) as n_verdicts
    from {{ ref('stg_judge_scores__judgements') }}
    group by trace_id, metric, judge_id
    having count(*) > 1

),

checked as (

    select
        rows_in_scope.*,
        case
            when rows_in_scope.row_issue is not null then rows_in_scope.row_issue
            when trace_status.trace_id is null
                then {{ dbt.concat(["'unknown trace_id: '", "rows_in_scope.trace_id", "' (not in the traces input)'"]) }}
            when not trace_status.is_kept then 'its trace was rejected (see the traces rows in rejected_input_rows)'
            when repeated_keys.n_verdicts > 1
                then 'conflicting judgements for the same trace, metric and judge'
            when rows_in_scope.source_row_number > repeated_keys.first_source_row_number
                then 'duplicate judgement for the same trace, metric and judge'
        end as rejection_reason
    from rows_in_scope
    left join trace_status
        on rows_in_scope.trace_id = trace_status.trace_id
    left join repeated_keys
        on rows_in_scope.trace_id = repeated_keys.trace_id
        and rows_in_scope.metric = repeated_keys.metric
        and rows_in_scope.judge_id = repeated_keys.judge_id

)

select
    judgement_key,
    source_row_number,
    row_hash,
    case
        when rejection_reason is not null then {{ llm_migration.raw_row_text('source_row') }}
    end as raw_row,
    trace_id,
    metric,
    judge_id,
    is_judge_positive,
    scored_at,
    rejection_reason,
    {{ llm_migration.build_timestamp() }} as refreshed_at,
    (select max(refreshed_at) from {{ ref('int_traces_checked') }}) as traces_watermark
from checked
