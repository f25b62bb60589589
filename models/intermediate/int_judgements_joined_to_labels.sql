{#-
    One row per evaluated trace x metric x judge verdict, with the consensus human label where
    there is one. Human-labelled traces that no judge scored on the metric appear once with
    judge_id null: they are direct evidence of the true rate.

    Incremental: a refresh recomputes every (trace, metric) pair whose judgements, labels or trace
    changed since the last build. A pair left with no row (say its trace was rejected later) keeps
    one placeholder row (is_placeholder) so the stale rows are replaced; downstream models skip it.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='pair_key',
    on_schema_change='fail',
) }}

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

{% if is_incremental() %}
pairs_to_refresh as (

    select {{ llm_migration.pair_key('trace_id', 'metric') }} as pair_key
    from {{ ref('int_judgements_checked') }}
    where refreshed_at > {{ llm_migration.watermark('judgements_watermark') }}
    union
    select {{ llm_migration.pair_key('trace_id', 'metric') }}
    from {{ ref('int_labels_checked') }}
    where refreshed_at > {{ llm_migration.watermark('labels_watermark') }}
    union
    select {{ llm_migration.pair_key('refreshed_traces.trace_id', 'metrics.metric') }}
    from {{ ref('int_traces_checked') }} as refreshed_traces
    cross join (
        {%- for metric in llm_migration.metric_names() %}
        select '{{ metric }}' as metric{{ " union all" if not loop.last }}
        {%- endfor %}
    ) as metrics
    where refreshed_traces.refreshed_at > {{ llm_migration.watermark('traces_watermark') }}

),
{% endif %}

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
        {{ llm_migration.pair_key('judged_or_labelled.trace_id', 'judged_or_labelled.metric') }} as pair_key,
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
        judged_or_labelled.is_tied_label,
        false as is_placeholder
    from judged_or_labelled
    inner join traces
        on judged_or_labelled.trace_id = traces.trace_id
    inner join models
        on traces.model_id = models.model_id

),

{% if is_incremental() %}
refreshed as (

    select joined.*
    from joined
    inner join pairs_to_refresh
        on joined.pair_key = pairs_to_refresh.pair_key

    union all

    select
        pairs_to_refresh.pair_key,
        null as trace_id,
        null as metric,
        null as judge_id,
        null as model_id,
        null as model_role,
        null as region,
        null as task_type,
        null as item_id,
        null as created_at,
        null as is_judge_positive,
        null as scored_at,
        null as is_human_positive,
        false as has_human_label,
        0 as n_annotators,
        false as is_tied_label,
        true as is_placeholder
    from pairs_to_refresh
    where pairs_to_refresh.pair_key not in (select pair_key from joined)

)
{% else %}
refreshed as (

    select * from joined

)
{% endif %}

select
    refreshed.*,
    (select max(refreshed_at) from {{ ref('int_judgements_checked') }}) as judgements_watermark,
    (select max(refreshed_at) from {{ ref('int_labels_checked') }}) as labels_watermark,
    (select max(refreshed_at) from {{ ref('int_traces_checked') }}) as traces_watermark
from refreshed
