{% macro stage_traces(source_relation) %}
    {#-
        The body of stg_traces__traces: every row of source_relation (base_traces, or a subset
        of its rows) typed and normalised, with row_issue naming the first row-level problem.
        int_traces_checked parses the rows of the traces in scope with it on a refresh.
    -#}
{%- set double = llm_migration.type_double() -%}
with

source as (

    select * from {{ source_relation }}

),

typed as (

    {#-
        Each cast and normalisation once per row; the row checks below read these columns. A
        typed input delivers <column>_value (and null text): it is taken as it is, not parsed.
    -#}
    select
        *,
        {#- Ids without the tabs and invisible spaces exports leave around them, as regions are. -#}
        nullif({{ llm_migration.trim_whitespace('trace_id') }}, '') as trace_id_trimmed,
        nullif({{ llm_migration.trim_whitespace('model_id') }}, '') as model_id_trimmed,
        {{ llm_migration.normalise_region('region') }} as region_code,
        coalesce(created_at_value, {{ llm_migration.parse_timestamp("nullif(trim(created_at), '')") }}) as created_at_utc,
        {#- Tabs and line breaks trimmed: "ok<TAB>" is a success, not an error (5.3M rows: cheap). -#}
        {{ llm_migration.normalise_token(llm_migration.trim_whitespace('status')) }} as status_token,
        coalesce(latency_ms_value, {{ llm_migration.cast_or_null("nullif(trim(latency_ms), '')", double) }}) as latency_ms_number,
        coalesce(input_tokens_value, {{ llm_migration.cast_or_null("nullif(trim(input_tokens), '')", double) }}) as input_tokens_number,
        coalesce(output_tokens_value, {{ llm_migration.cast_or_null("nullif(trim(output_tokens), '')", double) }}) as output_tokens_number,
        coalesce(cost_usd_value, {{ llm_migration.cast_or_null("nullif(trim(cost_usd), '')", double) }}) as cost_usd_number
    from source

),

renamed as (

    select
        source_row_number,
        row_hash,
        source_row,
        trace_id_trimmed as trace_id,
        model_id_trimmed as model_id,
        region_code as region,
        created_at_utc as created_at,
        nullif({{ llm_migration.trim_whitespace('item_id') }}, '') as item_id,
        coalesce(nullif({{ llm_migration.normalise_token(llm_migration.trim_whitespace('task_type')) }}, ''), 'unspecified') as task_type,
        latency_ms_number as latency_ms,
        input_tokens_number as input_tokens,
        output_tokens_number as output_tokens,
        cost_usd_number as cost_usd,
        {#-
            No status says nothing about errors: null, bounded by the error-rate gate (not counted
            a success). The missing-value markers of SQL, R and Python exports ("NULL", "None",
            "NA", "NaN") are no status either: read as words, every one was an error.
        -#}
        {%- set no_status = ['', 'null', 'none', 'na', 'n/a', 'nan', 'nil'] %}
        case when not {{ llm_migration.is_one_of('status_token', no_status) }} then status_token end as status,
        case
            when not {{ llm_migration.is_one_of('status_token', no_status) }}
                {#- 200.0: a column of HTTP codes with a missing value is float in pandas (and Parquet, JSON). -#}
                then not {{ llm_migration.is_one_of('status_token', ['ok', 'success', 'succeeded', 'completed', 'complete', '200', '200.0']) }}
        end as is_error,
        case
            when trace_id_trimmed is null then 'missing required value: trace_id'
            when model_id_trimmed is null then 'missing required value: model_id'
            when nullif(trim(region), '') is null then 'missing required value: region'
            when region_code = 'all'
                then 'region ALL is reserved for the traffic-weighted overall figure'
            when created_at_value is null and nullif(trim(created_at), '') is null
                then 'missing required value: created_at'
            when created_at_utc is null and {{ llm_migration.zone_abbreviation('created_at') }} is not null
                then {{ dbt.concat(["'created_at names its time zone by an abbreviation that several zones share or DuckDB misreads ('", llm_migration.zone_abbreviation('created_at'), "'): write an offset (+01:00) or a zone name (Europe/London): '", "substr(created_at, 1, 80)"]) }}
            when created_at_utc is null
                then {{ dbt.concat(["'created_at is not a timestamp: '", "substr(created_at, 1, 80)"]) }}
            when not {{ llm_migration.is_plausible_timestamp('created_at_utc') }}
                then {{ dbt.concat(["'created_at is outside 2000-2199: '", "cast(created_at_utc as " ~ dbt.type_string() ~ ")"]) }}
            when nullif(trim(latency_ms), '') is not null and latency_ms_number is null and not {{ llm_migration.is_missing_marker('latency_ms') }}
                then {{ dbt.concat(["'latency_ms is not a number: '", "substr(latency_ms, 1, 80)"]) }}
            when nullif(trim(input_tokens), '') is not null and input_tokens_number is null and not {{ llm_migration.is_missing_marker('input_tokens') }}
                then {{ dbt.concat(["'input_tokens is not a number: '", "substr(input_tokens, 1, 80)"]) }}
            when nullif(trim(output_tokens), '') is not null and output_tokens_number is null and not {{ llm_migration.is_missing_marker('output_tokens') }}
                then {{ dbt.concat(["'output_tokens is not a number: '", "substr(output_tokens, 1, 80)"]) }}
            when nullif(trim(cost_usd), '') is not null and cost_usd_number is null and not {{ llm_migration.is_missing_marker('cost_usd') }}
                then {{ dbt.concat(["'cost_usd is not a number: '", "substr(cost_usd, 1, 80)"]) }}
            {#- Casts read 'nan' and 'inf' as numbers (Parquet doubles can hold them too); NaN compares above every number. -#}
            when not (coalesce(latency_ms_number, 0) between -1e308 and 1e308)
                or not (coalesce(input_tokens_number, 0) between -1e308 and 1e308)
                or not (coalesce(output_tokens_number, 0) between -1e308 and 1e308)
                or not (coalesce(cost_usd_number, 0) between -1e308 and 1e308)
                then 'latency_ms, tokens or cost_usd is not a finite number (nan or infinity)'
            when latency_ms_number < 0
                or input_tokens_number < 0
                or output_tokens_number < 0
                or cost_usd_number < 0
                then 'negative latency_ms, tokens or cost_usd'
        end as row_issue

    from typed

)

select * from renamed
{% endmacro %}
