{% macro assert_input_not_shrunk(input_relation, input_name) %}
    {#-
        Incremental refreshes assume inputs grow or are corrected in place: a row that vanished
        from an input would stay in the tables. Stop with a clear message instead.
    -#}
    {%- if execute and is_incremental() -%}
        {%- set result = run_query(
            "select (select count(*) from " ~ this ~ ") as n_built, (select count(*) from " ~ input_relation ~ ") as n_input") -%}
        {%- if result.rows[0][0] > result.rows[0][1] -%}
            {{ exceptions.raise_compiler_error(
                "input '" ~ input_name ~ "' now has " ~ result.rows[0][1] ~ " rows, fewer than the "
                ~ result.rows[0][0] ~ " already built into " ~ this ~ ". Incremental refreshes need "
                ~ "inputs that only grow or are corrected in place; rebuild with `dbt build --full-refresh`.") }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}

{% macro changed_keys(rows_cte, key_column) %}
    {#- Keys of input rows not already built unchanged at the same position. -#}
    select distinct candidate.{{ key_column }}
    from {{ rows_cte }} as candidate
    where not exists (
        select 1
        from {{ this }} as existing
        where existing.{{ key_column }} = candidate.{{ key_column }}
            and existing.row_hash = candidate.row_hash
            and existing.source_row_number = candidate.source_row_number
    )
{% endmacro %}

{% macro build_timestamp() %}
    {#- When this model's rows were computed; downstream incremental models compare it with their watermark. -#}
    cast({{ dbt.current_timestamp() }} as {{ api.Column.translate_type('timestamp') }})
{% endmacro %}

{% macro watermark(column) %}
    {#- The latest upstream refresh this incremental model has already processed. -#}
    {%- if is_incremental() -%}
        (select coalesce(max({{ column }}), cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }})) from {{ this }})
    {%- else -%}
        cast('1900-01-01' as {{ api.Column.translate_type('timestamp') }})
    {%- endif -%}
{% endmacro %}
