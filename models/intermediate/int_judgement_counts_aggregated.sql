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
    count(*) as n_traces
from {{ ref('int_judgements_joined_to_labels') }}
where not is_placeholder
group by
    model_id,
    region,
    metric,
    judge_id,
    is_judge_positive,
    is_human_positive
