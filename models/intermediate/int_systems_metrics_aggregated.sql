{#- Per model x region (and region ALL) systems figures the budget gates start from. -#}
with

traces as (

    select traces.*
    from {{ ref('int_traces_checked') }} as traces
    inner join {{ ref('int_evaluated_models') }} as models
        on traces.model_id = models.model_id
    where traces.rejection_reason is null

),

by_region as (

    select
        model_id,
        region,
        count(*) as n_traces,
        count(is_error) as n_with_status,
        cast(sum(case when is_error then 1 else 0 end) as {{ dbt.type_bigint() }}) as n_errors,
        count(latency_ms) as n_with_latency,
        {{ llm_migration.percentile('latency_ms', 0.5) }} as latency_p50_ms,
        {{ llm_migration.percentile('latency_ms', 0.95) }} as latency_p95_ms,
        avg(input_tokens) as mean_input_tokens,
        avg(output_tokens) as mean_output_tokens,
        count(cost_usd) as n_with_cost,
        avg(cost_usd) as cost_per_trace_usd
    from traces
    group by model_id, region

),

overall as (

    select
        model_id,
        'ALL' as region,
        count(*) as n_traces,
        count(is_error) as n_with_status,
        cast(sum(case when is_error then 1 else 0 end) as {{ dbt.type_bigint() }}) as n_errors,
        count(latency_ms) as n_with_latency,
        {{ llm_migration.percentile('latency_ms', 0.5) }} as latency_p50_ms,
        {{ llm_migration.percentile('latency_ms', 0.95) }} as latency_p95_ms,
        avg(input_tokens) as mean_input_tokens,
        avg(output_tokens) as mean_output_tokens,
        count(cost_usd) as n_with_cost,
        avg(cost_usd) as cost_per_trace_usd
    from traces
    group by model_id

),

unioned as (

    select * from by_region
    union all
    select * from overall

)

select
    *,
    {#- Traces without a status say nothing about errors: the rate is over those with one. -#}
    case
        when n_with_status > 0 then cast(n_errors as {{ llm_migration.type_double() }}) / n_with_status
    end as error_rate
from unioned
