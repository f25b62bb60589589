{#-
    One row per evaluated trace x metric x judge verdict, with the consensus human label where
    there is one. Human-labelled traces that no judge scored on the metric appear once with
    judge_id null: they are direct evidence of the true rate.
-#}
with

judgements as (

    select * from {{ ref('int_judgements_checked') }}
    where rejection_reason is null

),

consensus as (

    select * from {{ ref('int_labels_aggregated_to_consensus') }}

),

traces as (

    select * from {{ ref('int_traces_checked') }}
    where rejection_reason is null

),

models as (

    select * from {{ ref('int_evaluated_models') }}

),

judged_or_labelled as (

    select
        coalesce(judgements.trace_id, consensus.trace_id) as trace_id,
        coalesce(judgements.metric, consensus.metric) as metric,
        judgements.judge_id,
        judgements.is_judge_positive,
        judgements.scored_at,
        consensus.is_human_positive,
        coalesce(consensus.n_annotators, 0) as n_annotators,
        coalesce(consensus.is_tied, false) as is_tied_label
    from judgements
    full outer join consensus
        on judgements.trace_id = consensus.trace_id
        and judgements.metric = consensus.metric

)

select
    judged_or_labelled.trace_id,
    judged_or_labelled.metric,
    judged_or_labelled.judge_id,
    traces.model_id,
    models.model_role,
    traces.region,
    traces.task_type,
    traces.item_id,
    traces.created_at,
    judged_or_labelled.is_judge_positive,
    judged_or_labelled.scored_at,
    judged_or_labelled.is_human_positive,
    judged_or_labelled.is_human_positive is not null as has_human_label,
    judged_or_labelled.n_annotators,
    judged_or_labelled.is_tied_label
from judged_or_labelled
inner join traces
    on judged_or_labelled.trace_id = traces.trace_id
inner join models
    on traces.model_id = models.model_id
