{#-
    One consensus human label per trace and metric: the majority of annotators. A tie has no
    consensus (is_human_positive null, is_tied true) and is kept out of the calibration.
-#}
with

labels as (

    select * from {{ ref('int_labels_checked') }}
    where rejection_reason is null

),

votes as (

    select
        trace_id,
        metric,
        count(*) as n_annotators,
        cast(sum(case when is_human_positive then 1 else 0 end) as {{ dbt.type_bigint() }}) as n_positive_votes,
        cast(sum(case when is_human_positive then 0 else 1 end) as {{ dbt.type_bigint() }}) as n_negative_votes
    from labels
    group by trace_id, metric

)

select
    trace_id,
    metric,
    n_annotators,
    n_positive_votes,
    n_negative_votes,
    case
        when n_positive_votes > n_negative_votes then true
        when n_negative_votes > n_positive_votes then false
    end as is_human_positive,
    n_positive_votes = n_negative_votes as is_tied
from votes
