{#- Every judge_scores row with the reason it is rejected (null when kept). -#}
with

judgements as (

    select * from {{ ref('stg_judge_scores__judgements') }}

),

trace_status as (

    select * from {{ ref('int_trace_status') }}

),

ranked as (

    select
        judgements.*,
        row_number() over (
            partition by trace_id, metric, judge_id
            order by source_row_number
        ) as copy_number
    from judgements

),

versions as (

    select
        trace_id,
        metric,
        judge_id,
        count(distinct is_judge_positive) as n_verdicts
    from judgements
    where row_issue is null
    group by trace_id, metric, judge_id

)

select
    ranked.source_row_number,
    ranked.raw_row,
    ranked.trace_id,
    ranked.metric,
    ranked.judge_id,
    ranked.judgement_text,
    ranked.is_judge_positive,
    ranked.scored_at,
    case
        when ranked.row_issue is not null then ranked.row_issue
        when trace_status.trace_id is null
            then {{ dbt.concat(["'unknown trace_id: '", "ranked.trace_id", "' (not in the traces input)'"]) }}
        when not trace_status.is_kept then 'its trace was rejected (see the traces rows in rejected_input_rows)'
        when versions.n_verdicts > 1
            then 'conflicting judgements for the same trace, metric and judge'
        when ranked.copy_number > 1 then 'duplicate judgement for the same trace, metric and judge'
    end as rejection_reason
from ranked
left join trace_status
    on ranked.trace_id = trace_status.trace_id
left join versions
    on ranked.trace_id = versions.trace_id
    and ranked.metric = versions.metric
    and ranked.judge_id = versions.judge_id
