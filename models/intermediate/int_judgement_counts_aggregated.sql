{#-
    The sufficient statistics: all the Bayesian step reads. One row per model x region x metric x
    judge x judge verdict x consensus human label (null: no usable human label; judge columns
    null: a human-labelled trace no judge scored on this metric).
-#}
select
    model_id,
    region,
    metric,
    judge_id,
    is_judge_positive,
    is_human_positive,
    cast(sum(n_traces) as {{ dbt.type_bigint() }}) as n_traces
from {{ ref('int_judgement_counts_by_task_type_aggregated') }}
group by
    model_id,
    region,
    metric,
    judge_id,
    is_judge_positive,
    is_human_positive
