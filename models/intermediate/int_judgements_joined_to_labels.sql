{#-
    One row per evaluated trace x metric x judge verdict, with the consensus human label where
    there is one. Human-labelled traces that no judge scored on the metric appear once with
    judge_id null: they are direct evidence of the true rate.

    A view: the expensive work (parsing, checks) is already materialised incrementally in the
    *_checked tables, and joining their kept rows to the few thousand consensus labels is one hash
    join against a small table. Measured at 3.2M verdicts, reading the join costs 0.5 s and writing
    it to a table cost 6.6 s, for a table that every refresh would rewrite whole anyway.
-#}
{{ config(materialized='view') }}

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

),

joined as (

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

)

select * from joined
