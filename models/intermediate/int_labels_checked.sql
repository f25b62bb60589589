{#- Every human_labels row with the reason it is rejected (null when kept). -#}
with

labels as (

    select * from {{ ref('stg_human_labels__labels') }}

),

trace_status as (

    select * from {{ ref('int_trace_status') }}

),

ranked as (

    select
        labels.*,
        row_number() over (
            partition by trace_id, metric, annotator_id
            order by source_row_number
        ) as copy_number
    from labels

),

versions as (

    select
        trace_id,
        metric,
        annotator_id,
        count(distinct is_human_positive) as n_labels
    from labels
    where row_issue is null
    group by trace_id, metric, annotator_id

)

select
    ranked.source_row_number,
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
    end as rejection_reason
from ranked
left join trace_status
    on ranked.trace_id = trace_status.trace_id
left join versions
    on ranked.trace_id = versions.trace_id
    and ranked.metric = versions.metric
    and ranked.annotator_id = versions.annotator_id
