{#-
    Counts per model x task type x metric x primary-judge verdict x consensus human label, for
    the per-task-type gate (a regression in one task type must not hide behind a good average).
-#}
select
    joined.model_id,
    joined.task_type,
    joined.metric,
    joined.is_judge_positive,
    joined.is_human_positive,
    count(*) as n_traces
from {{ ref('int_judgements_joined_to_labels') }} as joined
inner join {{ ref('int_primary_judges') }} as judges
    on joined.metric = judges.metric
    and joined.judge_id = judges.judge_id
where not joined.is_placeholder
group by
    joined.model_id,
    joined.task_type,
    joined.metric,
    joined.is_judge_positive,
    joined.is_human_positive
