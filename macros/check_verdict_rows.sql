{% macro check_verdict_rows(staging, base, stage, input_name, actor_column, value_column, conflict_reason, duplicate_reason, columns) %}
    {#-
        The body of int_judgements_checked and int_labels_checked: every row of a per-trace x
        metric verdict input (judge scores, human labels) with the reason it is rejected (null
        when kept): row-level problems, an unknown or rejected trace, conflicting values for one
        trace, metric and actor (all copies rejected), exact duplicates (later copies rejected).

        staging: the staging relation; base: the relation it parses; stage: the macro that
        parses (staging is stage(base)); actor_column: who gave the verdict; value_column: the
        boolean verdict; columns: the further staging columns to keep.

        Incremental by trace (the unique key refresh_key, see the macro refresh_key): a refresh
        recomputes every row of a trace that has a new or changed input row, that
        int_traces_checked refreshed since, or whose input position int_traces_checked found
        holding another trace since (replaced_trace_id), and parses and checks only those rows. A (trace,
        metric, actor) key never spans two traces, so the duplicate checks stay exact over the
        rows in scope. They aggregate the narrow key columns into the few keys that occur more
        than once and join that back, instead of a window over every row; the raw row is
        serialised only for rejected rows.
    -#}
    {{ llm_migration.assert_input_not_shrunk(staging, input_name) }}
    {{ llm_migration.assert_parse_settings_unchanged(input_name) }}

with

{% if is_incremental() %}
{#-
    Only the narrow key columns of every delivered row are read to find what changed; then only
    the rows of the traces in scope are parsed (macro parse_rows_in_scope).
-#}
delivered_keys as (

    select
        {{ llm_migration.refresh_key('trace_id') }} as refresh_key,
        trace_id,
        row_hash,
        source_row_number
    from {{ staging }}

),

keys_to_refresh as (

    {{ llm_migration.changed_keys('delivered_keys', 'refresh_key') }}
    union
    select delivered_keys.refresh_key
    from delivered_keys
    inner join {{ ref('int_traces_checked') }} as traces
        on delivered_keys.trace_id = traces.trace_id
    where traces.refreshed_at > {{ llm_migration.watermark('traces_watermark') }}
    union
    {#-
        Rows of a trace whose input position int_traces_checked found holding another trace since
        (a trace id corrected in place, or rows shifted by a removal): the trace may be gone, and
        nothing else refreshes its rows, which a full rebuild rejects as of an unknown trace.
    #}
    select {{ llm_migration.refresh_key('replaced_trace_id') }}
    from {{ ref('int_traces_checked') }}
    where replaced_trace_id is not null
        and refreshed_at > {{ llm_migration.watermark('traces_watermark') }}

),

rows_in_scope as (

    {{ llm_migration.parse_rows_in_scope(base, stage) }}

),

{#- The status of the traces in scope only: aggregating every trace's rows cost 1.1 s at 5.3M traces. -#}
trace_status as (

    {{ llm_migration.trace_status(
        '(select trace_id, rejection_reason from ' ~ ref('int_traces_checked')
        ~ ' where trace_id in (select trace_id from rows_in_scope)) as traces_in_scope') }}

),
{% else %}
rows_in_scope as (

    select
        *,
        {{ llm_migration.refresh_key('trace_id') }} as refresh_key
    from {{ staging }}

),

trace_status as (

    select * from {{ ref('int_trace_status') }}

),
{% endif %}

{#-
    Traces are refreshed whole and a (trace, metric, actor) key never spans two traces, so
    aggregating the rows in scope gives the same result for their keys as aggregating every
    delivered row, at a fraction of the cost on a refresh. Grouped by the key's columns: a null
    part only occurs in rows with a row_issue, which decides their reason anyway.
-#}
repeated_keys as (

    {#- first_source_row_number: the first readable copy, so a valid copy after an unreadable one
        (a label 'unsure', then the annotator's 0) is kept, not called its duplicate. -#}
    {{ llm_migration.repeated_keys('rows_in_scope', ['trace_id', 'metric', actor_column], [
        'min(case when row_issue is null then source_row_number end) as first_source_row_number',
        'max(case when row_issue is null and ' ~ value_column ~ ' then 1 else 0 end)'
            ~ ' + max(case when row_issue is null and not ' ~ value_column ~ ' then 1 else 0 end) as n_values',
    ]) }}

),

checked as (

    select
        rows_in_scope.*,
        case
            when rows_in_scope.row_issue is not null then rows_in_scope.row_issue
            when trace_status.trace_id is null
                then {{ dbt.concat(["'unknown trace_id: '", "rows_in_scope.trace_id", "' (not in the traces input)'"]) }}
            when not trace_status.is_kept then 'its trace was rejected (see the traces rows in rejected_input_rows)'
            when repeated_keys.n_values > 1
                then '{{ conflict_reason }}'
            when rows_in_scope.source_row_number > repeated_keys.first_source_row_number
                then '{{ duplicate_reason }}'
        end as rejection_reason
    from rows_in_scope
    left join trace_status
        on rows_in_scope.trace_id = trace_status.trace_id
    left join repeated_keys
        on rows_in_scope.trace_id = repeated_keys.trace_id
        and rows_in_scope.metric = repeated_keys.metric
        and rows_in_scope.{{ actor_column }} = repeated_keys.{{ actor_column }}

)

select
    refresh_key,
    source_row_number,
    row_hash,
    case
        when rejection_reason is not null then {{ llm_migration.raw_row_text('source_row') }}
    end as raw_row,
    trace_id,
    metric,
    {{ actor_column }},
    {%- for column in columns %}
    {{ column }},
    {%- endfor %}
    rejection_reason,
    '{{ llm_migration.parse_settings() }}' as parse_settings,
    {{ llm_migration.build_timestamp() }} as refreshed_at,
    (select max(refreshed_at) from {{ ref('int_traces_checked') }}) as traces_watermark
from checked
{% endmacro %}
