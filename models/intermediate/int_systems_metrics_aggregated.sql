{#- Per model x region (and region ALL) systems figures the budget gates start from. -#}
{#-
    Exact integer sums of latency (microseconds) and cost (nano-USD), each value rounded on its
    own row: int_run_fingerprint hashes them, and unlike a floating-point mean they do not change
    with the order rows are summed in (an incremental table and a full rebuild hold the same rows
    in another order), nor do they miss a change to the tail that keeps p95 and the mean.
-#}
{%- set exact_sums -%}
        max(latency_ms) as latency_max_ms,
        sum(cast(round(latency_ms * 1000) as {{ dbt.type_bigint() }})) as latency_sum_us,
        sum(cast(round(cost_usd * 1000000000) as {{ dbt.type_bigint() }})) as cost_sum_nano_usd
{%- endset -%}
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
        avg(cost_usd) as cost_per_trace_usd,
        {{ exact_sums }}
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
        avg(cost_usd) as cost_per_trace_usd,
        {{ exact_sums }}
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
