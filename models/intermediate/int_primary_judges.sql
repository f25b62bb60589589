{#-
    The judge whose verdicts the true-rate model uses, per metric: var llm_migration_primary_judge
    as a mapping metric -> judge_id, or ("auto") the judge with the most verdicts on the metric
    (ties: the first judge_id alphabetically). Other judges are calibrated but do not feed the
    true rates, so the same human labels are not counted twice.
-#}
{%- set configured = var('llm_migration_primary_judge') -%}
with

verdicts as (

    select
        metric,
        judge_id,
        cast(sum(n_traces) as {{ dbt.type_bigint() }}) as n_verdicts
    from {{ ref('int_judgement_counts_by_task_type_aggregated') }}
    where judge_id is not null
    group by metric, judge_id

),

ranked as (

    select
        metric,
        judge_id,
        n_verdicts,
        row_number() over (partition by metric order by n_verdicts desc, judge_id) as judge_rank
    from verdicts
    {%- if configured is mapping %}
    where judge_id = case metric
        {%- for metric, judge in configured.items() %}
        when '{{ metric }}' then '{{ judge }}'
        {%- endfor %}
    end
    {%- elif configured != 'auto' %}
    {{ exceptions.raise_compiler_error("var llm_migration_primary_judge must be 'auto' or a mapping metric -> judge_id, got " ~ configured) }}
    {%- endif %}

)

select
    metric,
    judge_id,
    n_verdicts
from ranked
where judge_rank = 1
