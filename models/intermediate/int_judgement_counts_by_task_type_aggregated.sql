{#-
    The one aggregation of the verdict-label join: one row per model x region x task type x
    metric x judge x judge verdict x consensus human label, with the number of traces. The
    per-cell counts (int_judgement_counts_aggregated), the per-task-type counts and the primary
    judge are sums over it, so the join over every verdict is read once per build.
-#}
select
    model_id,
    region,
    task_type,
    metric,
    judge_id,
    is_judge_positive,
    is_human_positive,
    count(*) as n_traces
from {{ ref('int_judgements_joined_to_labels') }}
group by
    model_id,
    region,
    task_type,
    metric,
    judge_id,
    is_judge_positive,
    is_human_positive
