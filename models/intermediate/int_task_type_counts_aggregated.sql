{#-
    Counts per model x task type x metric x primary-judge verdict x consensus human label, for
    the per-task-type gate (a regression in one task type must not hide behind a good average).
-#}
select
    counts.model_id,
    counts.task_type,
    counts.metric,
    counts.is_judge_positive,
    counts.is_human_positive,
    cast(sum(counts.n_traces) as {{ dbt.type_bigint() }}) as n_traces
from {{ ref('int_judgement_counts_by_task_type_aggregated') }} as counts
inner join {{ ref('int_primary_judges') }} as judges
    on counts.metric = judges.metric
    and counts.judge_id = judges.judge_id
group by
    counts.model_id,
    counts.task_type,
    counts.metric,
    counts.is_judge_positive,
    counts.is_human_positive
