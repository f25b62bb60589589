{#-
    The judge whose verdicts the true-rate model uses, per metric: var llm_migration_primary_judge
    as a mapping metric -> judge_id, or ("auto", and for metrics the mapping leaves out) the
    judge with the most verdicts on the metric (ties: the first judge_id alphabetically). Other judges are calibrated but do not feed the
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
    {%- if configured is mapping and configured %}
    where not {{ llm_migration.is_one_of('metric', configured.keys() | list) }}
    {%- elif configured is mapping %}
    {%- elif configured != 'auto' %}
    {{ exceptions.raise_compiler_error("var llm_migration_primary_judge must be 'auto' or a mapping metric -> judge_id, got " ~ configured) }}
    {%- endif %}

){% if configured is mapping and configured %},

{#-
    A named judge is taken as named, with its verdict count (0 when it has none: the fit then
    stops with an error naming it, rather than quietly fall back to another judge).
-#}
named as (

    {%- for metric, judge in configured.items() %}
    select
        cast('{{ metric | replace("'", "''") }}' as {{ dbt.type_string() }}) as metric,
        cast('{{ judge | replace("'", "''") }}' as {{ dbt.type_string() }}) as judge_id
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select
    named.metric,
    named.judge_id,
    coalesce(verdicts.n_verdicts, cast(0 as {{ dbt.type_bigint() }})) as n_verdicts
from named
left join verdicts
    on named.metric = verdicts.metric
    and named.judge_id = verdicts.judge_id

union all
{%- endif %}

select
    metric,
    judge_id,
    n_verdicts
from ranked
where judge_rank = 1
