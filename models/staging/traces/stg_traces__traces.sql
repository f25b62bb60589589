with

source as (

    select * from {{ ref('base_traces') }}

),

renamed as (

    select
        source_row_number,
        raw_row,
        nullif(trim(trace_id), '') as trace_id,
        nullif(trim(model_id), '') as model_id,
        {{ llm_migration.normalise_region('region') }} as region,
        {{ llm_migration.parse_timestamp("nullif(trim(created_at), '')") }} as created_at,
        nullif(trim(item_id), '') as item_id,
        coalesce(nullif({{ llm_migration.normalise_token('task_type') }}, ''), 'unspecified') as task_type,
        {{ llm_migration.safe_cast("nullif(trim(latency_ms), '')", llm_migration.type_double()) }} as latency_ms,
        {{ llm_migration.safe_cast("nullif(trim(input_tokens), '')", llm_migration.type_double()) }} as input_tokens,
        {{ llm_migration.safe_cast("nullif(trim(output_tokens), '')", llm_migration.type_double()) }} as output_tokens,
        {{ llm_migration.safe_cast("nullif(trim(cost_usd), '')", llm_migration.type_double()) }} as cost_usd,
        nullif({{ llm_migration.normalise_token('status') }}, '') as status,
        coalesce(
            {{ llm_migration.normalise_token('status') }} not in ('ok', 'success', 'succeeded', 'completed', 'complete', '200', ''),
            false
        ) as is_error,
        case
            when nullif(trim(trace_id), '') is null then 'missing required value: trace_id'
            when nullif(trim(model_id), '') is null then 'missing required value: model_id'
            when nullif(trim(region), '') is null then 'missing required value: region'
            when {{ llm_migration.normalise_region('region') }} = 'all'
                then 'region ALL is reserved for the traffic-weighted overall figure'
            when nullif(trim(created_at), '') is null then 'missing required value: created_at'
            when {{ llm_migration.parse_timestamp("nullif(trim(created_at), '')") }} is null
                then {{ dbt.concat(["'created_at is not a timestamp: '", "substr(created_at, 1, 80)"]) }}
            when nullif(trim(latency_ms), '') is not null
                and {{ llm_migration.safe_cast("nullif(trim(latency_ms), '')", llm_migration.type_double()) }} is null
                then {{ dbt.concat(["'latency_ms is not a number: '", "substr(latency_ms, 1, 80)"]) }}
            when nullif(trim(input_tokens), '') is not null
                and {{ llm_migration.safe_cast("nullif(trim(input_tokens), '')", llm_migration.type_double()) }} is null
                then {{ dbt.concat(["'input_tokens is not a number: '", "substr(input_tokens, 1, 80)"]) }}
            when nullif(trim(output_tokens), '') is not null
                and {{ llm_migration.safe_cast("nullif(trim(output_tokens), '')", llm_migration.type_double()) }} is null
                then {{ dbt.concat(["'output_tokens is not a number: '", "substr(output_tokens, 1, 80)"]) }}
            when nullif(trim(cost_usd), '') is not null
                and {{ llm_migration.safe_cast("nullif(trim(cost_usd), '')", llm_migration.type_double()) }} is null
                then {{ dbt.concat(["'cost_usd is not a number: '", "substr(cost_usd, 1, 80)"]) }}
            when {{ llm_migration.safe_cast("nullif(trim(latency_ms), '')", llm_migration.type_double()) }} < 0
                or {{ llm_migration.safe_cast("nullif(trim(input_tokens), '')", llm_migration.type_double()) }} < 0
                or {{ llm_migration.safe_cast("nullif(trim(output_tokens), '')", llm_migration.type_double()) }} < 0
                or {{ llm_migration.safe_cast("nullif(trim(cost_usd), '')", llm_migration.type_double()) }} < 0
                then 'negative latency_ms, tokens or cost_usd'
        end as row_issue

    from source

)

select * from renamed
