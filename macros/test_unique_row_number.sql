{% test unique_row_number(model, column_name) %}
    {{ return(adapter.dispatch('test_unique_row_number', 'llm_migration')(model, column_name)) }}
{% endtest %}

{% macro default__test_unique_row_number(model, column_name) %}
    {#- Fails on every value that occurs more than once (nulls pass: pair with not_null). -#}
    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where {{ column_name }} is not null
    group by {{ column_name }}
    having count(*) > 1
{% endmacro %}

{% macro duckdb__test_unique_row_number(model, column_name) %}
    {#-
        The same failing rows, found faster for the project's row numbers (integers from 1 to
        about the row count): one bit per value between the column's min and max
        (bitstring_agg), and the values are unique exactly when as many bits are set as there
        are values. Only when they are not does the grouping above run, to list the repeated
        values. On 16M verdict rows: 0.3 s instead of 1.7 s. A range too wide for a bitmap
        (beyond 2^30 values, 128 MiB of bits) falls back to the grouping.
    -#}
    {%- set bounds = none -%}
    {%- if execute -%}
        {%- set bounds = run_query(
            'select min(' ~ column_name ~ '), max(' ~ column_name ~ ') from ' ~ model).rows[0] -%}
    {%- endif -%}
    {%- if bounds is none or bounds[0] is none or bounds[1] - bounds[0] >= 2 ** 30 -%}
        {{ llm_migration.default__test_unique_row_number(model, column_name) }}
    {%- else -%}
    with

    unique_row_number_bitmap as (

        select
            count({{ column_name }})
                = bit_count(bitstring_agg({{ column_name }}, {{ bounds[0] }}, {{ bounds[1] }})) as is_unique
        from {{ model }}

    )

    select
        {{ column_name }} as unique_field,
        count(*) as n_records
    from {{ model }}
    where {{ column_name }} is not null
        and not (select is_unique from unique_row_number_bitmap)
    group by {{ column_name }}
    having count(*) > 1
    {%- endif %}
{% endmacro %}
